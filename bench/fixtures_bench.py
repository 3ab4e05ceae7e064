"""Benchmark fixture generation and loading, side by side in one run; write bench/results/fixtures.{json,md}.

1. Generation: this checkout's generator (NumPy columns) against the previous one (a Python loop
   over rows, taken from git at OLD_COMMIT into a temporary package), each in a fresh process,
   interleaved rounds at the default scale, then one round each at `prod` scale. Figures: wall
   time, CPU time (user + sys of the process: moved less by other work on the machine) and peak RSS.
2. Load: the `prod` set generated above, loaded by `replica.data.db.load` into a migrated database of a
   throwaway PostgreSQL 18 (fsync off), and the default set for comparison.
   Target (issue 16): `prod` generated and loaded in <= 60 s, default <= 5 s.

    .venv/bin/python bench/fixtures_bench.py [--rounds 3] [--skip-old-prod]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
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
OLD_COMMIT = "4b20e24"  # the last commit with the row-by-row generator
GENERATE = """
import sys, time
sys.path.insert(0, sys.argv[1])
from {module} import generate
started = time.perf_counter()
generate(__import__("pathlib").Path(sys.argv[2]), int(sys.argv[3]), 20261126)
print(time.perf_counter() - started)
"""


def old_generator(work: Path) -> Path:
    """Write the previous generator into work/old_fixtures (imports rewritten to this checkout)."""
    package = work / "old_fixtures"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("fixtures", "fixture_rows"):
        source = subprocess.run(["git", "show", f"{OLD_COMMIT}:replica/data/{name}.py"], cwd=ROOT,
                                check=True, capture_output=True, text=True).stdout
        source = source.replace("from .errors", "from replica.data.errors").replace(
            "from .fakes", "from replica.data.fakes")
        (package / f"{name}.py").write_text(source)
    return work


def run_generator(which: str, work: Path, users: int) -> dict:
    """Generate users' fixtures in a fresh process; return wall, CPU and that process's peak RSS."""
    module, path = ("old_fixtures.fixtures", work) if which == "old" else ("replica.data.db.fixtures", ROOT)
    out = Path(tempfile.mkdtemp(dir=work))
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", GENERATE.format(module=module), str(path),
                              str(out), str(users)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    printed = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"the {which} generator failed (exit {child.returncode})")
    size = sum(p.stat().st_size for p in out.iterdir())
    subprocess.run(["rm", "-rf", str(out)], check=True)
    return {"wall_s": wall, "library_s": float(printed.strip().splitlines()[-1]),
            "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "csv_bytes": size, "loadavg": os.getloadavg()[0]}


def bench_generation(work: Path, rounds: int, old_prod: bool) -> dict:
    runs = {"default": {"old": [], "new": []}, "prod": {"old": [], "new": []}}
    for _ in range(rounds):
        for which in ("old", "new"):
            runs["default"][which].append(run_generator(which, work, fixtures.SCALES["default"]))
    for which in ("old", "new") if old_prod else ("new",):
        runs["prod"][which].append(run_generator(which, work, fixtures.SCALES["prod"]))
    return runs


def bench_load(cache: Path) -> dict:
    timings = {}
    with PostgresServer() as server:
        server.create_database("migrated")
        migrate(server.url_for("migrated"))
        for scale in ("default", "prod"):
            started = time.perf_counter()
            fixture_set = fixtures.ensure(cache, scale)
            generated = time.perf_counter() - started
            url = server.create_database(f"load_{scale}", template="migrated")
            started = time.perf_counter()
            load.load(url, fixture_set)
            timings[scale] = {"generate_s": generated, "load_s": time.perf_counter() - started,
                              "rows": fixture_set.rows, "loadavg": os.getloadavg()[0]}
    return timings


def median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-old-prod", action="store_true",
                        help="do not time the old generator at prod scale (minutes)")
    args = parser.parse_args()
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "loadavg_start": os.getloadavg()}}
    with tempfile.TemporaryDirectory(dir=ROOT / ".staging") as work:
        report["generation"] = bench_generation(old_generator(Path(work)), args.rounds,
                                                not args.skip_old_prod)
        report["load"] = bench_load(Path(work) / "cache")
    report["machine"]["loadavg_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fixtures.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "fixtures.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(r: dict) -> str:
    lines = [f"# Fixture benchmarks ({r['when']})", "",
             f"Machine: {r['machine']['cpus']} CPUs, Python {r['machine']['python']}, load average "
             f"{r['machine']['loadavg_start'][0]:.1f} at start, {r['machine']['loadavg_end'][0]:.1f} "
             "at end. Old and new generators ran interleaved, each in a fresh process.", "",
             "| measure | old (row loop) | new (NumPy) | new / old | load avg |", "|---|---|---|---|---|"]
    for scale, runs in r["generation"].items():
        if not runs["new"]:
            continue
        for key, label in (("wall_s", "wall"), ("cpu_s", "CPU"), ("peak_rss_mb", "peak RSS")):
            unit = " MB" if key == "peak_rss_mb" else " s"
            new = median(runs["new"], key)
            old = median(runs["old"], key) if runs["old"] else None
            old_text = f"{old:.1f}{unit}" if old else "not run"
            ratio = f"{new / old:.2f}x" if old else ""
            loads = ", ".join(f"{run['loadavg']:.1f}" for run in runs["new"] + runs["old"])
            lines.append(f"| {scale} ({fixtures.SCALES[scale]} users): generation {label} | {old_text} | "
                         f"{new:.1f}{unit} | {ratio} | {loads} |")
    lines += ["", "| scale | generate | load (psycopg COPY, fsync off) | total | target | load avg |",
              "|---|---|---|---|---|---|"]
    for scale, t in r["load"].items():
        total = t["generate_s"] + t["load_s"]
        target = 60 if scale == "prod" else 5
        lines.append(f"| {scale} ({t['rows']['transcript_segments']:,} segments) | {t['generate_s']:.1f} s | "
                     f"{t['load_s']:.1f} s | {total:.1f} s | ≤ {target} s {'yes' if total <= target else 'no'} "
                     f"| {t['loadavg']:.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
