"""Cross-worker Socket.IO fan-out through PostgreSQL LISTEN/NOTIFY, used when Redis is off."""
from __future__ import annotations

import json
import logging
import threading
import time

import psycopg
from socketio.pubsub_manager import PubSubManager

log = logging.getLogger(__name__)
MAX_NOTIFY_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more


def libpq_url(url: str) -> str:
    """Strip SQLAlchemy's driver suffix so psycopg can use the URL directly."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class PostgresManager(PubSubManager):
    """A python-socketio client manager that relays emits between workers via NOTIFY.

    Needs a direct (session-mode) connection: a transaction-mode pooler drops LISTEN.
    """

    name = "postgres"

    def __init__(self, url: str, channel: str = "mina_socketio", write_only: bool = False,
                 logger=None):
        super().__init__(channel=channel, write_only=write_only, logger=logger)
        self.url = libpq_url(url)
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
                except psycopg.OperationalError:
                    self._pub_conn = None
                    if attempt == 2:
                        raise

    def _publisher(self) -> psycopg.Connection:
        if self._pub_conn is None or self._pub_conn.closed:
            self._pub_conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        return self._pub_conn

    def _listen(self):
        while True:
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    log.info("listening for socket.io messages on %s", self.channel)
                    for notify in conn.notifies():
                        yield notify.payload
            except psycopg.Error as exc:
                log.warning("LISTEN connection lost (%s); reconnecting", exc)
                time.sleep(1)  # eventlet patches time.sleep
