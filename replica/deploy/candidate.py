"""The candidate replica a push is judged on, beside the serving deployment.

It has its own work tree (.staging/<replica>/candidate, a worktree of the staging remote), its own
replica name (`<replica>-candidate`: its own compose project, containers, volumes and ports) and
its data copied from the serving deployment's database. It is torn down after every run, green or
red, so what serves is never touched while a push is judged.

Its state folder holds a marker (candidate.json) naming the deployment it belongs to: a candidate
left by a run that ended early (killed, the machine restarted) is removed when the next run starts,
under the deploy lock; a replica of that name that is not this deployment's candidate is refused,
changing nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from ..commands import down
from ..stack.settings import NAME_MAX, Settings, validate_name
from . import worktree
from .errors import DeployRefused
from .layout import COMPOSE_FILE, Layout

SUFFIX = "-candidate"
MARKER = "candidate.json"
HASHED = 6  # hex digits of the deployment's name kept when it must be shortened to fit


def name_for(deployment: str) -> str:
    """Return the candidate's replica name: `<deployment>-candidate`, shortened with a hash to fit."""
    name = f"{deployment}{SUFFIX}"
    if len(name) > NAME_MAX:
        digest = hashlib.sha256(deployment.encode()).hexdigest()[:HASHED]
        name = f"{deployment[:NAME_MAX - len(SUFFIX) - HASHED - 1]}-{digest}{SUFFIX}"
    return validate_name(name)


def state_dir(settings: Settings) -> Path:
    """The candidate's .staging/<name> folder, beside the deployment's (in the pushing checkout)."""
    return settings.state_dir.parent / name_for(settings.name)


def settings_for(settings: Settings, layout: Layout) -> Settings:
    """Return the candidate's settings: rooted at its work tree, its own name and free ports.

    Ports pinned for the deployment (STAGING_APP_PORT, …) are not the candidate's: it runs beside
    the deployment, which holds them."""
    return replace(settings, name=name_for(settings.name), root=layout.candidate_tree,
                   pinned_ports={}, results_override=settings.results_dir)


def claim(settings: Settings, commit: str) -> None:
    """Mark the candidate's folder as this deployment's, judging commit (before anything runs)."""
    folder = state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(json.dumps({
        "candidate_of": settings.name, "commit": commit, "pid": os.getpid(),
        "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}, indent=2) + "\n")


def clear_leftover(settings: Settings, layout: Layout) -> str | None:
    """Remove a candidate an earlier run left; return what was removed (None: there was none).

    Raise DeployRefused, touching nothing, when the candidate's name is another replica's."""
    folder, tree = state_dir(settings), layout.candidate_tree
    left = _marker(folder)
    if folder.exists() and left.get("candidate_of") != settings.name:
        name = name_for(settings.name)
        raise DeployRefused(
            f"replica {name!r} exists ({folder}) and is not the candidate of {settings.name!r}: "
            "a push is judged on a replica of that name",
            hint=f"take it down (`invoke staging.down --name {name} --volumes`) and remove {folder}")
    if not folder.exists() and not tree.exists():
        return None
    tear_down(settings, layout)
    return (f"removed the candidate of {str(left.get('commit', '?'))[:12]} left by a run that "
            f"ended early (pid {left.get('pid', '?')}, since {left.get('since', '?')})")


def tear_down(settings: Settings, layout: Layout) -> None:
    """Remove the candidate: its containers and volumes (down), its work tree, its state folder."""
    folder = state_dir(settings)
    if folder.exists():
        candidate = settings_for(settings, layout)
        if not (layout.candidate_tree / COMPOSE_FILE).is_file():  # its tree is gone: by labels
            candidate = replace(candidate, root=settings.root)
        down.down(candidate, volumes=True)
    worktree.remove(layout, layout.candidate_tree)
    shutil.rmtree(folder, ignore_errors=True)


def _marker(folder: Path) -> dict:
    try:
        found = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
