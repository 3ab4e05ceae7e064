"""What a user drives in the smoke suite: the JSON API, a live Socket.IO participant, a browser."""
from __future__ import annotations

import base64
import threading
import time
import uuid
from contextlib import contextmanager

import requests
import socketio

TIMEOUT_S = 30  # generous: on a busy machine (load 30 on 2 cores) a registration took over 10 s
PASSWORD = "smoke-Staging-pass-1"
HOLD_START_S = 0.03  # the holder's first login is being hashed by then
WORKER_LOOKUPS = 8  # new connections tried in search of one that a given worker accepted
AUDIO = base64.b64encode(b"smoke test audio " * 64).decode()


class Api:
    """A logged-in (or not) user of the JSON API, with its own cookie jar."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def call(self, method: str, path: str, body: dict | None = None, **params) -> requests.Response:
        return self.http.request(method, f"{self.base_url}{path}", json=body, params=params or None,
                                 timeout=TIMEOUT_S)

    def register(self) -> dict:
        """Register a fresh test account (reserved example.com domain) and return its fields."""
        tag = uuid.uuid4().hex[:12]
        user = {"email": f"smoke-{tag}@example.com", "username": f"smoke_{tag}",
                "password": PASSWORD}
        response = self.call("POST", "/api/auth/register", user)
        assert response.status_code == 201, f"register: {response.status_code} {response.text[:300]}"
        self.user = user
        return user

    def log_in(self, login: str, password: str) -> None:
        """Log in as an existing user (a fixture user: replica/gate/fixture_users.py)."""
        response = self.call("POST", "/api/auth/login", {"login": login, "password": password})
        assert response.status_code == 200, f"login as {login}: {response.status_code} {response.text[:300]}"
        self.user = {"username": login, "password": password}

    @contextmanager
    def holding_worker(self, pid: int):
        """Keep gunicorn worker `pid` busy while the block runs, so the other one accepts.

        A password hash blocks a worker's eventlet hub (~0.1 s each, back to back over one
        keep-alive connection that this worker accepted), and a blocked hub accepts nothing: a
        connection made meanwhile goes to the other worker. Without a connection on `pid` after a
        few tries, nothing is held (callers retry as before)."""
        session = connection_on_worker(self.base_url, pid)
        if session is None:
            yield
            return
        done = threading.Event()

        def hash_until_done():  # wrong-password logins: a 401 each, no state
            while not done.is_set():
                session.post(f"{self.base_url}/api/auth/login", timeout=TIMEOUT_S,
                             json={"login": self.user["username"], "password": "not-the-password"})

        holder = threading.Thread(target=hash_until_done, daemon=True)
        holder.start()
        time.sleep(HOLD_START_S)
        try:
            yield
        finally:
            done.set()
            holder.join(TIMEOUT_S)
            session.close()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def create_meeting(self, title: str) -> dict:
        response = self.call("POST", "/api/meetings", {"title": title})
        assert response.status_code == 201, f"create meeting: {response.status_code} {response.text[:300]}"
        return response.json()


def connection_on_worker(base_url: str, pid: int) -> requests.Session | None:
    """A session whose keep-alive connection worker `pid` accepted (/version names the worker)."""
    for _ in range(WORKER_LOOKUPS):
        session = requests.Session()
        if session.get(f"{base_url}/version", timeout=TIMEOUT_S).json()["worker_pid"] == pid:
            return session
        session.close()
    return None


class Participant:
    """One Socket.IO client (WebSocket transport only) in a meeting, collecting segment events."""

    def __init__(self, base_url: str, cookie: str):
        self.client = socketio.Client(reconnection=False)
        self.worker_pid: int | None = None
        self.segments: dict[int, dict] = {}
        self.errors: list[dict] = []
        self._changed = threading.Condition()
        self.client.on("welcome", self._on_welcome)
        self.client.on("segment", self._on_segment)
        self.client.on("error", lambda data: self.errors.append(data))
        self.client.connect(base_url, headers={"Cookie": cookie}, transports=["websocket"],
                            wait_timeout=TIMEOUT_S)

    def _on_welcome(self, data):
        self.worker_pid = data.get("worker_pid")

    def _on_segment(self, data):
        with self._changed:
            self.segments[data["seq"]] = data
            self._changed.notify_all()

    def join(self, meeting_id: int) -> dict:
        ack = self.client.call("join", {"meeting_id": meeting_id}, timeout=TIMEOUT_S)
        assert ack and ack.get("ok"), f"join refused: {ack}"
        self.worker_pid = ack.get("worker_pid", self.worker_pid)
        return ack

    def try_chunk(self, meeting_id: int, seq: int) -> dict:
        """Send one audio chunk; return the server's ack, stored or not."""
        return self.client.call("audio_chunk", {"meeting_id": meeting_id, "seq": seq, "audio": AUDIO},
                                timeout=TIMEOUT_S * 2)

    def send_chunk(self, meeting_id: int, seq: int) -> dict:
        ack = self.try_chunk(meeting_id, seq)
        assert ack and ack.get("ok"), f"audio_chunk {seq} refused: {ack}; errors: {self.errors}"
        return ack

    def wait_for(self, seqs: set[int], timeout: float = TIMEOUT_S) -> set[int]:
        """Wait until a segment for every seq arrived; return the seqs still missing."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not seqs <= self.segments.keys() and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
        return seqs - self.segments.keys()

    def close(self):
        self.client.disconnect()


def participants_on_two_workers(base_url: str, cookie: str, hold, attempts: int = 8) -> list[Participant]:
    """Connect two participants that sit on different workers (bounded retries).

    On an idle machine the kernel tends to hand every new connection to the same waiting worker,
    so the second connects while `hold(pid)` keeps the first one's worker busy
    (Api.holding_worker), as real traffic would.
    """
    first = Participant(base_url, cookie)
    _wait_welcome(first)
    with hold(first.worker_pid):
        for _ in range(attempts):
            second = Participant(base_url, cookie)
            _wait_welcome(second)
            if second.worker_pid != first.worker_pid:
                return [first, second]
            second.close()
    first.close()
    raise AssertionError(f"{attempts} WebSocket connections all landed on worker {first.worker_pid}; "
                         "expected gunicorn's 2 workers to share them")


def _wait_welcome(participant: Participant, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while participant.worker_pid is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert participant.worker_pid is not None, "no welcome event (worker_pid) after connecting"
