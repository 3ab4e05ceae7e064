"""The work trees deploys run from: git worktrees of the staging remote, each with a .staging link.

The link points at the pushing checkout's .staging, so a replica run from a work tree keeps its
ports, secrets and fixtures there (`invoke staging.status --name <replica>` shows it).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from ..reporting import revision
from . import git
from .layout import Layout


def check_out(layout: Layout, tree: Path, commit: str) -> str:
    """Check commit out into tree (a worktree of the remote, created once); return the tree judged.

    The checkout is forced and clean (its .staging link excluded), so the tree judged is the
    commit's own (revision.commit_tree): git's answer, never None once the checkout succeeded.
    """
    exclude = layout.remote / "info" / "exclude"  # the link below is no file of the project's
    exclude.parent.mkdir(parents=True, exist_ok=True)
    if "/.staging" not in (exclude.read_text() if exclude.is_file() else "").split():
        with exclude.open("a") as handle:
            handle.write("/.staging\n")
    if not (tree / ".git").exists():
        git.run(layout.remote, "worktree", "prune")
        git.run(layout.remote, "worktree", "add", "--detach", "--force", "--quiet", str(tree), commit)
    else:
        git.run(tree, "checkout", "--detach", "--force", "--quiet", commit)
    link = tree / ".staging"
    if not link.is_symlink():
        link.symlink_to(Path("..", ".."), target_is_directory=True)
    judged = revision.commit_tree(layout.remote, commit)
    if judged is None:
        raise git.GitFailed(f"git names no tree for {commit[:12]} in {layout.remote}")
    return judged


def remove(layout: Layout, tree: Path) -> None:
    """Remove a work tree and git's record of it (the link first: nothing behind it is touched)."""
    link = tree / ".staging"
    if link.is_symlink():
        link.unlink()
    if tree.exists():
        git.run(layout.remote, "worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(tree, ignore_errors=True)
    git.run(layout.remote, "worktree", "prune", check=False)
