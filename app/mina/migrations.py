"""Where the Alembic migrations live and which revision is head."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import text

from .extensions import db


def migrations_dir() -> str:
    """Return <repo>/db/migrations (or /srv/db/migrations in the image), or $MIGRATIONS_DIR."""
    default = Path(__file__).resolve().parents[2] / "db" / "migrations"
    return os.environ.get("MIGRATIONS_DIR") or str(default)


@lru_cache(maxsize=4)
def _head(directory: str) -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config).get_current_head()


def head_revision() -> str | None:
    """Return the newest revision id found on disk."""
    return _head(migrations_dir())


def current_revision() -> str | None:
    """Return the revision recorded in the database (None if never migrated)."""
    exists = db.session.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
    if not exists:
        db.session.rollback()
        return None
    value = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.rollback()
    return value
