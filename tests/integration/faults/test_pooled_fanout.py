"""Redis off behind the pooler: broadcasts still cross gunicorn workers, over DATABASE_DIRECT_URL.

A replica of its own runs `redis-off` + `pooled`: DATABASE_URL goes through PgBouncer in transaction
mode, where LISTEN hears nothing, so the app's fan-out must LISTEN on the direct URL to `db`.
"""
import time

import pytest
import requests

from replica.commands import down, up
from tests.e2e.clients import Api, participants_on_two_workers

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
                                                   busy=user.busy_a_worker)
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


def test_a_broadcast_reaches_the_client_on_the_other_worker(pooled):
    stack = up.up(pooled, profiles=PROFILES)
    assert "redis" not in stack.services and "pgbouncer" in stack.services
    assert stack.app_env["DATABASE_URL"].split("@")[1].startswith("pgbouncer:6432/")
    assert stack.app_env["DATABASE_DIRECT_URL"].split("@")[1].startswith("db:5432/")
    missed, pids = segment_on_the_other_worker(stack.url("app"))
    assert len(pids) == 2 and missed == set(), "the other worker's client never got the segment"
    assert "ok" in listen_statuses(stack.url("app"), until="ok").values()


def test_without_the_direct_url_broadcasts_are_lost_and_readiness_says_so(pooled):
    stack = up.up(pooled, profiles=PROFILES, env={"DATABASE_DIRECT_URL": ""})
    assert stack.app_env["DATABASE_DIRECT_URL"] == ""
    missed, _ = segment_on_the_other_worker(stack.url("app"))
    assert missed == {0}
    assert "lost" in listen_statuses(stack.url("app"), until="lost").values()
    answer = requests.get(stack.url("app") + "/health/ready", timeout=10)  # both workers check
    assert answer.status_code == 503 and answer.json()["fanout_listen"] == {"status": "lost"}
