"""Is the unmodified app green under every fault profile? `invoke staging.validate --profile NAME`.

For each profile (default: every one in replica/stack/profiles.py, the data-only ones last, since
they replace the replica's data), twice in a row: a first gate, which brings the replica up with
exactly that profile (and records its configuration's baselines when this machine has none), and a
second, warm one, as a developer's next push meets it. Both must be green (exit 0), judged by the
profile's own expectations. Each gate's wall time, exit, failed items with their evidence and the
1-minute load average before and after it are written; so is the replica's set-up before the bench,
which a last untimed `staging.up` brings back. Writes bench/results/gate_profiles.json and .md.

    .venv/bin/invoke staging.up --name gp
    .venv/bin/python bench/gate_profiles.py --name gp [--profile tls --profile redis-off] [--runs 2]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from gate_speed import gate  # noqa: E402
from replica.stack import plan as stack_module  # noqa: E402
from replica.stack.profiles import catalogue  # noqa: E402
from replica.stack.settings import from_environment  # noqa: E402

EVIDENCE_CHARS = 400


def chosen(names: list[str]) -> list[str]:
    known = catalogue()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(known)}")
    names = names or list(known)
    return sorted(names, key=lambda name: known[name].data_only)  # stable: data-only ones last


def failed_evidence(report_path: str | None) -> dict[str, str]:
    """The failed items of a gate's report.json and their evidence (shortened)."""
    if not report_path:
        return {}
    try:
        items = json.loads(Path(report_path).read_text()).get("items", [])
    except (OSError, ValueError):
        return {}
    return {i["key"]: " ".join(str(i.get("evidence", "")).split())[:EVIDENCE_CHARS]
            for i in items if i.get("result") == "failed"}


def run(name: str, profiles: list[str], runs: int) -> list[dict]:
    results = []
    for profile in profiles:
        for number in range(1, runs + 1):
            result = gate(ROOT, name, ["--profile", profile, "--force"])
            result["failed_evidence"] = failed_evidence(result.get("report"))
            results.append({"profile": profile, "run": number, **result})
            print(f"{profile:17} run {number}: {result['seconds']:6.1f} s exit {result['exit_code']} "
                  f"load {result['load_avg_1m']} failed {result['failed'] or '-'}", flush=True)
    return results


def restore(name: str, profiles: list[str]) -> int:
    """Bring the replica back to the profiles it had before the bench (untimed)."""
    args = [a for p in profiles for a in ("--profile", p)]
    return subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "invoke", "staging.up",
                           "--name", name, *args], cwd=ROOT, capture_output=True,
                          timeout=900).returncode


def markdown(summary: dict) -> str:
    lines = [f"# gate_profiles: `staging.validate --profile NAME` on the unmodified app "
             f"({summary['measured_at']}, {summary['machine']}, commit {summary['commit']})", "",
             f"Replica `{summary['replica']}` (up before with profiles "
             f"{', '.join(summary['profiles_before']) or 'none'}; brought back after, exit "
             f"{summary['restored_exit']}). Each profile: {summary['runs_per_profile']} gate(s) in a "
             "row, the first bringing the replica up with exactly that profile, any next one warm. "
             "Target: every gate green.", "",
             "| profile | green / runs | first s | warm s | load 1m before → after | failed items |",
             "|---|---|---|---|---|---|"]
    for profile in dict.fromkeys(r["profile"] for r in summary["runs"]):
        mine = [r for r in summary["runs"] if r["profile"] == profile]
        green = sum(r["exit_code"] == 0 for r in mine)
        failed = sorted({key for r in mine for key in r["failed"]})
        lines.append(f"| `{profile}` | {green} / {len(mine)} | {mine[0]['seconds']:.1f} | "
                     f"{', '.join(format(r['seconds'], '.1f') for r in mine[1:]) or '—'} | "
                     f"{mine[0]['load_avg_1m'][0]} → {mine[-1]['load_avg_1m'][1]} | "
                     f"{', '.join(failed) or 'none'} |")
    reds = [r for r in summary["runs"] if r["exit_code"] != 0]
    lines += ["", f"All green: {'yes' if not reds else 'no'} "
              f"({len(summary['runs']) - len(reds)} of {len(summary['runs'])} gates)."]
    if reds:
        lines += ["", "## Red gates", "", "| profile | run | exit | item | evidence |", "|---|---|---|---|---|"]
        for r in reds:
            for key, evidence in (r["failed_evidence"] or {"(none recorded)": ""}).items():
                lines.append(f"| `{r['profile']}` | {r['run']} | {r['exit_code']} | {key} | "
                             f"{evidence.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default=os.environ.get("STAGING_NAME", "gate-profiles"))
    parser.add_argument("--profile", action="append", default=[], help="default: every profile")
    parser.add_argument("--runs", type=int, default=2, help="gates per profile (the first brings it up)")
    parser.add_argument("--output", default="gate_profiles")
    args = parser.parse_args()
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    profiles = chosen(args.profile)
    stack = stack_module.load(from_environment({**os.environ, "STAGING_NAME": args.name}))
    if stack is None:
        raise SystemExit(f"replica {args.name} is not up: invoke staging.up --name {args.name}")
    before = list(stack.profiles)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    started = time.perf_counter()
    try:
        runs = run(args.name, profiles, args.runs)
    finally:
        restored = restore(args.name, before)
    summary = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores", "commit": commit,
               "replica": args.name, "profiles_before": before, "restored_exit": restored,
               "runs_per_profile": args.runs, "seconds": round(time.perf_counter() - started, 1),
               "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.output}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / f"{args.output}.md").write_text(markdown(summary))
    print((RESULTS / f"{args.output}.md").read_text())
    return 0 if all(r["exit_code"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
