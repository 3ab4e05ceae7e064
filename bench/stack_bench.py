"""Benchmark `staging.up` against a bare `docker compose up -d --wait` of the same compose file.

Measured side by side in one run, on the same machine and images, alternating the two so drift
hits both alike. Writes bench/results/stack.json and stack.md.

    .venv/bin/python bench/stack_bench.py [--rounds 3] [--cold]

--cold also removes the replica's images (base image included) first and times the first `up`
(debootstrap + image builds; the engine install is not repeated: it is reported when it happens).
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from replica.engine import images
from replica.commands.down import down
from replica.commands.up import up
from replica.engine.compose import Compose
from replica.stack.settings import from_environment

RESULTS = Path(__file__).parent / "results"
REPLICA = "bench"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bare_up(settings) -> None:
    compose = Compose(settings)
    services = json.loads((settings.state_dir / "stack.json").read_text())["services"]
    subprocess.run([*compose.base_command(), "up", "--detach", "--wait", *services, "migrate"],
                   check=True, capture_output=True)


def cold_start(settings) -> float:
    down(settings, volumes=True)
    stack_env = json.loads((settings.state_dir / "stack.json").read_text())["compose_env"]
    for variable in ("APP_IMAGE", "MOCKS_IMAGE", "DB_IMAGE", "REDIS_IMAGE", "BASE_IMAGE"):
        subprocess.run(["docker", "image", "rm", "--force", stack_env[variable]], capture_output=True)
    subprocess.run(["docker", "builder", "prune", "--all", "--force"], capture_output=True)
    return timed(lambda: up(settings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    settings = replace(from_environment().with_name(REPLICA), pinned_ports={})
    up(settings)  # build images, write the compose env both runs use
    result = {"cold_up_s": cold_start(settings) if args.cold else None}
    tool, bare = [], []
    for _ in range(args.rounds):
        down(settings, volumes=True)
        tool.append(timed(lambda: up(settings)))
        down(settings, volumes=True)
        bare.append(timed(lambda: bare_up(settings)))
    up(settings)
    noop = [timed(lambda: up(settings)) for _ in range(5)]
    down(settings, volumes=True)
    result.update({
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {subprocess.getoutput('nproc')} cores",
        "rounds": args.rounds,
        "staging_up_s": tool, "bare_compose_up_wait_s": bare,
        "staging_up_median_s": statistics.median(tool),
        "bare_median_s": statistics.median(bare),
        "ratio": statistics.median(tool) / statistics.median(bare),
        "noop_up_s": noop, "noop_up_median_s": statistics.median(noop),
        "targets": {"ratio_max": 1.3, "noop_max_s": 2.0, "cold_goal_s": 300},
    })
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "stack.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "stack.md").write_text(render(result))
    print(render(result))


def render(r: dict) -> str:
    cold = f"{r['cold_up_s']:.1f} s" if r.get("cold_up_s") else "not measured in this run"
    return (f"| measure ({r['when']}, {r['machine']}) | result | target |\n|---|---|---|\n"
            f"| `staging.up` from built images to all healthy (median of {r['rounds']}) "
            f"| {r['staging_up_median_s']:.2f} s | |\n"
            f"| bare `docker compose up -d --wait` (median) | {r['bare_median_s']:.2f} s | |\n"
            f"| ratio | {r['ratio']:.2f}× | ≤ 1.3× |\n"
            f"| no-op `staging.up` on a running stack (median of 5) "
            f"| {r['noop_up_median_s']:.2f} s | ≤ 2 s |\n"
            f"| cold `staging.up` (base image + all builds) | {cold} | < 300 s |\n")


if __name__ == "__main__":
    main()
