"""Performance tracing for work that no HTTP request wraps: each Socket.IO event is a transaction.

sentry-sdk's Flask integration starts a transaction per HTTP request, and its httpx integration puts
that trace on the OpenAI calls made inside it (`sentry-trace`, `baggage`). A Socket.IO handler runs
outside any request, so without its own transaction its OpenAI calls carry no trace at all and an
error it reports cannot be tied to the call that caused it. With SENTRY_DSN unset this costs nothing.
"""
from __future__ import annotations

import functools
from typing import Callable

import sentry_sdk

OP = "websocket.server"  # the op sentry-sdk's own websocket integrations (ASGI, Starlette) use


def traced(event: str) -> Callable:
    """Run a Socket.IO handler in its own Sentry transaction named `socket.io <event>`, in a fresh
    scope, reporting what escapes it in that trace before it reaches Flask-SocketIO's error handler."""
    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def run(*args, **kwargs):
            with sentry_sdk.isolation_scope():
                with sentry_sdk.start_transaction(op=OP, name=f"socket.io {event}", source="component"):
                    try:
                        return handler(*args, **kwargs)
                    except Exception as exc:
                        sentry_sdk.capture_exception(exc)  # in this trace; the logged copy is deduplicated
                        raise
        return run
    return decorate
