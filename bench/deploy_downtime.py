"""Benchmark a green push's downtime: how long the serving deployment does not answer /health 200
while a push is judged on its candidate replica and then promoted.

On a scratch clone of this checkout's HEAD (its own remote and replica, `<name>`, taken down with
its volumes after): push HEAD once (the deployment), then a commit that changes a view (the app
image is rebuilt by the candidate, the serving app container recreated on promotion), polling the
deployment's /health every --every seconds throughout. Writes bench/results/deploy_downtime.json
and .md: the answers, the longest run of non-200 answers (the downtime), each checklist item's
seconds, and the load average before and after.

    STAGING_NAME=cd .venv/bin/python bench/deploy_downtime.py [--name cd-bench] [--every 0.1]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replica.commands.down import down  # noqa: E402
from replica.deploy import candidate  # noqa: E402
from replica.stack import plan  # noqa: E402
from replica.stack.settings import from_environment  # noqa: E402

RESULTS = ROOT / "bench" / "results"
VIEW = Path("app") / "mina" / "meetings.py"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def push(checkout: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(["git", "-C", str(checkout), "push", "--force", "staging", "HEAD:staging"],
                          capture_output=True, text=True, timeout=1800)
    if "remote: ✔ deployed" not in done.stderr:
        sys.exit(f"the push was not green:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def poll(url: str, every: float, stop: threading.Event, answers: list) -> None:
    while not stop.is_set():
        at = time.perf_counter()
        try:
            answers.append((at, requests.get(url, timeout=2).status_code))
        except requests.RequestException as error:
            answers.append((at, type(error).__name__))
        stop.wait(every)


def longest_outage(answers: list) -> float:
    """Seconds from the first of a run of non-200 answers to the next 200 (the longest such run)."""
    longest, began = 0.0, None
    for at, status in answers:
        if status != 200 and began is None:
            began = at
        elif status == 200 and began is not None:
            longest, began = max(longest, at - began), None
    return round(longest, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="cd-bench")
    parser.add_argument("--every", type=float, default=0.1)
    args = parser.parse_args()
    checkout = Path(tempfile.mkdtemp(prefix="deploy-downtime-")) / "checkout"
    git(ROOT, "clone", "--quiet", "--no-checkout", str(ROOT), str(checkout))
    git(checkout, "checkout", "--quiet", "-b", "work", git(ROOT, "rev-parse", "HEAD"))
    for key, value in (("user.name", "Bench"), ("user.email", "bench@example.test")):
        git(checkout, "config", key, value)
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    settings = dataclasses.replace(from_environment().with_name(args.name), root=checkout)
    subprocess.run([str(checkout / ".venv" / "bin" / "invoke"), "staging.remote.install", "--name",
                    args.name], cwd=checkout, check=True, capture_output=True, timeout=120)
    load_before = os.getloadavg()
    try:
        first_s = push(checkout)
        view = checkout / VIEW
        view.write_text(view.read_text() + "\n# a change the bench deploys\n")
        git(checkout, "commit", "--quiet", "-am", "bench: a view changed")
        url = f"{plan.load(settings).url('app')}/health"
        answers, stop = [], threading.Event()
        poller = threading.Thread(target=poll, args=(url, args.every, stop, answers), daemon=True)
        poller.start()
        second_s = push(checkout)
        stop.set()
        poller.join(timeout=30)
        newest = max((checkout / "results").glob("deploy-*/report.json"), key=lambda p: p.parent.name)
        items = {i["key"]: i["seconds"] for i in json.loads(newest.read_text())["items"]}
    finally:
        for name in (args.name, candidate.name_for(args.name)):
            down(settings.with_name(name), volumes=True)
    load_after = os.getloadavg()
    failed = [status for _, status in answers if status != 200]
    result = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "cpus": os.cpu_count(), "first_push_s": round(first_s, 1),
              "green_push_s": round(second_s, 1), "answers": len(answers),
              "non_200": len(failed), "kinds": sorted({str(s) for s in failed}),
              "longest_outage_s": longest_outage(answers), "poll_every_s": args.every,
              "items_s": items, "load_before": [round(x, 2) for x in load_before],
              "load_after": [round(x, 2) for x in load_after]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "deploy_downtime.json").write_text(json.dumps(result, indent=2) + "\n")
    steps = ", ".join(f"{key} {seconds:.1f} s" for key, seconds in items.items())
    (RESULTS / "deploy_downtime.md").write_text(
        f"# A green push's downtime ({result['when']}, {result['cpus']} cores)\n\n"
        f"Load average before {result['load_before']}, after {result['load_after']}.\n\n"
        f"| what | value |\n|---|---|\n"
        f"| first push (no deployment yet) | {result['first_push_s']} s |\n"
        f"| green push of a changed view | {result['green_push_s']} s ({steps}) |\n"
        f"| /health answers during it (every {args.every} s) | {len(answers)}, "
        f"{len(failed)} not 200 ({', '.join(result['kinds']) or 'none'}) |\n"
        f"| longest outage (first non-200 to the next 200) | {result['longest_outage_s']} s |\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
