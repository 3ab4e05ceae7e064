"""The gate's evidence for a commit: a passing verdict recorded for exactly that commit's tree.

`staging.validate` keeps each verdict with the tree it judged (reporting/revision.judged_tree,
in .staging/<replica>/verdicts/). A commit's tree is `git rev-parse COMMIT^{tree}`, what a gate run
on a clean checkout of it judges, so a verdict counts for a commit only when the gate ran on
exactly its content.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..commands import verdict_cache
from ..reporting import revision
from . import git


@dataclass(frozen=True)
class Record:
    passed: bool
    run: str
    finished_at: str
    path: Path


def commit_tree(repo: Path, commit: str) -> str:
    """Return the tree a gate run on a clean checkout of commit judged (revision.commit_tree)."""
    tree = revision.commit_tree(repo, commit)
    if tree is None:
        raise git.GitFailed(f"{commit!r} names no commit in {repo}")
    return tree


def records_for(repo: Path, tree: str) -> list[Record]:
    """Return every replica's gate verdicts recorded for tree, newest first (unreadable ones skipped)."""
    found = []
    for path in (repo / ".staging").glob(f"*/{verdict_cache.CACHE_DIR}/*.json"):
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(entry, dict) and entry.get("tree") == tree and isinstance(entry.get("passed"), bool):
            found.append(Record(entry["passed"], str(entry.get("run")),
                                str(entry.get("finished_at")), path))
    return sorted(found, key=lambda record: record.finished_at, reverse=True)


def passing_record(repo: Path, tree: str) -> Record | None:
    """Return the newest passing gate verdict of tree, None when there is none."""
    return next((record for record in records_for(repo, tree) if record.passed), None)
