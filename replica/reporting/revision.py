"""Which commit and which tree a run judged: what every record is keyed by (git's own object names).

"The tree judged" has this one definition, used by the verdict cache's key, the gate's and the
deploys' run records and `staging.promote`'s evidence lookup: the git tree object of the working
tree as `git add -A` would stage it (uncommitted edits and new files count, ignored ones do not).
On a clean checkout it is `HEAD^{tree}`, so a tag's `git rev-parse TAG^{tree}` (commit_tree) finds
the records of exactly its files without checking anything out.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def commit(root: Path) -> str | None:
    """Return HEAD's full commit name, or None outside a git work tree (or before a first commit)."""
    return _git(root, "rev-parse", "--verify", "-q", "HEAD")


def judged_tree(root: Path) -> str | None:
    """Return the tree object name of the working tree's files, without touching the real index;
    None outside a git work tree."""
    index = _git(root, "rev-parse", "--git-path", "index")
    if index is None:
        return None
    with tempfile.TemporaryDirectory(prefix="mina-staging-index-") as scratch:
        scratch_index = Path(scratch) / "index"
        real_index = Path(index) if Path(index).is_absolute() else root / index
        if real_index.is_file():  # a copy: git re-hashes only what changed since the last add
            # with its mtime: git tells a file edited in the index's own second ("racily clean")
            # by comparing with the index's mtime, and a fresh copy's would hide the edit
            shutil.copy2(real_index, scratch_index)
        env = {**os.environ, "GIT_INDEX_FILE": str(scratch_index)}
        if _git(root, "add", "-A", env=env) is None:
            return None
        return _git(root, "write-tree", env=env)


def commit_tree(repo: Path, commit: str) -> str | None:
    """Return the tree judged by a run on a clean checkout of commit; None if it names no commit."""
    return _git(repo, "rev-parse", "--verify", "-q", f"{commit}^{{tree}}")


def _git(root: Path, *args: str, env: dict | None = None) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              env=env, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
