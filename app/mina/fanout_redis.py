"""Cross-worker Socket.IO fan-out through Redis that reports lost broadcasts (mina/delivery.py)."""
from __future__ import annotations

import time

from socketio import RedisManager

from .delivery import TracksLostPublishes

MAX_RETRY_SLEEP_S = 2.0  # python-socketio doubles up to 60 s: a 30 s outage then costs a minute more


class RedisFanout(TracksLostPublishes, RedisManager):
    """python-socketio's RedisManager (5.18) that says when a publish or its listener was lost."""

    def _publish(self, data):
        result = super()._publish(data)  # the subscriber count, or None when it gave up
        if result is None:
            self._publish_lost()
        return result

    def _redis_listen_with_retries(self):
        """The parent's loop, with a short retry and `segments_missed` after a reconnect."""
        retry_sleep, subscribed, interrupted = 0.5, False, False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed, retry_sleep = True, 0.5
                    if interrupted:
                        self._get_logger().warning("Redis is back: receiving broadcasts again")
                        self.announce_missed("fanout_interrupted")
                        interrupted = False
                yield from self.pubsub.listen()
            except Exception as exc:  # noqa: BLE001 (what the parent catches too)
                self._get_logger().error(f"Cannot receive from redis... retrying in "
                                         f"{retry_sleep} secs ({exc})")
                subscribed, interrupted = False, True
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, MAX_RETRY_SLEEP_S)
