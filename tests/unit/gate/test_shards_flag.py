"""`staging.validate --full --shards N` reaches the load and stress suites, and only them."""
from pathlib import Path

import pytest
from invoke import Context
from invoke.exceptions import Exit

from replica.core.exit_status import ExitStatus
from replica.gate import performance
from replica.gate import shards as shards_module
from replica.commands import validate as validate_module
from replica.gate.checklist import ItemFailed
from replica.gate.k6_runner import K6Result, Outcome
from replica.stack.settings import from_environment
from replica.commands import gate as gate_command
from replica.tasks import gate_tasks


class Green:
    passed = True
    results = "results/green"

    def verdict(self):
        return "READY"


@pytest.fixture
def gate_calls(monkeypatch):
    seen = {}
    for name in ("validate", "validate_target"):
        monkeypatch.setattr(validate_module, name,
                            lambda *a, _name=name, **k: seen.update({_name: k}) or Green())
    monkeypatch.setattr(gate_command, "_answer_from_cache",
                        lambda settings, profiles, options, tree: seen.update(options=options) or None)
    monkeypatch.setattr(gate_command.verdict_cache, "store", lambda *a, **k: None)  # never the checkout's
    return seen


@pytest.mark.parametrize("flags, called", [({}, "validate"),
                                           ({"base_url": "http://127.0.0.1:9/"}, "validate_target")])
def test_the_shard_count_is_passed_through(gate_calls, flags, called):
    gate_tasks.validate(Context(), full=True, shards=3, **flags)
    assert gate_calls[called]["shards"] == 3


def test_the_verdict_cache_keeps_sharded_and_single_runs_apart(gate_calls):
    gate_tasks.validate(Context(), full=True, shards=2)
    assert gate_calls["options"]["shards"] == 2


def test_shards_without_full_is_refused_before_anything_runs(gate_calls, capsys):
    with pytest.raises(Exit) as stopped:
        gate_tasks.validate(Context(), shards=2)
    assert stopped.value.code == ExitStatus.CONFIG and gate_calls == {}
    assert "--shards 2 splits the --full suites" in capsys.readouterr().err


def test_only_the_full_suites_are_sharded(monkeypatch, tmp_path):
    monkeypatch.setenv("STAGING_RESULTS_DIR", str(tmp_path))
    ran = {}
    monkeypatch.setattr(performance.Target, "of", lambda *a: None)
    monkeypatch.setattr(performance, "check_suite",
                        lambda target, suite, *a, shards, **k: ran.update({suite: shards}) or "ok")
    run = validate_module.Run(from_environment({"STAGING_NAME": "gate-unit"}), tmp_path, shards=4)
    for suite in ("smoke", "load", "stress"):
        validate_module._k6_item(run, suite, suite, Path(tmp_path) / suite, rebaseline=False)
    assert ran == {"smoke": 1, "load": 4, "stress": 4}


def test_a_sharded_suite_is_judged_on_the_merged_summary(monkeypatch, tmp_path, summary):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ran = []
    def sharded(suite, base_url, run_dir, count, env=None):
        ran.append((suite, count))
        return K6Result(suite, 99, Outcome.THRESHOLDS_FAILED, "crossed", 1.0, run_dir,
                        summary("thresholds_failed"), ["http_req_failed: rate<0.01"])
    monkeypatch.setattr(shards_module, "run_sharded", sharded)
    monkeypatch.setattr(performance.k6_runner, "run_suite", lambda *a, **k: pytest.fail("one process"))
    local = performance.Target("http://127.0.0.1:5000", local=True, strict_slo=False, config="default")
    with pytest.raises(ItemFailed, match="rate<0.01"):  # a functional threshold: red even locally
        performance.check_suite(local, "load", tmp_path, rebaseline=False, ratios_too=False, shards=2)
    assert ran == [("load", 2)]
