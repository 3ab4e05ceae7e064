"""Baseline comparison on recorded k6 summaries: first run records, regressions name the metric."""
import copy
import json

from replica.gate import baseline
from replica.settings import ROOT

RULES = baseline.rules_from(ROOT / "k6" / "slo.json")
P95 = "http_req_duration{kind:api}"


def test_missing_baseline_records_this_run_and_says_so(tmp_path, summary):
    result = baseline.check(summary("smoke_busy"), "smoke", tmp_path, RULES)
    assert result.recorded and result.ok
    assert "no baseline yet: recorded this run as smoke.json" == result.describe()
    assert json.loads((tmp_path / "smoke.json").read_text())["metrics"][P95]["p(95)"] > 0


def test_same_run_is_within_margin(tmp_path, summary):
    baseline.record(summary("smoke_busy"), tmp_path / "smoke.json")
    result = baseline.check(summary("smoke_busy"), "smoke", tmp_path, RULES)
    assert result.ok and not result.recorded and P95 in result.compared


def test_slower_p95_beyond_margin_fails_and_names_the_metric(tmp_path, summary):
    baseline.record(summary("smoke_busy"), tmp_path / "smoke.json")
    slower = copy.deepcopy(summary("smoke_busy"))
    slower["metrics"][P95]["p(95)"] *= 2
    result = baseline.check(slower, "smoke", tmp_path, RULES)
    assert [r.metric for r in result.regressions] == [P95]
    assert f"{P95} p(95) regressed" in result.describe()


def test_slower_within_margin_passes(tmp_path, summary):
    baseline.record(summary("smoke_busy"), tmp_path / "smoke.json")
    slightly = copy.deepcopy(summary("smoke_busy"))
    slightly["metrics"][P95]["p(95)"] *= 1.2
    assert baseline.check(slightly, "smoke", tmp_path, RULES).ok


def test_floor_ignores_tiny_absolute_changes():
    rule = {"stat": "p(95)", "worse": "higher", "margin": 0.5, "floor": 25}
    assert baseline.allowed_value(4.0, rule) == 29.0
    assert baseline.allowed_value(400.0, rule) == 600.0


def test_a_drop_in_passed_checks_is_a_regression(tmp_path, summary):
    baseline.record(summary("smoke_busy"), tmp_path / "smoke.json")
    worse = copy.deepcopy(summary("smoke_busy"))
    worse["metrics"]["checks"]["value"] = 0.9
    result = baseline.check(worse, "smoke", tmp_path, RULES)
    assert [r.metric for r in result.regressions] == ["checks"]


def test_rate_metrics_read_their_rate_not_their_passes(summary):
    assert baseline.stat_of(summary("thresholds_failed"), "http_req_failed", "rate") == 0.0


def test_unreadable_baseline_says_what_to_do(tmp_path, summary):
    (tmp_path / "smoke.json").write_text("{not json")
    try:
        baseline.check(summary("smoke_busy"), "smoke", tmp_path, RULES)
    except baseline.BaselineError as error:
        assert "delete it" in error.hint
    else:
        raise AssertionError("a corrupt baseline must not pass silently")
