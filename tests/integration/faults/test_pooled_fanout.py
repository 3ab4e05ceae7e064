"""Redis off behind the pooler: broadcasts still cross gunicorn workers, over DATABASE_DIRECT_URL.

A replica of its own runs `redis-off` + `pooled`: DATABASE_URL goes through PgBouncer in transaction
mode, where LISTEN hears nothing, so the app's fan-out must LISTEN on the direct URL to `db`. Each
worker checks its LISTEN when it boots, so readiness tells before any Socket.IO client connects.
"""
import time

import pytest
import requests

from replica.stack import plan as stack_module
from replica.commands import down, up
from replica.core.errors import StackUnhealthyError
from tests.e2e.clients import Api, participants_on_two_workers
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
PROFILES = ["redis-off", "pooled"]


@pytest.fixture(scope="module")
def pooled(replica_settings):
    settings = replica_settings("fanout")
    yield settings
    down.down(settings, volumes=True)


def segment_on_the_other_worker(base_url: str) -> tuple[set[int], set[int]]:
    """Send a chunk from one worker's client; return what the other's missed, and both pids."""
    user = Api(base_url)
    user.register()
    meeting_id = user.create_meeting("Pooled fan-out")["id"]
    sender, receiver = participants_on_two_workers(base_url, user.cookie_header(),
                                                   hold=user.holding_worker)
    try:
        sender.join(meeting_id)
        receiver.join(meeting_id)
        sender.send_chunk(meeting_id, 0)
        return receiver.wait_for({0}), {sender.worker_pid, receiver.worker_pid}
    finally:
        sender.close()
        receiver.close()


def listen_statuses(base_url: str, until: str, timeout: float = 15) -> dict[int, str]:
    """Ask /health/ready until a worker reports the fan-out listener `until`; {pid: status}."""
    seen, deadline = {}, time.monotonic() + timeout
    while until not in seen.values() and time.monotonic() < deadline:
        body = requests.get(base_url + "/health/ready", timeout=10).json()
        seen[body["worker_pid"]] = body["fanout_listen"]["status"]
        time.sleep(0.2)
    return seen


def readiness_of_both_workers(base_url: str) -> dict[int, tuple[int, str]]:
    """Ask /health/ready until both workers answered; {pid: (HTTP status, fanout_listen)}.

    Until a deadline with a pause between asks, not a count in a row: on a busy machine 40 answers
    in a row all came from one worker while the other was still booting (a clean-clone CI failed).
    """
    seen = {}

    def both_answered() -> bool:
        answer = requests.get(base_url + "/health/ready", timeout=10)
        seen[answer.json()["worker_pid"]] = (answer.status_code,
                                             answer.json()["fanout_listen"]["status"])
        return len(seen) == 2

    wait_until(both_answered, "both gunicorn workers answered /health/ready", timeout=120.0)
    return seen


def test_a_broadcast_reaches_the_client_on_the_other_worker(pooled):
    stack = up.up(pooled, profiles=PROFILES)
    ready = readiness_of_both_workers(stack.url("app"))  # right after up: no Socket.IO client yet
    assert list(ready.values()) == [(200, "ok")] * 2, ready
    assert "redis" not in stack.services and "pgbouncer" in stack.services
    assert stack.app_env["DATABASE_URL"].split("@")[1].startswith("pgbouncer:6432/")
    assert stack.app_env["DATABASE_DIRECT_URL"].split("@")[1].startswith("db:5432/")
    missed, pids = segment_on_the_other_worker(stack.url("app"))
    assert len(pids) == 2 and missed == set(), "the other worker's client never got the segment"
    assert "ok" in listen_statuses(stack.url("app"), until="ok").values()


@pytest.fixture(scope="module")
def without_direct_url(pooled):
    """The replica as staging would run without DATABASE_DIRECT_URL: (its stack, why `up` failed)."""
    with pytest.raises(StackUnhealthyError) as error:
        up.up(pooled, profiles=PROFILES, env={"DATABASE_DIRECT_URL": ""}, timeout=180)
    stack = stack_module.load(pooled)  # up failed, but its containers still run
    assert stack.app_env["DATABASE_DIRECT_URL"] == ""
    return stack, str(error.value)


def test_without_the_direct_url_up_fails_and_readiness_says_why(without_direct_url):
    stack, failure = without_direct_url
    assert "service app is unhealthy" in failure
    assert '"fanout_listen":{"status":"lost"}' in failure  # the healthcheck's body, in diagnostics
    ready = readiness_of_both_workers(stack.url("app"))  # no Socket.IO client has connected
    assert list(ready.values()) == [(503, "lost")] * 2, ready


def test_without_the_direct_url_broadcasts_are_lost_and_readiness_says_so(without_direct_url):
    stack, _ = without_direct_url
    missed, _ = segment_on_the_other_worker(stack.url("app"))
    assert missed == {0}
    assert "lost" in listen_statuses(stack.url("app"), until="lost").values()
    answer = requests.get(stack.url("app") + "/health/ready", timeout=10)  # both workers check
    assert answer.status_code == 503 and answer.json()["fanout_listen"] == {"status": "lost"}
