"""A real PostgreSQL 18 (tests/conftest.py), migrated by the app's own Alembic migrations."""
from __future__ import annotations

import itertools
import zlib

import pytest

from replica.data import databases as dbs, fixtures

MIGRATED = "data_migrated_template"
_names = itertools.count(1)


def app_for(url: str):
    from mina import create_app

    return create_app({"FLASK_ENV": "test", "SECRET_KEY": "data-tests", "DATABASE_URL": url,
                       "TESTING": True, "MINA_FANOUT": "local", "SOCKETIO_ASYNC_MODE": "threading"})


def migrate(url: str, revision: str = "head", down: bool = False) -> None:
    """Run the app's migrations (flask db upgrade/downgrade) against url."""
    from flask_migrate import downgrade, upgrade
    from mina.extensions import db

    app = app_for(url)
    with app.app_context():
        (downgrade if down else upgrade)(revision=revision)
        db.engine.dispose()


@pytest.fixture(scope="session")
def fixture_set(tmp_path_factory):
    return fixtures.ensure(tmp_path_factory.mktemp("fixtures"), "small")


@pytest.fixture(scope="session")
def migrated_template(postgres_server) -> str:
    migrate(postgres_server.create_database(MIGRATED))
    return MIGRATED


@pytest.fixture
def live_url(postgres_server, migrated_template) -> str:
    """A migrated, empty database playing the replica's mina_staging; every copy dropped after."""
    name = f"live{next(_names)}"
    url = postgres_server.create_database(name, template=migrated_template)
    yield url
    with dbs.admin(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [zlib.crc32(name.encode())])  # = spare builder
        for other, _, _ in dbs.listing(conn, name):
            dbs.drop(conn, other)
