"""With `staging.watch` on, how long from writing an edit to a view until both gunicorn workers serve
it, against an image rebuild and recreate of the app (what an edit cost before watch).

Interleaved in one run on a running replica: each round edits `/version` (app/mina/health.py) to
answer a new marker and asks on new connections (every 20 ms) until two worker pids answer with it;
every third round also times the old way, watch stopped: the same kind of edit, `staging.up`
(rebuilds the app image, recreates the app), both workers serving it. The load average is kept
beside every figure. The file is put back at the end. Writes bench/results/watch.json and .md.

Each watched round is also cut into where its seconds went (`phases`), from timestamps taken here
(the write; watchfiles handing the batch to the watcher; the copy done, by wrapping the watcher's
handler in this process only) and from the app container's log lines, stamped by the engine on the
same clock (gunicorn's `Worker reloading`, `Worker exiting`, `Booting worker`), up to the first
answer of each new worker:

    debounce  write -> watchfiles' batch         copy     batch -> put_archive done
    detect    copy done -> first worker reloading  exit   -> last old worker exiting
    respawn   last exiting -> last new worker forked  boot  fork -> that worker's first answer

    STAGING_NAME=watch .venv/bin/python bench/watch_bench.py [--rounds 10] [--rebuild-every 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import re

import requests

from replica.commands import watch
from replica.commands.service import running_stack
from replica.commands.up import up
from replica.engine import health
from replica.stack.settings import from_environment

RESULTS = Path(__file__).parent / "results"
VIEW = Path("app") / "mina" / "health.py"
ANCHOR = '"worker_pid": os.getpid()})\n\n\ndef check_database'
WORKERS = 2
DEADLINE_S = 300
POLL_S = 0.02  # between two asks: the asking must not take the cores the booting workers need
GUNICORN_LINE = re.compile(r"^(\S+) \[[^]]+\] \[(\d+)\] \[\w+\] (Worker reloading|Worker exiting"
                           r"|Booting worker|Control server error)")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def served_by_both(url: str, marker: str) -> dict[int, float]:
    """Ask on new connections until two worker pids have answered with the marker; return when
    each first did (time.time())."""
    serving, deadline = {}, time.monotonic() + DEADLINE_S
    while len(serving) < WORKERS:
        if time.monotonic() > deadline:
            raise SystemExit(f"both workers did not serve {marker} within {DEADLINE_S} s")
        try:
            answer = requests.get(url, timeout=5, headers={"Connection": "close"})
            if marker in answer.text:
                serving.setdefault(answer.json()["worker_pid"], time.time())
        except requests.RequestException:
            pass  # a worker restarting
        time.sleep(POLL_S)
    return serving


class Stamps:
    """When the watcher got each batch and finished copying it (this process's watcher only)."""

    def __init__(self):
        self.batches, self.copied = [], []
        handle = watch.Watch.handle

        def stamped(session, changes):
            self.batches.append(time.time())
            try:
                return handle(session, changes)
            finally:
                self.copied.append(time.time())
        watch.Watch.handle = stamped


def gunicorn_events(settings, since: float) -> list[tuple[float, int, str]]:
    """The app container's gunicorn lines about workers since a time: (when, pid, what)."""
    (app,) = health.engine_client().containers.list(filters={"label": [
        f"{health.PROJECT_LABEL}={settings.project}", f"{health.SERVICE_LABEL}=app"]})
    events = []
    for line in app.logs(timestamps=True, since=int(since)).decode(errors="replace").splitlines():
        if (found := GUNICORN_LINE.match(line)):
            when = datetime.fromisoformat(found.group(1)[:26].rstrip("Z") + "+00:00").timestamp()
            if when >= since:
                events.append((when, int(found.group(2)), found.group(3)))
    return events


def phases(written: float, stamps: Stamps, events, served: dict[int, float]) -> dict:
    """Cut one watched round into the steps from the write to both workers serving it (s)."""
    batch = next(t for t in stamps.batches if t >= written)
    copied = next(t for t in stamps.copied if t >= batch)
    reloading = [t for t, _, what in events if what == "Worker reloading"]
    exiting = [t for t, pid, what in events if what == "Worker exiting" and pid not in served]
    forked = {pid: t for t, pid, what in events if what == "Booting worker" and pid in served}
    last_pid = max(served, key=served.get)
    steps = {"debounce": batch - written, "copy": copied - batch}
    if reloading and exiting and len(forked) == len(served):
        steps.update(detect=min(reloading) - copied, exit=max(exiting) - min(reloading),
                     respawn=max(forked.values()) - max(exiting),
                     boot=served[last_pid] - forked[last_pid])
    steps["total"] = max(served.values()) - written
    steps["control_server_errors"] = sum(what == "Control server error" for _, _, what in events)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in steps.items()}


def edit(path: Path, original: str) -> str:
    marker = f"bench-{uuid.uuid4().hex[:8]}"
    path.write_text(original.replace(ANCHOR, ANCHOR.replace("})", f', "watch": "{marker}"}})'), 1))
    return marker


def with_watch(settings, action):
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=watch.watch, args=(settings,),
                              kwargs={"stop_event": stop, "ready": ready}, daemon=True)
    thread.start()
    ready.wait(60)
    time.sleep(1)  # watchfiles sets its watches as the loop starts
    try:
        return action()
    finally:
        stop.set()
        thread.join(timeout=30)


def timed(action) -> dict:
    before = load()
    started = time.perf_counter()
    detail = action()
    took = {"s": round(time.perf_counter() - started, 2), "load_before": before, "load_after": load()}
    if detail:
        took["s"] = detail["total"]  # write -> last first answer, without the wait for the logs
        took["phases"] = detail
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--rebuild-every", type=int, default=3)
    args = parser.parse_args()
    settings = from_environment()
    url = running_stack(settings).url("app") + "/version"
    path = settings.root / VIEW
    original = path.read_text()
    watched, rebuilt, stamps = [], [], Stamps()
    try:
        for round_ in range(args.rounds):
            def watched_edit():
                written = time.time()
                marker = edit(path, original)
                served = served_by_both(url, marker)
                time.sleep(0.5)  # the engine's log lines of the boots have arrived
                return phases(written, stamps, gunicorn_events(settings, written - 1), served)
            watched.append(with_watch(settings, lambda: timed(watched_edit)))
            print(f"[bench] watch: {watched[-1]['s']:.2f} s (load {watched[-1]['load_before'][0]})"
                  f" {watched[-1]['phases']}", flush=True)
            if round_ % args.rebuild_every == 0:
                def rebuilt_edit():
                    marker = edit(path, original)
                    up(settings, seed=False)
                    served_by_both(url, marker)
                rebuilt.append(timed(rebuilt_edit))
                print(f"[bench] rebuild + recreate: {rebuilt[-1]['s']:.2f} s "
                      f"(load {rebuilt[-1]['load_before'][0]})", flush=True)
    finally:
        path.write_text(original)
        up(settings, seed=False)  # the image and container as the checkout is again
    result = summarise(watched, rebuilt)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "watch.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "watch.md").write_text(render(result))
    print(render(result))


def summarise(watched: list[dict], rebuilt: list[dict]) -> dict:
    median_watch = statistics.median(t["s"] for t in watched)
    median_rebuild = statistics.median(t["s"] for t in rebuilt)
    cut = [t["phases"] for t in watched if "phases" in t]
    steps = {name: round(statistics.median(c[name] for c in cut if name in c), 2)
             for name in cut[0] if name != "total"} if cut else {}
    return {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "watch_median_s": median_watch, "rebuild_median_s": median_rebuild,
            "watch_vs_rebuild": round(median_watch / median_rebuild, 2),
            "watch_phases_median_s": steps,
            "watch": watched, "rebuild": rebuilt, "target_watch_s": 3}


def render(r: dict) -> str:
    def runs(items):
        return ", ".join(f"{t['s']:.2f} s ({t['load_before'][0]:.1f})" for t in items)

    return "\n".join([
        f"Edit to a view → served by both gunicorn workers ({r['when']}, {r['machine']}).", "",
        "| way | median | runs (load average at the start) | target |", "|---|---|---|---|",
        f"| `staging.watch` (copy through the engine's API, inotify `--reload`) | "
        f"{r['watch_median_s']:.2f} s | {runs(r['watch'])} | ≤ {r['target_watch_s']} s |",
        f"| image rebuild + recreate (`staging.up`) | {r['rebuild_median_s']:.2f} s | "
        f"{runs(r['rebuild'])} | |",
        f"| ratio, side by side | {r['watch_vs_rebuild']}× | | |", "",
        "Where a watched edit's seconds go (medians of the rounds; `watch_bench.py`'s docstring "
        "defines each step):", "",
        "| " + " | ".join(r["watch_phases_median_s"]) + " |",
        "|" + "---|" * len(r["watch_phases_median_s"]),
        "| " + " | ".join(f"{v} s" if k != "control_server_errors" else str(v)
                          for k, v in r["watch_phases_median_s"].items()) + " |", ""])


if __name__ == "__main__":
    main()
