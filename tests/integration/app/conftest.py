"""Integration fixtures: the app on a real, migrated PostgreSQL 18 (and Redis when asked)."""
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
def make_app(migrated_url):
    apps = []

    def make(**overrides):
        apps.append(create_app(app_config(migrated_url, **overrides)))
        return apps[-1]
    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()
        app.extensions["mina.read_engine"].dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def register():
    """Register (and thereby log in) a user on a test client; return the user JSON."""
    def do(client, name="alice"):
        response = client.post("/api/auth/register", json={
            "email": f"{name}@example.com", "username": name, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return response.json["user"]
    return do
