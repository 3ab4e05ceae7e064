"""Rewrite COPY chunks side by side, writing the results in order, a bounded number in flight.

The compiled row loop releases the GIL, so threads share its rewriters at no cost; the
pure-Python loop does not, so without the compiled one chunks go to processes instead (each
builds its own rewriters from the policy and salt, and every chunk is copied there and back).
"""
from __future__ import annotations

from collections import deque
from typing import BinaryIO, Callable

from ..fakes import Fakes
from .policy import Policy
from .rows import copy_rewriter

Rewrite = Callable[[bytes, int], bytes]
_worker: dict = {}


class Workers:
    """A pool of threads (`processes=False`) or processes; results come back in submission order."""

    def __init__(self, policy: Policy, salt: bytes, count: int, processes: bool = False):
        self.processes = processes
        if processes:  # imported here: most runs need neither, and a small dump is done in 0.1 s
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            fork = "fork" in multiprocessing.get_all_start_methods()
            self.pool = ProcessPoolExecutor(count, multiprocessing.get_context("fork" if fork else "spawn"),
                                            initializer=_init, initargs=(policy, salt))
        else:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(count, thread_name_prefix="sanitize")
        self.limit = 2 * count  # chunks in flight: memory stays ~2 x limit MiB
        self.pending: deque = deque()

    def submit(self, dst: BinaryIO, table: str, columns: list[str], rewrite: Rewrite,
               chunk: bytes, first: int) -> None:
        """Queue one chunk; write finished chunks (in order) once too many are in flight."""
        if self.processes:
            future = self.pool.submit(_rewrite, table, tuple(columns), chunk, first)
        else:
            future = self.pool.submit(rewrite, chunk, first)
        self.pending.append(future)
        while len(self.pending) > self.limit:
            dst.write(self.pending.popleft().result())

    def drain(self, dst: BinaryIO) -> None:
        """Write every queued chunk (re-raising a worker's error here)."""
        while self.pending:
            dst.write(self.pending.popleft().result())

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)  # queued chunks are dropped, not run


def _init(policy: Policy, salt: bytes) -> None:
    _worker.update(policy=policy, fakes=Fakes(salt), rewriters={})


def _rewrite(table: str, columns: tuple[str, ...], chunk: bytes, first: int) -> bytes:
    key = (table, columns)
    rewrite = _worker["rewriters"].get(key)
    if rewrite is None:
        rules = _worker["policy"].rules_for(table, list(columns))
        rewrite = _worker["rewriters"][key] = copy_rewriter(table, rules, _worker["fakes"])
    return rewrite(chunk, first)
