"""Fixtures for tests of the Mina app on the throwaway PostgreSQL (tests/conftest.py), migrated.

tests/conftest.py registers this module as a plugin, so every test can ask for them.
"""
import pytest
from flask_migrate import upgrade

from mina import create_app
from mina.extensions import db
from tests.support.app import PASSWORD, app_config

MIGRATED_TEMPLATE = "mina_migrated_template"


@pytest.fixture(scope="session")
def migrated_template(postgres_server) -> str:
    """A database migrated to head once per session, cloned by each test."""
    url = postgres_server.create_database(MIGRATED_TEMPLATE)
    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return MIGRATED_TEMPLATE


@pytest.fixture
def migrated_url(postgres_server, migrated_template, database_url) -> str:
    """Like database_url, but already at the migrations' head."""
    name = database_url.rsplit("/", 1)[1] + "_m"
    url = postgres_server.create_database(name, template=migrated_template)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture
def register():
    """Register (and thereby log in) a user on a test client; return the user JSON."""
    def do(client, name="alice"):
        response = client.post("/api/auth/register", json={
            "email": f"{name}@example.com", "username": name, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return response.json["user"]
    return do


@pytest.fixture
def make_db_app(migrated_url):
    """Build apps on a migrated database (test config plus overrides); their pools are closed after."""
    apps = []

    def make(**overrides):
        apps.append(create_app(app_config(migrated_url, **overrides)))
        return apps[-1]
    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()
        app.extensions["mina.read_engine"].dispose()
