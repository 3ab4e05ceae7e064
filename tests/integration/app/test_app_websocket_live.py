"""Staging's gunicorn (eventlet): a long-polling Socket.IO client is told to use WebSocket, and a
WebSocket's close leaves the log clean (no `socket shutdown error: [Errno 9]`, no glued lines)."""
import re
import time
import uuid
from pathlib import Path

import pytest
import socketio

from tests.support.gunicorn import StagingGunicorn
from tests.support.live_clients import LiveClient, login



SECRET = "a-random-test-secret-of-sufficient-length-123"


def env_for(url):
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET, "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "ALLOW_TEST_USERS": "true"}


@pytest.fixture
def server(migrated_url):
    with StagingGunicorn(env_for(migrated_url)) as running:
        yield running


def test_a_client_trying_long_polling_is_told_to_use_websocket(server):
    client, told = socketio.Client(reconnection=False), []
    client.on("connect_error", told.append)   # where a Socket.IO client hears the server's reason
    with pytest.raises(socketio.exceptions.ConnectionError) as error:
        client.connect(server.url, transports=["polling"], wait_timeout=5)
    assert len(told) == 1 and "use transports=['websocket']" in told[0]
    assert "use transports=['websocket']" in error.value.__cause__.args[1]
    deadline = time.monotonic() + 5
    while "use transports=['websocket']" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert re.search(r"WARNING .*refused a Socket.IO client .*use transports=\['websocket'\]",
                     server.output()), server.output()


def test_websocket_closes_log_no_shutdown_error_and_no_glued_lines(server):
    cookie, _ = login(server.url, f"closer-{uuid.uuid4().hex[:8]}")
    for _ in range(4):   # over both workers; each connected (LiveClient waits for it)
        LiveClient(server.url, cookie).sio.disconnect()
    time.sleep(2)        # the server's side of each close
    # before the fix: "server=… client=… socket shutdown error: [Errno 9] Bad file descriptorserver=…"
    assert "socket shutdown error" not in Path(server.log.name).read_text()
