"""Benchmark `invoke staging.validate` end to end: warm (stack up), warm (stack down), fresh volumes.

Each run is the real command as a developer's pre-push hook runs it, on a throwaway replica
(`gate-bench` by default). Writes bench/results/validate.json and validate.md with the time of
every checklist item (from the run's report.json) and the machine's load average around it.

    .venv/bin/python bench/validate_bench.py [--rounds 2] [--name gate-bench] [--keep]

Images are never removed (they are shared by content hash with other replicas here); the cold
image build is measured by bench/stack_bench.py --cold.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
INVOKE = [sys.executable, "-m", "invoke"]
TARGET_S = 60.0
RUN_TIMEOUT_S = 900


def invoke(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*INVOKE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, env={**os.environ, "COLUMNS": "160"})


def validate_once(name: str, label: str) -> dict:
    """Run the gate once; return wall time, exit code and every item's time from report.json."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    done = invoke("staging.validate", "--name", name)
    wall = time.perf_counter() - started
    report_path = _report_path(done.stdout + done.stderr)
    report = json.loads(report_path.read_text()) if report_path else {"items": [], "passed": False}
    return {"case": label, "seconds": round(wall, 2), "exit_code": done.returncode,
            "passed": report.get("passed"), "verdict": report.get("verdict"),
            "load_avg_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "items": {i["key"]: {"result": i["result"], "seconds": i["seconds"]} for i in report["items"]},
            "report": str(report_path) if report_path else None}


def _report_path(output: str) -> Path | None:
    for line in reversed(output.splitlines()):
        if "report:" in line and "report.json" in line:
            return Path(line.split("report:", 1)[1].strip())
    return None


def run(name: str, rounds: int, warm_only: bool = False) -> list[dict]:
    runs = [validate_once(name, "first run (brings the replica up if needed)")]
    runs += [validate_once(name, "warm: stack up") for _ in range(rounds)]
    if warm_only:
        return runs
    invoke("staging.down", "--name", name)
    runs.append(validate_once(name, "warm: stack down, images built"))
    invoke("staging.down", "--name", name, "--volumes")
    runs.append(validate_once(name, "fresh volumes (empty database), images built"))
    return runs


def _previous() -> list[dict]:
    """Keep the stack-down and fresh-volume cases of the last full run when only warm ones ran."""
    try:
        old = json.loads((RESULTS / "validate.json").read_text())["runs"]
    except (OSError, ValueError, KeyError):
        return []
    return [r for r in old if not r["case"].startswith(("warm: stack up", "first run"))]


def write(runs: list[dict], name: str, previous: list[dict] | None = None) -> None:
    warm = [r["seconds"] for r in runs if r["case"] == "warm: stack up"]
    runs = runs + [{**r, "case": f"{r['case']} (earlier run)"} for r in previous or []]
    summary = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores", "replica": name,
               "target_warm_s": TARGET_S, "warm_median_s": statistics.median(warm) if warm else None,
               "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "validate.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / "validate.md").write_text(markdown(summary))


def markdown(summary: dict) -> str:
    keys = list(dict.fromkeys(k for r in summary["runs"] for k in r["items"]))
    lines = [f"`invoke staging.validate` ({summary['measured_at']}, {summary['machine']}); "
             f"target: warm ≤ {summary['target_warm_s']:.0f} s end to end; warm median "
             f"{summary['warm_median_s']} s.", "",
             "| case | end to end | exit | load avg 1m (before→after) | " + " | ".join(keys) + " |",
             "|---|---|---|---|" + "---|" * len(keys)]
    for r in summary["runs"]:
        cells = [f"{r['items'][k]['seconds']:.1f} s {_mark(r['items'][k]['result'])}"
                 if k in r["items"] else "" for k in keys]
        lines.append(f"| {r['case']} | {r['seconds']:.1f} s | {r['exit_code']} | "
                     f"{r['load_avg_1m'][0]}→{r['load_avg_1m'][1]} | " + " | ".join(cells) + " |")
    lines += ["", "A load average above the core count means other work shared the CPUs during the run: "
              "compare per-item times across runs with similar load. The `stack` item includes any "
              "image rebuild and app recreation `staging.up` decided on (a commit that changes the "
              "app's code changes its GIT_SHA and so recreates the app container)."]
    return "\n".join(lines) + "\n"


def _mark(result: str) -> str:
    return {"passed": "✔", "failed": "✘", "skipped": "–"}.get(result, "?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="warm runs with the stack up")
    parser.add_argument("--name", default="gate-bench", help="throwaway replica to use")
    parser.add_argument("--keep", action="store_true", help="leave the replica up afterwards")
    parser.add_argument("--warm-only", action="store_true", help="skip the stack-down and fresh-volume cases")
    args = parser.parse_args()
    try:
        runs = run(args.name, args.rounds, args.warm_only)
    finally:
        if not args.keep:
            invoke("staging.down", "--name", args.name, "--volumes")
    write(runs, args.name, previous=_previous() if args.warm_only else None)
    print((RESULTS / "validate.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
