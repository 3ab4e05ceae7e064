"""Integration fixtures: the app on a real, migrated PostgreSQL 18 (and Redis when asked).

make_db_app, migrated_url and register come from tests/support/app_fixtures.py."""
import pytest


@pytest.fixture
def make_app(make_db_app):
    return make_db_app


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
