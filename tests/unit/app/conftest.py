"""Unit fixtures: apps from create_app with a test config and no reachable services.

Tests that need the database use make_db_app, migrated_url and register
(tests/support/app_fixtures.py, on the throwaway PostgreSQL of tests/conftest.py)."""
import pytest

from mina import create_app

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

