"""Database outages (a restart, a reset, Neon waking from scale-to-zero): ride them out, then 503.

New connections are retried with a short exponential backoff for a bounded time, as Neon advises
for cold starts ("the compute is starting up", SQLSTATE 57P03, which libpq reports without a
SQLSTATE at connect time) and a restart's "Connection refused". A request whose database is still
unreachable after that, or whose connection died under it (57P01 admin_shutdown, 57P02, 08xxx),
gets a retryable 503 with Retry-After: whether a write in flight was committed is unknown, and the
`Idempotency-Key` header (mina/idempotency.py) makes the retry safe.
"""
from __future__ import annotations

import logging
import time

import psycopg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

CONNECT_RETRY_SECONDS = 3.0  # Neon wakes in a few hundred ms; bounded so a dead database fails fast
FIRST_BACKOFF_S, MAX_BACKOFF_S = 0.05, 0.5
RETRY_AFTER_SECONDS = 1
# Connect failures that no wait will fix (wrong credentials or configuration): not retried.
PERMANENT_CONNECT_ERRORS = ("password authentication failed", "no pg_hba.conf entry",
                            "role \"", "sslmode value", "invalid connection option")
UNAVAILABLE_MESSAGE = "the database is unavailable for a moment (restarting or waking up); retry"


def retry_connects(engine, budget_s: float = CONNECT_RETRY_SECONDS) -> None:
    """Make every new connection of `engine` ride out a database that is starting up."""
    @event.listens_for(engine, "do_connect")
    def connect(dialect, conn_rec, cargs, cparams):
        return connect_with_backoff(lambda: dialect.connect(*cargs, **cparams), budget_s)


def connect_with_backoff(connect, budget_s: float, sleep=time.sleep, clock=time.monotonic):
    """Call `connect` until it succeeds, a permanent error comes, or `budget_s` is spent."""
    deadline, delay, attempt = clock() + budget_s, FIRST_BACKOFF_S, 1
    while True:
        try:
            return connect()
        except psycopg.OperationalError as exc:
            if is_permanent(exc) or clock() + delay > deadline:
                raise
            log.info("database connect attempt %d failed (%s); retrying in %.2fs",
                     attempt, first_line(exc), delay)
        sleep(delay)
        delay, attempt = min(delay * 2, MAX_BACKOFF_S), attempt + 1


def is_permanent(exc: Exception) -> bool:
    message = str(exc)
    return any(marker in message for marker in PERMANENT_CONNECT_ERRORS)


def is_outage(exc: BaseException) -> bool:
    """Return True when `exc` means the database (or a connection to it) is unavailable."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig
    if isinstance(exc, sa_exc.TimeoutError):  # the pool: every connection busy or stuck
        return True
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
