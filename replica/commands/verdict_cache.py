"""Remember each gate verdict under a key of everything the gate reads, so an unchanged tree is
answered at once (a re-push), and a changed file, profile or setting runs the gate again.

The key hashes the tree judged (reporting/revision.judged_tree: the git tree of the working tree,
uncommitted edits and new files count, ignored ones do not), the user's .env.staging (read by the
gate though ignored), the replica's compose and app env as `up` last wrote them (image tags, ports, profiles' variables),
the profile set and the run's options. Both verdicts are kept; a cached red says it is cached.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..reporting import revision
from ..stack import state
from ..stack.state import APP_ENV, COMPOSE_ENV
from ..stack.settings import Settings

# Read by the gate though git ignores them: hashed by name into the key, present or not.
IGNORED_INPUTS = (".env.staging",)
CACHE_DIR = state.VERDICTS_DIR
FIELDS = ("key", "passed", "verdict", "run", "finished_at")


class CorruptEntry(Exception):
    """A stored verdict cannot be trusted; the message says why."""


@dataclass(frozen=True)
class Cached:
    passed: bool
    verdict: str
    run: str
    finished_at: str
    path: Path


def judged_tree(root: Path) -> str:
    """Return the tree judged (reporting/revision.judged_tree); CorruptEntry outside a git work tree."""
    tree = revision.judged_tree(root)
    if tree is None:
        raise CorruptEntry(f"{root} is not a git work tree: there is no tree to key a verdict by")
    return tree


def key_for(settings: Settings, profiles: list[str], options: dict, tree: str | None = None) -> str:
    """Return the hex key of a gate run on this working tree, replica set-up, profiles and options.

    tree: the tree judged, taken earlier (at the start of the run whose verdict is being stored).
    """
    digest = hashlib.sha256((tree or judged_tree(settings.root)).encode())
    for name in IGNORED_INPUTS:
        path = settings.root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<none>"))
    for name in (COMPOSE_ENV, APP_ENV):
        path = settings.state_dir / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<none>"))
    digest.update(json.dumps({"replica": settings.name, "profiles": sorted(profiles), **options},
                             sort_keys=True).encode())
    return digest.hexdigest()


def entry_path(settings: Settings, key: str) -> Path:
    return settings.state_dir / CACHE_DIR / f"{key}.json"


def lookup(settings: Settings, key: str) -> Cached | None:
    """Return the verdict stored under key, None if there is none; CorruptEntry if it is unusable."""
    path = entry_path(settings, key)
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CorruptEntry(f"cached verdict {path} cannot be read: {error}") from None
    missing = [f for f in FIELDS if f not in record] if isinstance(record, dict) else list(FIELDS)
    if missing:
        raise CorruptEntry(f"cached verdict {path} lacks {', '.join(missing)}")
    if record["key"] != key or not isinstance(record["passed"], bool):
        raise CorruptEntry(f"cached verdict {path} does not match its key or has no true/false verdict")
    return Cached(record["passed"], str(record["verdict"]), str(record["run"]),
                  str(record["finished_at"]), path)


def store(settings: Settings, key: str, passed: bool, verdict: str, run: str,
          tree: str | None = None) -> Path:
    """Write the verdict of a run under key (atomically: a crash never leaves half an entry).

    tree: the tree the run judged, kept so a promotion can find the verdict of a commit's tree.
    """
    path = entry_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"key": key, "passed": passed, "verdict": verdict, "run": run,
              "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              **({"tree": tree} if tree else {})}
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(record, indent=2) + "\n")
    partial.replace(path)
    return path
