"""A bounded, adaptive CPU load for benches that must run on a busy machine (bench/gate_noise.py).

It steers the machine's 1-minute load average towards `target` with busy processes of its own:
every STEP_S it reads the load average, takes its own running processes off it to estimate the
others' load, and starts or ends one process to close the gap. Bounded three ways: at most `most`
processes at once, each ends by itself after `seconds`, and none runs inside a pause window
(`pauses`, UTC) or after `until`, so other people's measurements at a set time see a quiet machine.
Everything it started is killed when the `with` block ends. `samples` keeps (time, load, own
processes) for the runs' records.

    with CpuLoad(target=8, most=8, seconds=3600, pauses=[window("19:15-19:30")]) as cpu:
        ...
        cpu.during(started, ended)   # {"load_1m": [min, max], "own_procs": [min, max]}
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

STEP_S = 10
BUSY_LOOP = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"


def window(text: str) -> tuple[datetime, datetime]:
    """Parse `HH:MM-HH:MM` (UTC, today; the end may be after midnight) into (start, end)."""
    try:
        start, end = (datetime.strptime(part.strip(), "%H:%M").time() for part in text.split("-"))
    except ValueError:
        raise SystemExit(f"pause window {text!r}: write it as HH:MM-HH:MM (UTC), e.g. 19:15-19:30")
    today = datetime.now(timezone.utc).date()
    begin = datetime.combine(today, start, timezone.utc)
    finish = datetime.combine(today, end, timezone.utc)
    return begin, finish if finish > begin else finish + timedelta(days=1)


def paused(pauses, at: datetime, ahead_s: float = 0) -> tuple[datetime, datetime] | None:
    """The pause window that `at` (or anything up to `ahead_s` after it) falls into, if any."""
    for begin, end in pauses:
        if at < end and at + timedelta(seconds=ahead_s) > begin:
            return begin, end
    return None


class CpuLoad:
    """Busy processes that keep the load average near `target` (see the module's docstring)."""

    def __init__(self, target: float, most: int, seconds: float, pauses=(), until=None):
        self.target, self.most, self.seconds = target, most, seconds
        self.pauses, self.until = list(pauses), until
        self.busy: list[subprocess.Popen] = []
        self.samples: list[tuple[float, float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._steer, daemon=True)

    def __enter__(self) -> "CpuLoad":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2 * STEP_S)
        for process in self.busy:
            process.kill()
        for process in self.busy:
            process.wait()
        self.busy.clear()

    def wanted(self, load_1m: float, own: int, now: datetime) -> int:
        """How many processes of its own to run now: one step towards the target, within bounds."""
        if paused(self.pauses, now) or (self.until and now >= self.until):
            return 0
        others = max(0.0, load_1m - own)
        goal = max(0, min(self.most, round(self.target - others)))
        return own + (goal > own) - (goal < own)

    def _steer(self) -> None:
        while not self._stop.is_set():
            self.busy = [p for p in self.busy if p.poll() is None]
            load_1m = os.getloadavg()[0]
            self.samples.append((time.time(), round(load_1m, 2), len(self.busy)))
            want = self.wanted(load_1m, len(self.busy), datetime.now(timezone.utc))
            while len(self.busy) < want:
                self.busy.append(subprocess.Popen(
                    [sys.executable, "-c", BUSY_LOOP.format(seconds=self.seconds)]))
            while len(self.busy) > want:
                process = self.busy.pop()
                process.kill()
                process.wait()
            self._stop.wait(STEP_S)

    def during(self, started: float, ended: float) -> dict:
        """The load average and own processes sampled between two time.time() values."""
        inside = [s for s in self.samples if started <= s[0] <= ended] or self.samples[-1:]
        if not inside:
            return {}
        loads, procs = [s[1] for s in inside], [s[2] for s in inside]
        return {"load_1m": [min(loads), max(loads)], "own_procs": [min(procs), max(procs)],
                "samples": len(inside)}
