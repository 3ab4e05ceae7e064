"""A real PostgreSQL 18 (tests/conftest.py), migrated by the app's own Alembic migrations."""
from __future__ import annotations

import itertools
import zlib

import pytest

from replica.data.db import databases as dbs, fixtures
from tests.integration.data.app_migrations import migrate

MIGRATED = "data_migrated_template"
_names = itertools.count(1)


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
            if other == name or other.startswith(f"{name}_"):
                dbs.drop(conn, other)
