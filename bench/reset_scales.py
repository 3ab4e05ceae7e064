"""`invoke staging.db.reset` at both fixture scales on one running replica: issue 16's "reset at both
scales still <= 0.5 s".

Seeds the replica (--name, default main) with the default fixtures and times whole-task resets
(spare ready, process start included), then seeds the `prod` fixtures (20 000 users) and times the
same; the synchronous clones (no spare ready) by strategy beside them, and the template's size.
The replica is left seeded with the default fixtures again. Load average beside every figure.
Writes bench/results/reset_scales.json and .md.

    .venv/bin/python bench/reset_scales.py [--name main] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_bench import INVOKE, RESULTS, bench_reset  # noqa: E402

TARGET_S = 0.5
SCALES = ("default", "prod")


def seed(name: str, scale: str) -> None:
    subprocess.run([*INVOKE, "staging.db.seed", "--scale", scale], check=True,
                   env={**os.environ, "STAGING_NAME": name})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="main", help="a running replica")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "cpus": os.cpu_count(), "target_s": TARGET_S, "scales": {}}
    for scale in SCALES:
        seed(args.name, scale)
        before = os.getloadavg()[0]
        result = bench_reset(args.name, args.rounds)
        if not result["measured"]:
            print(f"reset_scales: {result['why']}", file=sys.stderr)
            return 2
        result["load_before"], result["load_after"] = round(before, 2), round(os.getloadavg()[0], 2)
        result["pass"] = result["whole_task_median_s"] <= TARGET_S
        report["scales"][scale] = result
    seed(args.name, "default")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reset_scales.json").write_text(json.dumps(report, indent=2) + "\n")
    rows = []
    for scale, r in report["scales"].items():
        clones = ", ".join(f"{s} {statistics.median(v):.2f} s" for s, v in r["sync_clone_s"].items())
        rows.append(f"| {scale} | {r['rows']['transcript_segments']:,} | "
                    f"{r['template_bytes'] / 1e6:,.0f} MB | {r['whole_task_median_s']:.2f} s "
                    f"({', '.join(f'{x:.2f}' for x in r['whole_task_s'])}) | {clones} | "
                    f"{'yes' if r['pass'] else 'no'} | {r['load_before']:.1f} → {r['load_after']:.1f} |")
    (RESULTS / "reset_scales.md").write_text(
        f"# `staging.db.reset` at both scales ({report['when']}, {report['cpus']} cores)\n\n"
        "Whole task, process start included, the spare ready (what a user waits for); the "
        "synchronous clones show what a reset without a ready spare costs.\n\n"
        "| scale | segments | template | whole reset (median; rounds) | clone without a spare "
        f"(median) | ≤ {TARGET_S} s | load avg |\n|---|---:|---:|---:|---|---|---|\n"
        + "\n".join(rows) + "\n")
    print((RESULTS / "reset_scales.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
