"""Benchmark a cached gate verdict: `invoke staging.validate` on a tree whose verdict is stored.

Runs the real command as the pre-push hook does. The first call runs the gate when nothing is
cached yet (minutes); the timed calls then answer from the cache. Writes
bench/results/verdict_cache.json and .md with wall and CPU time and the load average of each call.

    .venv/bin/python bench/verdict_cache_bench.py [--name gate] [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
INVOKE = [sys.executable, "-m", "invoke", "staging.validate"]
TARGET_S = 1.0


def call(name: str) -> dict:
    """Run the gate once; return wall and CPU seconds, exit code, whether the cache answered."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*INVOKE, "--name", name], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800, env={**os.environ, "COLUMNS": "160"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "exit": done.returncode,
            "cached": "cached verdict" in done.stdout + done.stderr, "load_1m": round(load, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="gate")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    first = call(args.name)
    runs = [call(args.name) for _ in range(args.rounds)]
    if not all(run["cached"] for run in runs):
        sys.exit("the gate did not answer from its cache: did a file change between the calls?")
    walls = [run["wall_s"] for run in runs]
    result = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "replica": args.name,
              "first_call": first, "cached_calls": runs, "median_wall_s": statistics.median(walls),
              "max_wall_s": max(walls), "target_s": TARGET_S, "cpus": os.cpu_count()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "verdict_cache.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(f"| {n} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['load_1m']} | {r['exit']} |"
                     for n, r in enumerate(runs, 1))
    (RESULTS / "verdict_cache.md").write_text(
        f"# Cached gate verdict ({result['when']}, {result['cpus']} cores)\n\n"
        f"First call: {first['wall_s']:.1f} s ({'cached' if first['cached'] else 'ran the gate'}).\n"
        f"Cached calls: median {result['median_wall_s']:.2f} s, max {result['max_wall_s']:.2f} s "
        f"(target ≤ {TARGET_S:.0f} s).\n\n"
        "| call | wall s | CPU s | load 1 min | exit |\n|---|---|---|---|---|\n"
        f"{rows}\n")
    print(f"cached verdict: median {result['median_wall_s']:.2f} s, max {result['max_wall_s']:.2f} s "
          f"(load {runs[-1]['load_1m']}); {RESULTS / 'verdict_cache.md'}")


if __name__ == "__main__":
    main()
