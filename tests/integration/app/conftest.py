"""Integration fixtures: the app on a real, migrated PostgreSQL 18 (and Redis when asked)."""
import pytest

from tests.support.app_fixtures import (  # noqa: F401 (fixtures)
    make_db_app, migrated_template, migrated_url, register)


@pytest.fixture
def make_app(make_db_app):
    return make_db_app


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
