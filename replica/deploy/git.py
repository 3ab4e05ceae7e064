"""The git commands push-to-deploy and promotion run, each failing as one line that names it."""
from __future__ import annotations

import subprocess
from pathlib import Path

from ..core.errors import ConfigError

class GitFailed(ConfigError):
    """A git command failed; the message is its own last line."""


def run(repo: Path, *args: str, stdin: str | None = None, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `git -C repo ARGS`; raise GitFailed with git's last line unless it succeeded or not check."""
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True,
                          text=True, env=env)
    if check and done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
        raise GitFailed(f"`git {' '.join(args[:3])}` failed: {lines[-1]}")
    return done


def output(repo: Path, *args: str, stdin: str | None = None) -> str:
    """Return what `git -C repo ARGS` prints, stripped."""
    return run(repo, *args, stdin=stdin).stdout.strip()


def resolve(repo: Path, rev: str, kind: str = "commit") -> str | None:
    """Return the id of rev peeled to kind, None when repo has no such object."""
    done = run(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{{kind}}}",
               check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def top_level(path: Path) -> Path:
    """Return the work tree holding path; ConfigError when it is not inside one."""
    done = run(path, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        raise ConfigError(f"{path} is not inside a git work tree",
                          hint="run this in a checkout of the project")
    return Path(done.stdout.strip())


def has_path(repo: Path, commit: str, path: str) -> bool:
    """Say whether commit's tree holds path."""
    return run(repo, "cat-file", "-e", f"{commit}:{path}", check=False).returncode == 0


def current_branch(repo: Path) -> str | None:
    """Return the branch checked out in repo's work tree, None when HEAD is detached."""
    done = run(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def checked_out_at(repo: Path, branch: str) -> list[Path]:
    """Return the work trees (of repo's repository) that have branch checked out."""
    found, path = [], None
    for line in output(repo, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = Path(line.removeprefix("worktree "))
        elif line == f"branch refs/heads/{branch}" and path is not None:
            found.append(path)
    return found


def tracked_changes(repo: Path) -> list[str]:
    """Return `git status` lines of tracked files changed in the work tree or the index."""
    return output(repo, "status", "--porcelain", "--untracked-files=no").splitlines()
