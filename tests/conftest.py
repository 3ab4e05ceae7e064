"""Shared service fixtures over the tier's own throwaway PostgreSQL 18 and Redis.

Each tier defines `postgres_server` (create_database, drop_database, url_for, psql, port) and
`redis_url`: tests/unit/conftest.py from host binaries (no container engine), tests/integration/
conftest.py as testcontainers of the project's images. On top of them, for every tier:
- `postgres_url` (session): admin URL of the server
- `database_url` (function): a fresh, empty database on that server, dropped afterwards
Servers bind 127.0.0.1 only and start lazily, the first time a test asks for them.
"""
from __future__ import annotations

import itertools

import pytest

# The app's migrated-database fixtures, registered once for unit and integration tests alike.
pytest_plugins = ["tests.support.app_fixtures"]
TEMPLATE_DB = "mina_empty_template"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def empty_template(postgres_server) -> str:
    postgres_server.create_database(TEMPLATE_DB)
    return TEMPLATE_DB


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    return postgres_server.url


@pytest.fixture
def database_url(postgres_server, empty_template, request) -> str:
    """A new empty database for this test, cloned from an empty template (fast)."""
    name = f"t{next(_counter)}_{request.node.name[:40]}".lower()
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    url = postgres_server.create_database(name, template=empty_template)
    yield url
    postgres_server.drop_database(name)
