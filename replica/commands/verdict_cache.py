"""Remember each gate verdict under a key of everything the gate reads, so an unchanged tree is
answered at once (a re-push), and a changed file, profile or setting runs the gate again.

The key hashes working-tree files (uncommitted edits and new files count, ignored ones do not),
the replica's compose and app env as `up` last wrote them (image tags, ports, profiles' variables),
the profile set and the run's options. Both verdicts are kept; a cached red says it is cached.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..stack import state
from ..stack.state import APP_ENV, COMPOSE_ENV
from ..stack.settings import Settings

# What the gate reads: the app, its data and migrations, load and smoke suites, the mocks, the
# images' build inputs, the stack's definition and env profile, staging's declaration, the gate itself.
KEYED_PATHS = ("app", "db", "k6", "mocks", "tests/e2e", "docker", "replica",
               "docker-compose.staging.yml", "staging.declared.yml", ".env.staging.example",
               "pyproject.toml")
# Read by the gate though git ignores them: hashed by name, present or not.
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


def tree_files(root: Path, paths: tuple[str, ...] = KEYED_PATHS) -> list[str]:
    """List tracked and untracked, not ignored, files under paths (git's view of the work tree)."""
    done = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
                           "--exclude-standard", "--", *paths], capture_output=True)
    if done.returncode != 0:
        raise CorruptEntry(f"git ls-files failed: {done.stderr.decode(errors='replace').strip()}")
    return sorted(set(filter(None, done.stdout.decode().split("\0"))))


def tree_digest(root: Path) -> str:
    """Hash the working-tree files the gate reads (contents, not commits: edits and new files count)."""
    digest = hashlib.sha256()
    for name in tree_files(root):
        path = root / name
        content = path.read_bytes() if path.is_file() else b"<deleted>"
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    for name in IGNORED_INPUTS:
        path = root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<none>"))
    return digest.hexdigest()


def key_for(settings: Settings, profiles: list[str], options: dict, tree: str | None = None) -> str:
    """Return the hex key of a gate run on this working tree, replica set-up, profiles and options.

    tree: a tree_digest taken earlier (at the start of the run whose verdict is being stored).
    """
    digest = hashlib.sha256((tree or tree_digest(settings.root)).encode())
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

    tree: the run's tree_digest, kept so a promotion can find the verdict of a commit's tree.
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
