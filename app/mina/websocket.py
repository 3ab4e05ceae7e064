"""The Engine.IO server behind Socket.IO: WebSocket only, said clearly; closed once, quietly.

- A client that asks for a transport this app does not serve (Socket.IO clients try long-polling
  first by default) got engineio's bare 400 "Invalid transport" and retried for ever. It now gets a
  400 whose body says to use WebSocket, and the app logs it at WARNING.
- Under eventlet, every WebSocket close logged `socket shutdown error: [Errno 9] Bad file
  descriptor` with no newline (gluing the next log line to it). eventlet's RFC6455WebSocket closes
  its socket itself when the client's close frame arrives; engineio's writer then calls close()
  again, and eventlet's second close writes that to wsgi.errors. The socket is closed once now,
  and what eventlet writes there ends its line.
"""
from __future__ import annotations

import json
import logging
import urllib.parse

log = logging.getLogger(__name__)


def transport_refusal(asked: str, served: list[str]) -> str:
    """The message a client gets (and the log line) for a transport the app does not serve."""
    return (f"transport {asked!r} is not served here: this app serves only "
            f"{' and '.join(served)}: use transports={served!r} "
            "(Socket.IO clients try long-polling first unless told; "
            "python-socketio: `connect(url, transports=['websocket'])`, "
            "socket.io-client: `io({transports: ['websocket']})`)")


def serve_websocket_only(eio) -> None:
    """Answer an unserved transport with what to do; close eventlet WebSockets once."""
    handle_request = eio.handle_request

    def handle(environ, start_response):
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        asked = query.get("transport", ["polling"])[0]   # engineio's own default
        if asked not in eio.transports:
            message = transport_refusal(asked, list(eio.transports))
            log.warning("refused a Socket.IO client from %s: %s",
                        environ.get("REMOTE_ADDR", "?"), message)
            start_response("400 BAD REQUEST", [("Content-Type", "text/plain")])
            return [json.dumps(message).encode()]   # engineio's shape: a JSON string
        return handle_request(environ, start_response)

    eio.handle_request = handle  # engineio's WSGI middleware looks it up per request
    if eio.async_mode == "eventlet":
        eio._async = {**eio._async, "websocket": _eventlet_websocket_closed_once()}


def _eventlet_websocket_closed_once():
    from engineio.async_drivers.eventlet import WebSocketWSGI

    class ClosedOnce(WebSocketWSGI):
        """engineio's eventlet WebSocket, whose ws.close() acts only the first time."""

        def __init__(self, handler, server):
            def handle(ws):
                close_once(ws)
                return handler(ws)
            super().__init__(handle, server)

    return ClosedOnce


def close_once(ws) -> None:
    """Make an eventlet WebSocket's close() act once, and its error writes end their line."""
    close, closed = ws.close, []

    def once(*args, **kwargs):
        if closed:
            return None
        closed.append(True)
        return close(*args, **kwargs)

    ws.close = once   # eventlet's own close on a close frame calls self.close: this one
    ws.log = _Lines(ws.log)


class _Lines:
    """A stream whose writes each end with a newline (eventlet writes bare messages)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        return self.stream.write(text if text.endswith("\n") else text + "\n")

    def __getattr__(self, name):
        return getattr(self.stream, name)
