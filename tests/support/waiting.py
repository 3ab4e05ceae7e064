"""Waiting for a condition in tests: poll until it holds or a generous deadline passes (never a
fixed sleep, never a wall-clock assertion)."""
from __future__ import annotations

import time


def wait_until(condition, what: str, timeout: float = 90.0, pause: float = 0.5):
    """Return condition()'s first truthy value; fail naming what did not happen within timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError(f"{what} within {timeout} s")
