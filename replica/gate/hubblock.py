"""The hub-blocking check: does a request sleep without yielding to the eventlet hub?

The app measures it per request from the kernel's accounting and sends it as `X-Hub-Blocked-Ms`
(app/mina/hubblock.py): wall-clock time between greenlet switches minus time on a CPU minus time
waiting for one, so machine load does not enter it. The N+1 check's requests carry it
(querycounts.py asks every read endpoint REPEATS times as two users); an endpoint whose median is
BLOCKING_MS or more blocks on every other request at least, a regression however busy the machine.
A green app blocks ~0 ms: a stray page fault or a GIL hand-off shows in one request, not in half.

    failures, note = judge(grown)      # grown: querycounts.Growth per endpoint
"""
from __future__ import annotations

from .stats import median

HEADER = "X-Hub-Blocked-Ms"  # app/mina/hubblock.py HEADER
BLOCKING_MS = 10.0


def judge(grown) -> tuple[list[str], str]:
    """Return (the endpoints that block the hub, described; a note on the others)."""
    measured = {g.kind: (g.path, [*g.light.blocked_ms, *g.heavy.blocked_ms]) for g in grown}
    measured = {kind: (path, ms) for kind, (path, ms) in measured.items() if ms}
    if not measured:
        return [], (f"hub blocking not measured: the app sent no {HEADER} header (an eventlet "
                    "worker on a kernel with /proc/thread-self/schedstat sends it)")
    blocking = [f"{path} ({kind}) blocks the eventlet hub {median(ms):.1f} ms per request "
                f"(median of {len(ms)}, at most {max(ms):.1f}; threshold {BLOCKING_MS:.0f} ms)"
                for kind, (path, ms) in measured.items() if median(ms) >= BLOCKING_MS]
    worst = max(measured, key=lambda kind: median(measured[kind][1]))
    return blocking, (f"no endpoint blocks the eventlet hub (median ms per request, worst "
                      f"{worst} {median(measured[worst][1]):.1f}, threshold {BLOCKING_MS:.0f})")
