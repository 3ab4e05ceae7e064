"""Deterministic, production-like fixtures (NumPy draws, Faker pools, a fixed seed) written once as CSV.

    fixture_set = ensure(settings.root / ".staging" / "fixtures", "default")
    fixture_set.tables  # [("users", Path(".../users.csv"), 1000), ...] in load order
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import FixtureError
from ..fakes import STAGING_PASSWORD_HASH

GENERATOR_VERSION = 3  # 3: segments drawn 50 000 at a time (2: 400 000; 1: a Python loop over rows)
DEFAULT_SEED = 20261126
SCALES = {"small": 50, "default": 1000, "prod": 20000}  # users; everything else follows
MAX_USERS = 2_000_000
COLUMNS = {
    "users": ["id", "email", "username", "display_name", "password_hash", "created_at",
              "last_login_at"],
    "meetings": ["id", "owner_id", "title", "description", "status", "started_at", "ended_at",
                 "created_at"],
    "transcript_segments": ["id", "meeting_id", "seq", "speaker", "text", "start_ms", "end_ms",
                            "created_at"],
    "summaries": ["id", "meeting_id", "model", "content", "prompt_tokens", "completion_tokens",
                  "created_at"],
}
# The migration whose schema COLUMNS describes: the gate seeds fixtures at it, so every later
# migration runs on populated data (bump it with COLUMNS when the fixtures follow a new schema).
SCHEMA_REVISION = "0001"
LOAD_ORDER = list(COLUMNS)
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class FixtureSet:
    """A generated fixture folder: CSV files with headers, in load order, and their row counts."""

    path: Path
    users: int
    seed: int
    rows: dict[str, int]

    @property
    def tables(self) -> list[tuple[str, Path, int]]:
        return [(t, self.path / f"{t}.csv", self.rows[t]) for t in LOAD_ORDER]


def users_for(scale: str | int) -> int:
    """Return the number of users a scale stands for (small, default, prod, or a number)."""
    if isinstance(scale, int) or str(scale).isdigit():
        users = int(scale)
    elif scale in SCALES:
        users = SCALES[scale]
    else:
        raise FixtureError(f"unknown fixture scale {scale!r}",
                           hint=f"use {', '.join(SCALES)} or a number of users")
    if not 1 <= users <= MAX_USERS:
        raise FixtureError(f"scale {users} is out of range (1..{MAX_USERS} users)")
    return users


def cache_key(users: int, seed: int) -> str:
    """Name the cache folder of a scale and seed (changes when the generator or Faker does)."""
    from faker import VERSION as faker_version
    from numpy import __version__ as numpy_version

    recipe = json.dumps([GENERATOR_VERSION, users, seed, faker_version, numpy_version]).encode()
    return hashlib.sha256(recipe).hexdigest()[:12]


def set_path(cache_dir: Path, scale: str | int = "default", seed: int = DEFAULT_SEED) -> Path:
    """Return where the fixture set of scale and seed is cached (its name says what it holds)."""
    users = users_for(scale)
    label = scale if isinstance(scale, str) and not scale.isdigit() else f"n{users}"
    return Path(cache_dir) / f"{label}-{cache_key(users, seed)}"


def ensure(cache_dir: Path, scale: str | int = "default", seed: int = DEFAULT_SEED) -> FixtureSet:
    """Return the cached fixture set for scale and seed, generating it first if needed."""
    users = users_for(scale)
    path = set_path(cache_dir, scale, seed)
    manifest = path / MANIFEST
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        return FixtureSet(path, data["users"], data["seed"], data["rows"])
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        rows = generate(work, users, seed)
        (work / MANIFEST).write_text(json.dumps({"users": users, "seed": seed, "rows": rows},
                                                indent=2) + "\n")
        os.replace(work, path)  # atomic: a half-written set is never seen as cached
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not manifest.is_file():  # not merely another run finishing first
            raise
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    data = json.loads(manifest.read_text())
    return FixtureSet(path, data["users"], data["seed"], data["rows"])


def generate(folder: Path, users: int, seed: int) -> dict[str, int]:
    """Write one CSV per table into folder; return the row count of each table."""
    from .fixture_tables import tables

    counts = dict.fromkeys(COLUMNS, 0)
    files = {t: open(folder / f"{t}.csv", "w", newline="", encoding="utf-8") for t in COLUMNS}
    try:
        for table, out in files.items():
            out.write(",".join(COLUMNS[table]) + "\n")
        for table, text in tables(users, seed, STAGING_PASSWORD_HASH):
            files[table].write(text)
            counts[table] += text.count("\n")
        return counts
    finally:
        for out in files.values():
            out.close()
