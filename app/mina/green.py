"""Make psycopg cooperate with eventlet, so one slow query does not freeze a worker."""
from __future__ import annotations

import os
import sys

# An operator's explicit choice wins (e.g. PSYCOPG_WAIT_FUNC=wait_c to reproduce the freeze).
OPERATOR_CHOICE = os.environ.get("PSYCOPG_WAIT_FUNC")
# psycopg reads this when psycopg.waiting is first imported; without it, psycopg[binary]
# uses its C wait, which blocks the whole eventlet hub for the duration of every query.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")


def eventlet_active() -> bool:
    """Return True when eventlet has monkey-patched the socket module."""
    patcher = sys.modules.get("eventlet.patcher")
    return bool(patcher and patcher.is_monkey_patched("socket"))


def hide_trio_under_eventlet() -> None:
    """Make `import trio` fail cleanly under eventlet.

    httpcore2 (under the openai SDK) imports trio when it is installed; trio's import
    crashes on eventlet's GreenSocket (no sendmsg) with AttributeError, which httpcore2
    does not catch. Trio cannot run inside an eventlet worker anyway.
    """
    if eventlet_active() and "trio" not in sys.modules:
        sys.modules["trio"] = None  # type: ignore[assignment]  (import raises ImportError)


hide_trio_under_eventlet()


def ensure_cooperative_psycopg() -> str:
    """Switch psycopg to a select()-based wait (green under eventlet) if it chose wait_c."""
    from psycopg import waiting

    if (OPERATOR_CHOICE is None and eventlet_active()
            and waiting.wait is getattr(waiting, "wait_c", None)):
        waiting.wait = waiting.wait_select  # psycopg was imported before our default
    return waiting.wait.__name__
