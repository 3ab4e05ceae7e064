"""The record of one deploy run: results/deploy-<time>/report.json, beside the gate's records.

Its shape, which `staging.history` reads: kind "deploy", verdict ("green"/"red") and passed,
started (UTC, ISO 8601), duration_s, commit, tree (the tree judged, reporting/revision.judged_tree, of the deployed work
tree: a gate record of the same tree is evidence for the same content), ref, failed (key, title,
evidence of each failed item), items (every item), previous and serving (the commit that served
before and the one serving after the run: a red run leaves the one before serving), candidate
(the replica the commit was judged on, beside the serving one).
"""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from ..gate.checklist import Checklist

KIND = "deploy"
REPORT = "report.json"


def write(run_dir: Path, *, replica: str, commit: str, ref: str | None, tree: str | None,
          started: datetime, seconds: float, checklist: Checklist, passed: bool,
          previous: str | None, serving: str | None, candidate: str | None = None) -> Path:
    """Write the run's record (atomically) and return its path."""
    record = {"kind": KIND, "replica": replica, "verdict": "green" if passed else "red",
              "passed": passed, "started": started.isoformat(timespec="seconds"),
              "duration_s": round(seconds, 1), "commit": commit, "ref": ref, "tree": tree,
              "failed": [{"key": i.key, "title": i.title, "evidence": i.evidence}
                         for i in checklist.failed],
              "items": [asdict(item) for item in checklist.ordered()],
              "previous": previous, "serving": serving, "candidate": candidate,
              "results": str(run_dir)}
    path = run_dir / REPORT
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(record, indent=2) + "\n")
    partial.replace(path)
    return path
