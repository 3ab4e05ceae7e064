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


def clients_on_two_workers(url, cookie, meeting_id, timeout=120.0):
    """Connect clients until two have joined from different worker pids: {pid: client}.

    Which worker accepts is the kernel's choice, and a worker still booting accepts nothing: on a
    busy machine dozens of connections in a row can land on the first. So keep trying until two
    workers answered or timeout (seconds) passed, pausing between tries; not a fixed count.
    """
    by_pid = {}
    deadline = time.monotonic() + timeout
    while len(by_pid) < 2 and time.monotonic() < deadline:
        client = LiveClient(url, cookie)
        pid = client.join(meeting_id)["worker_pid"]
        if pid in by_pid:
            client.sio.disconnect()
            time.sleep(0.2)
        else:
            by_pid[pid] = client
    assert len(by_pid) == 2, f"all connections landed on one worker for {timeout:.0f} s"
    return by_pid
