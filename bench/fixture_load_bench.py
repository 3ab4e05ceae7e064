"""Benchmark loading fixtures: the previous load (COPY with every index and key kept row by row)
against this checkout's (COPY FREEZE, indexes and keys built once after), interleaved in one run on
one throwaway PostgreSQL 18 (fsync off); write bench/results/fixture_load.{json,md}.

Target (issue 16): the `prod` scale generated and loaded in <= 60 s.

    .venv/bin/python bench/fixture_load_bench.py [--rounds 2] [--scales default,prod]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]
from bench.data_bench import migrate  # noqa: E402
from replica.data.db import fixtures, load  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"
OLD_COMMIT = "ec011f0"  # the last commit whose load kept indexes and keys during the COPY


def old_load(work: Path):
    """Import the previous replica/data/db/load.py from git as a module of its own."""
    source = subprocess.run(["git", "show", f"{OLD_COMMIT}:replica/data/db/load.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    for name in ("databases", "errors", "fixtures"):
        source = source.replace(f"from .{name} import", f"from replica.data.{name} import")
    (work / "old_load.py").write_text(source)
    sys.path.insert(0, str(work))
    import old_load as module  # noqa: PLC0415
    return module


def timed_load(loader, server: PostgresServer, fixture_set, name: str) -> dict:
    url = server.create_database(name, template="migrated")
    started, cpu = time.perf_counter(), time.process_time()
    loader.load(url, fixture_set)
    took = time.perf_counter() - started
    server.drop_database(name)
    return {"wall_s": took, "client_cpu_s": time.process_time() - cpu, "loadavg": os.getloadavg()[0]}


def bench(work: Path, rounds: int, scales: list[str]) -> dict:
    loaders = {"old": old_load(work), "new": load}
    results = {}
    with PostgresServer() as server:
        server.create_database("migrated")
        migrate(server.url_for("migrated"))
        for scale in scales:
            started = time.perf_counter()
            fixture_set = fixtures.ensure(work / "cache", scale)
            generated = time.perf_counter() - started
            runs = {"old": [], "new": []}
            for round_number in range(rounds):
                order = ("old", "new") if round_number % 2 == 0 else ("new", "old")
                for which in order:
                    runs[which].append(timed_load(loaders[which], server, fixture_set,
                                                  f"{scale}_{which}_{round_number}"))
            results[scale] = {"generate_s": generated, "rows": fixture_set.rows, "runs": runs}
    return results


def markdown(report: dict) -> str:
    lines = [f"# Fixture load benchmark ({report['when']})", "",
             f"Machine: {report['cpus']} CPUs; load average {report['loadavg_start'][0]:.1f} at start, "
             f"{report['loadavg_end'][0]:.1f} at end. Old (COPY with indexes and keys kept row by row, "
             f"{OLD_COMMIT}) and new (COPY FREEZE, indexes and keys built after) interleaved, "
             "alternating which goes first, each into a fresh migrated database.", "",
             "| scale | old load (median) | new load (median) | new / old | generate + new load "
             "| target | load avg per run |", "|---|---|---|---|---|---|---|"]
    for scale, result in report["scales"].items():
        old = statistics.median(r["wall_s"] for r in result["runs"]["old"])
        new = statistics.median(r["wall_s"] for r in result["runs"]["new"])
        total = result["generate_s"] + new
        target = "≤ 60 s " + ("yes" if total <= 60 else "no") if scale == "prod" else ""
        loads = ", ".join(f"{r['loadavg']:.1f}" for which in ("old", "new") for r in result["runs"][which])
        lines.append(f"| {scale} ({result['rows']['transcript_segments']:,} segments) | {old:.1f} s | "
                     f"{new:.1f} s | {new / old:.2f}x | {result['generate_s']:.1f} + {new:.1f} = "
                     f"{total:.1f} s | {target} | {loads} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scales", default="default,prod")
    args = parser.parse_args()
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "cpus": os.cpu_count(), "loadavg_start": os.getloadavg()}
    (ROOT / ".staging").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / ".staging") as work:
        report["scales"] = bench(Path(work), args.rounds, args.scales.split(","))
    report["loadavg_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fixture_load.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "fixture_load.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
