import threading

import pytest
import socketio

from mina import ConfigError, create_app, live



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


@pytest.fixture
def ready_but_for_fanout(monkeypatch):
    """Readiness with database and migrations faked ok; a pending check is not waited for."""
    from mina import health
    monkeypatch.setattr(health, "check_database", lambda: {"status": "ok"})
    monkeypatch.setattr(health, "check_migrations", lambda: {"status": "ok"})
    monkeypatch.setattr(health, "PENDING_WAIT_S", 0.0, raising=False)
    return health


def test_ready_fails_until_the_fanout_listener_hears_its_own_notify(make_app, ready_but_for_fanout):
    app = make_app(MINA_FANOUT=None, REDIS_URL="")
    client, manager = app.test_client(), app.extensions["mina.fanout_manager"]
    for status, code in (("pending", 503), ("ok", 200), ("lost", 503)):
        manager.listen_status = status
        response = client.get("/health/ready")
        assert (response.status_code, response.json["fanout_listen"]) == (code, {"status": status})
        assert response.json["status"] == ("ok" if code == 200 else "unavailable")


def test_ready_waits_briefly_for_a_check_under_way(make_app, ready_but_for_fanout, monkeypatch):
    monkeypatch.setattr(ready_but_for_fanout, "PENDING_WAIT_S", 5.0, raising=False)
    app = make_app(MINA_FANOUT=None, REDIS_URL="")
    manager = app.extensions["mina.fanout_manager"]
    threading.Timer(0.1, setattr, (manager, "listen_status", "ok")).start()
    response = app.test_client().get("/health/ready")
    assert (response.status_code, response.json["fanout_listen"]) == (200, {"status": "ok"})


@pytest.fixture
def background_tasks(monkeypatch):
    """Record what the Socket.IO server starts in the background, starting nothing."""
    started = []
    monkeypatch.setattr(socketio.Server, "start_background_task",
                        lambda self, target, *args, **kwargs: started.append(target))
    return started


def test_an_eventlet_worker_starts_the_fanout_listener_at_boot(make_app, monkeypatch,
                                                                 background_tasks):
    monkeypatch.setattr(live, "eventlet_active", lambda: True)
    app = make_app(MINA_FANOUT=None, REDIS_URL="")
    manager = app.extensions["mina.fanout_manager"]
    assert background_tasks == [manager._thread] and manager.server.manager_initialized
    manager.server._handle_eio_connect("eio-sid", {})  # the first client: no second listener
    assert background_tasks == [manager._thread]


def test_the_flask_cli_starts_no_listener(make_app, background_tasks):
    manager = make_app(MINA_FANOUT=None, REDIS_URL="").extensions["mina.fanout_manager"]
    assert background_tasks == [] and not manager.server.manager_initialized


def test_redis_fanout_still_starts_at_the_first_client(make_app, monkeypatch, background_tasks):
    monkeypatch.setattr(live, "eventlet_active", lambda: True)
    app = make_app(MINA_FANOUT=None, REDIS_URL="redis://127.0.0.1:1/0")
    assert app.extensions["mina.fanout"] == "redis" and background_tasks == []
    assert not live.socketio.server.manager_initialized


def test_ready_reports_no_listener_when_fanout_stays_in_process(client):
    assert client.get("/health/ready").json["fanout_listen"] == {"status": "disabled"}
