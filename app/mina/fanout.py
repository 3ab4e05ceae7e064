"""Cross-worker Socket.IO fan-out through PostgreSQL LISTEN/NOTIFY, used when Redis is off."""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from urllib.parse import urlsplit

import psycopg
from socketio.pubsub_manager import PubSubManager

from .delivery import TracksLostPublishes

log = logging.getLogger(__name__)
MAX_NOTIFY_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
CHECK_METHOD = "mina_listen_check"  # other workers' managers ignore a method they do not know
CHECK_TIMEOUT_S = 5.0


def libpq_url(url: str) -> str:
    """Strip SQLAlchemy's driver suffix so psycopg can use the URL directly."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class PostgresManager(TracksLostPublishes, PubSubManager):
    """A python-socketio client manager that relays emits between workers via NOTIFY.

    Needs a direct (session-mode) connection: a transaction-mode pooler takes the LISTEN's server
    connection back and the listener hears nothing. The app gives it DATABASE_DIRECT_URL when set.
    Because a pooler cannot always be told from its URL, each time the listener connects it sends
    itself a NOTIFY and waits CHECK_TIMEOUT_S for it: `listen_status` is "pending" until then,
    "ok" once it came back, and "lost" (logged as an error, and readiness fails) when it did not.
    A check that comes back late still turns "lost" into "ok".
    """

    name = "postgres"

    def __init__(self, url: str, channel: str = "mina_socketio", write_only: bool = False,
                 logger=None):
        super().__init__(channel=channel, write_only=write_only, logger=logger)
        self.url = libpq_url(url)
        self.listen_status = "pending"
        self._pub_conn: psycopg.Connection | None = None
        self._pub_lock = threading.Lock()

    def _publish(self, data):
        payload = json.dumps(data, separators=(",", ":"))
        if len(payload.encode()) > MAX_NOTIFY_BYTES:
            log.error("socket.io message of %d bytes is too big to relay", len(payload))
            return
        with self._pub_lock:
            for attempt in (1, 2):
                try:
                    conn = self._publisher()
                    conn.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
                    return
                except psycopg.OperationalError as exc:
                    self._pub_conn = None
                    if attempt == 2:  # like python-socketio's Redis manager: log, drop, and say so
                        log.error("cannot NOTIFY other workers (%s): broadcast lost", exc)
                        self._publish_lost()

    def _publisher(self) -> psycopg.Connection:
        if self._pub_conn is None or self._pub_conn.closed:
            self._pub_conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        return self._pub_conn

    def _listen(self):
        interrupted = False
        while True:
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    log.info("listening for socket.io messages on %s", self.channel)
                    if interrupted:  # NOTIFYs sent meanwhile were not heard here
                        self.announce_missed("fanout_interrupted")
                        interrupted = False
                    yield from self._checked_notifies(conn)
            except psycopg.Error as exc:
                log.warning("LISTEN connection lost (%s); reconnecting", exc)
                interrupted = True
                time.sleep(1)  # eventlet patches time.sleep

    def _checked_notifies(self, conn: psycopg.Connection):
        """Yield the payloads LISTEN receives, after sending the listener a check of its own."""
        nonce = uuid.uuid4().hex
        self.listen_status = "pending"
        with self.tracking() as outcome:
            self._publish({"method": CHECK_METHOD, "host_id": self.host_id, "nonce": nonce})
        if outcome.lost:  # reconnect and check again rather than wait for a NOTIFY never sent
            raise psycopg.OperationalError("could not NOTIFY the listener's own check")
        first = conn.notifies(timeout=CHECK_TIMEOUT_S)
        try:
            for notify in first:
                if self._is_check(notify.payload, nonce):
                    self._heard_check()
                    break
                yield notify.payload
            else:
                self._missed_check()
        finally:
            first.close()  # releases the connection's lock before the endless wait below
        for notify in conn.notifies():
            if self._is_check(notify.payload, nonce):
                self._heard_check()
            else:
                yield notify.payload

    def _is_check(self, payload: str, nonce: str) -> bool:
        return CHECK_METHOD in payload and f'"nonce":"{nonce}"' in payload

    def _heard_check(self) -> None:
        if self.listen_status == "lost":
            log.warning("LISTEN on %s works after all: cross-worker broadcasts flow again",
                        self._host())
        self.listen_status = "ok"

    def _missed_check(self) -> None:
        self.listen_status = "lost"
        log.error(
            "LISTEN on %s did not receive this worker's own NOTIFY within %.0f s: cross-worker "
            "Socket.IO broadcasts are being LOST. Is this a transaction-mode pooler (PgBouncer, "
            "Neon's -pooler host)? Set DATABASE_DIRECT_URL to a direct database connection, "
            "or set REDIS_URL.", self._host(), CHECK_TIMEOUT_S)

    def _host(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or 5432}"
