"""Whether a live broadcast reached the other workers, and what participants hear when it did not.

Socket.IO's pub/sub managers (Redis, or PostgreSQL NOTIFY) carry every room broadcast, even to
this worker's own clients; python-socketio's Redis manager logs a failed publish and drops it. A
manager with this mixin lets the caller see the loss (`with manager.tracking() as outcome`), and
when its listener comes back after losing its connection it tells each meeting room on this
worker `segments_missed`, so clients re-join with their `last_seq` and get the gap replayed from
PostgreSQL (mina/live.py). Segments are stored before they are broadcast: none is ever lost, only
its live delivery.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)
ROOM_PREFIX = "meeting:"
MISSED_EVENT = "segments_missed"


@dataclass
class Outcome:
    lost: bool = False


class TracksLostPublishes:
    """Mixin for a python-socketio PubSubManager: call `_publish_lost()` where a publish fails."""

    _tracked = threading.local()  # green-thread local under eventlet's monkey patching

    @contextmanager
    def tracking(self):
        """Yield an Outcome whose `lost` says whether a publish inside the block failed."""
        outcome = Outcome()
        self._tracked.outcome = outcome
        try:
            yield outcome
        finally:
            self._tracked.outcome = None

    def _publish_lost(self) -> None:
        outcome = getattr(self._tracked, "outcome", None)
        if outcome is not None:
            outcome.lost = True

    def announce_missed(self, reason: str) -> int:
        """Tell every meeting room on this worker that broadcasts may have been missed."""
        rooms = [room for room in list(self.rooms.get("/", {}))
                 if isinstance(room, str) and room.startswith(ROOM_PREFIX)]
        for room in rooms:
            self.server.emit(MISSED_EVENT, {"meeting_id": int(room[len(ROOM_PREFIX):]),
                                            "reason": reason}, to=room, ignore_queue=True)
        if rooms:
            log.warning("told %d meeting room(s) they may have missed segments (%s)", len(rooms),
                        reason)
        return len(rooms)
