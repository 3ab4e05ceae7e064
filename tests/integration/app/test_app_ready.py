from tests.support.app import app_config

from mina import create_app


def test_ready_names_database_migrations_and_disabled_redis(client):
    response = client.get("/health/ready")
    body = response.json
    assert response.status_code == 200, body
    assert body["database"]["status"] == "ok" and body["migrations"]["status"] == "ok"
    assert body["redis"] == {"status": "disabled"} and body["openai"]["base_url"]


def test_ready_with_redis(make_app, redis_url):
    body = make_app(REDIS_URL=redis_url).test_client().get("/health/ready").json
    assert body["redis"]["status"] == "ok"


def test_ready_is_503_when_redis_is_down(make_app):
    response = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/health/ready")
    assert response.status_code == 503 and response.json["redis"]["status"] == "down"


def test_ready_is_503_before_migrations(database_url):
    app = create_app(app_config(database_url))
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503
    assert response.json["migrations"]["status"] == "behind"
    assert response.json["migrations"]["current"] is None
