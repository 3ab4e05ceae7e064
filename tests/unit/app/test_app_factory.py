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


def test_postgres_fanout_listens_on_the_direct_url(make_app):
    app = make_app(MINA_FANOUT=None, REDIS_URL="", DATABASE_URL="postgresql://u:p@pgbouncer:6432/m",
                   DATABASE_DIRECT_URL="postgresql://u:p@db:5432/m")
    manager = app.extensions["mina.fanout_manager"]
    assert app.extensions["mina.fanout"] == "postgres"
    assert manager.url == "postgresql://u:p@db:5432/m"


def test_ready_fails_when_the_fanout_listener_misses_its_own_notify(make_app, monkeypatch):
    from mina import health
    monkeypatch.setattr(health, "check_database", lambda: {"status": "ok"})
    monkeypatch.setattr(health, "check_migrations", lambda: {"status": "ok"})
    app = make_app(MINA_FANOUT=None, REDIS_URL="")
    client, manager = app.test_client(), app.extensions["mina.fanout_manager"]
    for status, code in (("pending", 200), ("ok", 200), ("lost", 503)):
        manager.listen_status = status
        response = client.get("/health/ready")
        assert (response.status_code, response.json["fanout_listen"]) == (code, {"status": status})


def test_ready_reports_no_listener_when_fanout_stays_in_process(client):
    assert client.get("/health/ready").json["fanout_listen"] == {"status": "disabled"}
