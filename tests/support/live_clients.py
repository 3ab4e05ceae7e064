"""Socket.IO clients of a running app (StagingGunicorn), as browsers on its live page would be."""
from __future__ import annotations

import threading
import time

import requests
import socketio


class LiveClient:
    """A logged-in Socket.IO client over WebSocket only, recording segments and hints."""

    def __init__(self, url, cookie):
        self.segments, self.missed, self.got = [], [], threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("segment", self._on_segment)
        self.sio.on("segments_missed", self.missed.append)
        self.sio.connect(url, headers={"Cookie": cookie}, transports=["websocket"],
                         wait_timeout=10)

    def _on_segment(self, data):
        self.segments.append(data)
        self.got.set()

    def join(self, meeting_id, **extra):
        return self.sio.call("join", {"meeting_id": meeting_id, **extra}, timeout=10)

    def wait_for(self, condition, timeout=10.0) -> bool:
        """Wait until condition() is true (polling); return whether it became true."""
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        return bool(condition())


def login(url, name="live"):
    """Register a user and create a meeting; return (cookie header value, meeting id)."""
    session = requests.Session()
    response = session.post(url + "/api/auth/register", timeout=10, json={
        "email": f"{name}@example.com", "username": name, "password": "password123"})
    assert response.status_code == 201
    meeting = session.post(url + "/api/meetings", json={"title": "x"}, timeout=10).json()
    return "session=" + session.cookies["session"], meeting["id"]


def clients_on_two_workers(url, cookie, meeting_id, attempts=30):
    """Connect clients until two have joined from different worker pids: {pid: client}."""
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
