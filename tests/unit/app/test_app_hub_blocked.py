"""X-Hub-Blocked-Ms: the time a request slept without yielding to the eventlet hub, from the kernel."""
import os
import time

import eventlet
import greenlet
import pytest
from eventlet import hubs

from mina import green, hubblock


@pytest.fixture
def meter():
    """A meter on this thread's eventlet hub, removed after the test."""
    previous = greenlet.gettrace()
    fd = os.open(hubblock.SCHEDSTAT, os.O_RDONLY)
    meter = hubblock.Meter(hubs.get_hub().greenlet, fd, previous)
    greenlet.settrace(meter)
    yield meter
    greenlet.settrace(previous)
    os.close(fd)


def run_green(work) -> float:
    """Run work() in a green thread; return the ms it blocked the hub."""
    def measured():
        work()
        return hubblock.blocked_ns() / 1e6
    return eventlet.spawn(measured).wait()


def test_a_sleep_that_ignores_the_green_wait_is_counted_in_full(meter, monkeypatch):
    import threading

    # as under eventlet's monkey-patching in a gunicorn worker: get_ident names the greenlet
    monkeypatch.setattr(threading, "get_ident", lambda: id(greenlet.getcurrent()))
    real_sleep = eventlet.patcher.original("time").sleep
    blocked = run_green(lambda: (eventlet.sleep(0.01), real_sleep(0.05), eventlet.sleep(0.01)))
    assert blocked >= 45


def test_a_green_sleep_and_cpu_work_block_nothing_however_long_they_take(meter):
    def green_and_busy():
        eventlet.sleep(0.1)  # the hub sleeps in its poll: that is not blocking
        until = time.monotonic() + 0.1
        while time.monotonic() < until:  # on CPU or waiting for one: not asleep
            pass
    assert run_green(green_and_busy) < 20


def test_outside_an_eventlet_worker_nothing_is_installed_and_no_header_is_sent(client):
    assert not green.eventlet_active()
    assert client.application.extensions["mina.hub_blocked"] is False
    assert hubblock.HEADER not in client.get("/health").headers


def test_in_an_eventlet_worker_every_response_says_how_long_it_blocked(make_app, monkeypatch):
    previous = greenlet.gettrace()
    monkeypatch.setattr(green, "eventlet_active", lambda: True)
    try:
        app = make_app()
        assert app.extensions["mina.hub_blocked"] is True
        assert float(app.test_client().get("/health").headers[hubblock.HEADER]) >= 0
    finally:
        greenlet.settrace(previous)

