"""Every exit status a task can end with, each with its meaning: the one table the README shows.

    >>> ExitStatus.CONFIG.value, ExitStatus.CONFIG.meaning
    (2, 'bad input: a setting, file, flag or argument (nothing was changed)')
"""
from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """A task's exit status; `meaning` is what the README's table says of it."""

    OK = 0, "success (the gate: every item green or skipped with a reason)"
    FAILED = 1, ("the gate's verdict is red: a checklist item failed (a cached red verdict too); "
                 "a deploy's smoke verdict is red")
    CONFIG = 2, "bad input: a setting, file, flag or argument (nothing was changed)"
    ENGINE = 3, "no usable container engine or Compose, or an image build failed"
    STACK = 4, "the stack is not up, or a service exited or turned unhealthy"
    DATA = 5, ("a database operation failed (reset, seed, load, refresh: an unreachable source, "
               "a truncated or unreadable dump)")
    LEAKS = 6, ("`staging.db.leakcheck` (or `refresh`, on its stream) found values of the original "
                "in the sanitized dump")
    GATE_ITEM = 7, ("the gate could not run an item (no k6, an unreadable baseline) or "
                    "`pre-commit install` failed")
    PUSH_FAILED = 8, ("`staging.promote --push`: the remote refused the push (nothing was tagged or "
                      "merged, here or there)")
    INTERNAL = 70, "a bug in the tooling: one line (STAGING_DEBUG=1 shows the traceback)"
    INTERRUPTED = 130, "interrupted (Ctrl-C), as a shell reports SIGINT"

    def __new__(cls, value: int, meaning: str):
        member = int.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member
