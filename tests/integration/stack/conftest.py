"""Fixtures of the stack's live tests: staging.watch running on the test replica."""
from __future__ import annotations

import threading

import pytest

from replica.commands import watch
from tests.support.waiting import wait_until


@pytest.fixture
def start_watch(replica):
    """A starter of staging.watch in a thread on the test replica (its options: migrate), which
    returns the replica once watching has begun; every watch started is stopped when the test ends."""
    started = []

    def start(**options):
        stop, ready = threading.Event(), threading.Event()
        thread = threading.Thread(target=watch.watch, args=(replica.settings,),
                                  kwargs={**options, "stop_event": stop, "ready": ready}, daemon=True)
        thread.start()
        started.append((stop, thread))
        wait_until(ready.is_set, "staging.watch started", timeout=60)
        return replica
    yield start
    for stop, thread in started:
        stop.set()
        thread.join(timeout=60)
