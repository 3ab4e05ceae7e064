"""Two Socket.IO clients on the two gunicorn workers both get every segment."""
import base64
import threading
import time

import pytest
import requests
import socketio

from tests.support.fake_openai import FakeOpenAI
from tests.support.gunicorn import StagingGunicorn

SECRET = "a-random-test-secret-of-sufficient-length-123"


class LiveClient:
    """A logged-in Socket.IO client over WebSocket only, recording segments."""

    def __init__(self, url, cookie):
        self.segments, self.got = [], threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("segment", self._on_segment)
        self.sio.connect(url, headers={"Cookie": cookie}, transports=["websocket"],
                         wait_timeout=10)

    def _on_segment(self, data):
        self.segments.append(data)
        self.got.set()

    def join(self, meeting_id):
        return self.sio.call("join", {"meeting_id": meeting_id}, timeout=10)


def login(url):
    session = requests.Session()
    response = session.post(url + "/api/auth/register", timeout=10, json={
        "email": "live@example.com", "username": "live", "password": "password123"})
    assert response.status_code == 201
    meeting = session.post(url + "/api/meetings", json={"title": "x"}, timeout=10).json()
    return "session=" + session.cookies["session"], meeting["id"]


def clients_on_two_workers(url, cookie, meeting_id, attempts=30):
    """Connect clients until two have joined from different worker pids."""
    by_pid, spare = {}, []
    for _ in range(attempts):
        client = LiveClient(url, cookie)
        pid = client.join(meeting_id)["worker_pid"]
        if pid in by_pid:
            spare.append(client)
        else:
            by_pid[pid] = client
        if len(by_pid) == 2:
            break
    for client in spare:
        client.sio.disconnect()
    assert len(by_pid) == 2, "all connections landed on one worker"
    return by_pid


@pytest.mark.parametrize("mode", ["redis", "postgres"])
def test_segments_reach_clients_on_both_workers(mode, migrated_url, redis_url):
    env = {"DATABASE_URL": migrated_url, "SECRET_KEY": SECRET, "OPENAI_API_KEY": "sk-test",
           "ALLOW_TEST_USERS": "true", "REDIS_URL": redis_url if mode == "redis" else ""}
    with FakeOpenAI() as ai, StagingGunicorn({**env, "OPENAI_BASE_URL": ai.base_url}) as server:
        assert requests.get(server.url + "/health/ready", timeout=5).json()["fanout"] == mode
        cookie, meeting_id = login(server.url)
        clients = clients_on_two_workers(server.url, cookie, meeting_id)
        (pid_a, a), (pid_b, b) = clients.items()
        for seq in range(3):
            audio = base64.b64encode(f"words {seq}".encode()).decode()
            ack = a.sio.call("audio_chunk", {"meeting_id": meeting_id, "seq": seq,
                                             "audio": audio}, timeout=10)
            assert ack["ok"], (ack, server.output())
        for client in (a, b):
            deadline = time.monotonic() + 10
            while len(client.segments) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            client.sio.disconnect()
    assert [s["text"] for s in a.segments] == ["words 0", "words 1", "words 2"]
    assert [s["text"] for s in b.segments] == [s["text"] for s in a.segments]
    assert {s["worker_pid"] for s in b.segments} == {pid_a} != {pid_b}
