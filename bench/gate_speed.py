"""Benchmark the warm gate, before (a commit's code, in a temporary git worktree) vs after (this
checkout), side by side in one run: the declared configuration alone (`--no-variants --force`),
the default gate with its variants (`--force`), and a cached verdict (no `--force`, tree unchanged:
each side's calls in a row after a warm-up call, since the replica's state is part of the key).

Both checkouts gate the same replica (its `.staging` folder linked into the temporary worktree, as
deploys link theirs), and before a side's gate that follows the other side's, an untimed
`staging.up` from it makes the replica its own again (compose resolves the replica's paths
against the checkout), so every timed gate finds it warm; the cases alternate in every round (before first in odd rounds,
after first in even ones) so that the machine's load moves both sides. Every figure has the
1-minute load average before and after it. Writes bench/results/gate_speed.json and .md.

    STAGING_NAME=gf .venv/bin/python bench/gate_speed.py --before b272355 [--rounds 2] [--cached 5]
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

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
RUN_TIMEOUT_S = 900
CASES = {"declared": ["--no-variants", "--force"], "default": ["--force"]}
TARGETS_S = {"declared": 10.0, "default": 60.0, "cached": 1.0}


def gate(root: Path, name: str, args: list[str]) -> dict:
    """Run `invoke staging.validate` from root once; wall time, exit, load, the report's timings."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([str(root / ".venv" / "bin" / "python"), "-m", "invoke", "staging.validate",
                           "--name", name, *args], cwd=root, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, env={**os.environ, "COLUMNS": "160"})
    wall = time.perf_counter() - started
    report = _report(done.stdout + done.stderr)
    return {"seconds": round(wall, 2), "exit_code": done.returncode,
            "cached": "cached verdict" in done.stdout + done.stderr,
            "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "passed": report.get("passed"), "steps_s": report.get("timings", {}).get("steps_s", {}),
            "failed": [i["key"] for i in report.get("items", []) if i["result"] == "failed"],
            "report": report.get("_path")}


def _report(output: str) -> dict:
    for line in reversed(output.splitlines()):
        if "report:" in line and "report.json" in line:
            path = Path(line.split("report:", 1)[1].strip())
            try:
                return {**json.loads(path.read_text()), "_path": str(path)}
            except (OSError, ValueError):
                return {"_path": str(path)}
    return {}


def before_checkout(commit: str, scratch: Path) -> Path:
    """A detached worktree of commit, sharing this checkout's venv and replica state."""
    tree = scratch / "before"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
                   check=True, capture_output=True, timeout=120)
    (tree / ".venv").symlink_to(os.path.realpath(ROOT / ".venv"))
    (tree / ".staging").symlink_to(ROOT / ".staging")
    return tree


def bring_up(root: Path, name: str) -> float:
    """`invoke staging.up` from root with staging's declared profiles (untimed in the figures): compose resolves the replica's
    paths (env files, build contexts) against the checkout, so services the other checkout made
    are recreated here first, and the timed gate after it finds the replica warm, as a
    developer's does."""
    from replica.stack.variants import primary_profiles

    profiles = [arg for profile in primary_profiles(ROOT) for arg in ("--profile", profile)]
    started = time.perf_counter()  # with the profiles the gate will bring it up with
    subprocess.run([str(root / ".venv" / "bin" / "python"), "-m", "invoke", "staging.up", "--name", name,
                    *profiles], cwd=root, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    return round(time.perf_counter() - started, 2)


def run(before: Path, name: str, rounds: int, cached: int) -> list[dict]:
    sides = {"before": before, "after": ROOT}
    runs, last = [], None
    for number in range(1, rounds + 1):
        order = ["before", "after"] if number % 2 else ["after", "before"]
        for case, args in CASES.items():
            for side in order:
                warm_up_s = bring_up(sides[side], name) if side != last else 0.0
                last = side
                result = {**gate(sides[side], name, args), "warm_up_s": warm_up_s}
                runs.append({"round": number, "case": case, "side": side, **result})
                print(f"round {number} {case:8} {side:6} {result['seconds']:7.1f} s exit "
                      f"{result['exit_code']} load {result['load_avg_1m']}", flush=True)
    for side in ("before", "after"):  # one side's calls in a row: the other side's last run left
        bring_up(sides[side], name)  # the replica's state its own, which is in the cache key
        warm = gate(sides[side], name, [])
        print(f"cached   {side:6} warm-up {warm['seconds']:7.1f} s (cached: {warm['cached']})", flush=True)
        for number in range(1, cached + 1):
            result = gate(sides[side], name, [])
            runs.append({"round": number, "case": "cached", "side": side, **result})
    return runs


def summarize(runs: list[dict]) -> dict:
    table = {}
    for case in [*CASES, "cached"]:
        row = {}
        for side in ("before", "after"):
            mine = [r for r in runs if r["case"] == case and r["side"] == side]
            seconds = [r["seconds"] for r in mine]
            loads = [x for r in mine for x in r["load_avg_1m"]]
            row[side] = {"median_s": statistics.median(seconds) if seconds else None,
                         "min_s": min(seconds, default=None), "max_s": max(seconds, default=None),
                         "green": sum(1 for r in mine if r["exit_code"] == 0), "runs": len(mine),
                         "load": [min(loads, default=None), max(loads, default=None)]}
        pairs = [(b["seconds"], a["seconds"]) for b in runs for a in runs
                 if b["case"] == a["case"] == case and b["side"] == "before" and a["side"] == "after"
                 and b["round"] == a["round"]]
        row["ratio_after_before"] = [round(a / b, 2) for b, a in pairs]
        row["target_s"] = TARGETS_S[case]
        table[case] = row
    return table


def markdown(summary: dict) -> str:
    lines = [f"# gate_speed: the warm gate before ({summary['before']}) vs after ({summary['after']}), "
             f"side by side ({summary['measured_at']}, {summary['machine']})", "",
             f"Replica `{summary['replica']}`; the machine shared with other work. Before and after "
             "alternate in every round, each timed gate after an untimed `staging.up` from its own "
             "checkout when the other side ran last (the cached calls: each side's in a row, after a warm-up call); "
             "ratios are after/before within one round.", "",
             "| case | target | before median (min–max) | after median (min–max) | after/before by round "
             "| green before / after | load 1m min–max |", "|---|---|---|---|---|---|---|"]
    for case, row in summary["table"].items():
        b, a = row["before"], row["after"]
        lines.append(f"| {case} | ≤ {row['target_s']:.0f} s | {b['median_s']} s ({b['min_s']}–{b['max_s']}) "
                     f"| {a['median_s']} s ({a['min_s']}–{a['max_s']}) | "
                     f"{', '.join(f'{x:.2f}×' for x in row['ratio_after_before'])} | "
                     f"{b['green']}/{b['runs']} / {a['green']}/{a['runs']} | "
                     f"{min(b['load'][0], a['load'][0])}–{max(b['load'][1], a['load'][1])} |")
    lines += ["", "## Every run", "", "| round | case | side | s | exit | load before → after | steps (s) |",
              "|---|---|---|---|---|---|---|"]
    for r in summary["runs"]:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["steps_s"].items(), key=lambda s: -s[1])
                          if v >= 0.5)
        lines.append(f"| {r['round']} | {r['case']} | {r['side']} | {r['seconds']:.1f} | {r['exit_code']}"
                     f"{' (cached)' if r['cached'] else ''} | {r['load_avg_1m'][0]} → {r['load_avg_1m'][1]} "
                     f"| {steps or '—'} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit whose code is 'before'")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cached", type=int, default=5, help="cached-verdict calls per side")
    parser.add_argument("--name", default=os.environ.get("STAGING_NAME", "gate-speed"))
    args = parser.parse_args()
    after = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="gf-gate-speed-") as scratch:
        before = before_checkout(args.before, Path(scratch))
        try:
            runs = run(before, args.name, args.rounds, args.cached)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)],
                           capture_output=True, timeout=120)
    summary = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores", "replica": args.name,
               "before": args.before, "after": after, "table": summarize(runs), "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "gate_speed.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / "gate_speed.md").write_text(markdown(summary))
    print((RESULTS / "gate_speed.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
