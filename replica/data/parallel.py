"""Rewrite COPY chunks in worker processes, in order, with a bounded number in flight."""
from __future__ import annotations

import multiprocessing
from collections import deque
from typing import BinaryIO

from .fakes import Fakes
from .policy import Policy
from .rows import copy_rewriter

_worker: dict = {}


def _init(policy: Policy, salt: bytes) -> None:
    _worker.update(policy=policy, fakes=Fakes(salt), rewriters={})


def _rewrite(table: str, columns: tuple[str, ...], chunk: bytes, first: int) -> bytes:
    key = (table, columns)
    rewrite = _worker["rewriters"].get(key)
    if rewrite is None:
        rules = _worker["policy"].rules_for(table, list(columns))
        rewrite = _worker["rewriters"][key] = copy_rewriter(table, rules, _worker["fakes"])
    return rewrite(chunk, first)


class Workers:
    """A pool of processes sharing the policy and salt; results come back in submission order."""

    def __init__(self, policy: Policy, salt: bytes, processes: int):
        context = multiprocessing.get_context("fork" if "fork" in
                                              multiprocessing.get_all_start_methods() else "spawn")
        self.pool = context.Pool(processes, initializer=_init, initargs=(policy, salt))
        self.limit = 2 * processes  # chunks in flight: memory stays ~limit MiB
        self.pending: deque = deque()

    def submit(self, dst: BinaryIO, table: str, columns: list[str], chunk: bytes, first: int) -> None:
        """Queue one chunk; write finished chunks (in order) once too many are in flight."""
        self.pending.append(self.pool.apply_async(_rewrite, (table, tuple(columns), chunk, first)))
        while len(self.pending) > self.limit:
            dst.write(self.pending.popleft().get())

    def drain(self, dst: BinaryIO) -> None:
        """Write every queued chunk (re-raising a worker's error here)."""
        while self.pending:
            dst.write(self.pending.popleft().get())

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()
