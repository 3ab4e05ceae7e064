"""Unit fixtures: apps from create_app with a test config and no reachable services."""
import pytest

from mina import create_app
# Tests that need the database use the throwaway PostgreSQL of tests/conftest.py, migrated.
from tests.support.app_fixtures import (  # noqa: F401 (fixtures)
    make_db_app, migrated_template, migrated_url, register)

# Nothing listens on port 1: a unit test that touches the database fails loudly.
UNREACHABLE_DB = "postgresql://mina@127.0.0.1:1/none"
TEST_CONFIG = {"FLASK_ENV": "test", "SECRET_KEY": "unit-test-secret",
               "DATABASE_URL": UNREACHABLE_DB, "TESTING": True, "MINA_FANOUT": "local",
               "SOCKETIO_ASYNC_MODE": "threading", "DB_CONNECT_RETRY_SECONDS": 0}


@pytest.fixture
def make_app():
    """Build an app from the test config plus overrides."""
    return lambda **overrides: create_app({**TEST_CONFIG, **overrides})


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()

