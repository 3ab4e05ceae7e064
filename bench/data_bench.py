"""Benchmark the data tooling, side by side in one run, and write bench/results/data.{json,md}.

1. Reset at the default scale: the whole `invoke staging.db.reset` (process start included) on a
   running replica (--name, default data-test), several rounds; plus the synchronous clone
   (no spare ready) with STRATEGY FILE_COPY and WAL_LOG, and `invoke --list` as the floor of any task.
   Target: whole task <= 1 s.
2. Fixture load: replica.data.db.load (psycopg COPY) against `psql -c "\\copy ..."` of the same CSV
   files into fresh migrated databases of one throwaway PostgreSQL 18, interleaved rounds.
   Target: >= 0.8x psql's rate.
3. Sanitizer: `pg_dump` of a seeded database (rate = dump bytes / seconds) against sanitizing
   that dump (same bytes / seconds), interleaved rounds, at ~10 MB and at ~1 GB; peak RSS
   of the largest process and the sampled total of the sanitizer and its workers. At 10 MB the
   pure-Python row loop (the fallback when no C compiler built the compiled one) is timed too; at
   1 GB, one round of `pg_dump -Fc` against sanitizing that archive (what users usually have).
   Target: >= 1.0x pg_dump's rate, memory flat from 10 MB to 1 GB.

    .venv/bin/python bench/data_bench.py [--name data-test] [--large-users 16000] [--rounds 3]
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
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]
from replica.data.db import databases as dbs, fixtures, load, reset  # noqa: E402
from replica.data import pgtools
from replica.commands.db import replica_url  # noqa: E402
from replica.stack.settings import from_environment  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"
INVOKE = [sys.executable, "-m", "invoke"]
SANITIZE = """
import sys, time
from replica.data.dumps import policy, rows
from replica.data.dumps.sanitize import sanitize_file
native = sys.argv[3] == "compiled"
assert rows.NATIVE or not native, "the compiled row loop is not built: pip install -e . with gcc"
rules = policy.load("db/sanitize.yml")
started = time.perf_counter()
sanitize_file(sys.argv[1], sys.argv[2], rules, b"bench-salt-0123456789", native=native)
print(time.perf_counter() - started)  # the library call alone: no interpreter start, no imports
"""
FLAT = 2.0  # "memory flat": the 1 GB run's peak RSS within 2x the 10 MB run's (input grows 100x)


def timed(cmd: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def migrate(url: str) -> None:
    from flask_migrate import upgrade
    from mina import create_app
    from mina.extensions import db

    app = create_app({"FLASK_ENV": "test", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "TESTING": True, "MINA_FANOUT": "local", "SOCKETIO_ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def bench_reset(name: str, rounds: int) -> dict:
    """Whole-task resets on a running replica (spare ready), and synchronous clones by strategy."""
    settings = from_environment().with_name(name)
    url = replica_url(settings)
    if url is None:
        return {"measured": False, "why": f"replica {name!r} is not up"}
    env = {**os.environ, "STAGING_NAME": name}
    with dbs.connect(url) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in fixtures.COLUMNS}
    with dbs.admin(url) as conn:
        size = conn.execute("SELECT pg_database_size('mina_staging_fixtures')").fetchone()[0]
    floor = [timed([*INVOKE, "--list"], env) for _ in range(rounds)]
    whole, sync = [], {"FILE_COPY": [], "WAL_LOG": []}
    for _ in range(rounds):  # the whole tasks first: the synchronous clones' gigabytes of writes
        _wait_for_spare(url)  # (WAL_LOG's through the WAL) would still be flushing under them
        whole.append(timed([*INVOKE, "staging.db.reset"], env))
    _wait_for_spare(url)
    for _ in range(rounds):
        for strategy in sync:
            sync[strategy].append(reset.reset(url, strategy, background=False).seconds)
    _wait_for_spare(url, start=True)
    return {"measured": True, "replica": name, "rows": counts, "template_bytes": size,
            "whole_task_s": whole, "whole_task_median_s": statistics.median(whole),
            "invoke_list_floor_median_s": statistics.median(floor),
            "sync_clone_s": sync, "target_s": 1.0,
            "pass": statistics.median(whole) <= 1.0}


def _wait_for_spare(url: str, start: bool = False, timeout: float = 120) -> None:
    from replica.data.db import spare

    live = dbs.database_of(url)
    if start:
        spare.prepare_in_background(url).wait()
    deadline = time.monotonic() + timeout
    with dbs.admin(url) as conn:
        while time.monotonic() < deadline:
            if dbs.exists(conn, spare.spare_name(live)) and _builder_done(conn, live):
                return
            if not dbs.listing(conn, f"{live}_spare"):
                spare.prepare_in_background(url).wait()
            time.sleep(0.2)


def _builder_done(conn, live: str) -> bool:
    """The spare's builder (spare.prepare, which holds its advisory lock) has ended: the retired
    copies are dropped, nothing of the last reset still runs beside the next."""
    from replica.data.db import spare

    key = spare.builder_lock(live)
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:
        return False
    conn.execute("SELECT pg_advisory_unlock(%s)", [key])
    return not dbs.listing(conn, f"{live}_retired_")


def bench_load(server: PostgresServer, fixture_set, rounds: int) -> dict:
    """psycopg COPY (replica.data.db.load) against psql \\copy of the same files, interleaved."""
    server.create_database("bench_migrated")
    migrate(server.url_for("bench_migrated"))
    total = sum(p.stat().st_size for _, p, _ in fixture_set.tables)
    psql = pgtools.find("psql")
    ours, theirs = [], []
    for i in range(rounds):
        for who in ("ours", "psql"):
            url = server.create_database(f"load_{who}_{i}", template="bench_migrated")
            if who == "ours":
                started = time.perf_counter()
                load.load(url, fixture_set)
                ours.append(time.perf_counter() - started)
            else:
                copies = [arg for t, p, _ in fixture_set.tables for arg in (
                    "-c", f"\\copy {t} ({', '.join(fixtures.COLUMNS[t])}) FROM '{p}' "
                          "WITH (FORMAT csv, HEADER true)")]
                theirs.append(timed([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-d", url,
                                     "-c", "SET synchronous_commit = off", *copies]))
            server.drop_database(f"load_{who}_{i}")
    rate_ours, rate_psql = total / statistics.median(ours), total / statistics.median(theirs)
    return {"csv_bytes": total, "rows": fixture_set.rows, "ours_s": ours, "psql_copy_s": theirs,
            "ours_mb_s": rate_ours / 1e6, "psql_mb_s": rate_psql / 1e6,
            "ratio": rate_ours / rate_psql, "target_ratio": 0.8, "pass": rate_ours / rate_psql >= 0.8}


def peak_rss(cmd: list[str]) -> tuple[float, int, int, str]:
    """Run cmd; return (seconds, peak RSS of its largest process, sampled peak of its tree in KB,
    what cmd printed)."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "subprocess.run(sys.argv[1:], check=True); "
               "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.Popen([sys.executable, "-c", wrapper, *cmd], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    tree_peak = [0]
    stop = threading.Event()
    threading.Thread(target=_sample_tree, args=(proc.pid, tree_peak, stop), daemon=True).start()
    out, _ = proc.communicate()
    stop.set()
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed")
    *printed, seconds, largest = out.split()
    return float(seconds), int(largest), tree_peak[0], " ".join(printed)


def _sample_tree(pid: int, peak: list[int], stop: threading.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], sum(_rss(p) for p in _tree(pid)) - _rss(pid))  # minus the wrapper
        time.sleep(0.05)


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
        except OSError:
            pass
    return found


def _rss(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def bench_sanitize(server: PostgresServer, cache: Path, users: int, rounds: int, work: Path,
                   python_loop: bool = False, custom_format: bool = False) -> dict:
    """pg_dump of a seeded database against the sanitizer over that dump, interleaved."""
    name = f"dump_{users}"
    url = server.create_database(name, template="bench_migrated")
    load.load(url, fixtures.ensure(cache, users))
    _settle(url)
    dump, safe = work / f"{name}.sql", work / f"{name}.safe.sql"
    pg_dump = pgtools.find("pg_dump")
    dumps, sanitizes, largest, tree, python, calls = [], [], [], [], [], []
    for _ in range(rounds):
        dumps.append(timed([pg_dump, "-f", str(dump), url]))
        seconds, big, total, call = peak_rss([sys.executable, "-c", SANITIZE, str(dump), str(safe),
                                              "compiled"])
        sanitizes.append(seconds)
        calls.append(float(call))
        largest.append(big)
        tree.append(total)
        if python_loop:
            python.append(timed([sys.executable, "-c", SANITIZE, str(dump), str(safe), "python"]))
    size = dump.stat().st_size
    archive = {}
    if custom_format:  # what a user usually has: pg_dump -Fc, read through pg_restore -f -
        custom = work / f"{name}.dump"
        archive = {"pg_dump_fc_s": timed([pg_dump, "-Fc", "-f", str(custom), url]),
                   "fc_bytes": custom.stat().st_size,
                   "sanitize_fc_s": timed([sys.executable, "-c", SANITIZE, str(custom), str(safe),
                                           "compiled"])}
        custom.unlink()
    server.drop_database(name)
    rate_dump, rate_ours = size / statistics.median(dumps), size / statistics.median(sanitizes)
    result = {"users": users, "dump_bytes": size, "pg_dump_s": dumps, "sanitize_s": sanitizes,
              "pg_dump_mb_s": rate_dump / 1e6, "sanitize_mb_s": rate_ours / 1e6,
              "ratio": rate_ours / rate_dump, "peak_rss_largest_process_kb": max(largest),
              "peak_rss_total_sampled_kb": max(tree), "library_call_s": calls,
              "library_call_mb_s": size / statistics.median(calls) / 1e6}
    if python:
        result.update(python_loop_s=python, python_loop_mb_s=size / statistics.median(python) / 1e6)
    result.update(archive)
    dump.unlink()
    safe.unlink()
    return result


def _settle(url: str) -> None:
    """Finish the server's after-load work (autovacuum's analyze of millions of fresh rows, the
    checkpoint) before timing: otherwise it takes a core from whichever side runs first."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="data-test", help="running replica for the reset bench")
    parser.add_argument("--small-users", type=int, default=180, help="~10 MB dump")
    parser.add_argument("--large-users", type=int, default=16000, help="~1 GB dump")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "loadavg_start": os.getloadavg()}}
    cache = ROOT / ".staging" / "fixtures"
    report["reset"] = bench_reset(args.name, args.rounds)
    with PostgresServer() as server, tempfile.TemporaryDirectory(dir=ROOT / ".staging") as work:
        report["load"] = bench_load(server, fixtures.ensure(cache, "default"), args.rounds)
        small = bench_sanitize(server, cache, args.small_users, args.rounds, Path(work),
                               python_loop=True)
        large = bench_sanitize(server, cache, args.large_users, args.rounds, Path(work),
                               custom_format=True)
    growth = large["peak_rss_largest_process_kb"] / small["peak_rss_largest_process_kb"]
    report["sanitize"] = {"small": small, "large": large, "target_ratio": 1.0,
                          "row_loop": "compiled", "peak_rss_growth": growth,
                          "memory_flat": growth <= FLAT,
                          "pass": min(small["ratio"], large["ratio"]) >= 1.0 and growth <= FLAT}
    report["machine"]["loadavg_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "data.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "data.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(r: dict) -> str:
    lines = [f"# Data benchmarks ({r['when']})", "",
             f"Machine: {r['machine']['cpus']} CPUs, Python {r['machine']['python']}, load average "
             f"{r['machine']['loadavg_start'][0]:.1f} at start, "
             f"{r['machine'].get('loadavg_end', [0])[0]:.1f} at end (a shared machine: "
             "both sides of each comparison ran interleaved under the same load).", "",
             "| measure | result | target | pass |", "|---|---|---|---|"]
    rs = r["reset"]
    if rs["measured"]:
        lines.append(f"| reset, whole `invoke staging.db.reset` (median of {len(rs['whole_task_s'])}) | "
                     f"{rs['whole_task_median_s']:.2f} s | ≤ 1 s | {'yes' if rs['pass'] else 'no'} |")
        lines.append(f"| `invoke --list` alone (process start + task import floor) | "
                     f"{rs['invoke_list_floor_median_s']:.2f} s | | |")
        for strategy, values in rs["sync_clone_s"].items():
            lines.append(f"| reset without a spare, clone {strategy} (median) | "
                         f"{statistics.median(values):.2f} s | | |")
    else:
        lines.append(f"| reset | not measured: {rs['why']} | ≤ 1 s | |")
    ld = r["load"]
    lines.append(f"| fixture load, psycopg COPY vs psql \\copy ({ld['csv_bytes'] / 1e6:.0f} MB CSV) | "
                 f"{ld['ours_mb_s']:.1f} vs {ld['psql_mb_s']:.1f} MB/s = {ld['ratio']:.2f}x | ≥ 0.8x | "
                 f"{'yes' if ld['pass'] else 'no'} |")
    for label in ("small", "large"):
        s = r["sanitize"][label]
        lines.append(f"| sanitizer vs pg_dump, {s['dump_bytes'] / 1e6:.0f} MB dump | "
                     f"{s['sanitize_mb_s']:.1f} vs {s['pg_dump_mb_s']:.1f} MB/s = {s['ratio']:.2f}x | "
                     f"≥ 1.0x | {'yes' if s['ratio'] >= 1.0 else 'no'} |")
        lines.append(f"| sanitizer peak RSS, {s['dump_bytes'] / 1e6:.0f} MB dump | largest process "
                     f"{s['peak_rss_largest_process_kb'] / 1024:.0f} MB; all processes (sampled) "
                     f"{s['peak_rss_total_sampled_kb'] / 1024:.0f} MB | flat | |")
        lines.append(f"| `sanitize_file` library call alone (no interpreter start or imports), "
                     f"{s['dump_bytes'] / 1e6:.0f} MB dump | {s['library_call_mb_s']:.1f} MB/s = "
                     f"{s['library_call_mb_s'] / s['pg_dump_mb_s']:.2f}x pg_dump's whole run | | |")
        if "pg_dump_fc_s" in s:
            lines.append(f"| `pg_dump -Fc` ({s['fc_bytes'] / 1e6:.0f} MB archive) vs sanitizing that "
                         f"archive (through `pg_restore -f -`), one round | {s['pg_dump_fc_s']:.1f} s vs "
                         f"{s['sanitize_fc_s']:.1f} s = {s['pg_dump_fc_s'] / s['sanitize_fc_s']:.2f}x | | |")
        if "python_loop_mb_s" in s:
            lines.append(f"| pure-Python row loop (the fallback without a C compiler), "
                         f"{s['dump_bytes'] / 1e6:.0f} MB dump | {s['python_loop_mb_s']:.1f} MB/s = "
                         f"{s['python_loop_mb_s'] / s['pg_dump_mb_s']:.2f}x pg_dump | | |")
    sz = r["sanitize"]
    lines.append(f"| sanitizer peak RSS, {sz['large']['dump_bytes'] / 1e6:.0f} MB over "
                 f"{sz['small']['dump_bytes'] / 1e6:.0f} MB dump | {sz['peak_rss_growth']:.2f}x | "
                 f"≤ {FLAT:.0f}x (flat) | {'yes' if sz['memory_flat'] else 'no'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
