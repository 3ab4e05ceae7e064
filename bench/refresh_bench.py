"""Benchmark `staging.db.refresh` against the unsanitized pipe it replaces, side by side in one run,
and write bench/results/refresh.{json,md}.

One throwaway PostgreSQL 18 holds "production" (the app's migrated schema with fixtures of the given
scale) and the replica's database. Interleaved rounds time:
- the runbook's pipe without its sanitize step: `pg_dump prod | psql --single-transaction` into a
  fresh database (the floor: what any refresh must at least do);
- `replica.data.dumps.refresh.refresh` in a child process (its peak RSS measured), with the time until
  the leak check's digests were collected and the stream began (the first, data-only dump).
Then, once, each stage alone on the same dump in memory: collecting the digests, sanitizing, and
the leak check's scan of the sanitized bytes (which of them a refresh waits on).
Each figure has the load average of its round beside it (a shared 2-core machine).

    .venv/bin/python bench/refresh_bench.py [--scale default] [--rounds 2]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]
from replica.data.db import fixtures, load  # noqa: E402
from replica.data.dumps import leakcheck, policy
from replica.data import pgtools
from replica.data.dumps.sanitize import Sanitizer  # noqa: E402
from tests.integration.data.app_migrations import migrate  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"
REFRESH = """
import json, sys, time
from replica.data.dumps import policy, refresh
marks = []
started = time.perf_counter()
refresh.refresh(sys.argv[1], sys.argv[2], policy.load("db/sanitize.yml"), b"bench-salt-0123456789",
                allow_writable=True, say=lambda message: marks.append(time.perf_counter() - started))
print(json.dumps({"seconds": time.perf_counter() - started, "stream_began_s": marks[-1]}))
"""


def plain_pipe(source: str, target: str) -> float:
    started = time.perf_counter()
    dump = subprocess.Popen([pgtools.find("pg_dump"), "--no-owner", "--no-privileges", "-d", source],
                            stdout=subprocess.PIPE)
    subprocess.run([pgtools.find("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                    "--single-transaction", "-d", target], stdin=dump.stdout, check=True,
                   stdout=subprocess.DEVNULL)
    dump.stdout.close()
    assert dump.wait() == 0
    return time.perf_counter() - started


def refresh_child(source: str, target: str) -> dict:
    proc = subprocess.Popen([sys.executable, "-c", REFRESH, source, target], cwd=ROOT,
                            stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return {**json.loads(out), "peak_rss_mb": usage.ru_maxrss / 1024}


def stages(dump: bytes) -> dict:
    """Time each stage of a refresh alone, in this process, on one dump held in memory."""
    rules, timings = policy.load(ROOT / "db" / "sanitize.yml"), {}
    started = time.perf_counter()
    secrets = leakcheck.sensitive_values(io.BytesIO(dump), rules)
    timings["digests_s"] = time.perf_counter() - started
    out, started = io.BytesIO(), time.perf_counter()
    Sanitizer(rules, b"bench-salt-0123456789").run(io.BytesIO(dump), out)
    timings["sanitize_s"] = time.perf_counter() - started
    started = time.perf_counter()
    scanned = leakcheck.scan(secrets, io.BytesIO(out.getvalue())).scanned
    timings["scan_s"] = time.perf_counter() - started
    return {**timings, "values_scanned": scanned, "loadavg": os.getloadavg()[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="default")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "scale": args.scale, "rounds": []}
    fixture_set = fixtures.ensure(ROOT / ".staging" / "fixtures", args.scale)
    with PostgresServer() as server:
        prod = server.create_database("prod")
        migrate(prod)
        load.load(prod, fixture_set)
        server.psql("VACUUM (ANALYZE)", "prod")
        report["dump_bytes"] = len(subprocess.run([pgtools.find("pg_dump"), "-d", prod],
                                                  capture_output=True, check=True).stdout)
        for i in range(args.rounds):
            plain = plain_pipe(prod, server.create_database(f"plain_{i}"))
            server.drop_database(f"plain_{i}")
            load_plain = os.getloadavg()[0]
            ours = refresh_child(prod, server.create_database("replica"))
            report["rounds"].append({"plain_pipe_s": plain, "loadavg_plain": load_plain, **ours,
                                     "loadavg_refresh": os.getloadavg()[0]})
            server.drop_database("replica")
        report["stages"] = stages(subprocess.run([pgtools.find("pg_dump"), "-d", prod],
                                                 capture_output=True, check=True).stdout)
    rounds = report["rounds"]
    report["plain_median_s"] = statistics.median(r["plain_pipe_s"] for r in rounds)
    report["refresh_median_s"] = statistics.median(r["seconds"] for r in rounds)
    report["ratio"] = report["refresh_median_s"] / report["plain_median_s"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "refresh.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "refresh.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(r: dict) -> str:
    lines = [f"# Refresh from production ({r['when']})", "",
             f"Machine: {r['machine']['cpus']} CPUs, Python {r['machine']['python']}; fixtures "
             f"`{r['scale']}`, a {r['dump_bytes'] / 1e6:.0f} MB plain dump. Rounds interleaved; "
             "load average (1 min) beside each figure.", "",
             "| round | `pg_dump \\| psql` (unsanitized) | load | refresh (sanitized, leak-checked) "
             "| of which before the stream began | peak RSS | load |", "|---|---|---|---|---|---|---|"]
    for i, x in enumerate(r["rounds"], 1):
        lines.append(f"| {i} | {x['plain_pipe_s']:.1f} s | {x['loadavg_plain']:.1f} | "
                     f"{x['seconds']:.1f} s | {x['stream_began_s']:.1f} s | "
                     f"{x['peak_rss_mb']:.0f} MB | {x['loadavg_refresh']:.1f} |")
    st = r["stages"]
    lines += ["", f"Median: refresh {r['refresh_median_s']:.1f} s vs the unsanitized pipe "
              f"{r['plain_median_s']:.1f} s = {r['ratio']:.1f}x.", "",
              f"Stages alone on the same dump (load {st['loadavg']:.1f}): digests of the sensitive "
              f"values {st['digests_s']:.1f} s, sanitizing {st['sanitize_s']:.2f} s, the leak "
              f"check's scan of the sanitized bytes {st['scan_s']:.1f} s "
              f"({st['values_scanned']:,} values): the scan is what a refresh waits on.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
