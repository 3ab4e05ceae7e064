"""The stack as a user sees it: up, status, loopback-only ports, staging's gunicorn, down."""
import subprocess

import pytest
import requests

from replica.engine import health
from replica.commands import down, service, status, up
from replica.core.errors import ConfigError, StackUnhealthyError, UnknownServiceError
from replica.engine.compose import Compose

pytestmark = pytest.mark.stack


def test_status_lists_every_service_healthy_on_loopback(replica):
    report = status.status(replica.settings)
    assert report["up"] is True
    assert set(report["services"]) == {"app", "db", "redis", "mock-openai", "error-sink"}
    for name, info in report["services"].items():
        assert info["health"] == "healthy", name
        assert "127.0.0.1:" in info["url"], name


def test_ports_are_published_on_127_0_0_1_only(replica):
    client = health.engine_client()
    containers = client.containers.list(
        filters={"label": f"{health.PROJECT_LABEL}={replica.settings.project}"})
    bindings = [b for c in containers for bs in (c.attrs["NetworkSettings"]["Ports"] or {}).values()
                if bs for b in bs]
    assert bindings and {b["HostIp"] for b in bindings} == {"127.0.0.1"}


def test_redis_answers_only_with_the_replicas_password(replica):
    import redis

    port = replica.ports["redis"]
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port, socket_timeout=5).ping()
    assert redis.Redis.from_url(replica.url("redis"), socket_timeout=5).ping()
    # redis-cli inside the container (the healthcheck, `staging.redis-cli`) authenticates by itself
    done = Compose(replica.settings).run("exec", "-T", "redis", "redis-cli", "ping")
    assert done.stdout.strip() == "PONG"
    client = health.engine_client()
    (container,) = client.containers.list(filters={"label": [
        f"{health.PROJECT_LABEL}={replica.settings.project}", f"{health.SERVICE_LABEL}=redis"]})
    password = replica.compose_env["REDIS_PASSWORD"]
    assert all(password not in p[-1] for p in container.top()["Processes"])  # not in `ps`


def test_the_app_runs_staging_gunicorn_with_two_eventlet_workers(replica):
    client = health.engine_client()
    (app,) = client.containers.list(filters={"label": [
        f"{health.PROJECT_LABEL}={replica.settings.project}", f"{health.SERVICE_LABEL}=app"]})
    processes = [p for p in app.top(ps_args="-eo pid,ppid,args")["Processes"] if "gunicorn" in p[2]]
    master = [p for p in processes if p[1] not in {q[0] for q in processes}]
    workers = [p for p in processes if p[1] == master[0][0]]
    assert len(master) == 1 and len(workers) == 2
    assert "--worker-class eventlet" in master[0][2] and "--workers 2" in master[0][2]


def test_the_app_is_ready_with_database_and_redis(replica):
    ready = requests.get(replica.url("app") + "/health/ready", timeout=5)
    assert ready.status_code == 200
    body = ready.json()
    assert "database" in body and "redis" in body


def test_a_first_up_leaves_the_default_fixtures_loaded_so_reset_works_at_once(replica):
    from replica.data.db.reset import fixtures_loaded, reset

    from tests.support.waiting import wait_until

    assert fixtures_loaded(replica.url("db"))
    reset(replica.url("db"))
    wait_until(lambda: requests.get(replica.url("app") + "/health/ready", timeout=5).status_code == 200,
               "the app ready (migrations at head) after a reset to the first up's fixtures")


def test_up_again_is_a_no_op(replica, capsys):
    up.up(replica.settings)
    assert "already up" in capsys.readouterr().out


def test_up_repairs_a_half_up_replica(replica):
    client = health.engine_client()
    (mock,) = client.containers.list(filters={"label": [
        f"{health.PROJECT_LABEL}={replica.settings.project}", f"{health.SERVICE_LABEL}=mock-openai"]})
    mock.stop(timeout=1)
    assert status.status(replica.settings)["up"] is False
    up.up(replica.settings)
    assert status.status(replica.settings)["up"] is True


def test_an_unknown_service_lists_the_real_ones(replica):
    with pytest.raises(UnknownServiceError) as error:
        service.logs(replica.settings, "postgres", follow=False, tail=5)
    assert "db" in error.value.hint


def test_a_second_replica_runs_beside_the_first_without_redis(replica, replica_settings):
    other = replica_settings("side")
    try:
        stack = up.up(other, profiles=["redis-off"], seed=False)
        assert "redis" not in stack.services
        from replica.data.db.reset import fixtures_loaded
        assert not fixtures_loaded(stack.url("db"))  # --no-seed: none loaded
        assert set(stack.ports.values()).isdisjoint(replica.ports.values())
        ready = requests.get(stack.url("app") + "/health/ready", timeout=5).json()
        assert "disabled" in str(ready["redis"]).lower()
        assert status.status(replica.settings)["up"] is True
    finally:
        removed = down.down(other, volumes=True)
    assert removed["containers"] and removed["volumes"]
    assert status.status(other)["up"] is False


def test_a_failing_app_stops_the_wait_and_shows_its_logs(replica_settings):
    broken = replica_settings("broken")
    try:  # a DSN the app's settings accept and sentry-sdk refuses when the app starts
        with pytest.raises(StackUnhealthyError) as error:
            up.up(broken, env={"SENTRY_DSN": "https://no-key-here"}, timeout=120)
        message = str(error.value)
        assert "migrate" in message or "app" in message
        assert "BadDsn" in message  # the app's own start-up error, from its log lines
    finally:
        down.down(broken, volumes=True)


def test_an_environment_the_app_refuses_stops_up_before_anything_starts(replica_settings):
    broken = replica_settings("refused")
    try:
        with pytest.raises(ConfigError, match="FLASK_ENV"):
            up.up(broken, env={"FLASK_ENV": "production"}, timeout=120)
        started = subprocess.run(["docker", "ps", "-aq", "--filter",
                                  f"label=com.docker.compose.project={broken.project}"],
                                 capture_output=True, text=True, check=True).stdout.split()
        assert started == []
    finally:
        down.down(broken, volumes=True)
