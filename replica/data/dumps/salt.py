"""The sanitizer's secret salt: the one the user set (STAGING_SANITIZE_SALT, read by
replica/stack/settings.py), else one generated per machine."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..errors import PolicyError

ENV = "STAGING_SANITIZE_SALT"  # named in messages; read by the settings
FILE = "sanitize.salt"
MIN_LENGTH = 16


def load_salt(state_root: Path, value: str | None = None) -> bytes:
    """Return the user's salt (value), or the one in .staging/sanitize.salt (created once, 0600)."""
    if value is not None:
        if len(value) < MIN_LENGTH:
            raise PolicyError(f"{ENV} is too short ({len(value)} characters)",
                              hint=f"use at least {MIN_LENGTH} random characters, e.g. "
                                   "`python -c 'import secrets; print(secrets.token_hex(32))'`")
        return value.encode()
    path = Path(state_root) / FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()
