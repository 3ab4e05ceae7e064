"""Per-replica secrets, generated on a replica's first `up` and kept in .staging/<replica>/ (0600).

The tracked example cannot hold them: anyone with the repository could forge a session cookie or
talk to Redis on a replica left at its defaults.
"""
from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path

from .settings import Settings
from . import state

SECRETS_FILE = state.SECRETS_FILE
GENERATED = {"SECRET_KEY": lambda: secrets.token_urlsafe(48),
             "REDIS_PASSWORD": lambda: secrets.token_hex(24)}


def replica_secrets(settings: Settings) -> dict[str, str]:
    """Return this replica's secrets, generating (and keeping) any it does not have yet."""
    path = settings.state_dir / SECRETS_FILE
    stored = _read(path)
    missing = {name: make() for name, make in GENERATED.items() if not stored.get(name)}
    if missing:
        stored.update(missing)
        write_private(path, json.dumps(stored, indent=2, sort_keys=True) + "\n")
    return {name: stored[name] for name in GENERATED}


def write_private(path: Path, text: str) -> None:
    """Replace path with text, readable by this user only (0600) from its first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def make_private(path: Path) -> None:
    """Make path readable by this user only (0600), creating it empty if missing, before it is
    written: a file rewritten in place keeps its mode, so a secret is never world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
