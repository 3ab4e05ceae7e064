"""Time a request spent blocking the eventlet hub, measured by the kernel, sent as `X-Hub-Blocked-Ms`.

A call that ignores the green wait (an unpatched sleep, a C driver's own wait) keeps its greenlet
running while the thread sleeps in the kernel: no other request runs meanwhile. Latency shows that
only as noise on a busy machine. The kernel tells it apart: between two greenlet switches, the
thread's wall-clock time is CPU time + time waiting for a CPU (machine load) + time asleep. Only
the hub may sleep (in its poll); a request greenlet's sleep is hub blocking, however loaded the
machine is. `/proc/thread-self/schedstat` gives the first two (ns on CPU, ns on the run queue), so

    blocked = wall - on CPU - waiting for a CPU        (per greenlet, summed between switches)

Installed only in an eventlet worker, and, as X-Query-Count, only in the environments
querycount.ENVIRONMENTS lists (never production). The gate asks every read endpoint a few times and
calls a median of tens of milliseconds a regression (replica/gate/hubblock.py).

    init_app(app)     # in create_app; a no-op outside an eventlet worker
"""
from __future__ import annotations

import os
import time

from flask import Flask, g

from . import green, querycount

HEADER = "X-Hub-Blocked-Ms"
SCHEDSTAT = "/proc/thread-self/schedstat"
_ATTRIBUTE = "mina_hub_blocked_ns"  # on each greenlet: ns it slept without yielding to the hub


class Meter:
    """A greenlet trace function: adds each greenlet's sleep between switches to that greenlet.

    greenlet keeps one trace function per thread, so it runs only in the thread that installed it,
    whose schedstat the fd reads (no thread check: eventlet patches threading.get_ident to name
    the current greenlet, not the thread).
    """

    def __init__(self, hub_greenlet, schedstat_fd: int, previous=None):
        self.hub, self.fd, self.previous = hub_greenlet, schedstat_fd, previous
        self.last = self.sample()

    def sample(self) -> tuple[int, int, int]:
        """(wall ns, ns on CPU, ns waiting for a CPU) of this thread now."""
        on_cpu, waiting = os.pread(self.fd, 64, 0).split()[:2]
        return time.monotonic_ns(), int(on_cpu), int(waiting)

    def __call__(self, event, args):
        if self.previous is not None:
            self.previous(event, args)
        if event not in ("switch", "throw"):
            return
        origin = args[0]
        now = self.sample()
        if origin is not self.hub:
            asleep = (now[0] - self.last[0]) - (now[1] - self.last[1]) - (now[2] - self.last[2])
            if asleep > 0:
                try:
                    setattr(origin, _ATTRIBUTE, getattr(origin, _ATTRIBUTE, 0) + asleep)
                except AttributeError:
                    pass  # a greenlet type without attributes: not a request's
        self.last = now


def blocked_ns() -> int:
    """Nanoseconds the current greenlet has blocked the hub so far."""
    import greenlet

    return getattr(greenlet.getcurrent(), _ATTRIBUTE, 0)


def init_app(app: Flask) -> bool:
    """Meter hub blocking per request and send it on every response (eventlet workers only)."""
    if not (querycount.enabled(app.config["MINA"].flask_env) and green.eventlet_active()):
        return False
    try:
        fd = os.open(SCHEDSTAT, os.O_RDONLY)
    except OSError:
        return False  # a kernel without schedstat: the gate says the header is missing
    import greenlet
    from eventlet import hubs

    previous = greenlet.gettrace()
    if isinstance(previous, Meter):  # a second app in this worker: one meter serves both
        os.close(fd)
    else:
        greenlet.settrace(Meter(hubs.get_hub().greenlet, fd, previous))
    app.before_request(_note_start)
    app.after_request(_send_blocked)
    return True


def _note_start() -> None:
    g.mina_hub_blocked_from = blocked_ns()


def _send_blocked(response):
    blocked = blocked_ns() - g.get("mina_hub_blocked_from", 0)
    response.headers[HEADER] = f"{blocked / 1e6:.1f}"
    return response
