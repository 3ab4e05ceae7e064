"""The gate's timings block: seconds per step (a step that raises still counts) and per item run."""
import pytest

from replica.gate import timings as timings_module
from replica.gate.checklist import Checklist
from replica.gate.timings import Timings


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(timings_module.time, "monotonic", lambda: now[0])
    return now


def test_steps_are_timed_added_up_and_kept_in_order_even_when_they_raise(clock):
    timings = Timings()
    with timings.step("up"):
        clock[0] += 2.5
    with pytest.raises(RuntimeError), timings.step("smoke"):
        clock[0] += 4.0
        raise RuntimeError("a step that fails")
    with timings.step("up"):
        clock[0] += 0.5
    assert timings.steps == {"up": 3.0, "smoke": 4.0}
    assert timings.summary() == "smoke 4.0 s, up 3.0 s"


def test_the_block_has_the_total_the_steps_and_only_the_items_that_ran(clock):
    timings, checklist = Timings(), Checklist()
    checklist.record("stack", "passed", "app up", 1.234)
    checklist.item("performance")  # listed, never run: no time of its own
    clock[0] += 7.0
    block = timings.to_dict(checklist)
    assert block == {"total_s": 7.0, "steps_s": {}, "items_s": {"stack": 1.23}}
