from mina import ConfigError, create_app



def test_create_app_reads_only_the_given_config(monkeypatch, make_app):
    monkeypatch.setenv("FLASK_ENV", "production")  # ignored: config is given
    app = make_app(GIT_SHA="abc123")
    assert app.config["MINA"].git_sha == "abc123"


def test_create_app_fails_closed_from_environment(monkeypatch):
    monkeypatch.setenv("FLASK_ENV", "prod")
    try:
        create_app()
    except ConfigError as err:
        assert "FLASK_ENV" in str(err)
    else:
        raise AssertionError("create_app accepted FLASK_ENV=prod")


def test_health_is_live_without_dependencies(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_version_reports_build(make_app):
    app = make_app(GIT_SHA="deadbee", BUILD_TIME="2026-11-26T00:00:00Z")
    body = app.test_client().get("/version").json
    assert body["git_sha"] == "deadbee" and body["build_time"] == "2026-11-26T00:00:00Z"


def test_ready_is_503_when_database_is_down(client):
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json
    assert body["database"]["status"] == "down" and body["redis"] == {"status": "disabled"}
    assert isinstance(body["worker_pid"], int)


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nope")
    assert response.status_code == 404 and response.json["status"] == 404


def test_version_reports_feature_flags(make_app):
    body = make_app(DEBUG="true", ENABLE_DEBUG_TOOLBAR="true").test_client().get("/version").json
    assert body["features"]["debug"] is True and body["features"]["debug_toolbar"] is False
