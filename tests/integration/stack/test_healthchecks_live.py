"""The replica's healthchecks on the engine: fast until healthy, settled after, fast again after a
restart (the marker lives in the container's /dev/shm, which a restart empties)."""
import re
from datetime import datetime, timedelta

from replica.engine import health
from replica.stack.settings import (HEALTH_PROBE_INTERVAL_S, HEALTH_SETTLED_INTERVAL_S,
                                    health_compose_env)

MARKER = "/dev/shm/mina-healthy"


def _container(replica, service):
    (container,) = health.engine_client().containers.list(filters={"label": [
        f"{health.PROJECT_LABEL}={replica.settings.project}", f"{health.SERVICE_LABEL}={service}"]})
    return container


def _when(text: str) -> datetime:
    """The engine's RFC 3339 times (UTC, nanoseconds, trailing zeros dropped) to microseconds."""
    whole, fraction = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?", text).groups()
    return datetime.fromisoformat(whole) + timedelta(microseconds=int((fraction or "0")[:6].ljust(6, "0")))


def test_every_service_probes_at_the_settings_interval_and_is_settled_once_healthy(replica):
    for service in replica.services:
        container = _container(replica, service)
        check = container.attrs["Config"]["Healthcheck"]
        assert check["Interval"] == HEALTH_PROBE_INTERVAL_S * 10**9, service
        assert check["Timeout"] > HEALTH_SETTLED_INTERVAL_S * 10**9, service
        assert check["Test"][:3] == ["CMD", "sh", "-c"], service
        assert container.attrs["State"]["Health"]["Status"] == "healthy", service
        assert container.exec_run(["test", "-e", MARKER]).exit_code == 0, service


def test_a_restarted_service_is_probed_at_once_not_after_the_settled_wait(replica):
    container = _container(replica, "mock-openai")
    container.restart(timeout=1)
    health.wait_healthy(health.engine_client(), replica.settings.project, ["mock-openai"], 120)
    container.reload()
    started = _when(container.attrs["State"]["StartedAt"])
    after = [entry for entry in container.attrs["State"]["Health"]["Log"]
             if _when(entry["Start"]) >= started]
    assert after, container.attrs["State"]["Health"]
    first = after[0]
    # a settled probe sleeps HEALTH_SETTLED_INTERVAL_S first; this one did not
    assert (_when(first["End"]) - _when(first["Start"])).total_seconds() < HEALTH_SETTLED_INTERVAL_S
    assert health_compose_env()["HEALTH_SETTLED_S"] == str(HEALTH_SETTLED_INTERVAL_S)
