"""With `staging.watch` on, how long from writing an edit to a view until both gunicorn workers serve
it, against an image rebuild and recreate of the app (what an edit cost before watch).

Interleaved in one run on a running replica: each round edits `/version` (app/mina/health.py) to
answer a new marker and asks on new connections until two worker pids answer with it; every
third round also times the old way, watch stopped: the same kind of edit, `staging.up` (rebuilds
the app image, recreates the app), both workers serving it. The load average is kept beside every
figure. The file is put back at the end. Writes bench/results/watch.json and .md.

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

import requests

from replica.commands import watch
from replica.commands.service import running_stack
from replica.commands.up import up
from replica.stack.settings import from_environment

RESULTS = Path(__file__).parent / "results"
VIEW = Path("app") / "mina" / "health.py"
ANCHOR = '"worker_pid": os.getpid()})\n\n\ndef check_database'
WORKERS = 2
DEADLINE_S = 300


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def served_by_both(url: str, marker: str) -> None:
    """Ask on new connections until two worker pids have answered with the marker."""
    serving, deadline = set(), time.monotonic() + DEADLINE_S
    while len(serving) < WORKERS:
        if time.monotonic() > deadline:
            raise SystemExit(f"both workers did not serve {marker} within {DEADLINE_S} s")
        try:
            answer = requests.get(url, timeout=5, headers={"Connection": "close"})
            if marker in answer.text:
                serving.add(answer.json()["worker_pid"])
        except requests.RequestException:
            time.sleep(0.02)  # a worker restarting


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
    action()
    return {"s": round(time.perf_counter() - started, 2), "load_before": before, "load_after": load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--rebuild-every", type=int, default=3)
    args = parser.parse_args()
    settings = from_environment()
    url = running_stack(settings).url("app") + "/version"
    path = settings.root / VIEW
    original = path.read_text()
    watched, rebuilt = [], []
    try:
        for round_ in range(args.rounds):
            def watched_edit():
                marker = edit(path, original)
                served_by_both(url, marker)
            watched.append(with_watch(settings, lambda: timed(watched_edit)))
            print(f"[bench] watch: {watched[-1]['s']:.2f} s (load {watched[-1]['load_before'][0]})",
                  flush=True)
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
    return {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "watch_median_s": median_watch, "rebuild_median_s": median_rebuild,
            "watch_vs_rebuild": round(median_watch / median_rebuild, 2),
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
        f"| ratio, side by side | {r['watch_vs_rebuild']}× | | |", ""])


if __name__ == "__main__":
    main()
