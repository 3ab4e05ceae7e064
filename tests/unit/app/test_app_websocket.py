"""Socket.IO is WebSocket only: an unserved transport is told what to do; closes are quiet.

The live counterparts (staging's gunicorn, python-socketio's client) are in
tests/integration/app/test_app_websocket_live.py.
"""
from __future__ import annotations

import io
import json
import logging
import socket

import engineio
import pytest
from eventlet.websocket import RFC6455WebSocket

from mina.websocket import close_once, serve_websocket_only

# a client's close frame (status 1000), masked with a zero key as RFC 6455 asks of clients
CLIENT_CLOSE = b"\x88\x82\x00\x00\x00\x00\x03\xe8"


def test_a_polling_client_is_told_to_use_websocket_and_it_is_logged(client, caplog):
    with caplog.at_level(logging.WARNING, logger="mina.websocket"):
        answer = client.get("/socket.io/?EIO=4&transport=polling")
    assert answer.status_code == 400
    message = json.loads(answer.data)
    assert "use transports=['websocket']" in message and "'polling'" in message
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "use transports=['websocket']" in warnings[0].getMessage()


def test_no_transport_named_is_engineios_polling_default_and_refused_alike(client):
    answer = client.get("/socket.io/?EIO=4")
    assert answer.status_code == 400 and "use transports=['websocket']" in json.loads(answer.data)


def test_a_websocket_request_still_reaches_engineio(client, caplog):
    with caplog.at_level(logging.WARNING):
        answer = client.get("/socket.io/?EIO=4&transport=websocket")   # without upgrade headers
    assert not [r for r in caplog.records if r.name == "mina.websocket"]   # not ours to refuse
    assert [r for r in caplog.records if "Invalid websocket upgrade" in r.getMessage()]
    assert answer.status_code == 400 and b"use transports" not in answer.data


@pytest.fixture
def server_side():
    """An eventlet RFC 6455 WebSocket on one end of a socket pair, its wsgi.errors a buffer."""
    ours, peer = socket.socketpair()
    errors = io.StringIO()
    ws = RFC6455WebSocket(ours, {"wsgi.errors": errors}, version=13)
    yield ws, peer, errors
    peer.close()


def engineio_handler(ws):
    """What engineio's websocket handler does at a client's close: wait() sees it, then close()."""
    assert ws.wait() is None   # the close frame: eventlet answers it and closes the socket
    ws.close()                 # engineio's writer task, once the queue ends


def test_eventlets_second_close_wrote_a_bad_file_descriptor_error(server_side):
    ws, peer, errors = server_side
    peer.sendall(CLIENT_CLOSE)
    engineio_handler(ws)
    assert "socket shutdown error: [Errno 9] Bad file descriptor" in errors.getvalue()
    assert not errors.getvalue().endswith("\n")   # and glued the next log line to it


def test_a_websocket_closed_by_its_client_is_closed_once_and_logs_nothing(server_side):
    ws, peer, errors = server_side
    close_once(ws)
    peer.sendall(CLIENT_CLOSE)
    engineio_handler(ws)
    assert errors.getvalue() == ""
    assert peer.recv(16)[:1] == b"\x88"   # the client still got its closing frame


def test_what_eventlet_writes_to_wsgi_errors_ends_its_line(server_side):
    ws, _, errors = server_side
    close_once(ws)
    ws.log.write("server=x client=y socket shutdown error: [Errno 32] Broken pipe")
    assert errors.getvalue().endswith("Broken pipe\n")


def test_the_eventlet_server_hands_engineio_a_websocket_closed_once(server_side):
    eio = engineio.Server(async_mode="eventlet", transports=["websocket"])
    serve_websocket_only(eio)
    ws, peer, errors = server_side
    wsgi = eio._async["websocket"](engineio_handler, eio)
    peer.sendall(CLIENT_CLOSE)
    wsgi.handler(ws)
    assert errors.getvalue() == ""
