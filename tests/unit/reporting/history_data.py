"""Run records as the gate and a deploy flow write them, for the history's tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from replica.reporting.history import RunRecord, write_record

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # a Monday


def a_run(kind="gate", passed=True, day=0, duration=40.0, p95=120.0, failed=(), commit="c0ffee"):
    started = START + timedelta(days=day)
    return RunRecord(kind, "passed" if passed else "failed", started.isoformat(), duration, commit,
                     "tree" + commit, list(failed), {"http_req_duration": p95,
                                                      "http_req_duration{kind:api}": p95 / 2},
                     "main", "READY" if passed else "NOT READY",
                     f"{'validate' if kind == 'gate' else 'deploy'}-{started:%Y%m%dT%H%M%SZ}")


def write_runs(results: Path, runs: list[RunRecord]) -> Path:
    for run in runs:
        folder = results / run.name
        folder.mkdir(parents=True, exist_ok=True)
        write_record(folder, run)
    return results


def three_weeks(results: Path) -> list[RunRecord]:
    """Ten gate runs (three red, slower and slower) and three deploys over three weeks."""
    red = (4, 10, 16)
    runs = [a_run(day=d, passed=d not in red, duration=30 + 2 * d, p95=100 + 10 * d,
                  failed=["Performance within SLO targets"] if d in red else ())
            for d in range(0, 20, 2)]
    runs += [a_run("deploy", day=d + 0.5, duration=90.0) for d in (1, 8, 15)]
    write_runs(results, runs)
    return runs
