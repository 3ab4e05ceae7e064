"""Neon's compute as the proxy sees it: awake, suspended after idle time, and waking on demand."""
from __future__ import annotations

import time
from typing import Callable


class Compute:
    """Scale-to-zero bookkeeping; the proxy calls touch() on traffic and admit() per new session.

    Neon suspends a compute when no query has run for 5 minutes (idle connections do not keep it
    awake; an idle-in-transaction one does) and closes the open connections; the next connection
    wakes it, which takes a few hundred milliseconds.

    The compute is awake at start and its idle clock starts with the first traffic: a stack's
    one-shot migration must not race the timer while the other services are still starting.
    """

    def __init__(self, idle_s: float, cold_start_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.idle_s, self.cold_start_s, self.clock = idle_s, cold_start_s, clock
        self.last_activity: float | None = None  # no traffic yet
        self.wakes_at: float | None = None  # set while waking up
        self.suspended = False
        self.suspensions = 0

    @property
    def enabled(self) -> bool:
        return self.cold_start_s > 0

    def touch(self) -> None:
        """Record traffic on a session."""
        self.last_activity = self.clock()

    def should_suspend(self, busy: bool) -> bool:
        """Whether an awake compute has been idle long enough (busy: a session is in a transaction)."""
        if (not self.enabled or self.suspended or self.wakes_at is not None or busy
                or self.last_activity is None):
            return False
        return self.clock() - self.last_activity >= self.idle_s

    def suspend(self) -> None:
        self.suspended = True
        self.suspensions += 1

    def admit(self) -> float:
        """Return 0 if a new session may start now, else the seconds until the compute is awake."""
        now = self.clock()
        if self.wakes_at is not None:
            if now < self.wakes_at:
                return self.wakes_at - now
            self.wakes_at, self.last_activity = None, now
        elif self.suspended:
            self.suspended = False
            self.wakes_at = now + self.cold_start_s
            return self.cold_start_s
        return 0.0
