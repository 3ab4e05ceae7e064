"""Install the git pre-push hook that runs `invoke staging.validate`, and the pre-commit config."""
from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from ..core.errors import ConfigError
from ..gate.errors import GateError

MARKER = "# installed by `invoke hooks.install` (mina-staging gate)"
PRE_PUSH = f"""#!/bin/sh
{MARKER}
# Runs the staging gate before every push. Skip it only with git's own: git push --no-verify
cd "$(git rev-parse --show-toplevel)" || exit 1
echo "pre-push: running invoke staging.validate (an unchanged tree answers from its verdict cache;"
echo "pre-push: re-run anyway: invoke staging.validate --force; skip only with: git push --no-verify)"
if [ -x .venv/bin/invoke ]; then INVOKE=.venv/bin/invoke; else INVOKE=invoke; fi
"$INVOKE" staging.validate
status=$?
if [ "$status" -ne 0 ]; then
  echo "pre-push: the staging gate failed (exit $status); push refused."
  echo "pre-push: see results/ for evidence; bypass only with: git push --no-verify"
fi
exit "$status"
"""


def hooks_dir(repo: Path) -> Path:
    """Return the hooks folder git uses for repo (honours core.hooksPath and worktrees)."""
    done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--git-path", "hooks"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(f"{repo} is not a git repository: {done.stderr.strip()}",
                        hint="run `invoke hooks.install` inside the repo")
    path = Path(done.stdout.strip())
    return path if path.is_absolute() else repo / path


def install_pre_push(repo: Path, force: bool = False) -> Path:
    """Write .git/hooks/pre-push; refuse to replace a hook someone else wrote unless force."""
    target = hooks_dir(repo) / "pre-push"
    if target.exists() and MARKER not in target.read_text(errors="replace") and not force:
        raise ConfigError(f"{target} exists and was not installed by this tool",
                        hint="move it aside or run `invoke hooks.install --force` to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(PRE_PUSH)
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target


def install_pre_commit(repo: Path) -> str:
    """Run `pre-commit install` when the framework is present; say how to get it otherwise."""
    import shutil

    if not (repo / ".pre-commit-config.yaml").is_file():
        return "no .pre-commit-config.yaml here; skipped the pre-commit hook"
    binary = shutil.which("pre-commit")
    if binary is None:
        return "pre-commit is not installed: `pip install pre-commit && pre-commit install` adds the fast checks"
    done = subprocess.run([binary, "install"], cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        raise GateError(f"`pre-commit install` failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return "pre-commit hook installed (fast checks from .pre-commit-config.yaml)"
