"""Shared service fixtures: a throwaway PostgreSQL 18 and Redis for the whole session.

- `postgres_url` (session): admin URL of the server, postgresql://postgres@127.0.0.1:PORT/postgres
- `database_url` (function): a fresh, empty database on that server, dropped afterwards
- `redis_url` (session): redis://127.0.0.1:PORT/0 of a redis-server without persistence
Servers bind 127.0.0.1 only and start lazily, the first time a test asks for them.
"""
from __future__ import annotations

import itertools

import pytest

from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer

# The app's migrated-database fixtures, registered once for unit and integration tests alike.
pytest_plugins = ["tests.support.app_fixtures"]
TEMPLATE_DB = "mina_empty_template"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    """The running PostgresServer object (for psql, create_database, url_for)."""
    with PostgresServer() as server:
        server.create_database(TEMPLATE_DB)
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    return postgres_server.url


@pytest.fixture
def database_url(postgres_server, request) -> str:
    """A new empty database for this test, cloned from an empty template (fast)."""
    name = f"t{next(_counter)}_{request.node.name[:40]}".lower()
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    url = postgres_server.create_database(name, template=TEMPLATE_DB)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def redis_url() -> str:
    with RedisServer() as server:
        yield server.url
