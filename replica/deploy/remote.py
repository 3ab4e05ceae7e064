"""`staging.remote.install`: a git remote `staging` whose pushes deploy the replica, as Replit does.

The remote is a bare repository under .staging/<replica>/remote.git. Its post-receive hook calls
back into this checkout's own CLI (`staging.remote.deploy`) for a push to the `staging` branch, so
`git push staging HEAD:staging` is the runbook's "Manual Staging Deployment" with the replica in
Replit's place: the verdict prints in the pushing terminal.
"""
from __future__ import annotations

import shlex
import stat
from pathlib import Path

from ..core.errors import ConfigError
from ..stack.settings import Settings
from . import git
from .layout import DEPLOY_BRANCH, REMOTE_NAME, Layout

MARKER = "# installed by `invoke staging.remote.install` (mina-staging push to deploy)"


def post_receive(root: Path, replica: str) -> str:
    """Return the hook script: deploy the new commit of a push to DEPLOY_BRANCH with root's CLI."""
    quoted_root = shlex.quote(str(root))
    return f"""#!/bin/sh
{MARKER}
# git runs this after it accepted a push; its output shows in the pushing terminal.
# Only a push to `{DEPLOY_BRANCH}` deploys; other refs are kept, not deployed. (git itself refuses
# to delete `{DEPLOY_BRANCH}`: it is this repository's HEAD.)
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY \\
      GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_PUSH_OPTION_COUNT
ROOT={quoted_root}
if [ -x "$ROOT/.venv/bin/invoke" ]; then CLI="$ROOT/.venv/bin/invoke"; else CLI="$ROOT/dev"; fi
status=0
while read -r old new ref; do
  if [ "$ref" != "refs/heads/{DEPLOY_BRANCH}" ]; then
    echo "staging: kept $ref (only a push to {DEPLOY_BRANCH} deploys)"
  else
    (cd "$ROOT" && COLUMNS="${{COLUMNS:-120}}" PYTHONUNBUFFERED=1 \\
      "$CLI" staging.remote.deploy --name {shlex.quote(replica)} --ref "$ref" "$new") || status=$?
  fi
done
exit "$status"
"""


def install(root: Path, settings: Settings, force: bool = False) -> Layout:
    """Create the bare repository and its hook, and point root's remote `staging` at it."""
    layout = Layout(settings.state_dir)
    current = git.run(root, "remote", "get-url", REMOTE_NAME, check=False)
    url = str(layout.remote)
    if current.returncode == 0 and current.stdout.strip() != url and not force:
        raise ConfigError(f"git remote {REMOTE_NAME!r} exists and points at {current.stdout.strip()}",
                          hint="remove it (`git remote remove staging`) or run "
                               "`invoke staging.remote.install --force` to repoint it")
    hook = layout.remote / "hooks" / "post-receive"
    if hook.exists() and MARKER not in hook.read_text(errors="replace") and not force:
        raise ConfigError(f"{hook} exists and was not installed by this tool",
                          hint="move it aside or run `invoke staging.remote.install --force`")
    if not (layout.remote / "HEAD").is_file():
        layout.remote.mkdir(parents=True, exist_ok=True)
        git.run(layout.remote, "init", "--quiet", "--bare", f"--initial-branch={DEPLOY_BRANCH}")
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(post_receive(root, settings.name))
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    verb = "set-url" if current.returncode == 0 else "add"
    git.run(root, "remote", verb, REMOTE_NAME, url)
    return layout
