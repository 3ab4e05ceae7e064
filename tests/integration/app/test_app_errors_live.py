"""Staging-only behaviour under the real gunicorn command: Sentry reports, WebSocket-only."""
import base64
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import socketio

from mocks import control
from tests.support.gunicorn import StagingGunicorn

SECRET = "a-random-test-secret-of-sufficient-length-123"


def decode(body: bytes, encoding: str) -> bytes:
    """Undo the compression sentry-sdk applies (gzip, or brotli when installed)."""
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli
        return brotli.decompress(body)
    return body


class SentrySink:
    """Accept Sentry envelopes on a loopback port and keep their bodies."""

    def __init__(self):
        self.bodies = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.bodies.append(decode(body, self.headers.get("Content-Encoding", "")))
                self.send_response(200)
                self.end_headers()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://publickey@127.0.0.1:{self.server.server_port}/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def stack(migrated_url, ai):
    sink = SentrySink()
    env = {"DATABASE_URL": migrated_url, "SECRET_KEY": SECRET, "OPENAI_API_KEY": "sk-test",
           "OPENAI_BASE_URL": ai.base_url, "ALLOW_TEST_USERS": "true",
           "SENTRY_DSN": sink.dsn, "SENTRY_ENVIRONMENT": "staging"}
    with StagingGunicorn(env) as server:
        yield server, ai, sink
    sink.server.shutdown()


def test_rate_limit_is_429_and_reaches_sentry(stack):
    server, ai, sink = stack
    http = requests.Session()
    http.post(server.url + "/api/auth/register", timeout=10, json={
        "email": "s@example.com", "username": "sentry", "password": "password123"})
    meeting = http.post(server.url + "/api/meetings", json={"title": "t"}, timeout=10).json()
    sio = socketio.Client(reconnection=False)
    sio.connect(server.url, headers={"Cookie": "session=" + http.cookies["session"]},
                transports=["websocket"], wait_timeout=10)
    audio = base64.b64encode(b"hello, a chunk of audio").decode()  # the mock wants 16+ bytes
    ack = sio.call("audio_chunk", {"meeting_id": meeting["id"], "seq": 0, "audio": audio}, timeout=10)
    sio.disconnect()
    assert ack["ok"], ack
    # the SDK retries once in the app's default config
    control.set_openai_faults(ai.url, sequence=["429", "429"])
    response = http.post(server.url + f"/api/meetings/{meeting['id']}/summary", json={}, timeout=30)
    assert response.status_code == 429 and response.json()["retryable"] is True
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(b"RateLimitError" in b for b in sink.bodies):
        time.sleep(0.2)
    assert any(b"RateLimitError" in b and b'"environment":"staging"' in b for b in sink.bodies)


def test_polling_transport_is_refused(stack):
    server, _, _ = stack
    response = requests.get(server.url + "/socket.io/?EIO=4&transport=polling", timeout=5)
    assert response.status_code == 400


def test_socketio_connect_without_session_is_refused(stack):
    server, _, _ = stack
    sio = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(server.url, transports=["websocket"], wait_timeout=5)


def test_each_audio_chunk_and_each_request_puts_a_trace_of_its_own_on_its_ai_call(stack):
    """Under eventlet too: every audio_chunk in its own transaction (mina/tracing.py), every HTTP
    request in the Flask integration's, so each AI call carries its own `sentry-trace`."""
    server, ai, _sink = stack
    http = requests.Session()
    http.post(server.url + "/api/auth/register", timeout=10, json={
        "email": "t@example.com", "username": "traced", "password": "password123"})
    meeting = http.post(server.url + "/api/meetings", json={"title": "t"}, timeout=10).json()
    sio = socketio.Client(reconnection=False)
    sio.connect(server.url, headers={"Cookie": "session=" + http.cookies["session"]},
                transports=["websocket"], wait_timeout=10)
    for seq in (0, 1):
        audio = base64.b64encode(f"chunk {seq}, some audio to transcribe".encode()).decode()
        assert sio.call("audio_chunk", {"meeting_id": meeting["id"], "seq": seq, "audio": audio}, timeout=30)["ok"]
    sio.disconnect()
    assert http.post(server.url + f"/api/meetings/{meeting['id']}/summary", json={}, timeout=30).status_code == 201
    traces = [entry["trace_id"] for entry in ai.journal() if entry["path"].startswith("/v1/")]
    assert len(traces) == 3 and None not in traces and len(set(traces)) == 3
