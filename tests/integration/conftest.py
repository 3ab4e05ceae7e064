"""Integration tests run against a throwaway replica, never the user's: STAGING_TEST_NAME (default
`test`); tests that need more replicas name them `<that>-<suffix>`.

`invoke test` brings it up before pytest and takes it down after; run alone, the `replica`
fixture brings it up itself (a no-op when it is already up) and leaves it running.

Their own throwaway PostgreSQL 18 and Redis (for tests/conftest.py's databases) are testcontainers
of the project's images (tests/support/containers.py), started lazily; before the first, the
containers a killed earlier run left behind are removed (`reap_stale`).
"""
import os
from dataclasses import replace

import pytest

from replica.commands.up import up
from replica.stack.settings import from_environment, test_replica_name
from tests.support import containers

TEST_REPLICA = test_replica_name()


def settings_for(suffix: str | None = None):
    """Settings for the test replica, or for another one named `<test replica>-<suffix>`."""
    name = f"{TEST_REPLICA}-{suffix}" if suffix else TEST_REPLICA
    return replace(from_environment().with_name(name), pinned_ports={})


@pytest.fixture(scope="session")
def replica_settings():
    """A factory of settings for other throwaway replicas (take them down in the test)."""
    return settings_for


@pytest.fixture(scope="session")
def replica():
    """The running test replica's Stack (brought up if needed)."""
    return up(settings_for())


@pytest.fixture(scope="session")
def stale_containers_reaped() -> list[str]:
    """Remove test containers whose owning process is gone (a killed run); return their names."""
    return containers.reap_stale()


@pytest.fixture(scope="session")
def postgres_server(stale_containers_reaped):
    """A PostgreSQL 18 container (create_database, drop_database, url_for, psql, port)."""
    with containers.PostgresContainer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(stale_containers_reaped) -> str:
    with containers.RedisContainer() as server:
        yield server.url


@pytest.fixture
def redis_server(stale_containers_reaped):
    """A Redis container of this test's own, for tests that stop and start it."""
    with containers.RedisContainer() as server:
        yield server
