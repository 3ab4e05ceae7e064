"""Where a gate run's time goes: seconds per step (in the order the gate ran them) and per item.

    >>> timings = Timings()
    >>> with timings.step("up"):
    ...     bring_up()
    >>> timings.to_dict(checklist)   # report.json's "timings" block
    {'total_s': 12.3, 'steps_s': {'up': 1.1, ...}, 'items_s': {'stack': 1.1, ...}}

Steps are wall-clock spans of the gate's own phases; items running side by side (the smoke suite,
the variants, the static security checks) overlap inside one step, so items need not add up to it.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Timings:
    """Seconds per step of one gate run, measured from its start."""

    steps: dict[str, float] = field(default_factory=dict)
    began: float = field(default_factory=lambda: time.monotonic())

    @contextmanager
    def step(self, name: str):
        """Time the block as step `name` (a step run twice adds up), even when it raises."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.steps[name] = round(self.steps.get(name, 0.0) + time.monotonic() - started, 2)

    def to_dict(self, checklist) -> dict:
        return {"total_s": round(time.monotonic() - self.began, 2), "steps_s": dict(self.steps),
                "items_s": {item.key: item.seconds for item in checklist.ordered() if item.ran}}

    def summary(self) -> str:
        """One line for the terminal: the steps, slowest first."""
        slowest = sorted(self.steps.items(), key=lambda step: -step[1])
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest)
