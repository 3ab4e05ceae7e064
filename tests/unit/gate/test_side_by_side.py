"""The gate's independent items run beside the smoke suite, each with its own verdict and time:
the k6 smoke suite goes beside it on a local replica, the ratio verdicts run after, alone."""
import threading
from types import SimpleNamespace

import pytest

from replica.commands import validate as validate_module
from replica.gate import fixture_users, performance
from replica.gate.checklist import FAILED, PASSED, ItemFailed

LOCAL = performance.Target("http://127.0.0.1:1", local=True, strict_slo=False, config="unit")
STRICT = performance.Target("http://127.0.0.1:1", local=True, strict_slo=True, config="unit")
BOUND_S = 20  # every wait is bounded: a gate that ran them one after the other fails, not hangs


@pytest.fixture
def gate(monkeypatch, tmp_path):
    """run_checks on a fake replica; returns what each stubbed check saw and did."""
    seen = SimpleNamespace(k6_started=threading.Event(), smoke_started=threading.Event(),
                           smoke_saw_k6=None, order=[],
                           k6=lambda: "k6 smoke: passed", smoke_fails=False, verdicts="ratios ok")

    def k6_verdict(target, suite, run_dir, rebaseline, env=None, shards=1):
        seen.order.append("k6")
        seen.k6_started.set()
        return seen.k6()

    def smoke_run(*args, **kwargs):
        seen.smoke_started.set()
        seen.smoke_env = kwargs.get("env")
        seen.smoke_saw_k6 = seen.k6_started.wait(BOUND_S)
        return 0, None

    def smoke_record(checklist, keys, code, run_dir, log):
        for key in keys:
            checklist.record(key, FAILED if seen.smoke_fails else PASSED,
                             "1/1 failed: broken" if seen.smoke_fails else "1/1 tests passed", 1.0)

    def local_verdicts(target, rebaseline):
        seen.order.append("verdicts")
        if seen.verdicts.startswith("red"):
            raise ItemFailed(seen.verdicts)
        return seen.verdicts

    monkeypatch.setattr(validate_module.smoke, "run", smoke_run)
    monkeypatch.setattr(validate_module.smoke, "record", smoke_record)
    def bandit():
        raise ItemFailed("bandit: 1 new finding")

    monkeypatch.setattr(validate_module, "_static_security", lambda root: {
        "security-code": bandit, "security-deps": lambda: "pip-audit: clean"})
    monkeypatch.setattr(validate_module, "_live_security", lambda run: "ok")
    monkeypatch.setattr(validate_module, "_expectations", lambda run: SimpleNamespace(k6_env=dict))
    monkeypatch.setattr(performance, "k6_verdict", k6_verdict)
    monkeypatch.setattr(performance, "local_verdicts", local_verdicts)
    seen.run = validate_module.Run(SimpleNamespace(root=tmp_path, name="gf-unit"), tmp_path,
                                   base_url="http://127.0.0.1:1")
    seen.target = LOCAL
    monkeypatch.setattr(validate_module, "_performance_target", lambda run: seen.target)
    return seen


def items(run):
    return {item.key: item for item in run.checklist.items}


def test_on_a_local_replica_k6_runs_while_the_smoke_suite_does_and_the_ratios_after(gate):
    validate_module.run_checks(gate.run)
    assert gate.smoke_saw_k6 is True  # the smoke suite was under way when k6 started
    assert gate.order == ["k6", "verdicts"]
    performance_item = items(gate.run)["performance"]
    assert performance_item.result == PASSED
    assert performance_item.evidence == "k6 smoke: passed; k6 ran beside the smoke suite; ratios ok"
    assert {"performance", "api", "security-code"} <= set(gate.run.timings.to_dict(gate.run.checklist)["items_s"])


def test_a_red_k6_run_and_a_red_smoke_test_and_a_red_scan_are_each_named(gate):
    gate.smoke_fails = True
    gate.k6 = lambda: (_ for _ in ()).throw(ItemFailed("k6 smoke: script error (the script threw)"))
    validate_module.run_checks(gate.run)
    found = items(gate.run)
    assert found["performance"].result == FAILED and "script error" in found["performance"].evidence
    assert found["api"].result == FAILED and found["api"].evidence == "1/1 failed: broken"
    assert found["security-code"].evidence == "bandit: 1 new finding"
    assert found["security-deps"].result == PASSED
    assert gate.order == ["k6"]  # a red k6 run is the item's verdict, as when it runs alone


def test_the_migration_round_trip_runs_beside_the_smoke_suite(gate):
    """It works on a scratch clone of the fixtures, so nothing on the live database waits for it
    (before, the smoke suite started only after its 0.6-0.9 s, remembered or not)."""
    def round_trip():
        assert gate.smoke_started.wait(BOUND_S), "the smoke suite never started beside it"
        return "0002 -> 0001; 0001 -> 0002: 12 fixture rows intact"

    gate.run.round_trip = round_trip
    validate_module.run_checks(gate.run)
    found = items(gate.run)["migration-tests"]
    assert (found.result, found.evidence) == (PASSED, "0002 -> 0001; 0001 -> 0002: 12 fixture rows intact")


def test_a_red_ratio_verdict_after_a_green_k6_run_fails_the_item_and_leaves_the_smoke_items(gate):
    gate.verdicts = "red: latency ratio regressed: list 3.1× calibration"
    validate_module.run_checks(gate.run)
    found = items(gate.run)
    assert found["performance"].result == FAILED and "list 3.1×" in found["performance"].evidence
    assert found["api"].result == PASSED


def test_where_k6_s_slos_are_the_verdict_it_runs_alone_after_the_smoke_suite(gate, monkeypatch):
    gate.target = STRICT
    alone = []
    monkeypatch.setattr(validate_module, "_k6_item", lambda run, key, *args, **kwargs: alone.append(key))
    monkeypatch.setattr(validate_module.smoke, "run", lambda *args, **kwargs: (
        alone.append(f"smoke, k6 started: {gate.k6_started.is_set()}"), (0, None))[1])
    validate_module.run_checks(gate.run)
    assert alone == ["smoke, k6 started: False", "performance"]
    assert gate.order == []


@pytest.mark.parametrize("target, beside", [(LOCAL, True), (STRICT, False), (
    performance.Target("https://staging.example", local=False, strict_slo=False, config="url"), False)])
def test_k6_goes_beside_the_smoke_suite_only_where_its_latency_is_a_warning(target, beside):
    assert performance.beside_the_smoke_suite(target) is beside


def test_the_fixture_users_the_suite_reads_are_picked_before_k6_starts_writing_as_them(gate, monkeypatch):
    """k6's fixture users create and delete meetings beside the suite: a count the suite took while
    one existed was one more than the listing it then read (a false red, seen on a remote engine)."""
    heavy = fixture_users.FixtureUser("michaelcook380", 300, 3343, 523)
    light = fixture_users.FixtureUser("christinebrown1", 1, 1, 20)

    def picking(database_url):
        gate.order.append("picked")
        return [heavy], light
    monkeypatch.setattr(fixture_users, "_read", picking)
    gate.target = performance.Target("http://127.0.0.1:1", local=True, strict_slo=False,
                                     config="unit", database_url="postgresql://127.0.0.1:1/db")
    validate_module.run_checks(gate.run)
    assert gate.order[:2] == ["picked", "k6"]
    assert fixture_users.from_environment(gate.smoke_env) == ([heavy], light)


def test_without_a_database_to_read_the_suite_gets_no_picks_and_reads_its_own(gate):
    validate_module.run_checks(gate.run)  # LOCAL has no database URL
    assert gate.smoke_env == {}


def test_with_a_sink_the_gate_reads_it_itself_and_leaves_the_suites_check_out(gate, monkeypatch):
    from mocks import control

    said = {}

    def smoke_run(*args, **kwargs):
        said["sink_checked_after"] = kwargs.get("sink_checked_after")
        return 0, None
    recorded = []
    monkeypatch.setattr(validate_module.smoke, "run", smoke_run)
    monkeypatch.setattr(validate_module.smoke, "record",
                        lambda checklist, keys, *rest: recorded.extend(keys))
    monkeypatch.setattr(control, "sink_events", lambda url, min_level: [])
    gate.run.sink_url = "http://127.0.0.1:2"
    validate_module.run_checks(gate.run)
    assert said["sink_checked_after"] is True and "sentry" not in recorded
    assert items(gate.run)["sentry"].result == PASSED  # the gate's own step, after k6


def test_without_a_sink_the_suites_own_check_stays_and_says_why_it_skipped(gate, monkeypatch):
    said, recorded = {}, []
    monkeypatch.setattr(validate_module.smoke, "run",
                        lambda *args, **kwargs: (said.update(kwargs), (0, None))[1])
    monkeypatch.setattr(validate_module.smoke, "record",
                        lambda checklist, keys, *rest: recorded.extend(keys))
    validate_module.run_checks(gate.run)
    assert said["sink_checked_after"] is False and "sentry" in recorded
