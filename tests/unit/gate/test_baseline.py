"""Baseline comparison on recorded k6 summaries: first run records, regressions name the metric."""
import copy
import json

from replica.gate import baseline
from replica.stack.settings import ROOT

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


def test_a_baseline_of_another_load_shape_is_recorded_afresh_not_compared(tmp_path, summary):
    """The smoke suite went from 8 s to 4 s: figures of the 8 s run measured another load."""
    baseline.record(summary("smoke_busy"), tmp_path / "smoke.json", {"vus": 2, "duration": "8s"})
    slower = copy.deepcopy(summary("smoke_busy"))
    slower["metrics"][P95]["p(95)"] *= 2
    result = baseline.check(slower, "smoke", tmp_path, RULES, {"vus": 2, "duration": "4s"})
    assert result.recorded and result.ok
    assert result.describe() == ("the suite's load shape changed since its baseline: "
                                 "recorded this run as smoke.json")
    again = baseline.check(slower, "smoke", tmp_path, RULES, {"vus": 2, "duration": "4s"})
    assert again.ok and not again.recorded and P95 in again.compared


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
        assert "delete the file" in error.hint
    else:
        raise AssertionError("a corrupt baseline must not pass silently")


def test_baselines_live_per_machine_and_configuration_outside_the_clone(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    here = {"id": "abc123", "cpu": "test cpu", "cores": 2}
    folder = baseline.folder(baseline.config_name(["redis-off", "prod-scale"]), env, here)
    assert folder == tmp_path / "cache" / "mina-staging" / "baselines" / "abc123" / "prod-scale+redis-off"
    assert baseline.folder(baseline.config_name([]), env, here).name == "default"
    assert baseline.cache_root({"HOME": "/nowhere"}).parts[-2:] == ("mina-staging", "baselines")


def test_this_machine_has_a_stable_identity():
    assert baseline.machine() == baseline.machine() and baseline.machine()["id"]


def test_a_k6_baseline_from_another_machine_is_refused(tmp_path, summary):
    other = {"id": "elsewhere", "cpu": "another cpu", "cores": 64}
    baseline.write(tmp_path / "smoke.json", {"metrics": summary("smoke_busy")["metrics"]}, identity=other)
    try:
        baseline.check(summary("smoke_busy"), "smoke", tmp_path, RULES)
    except baseline.BaselineError as error:
        assert "recorded on another machine (another cpu, 64 cores" in str(error)
        assert "--rebaseline" in error.hint
    else:
        raise AssertionError("another machine's baseline must not be compared with")


def test_a_k6_baseline_without_its_machine_is_corrupt(tmp_path, summary):
    (tmp_path / "smoke.json").write_text(json.dumps({"metrics": summary("smoke_busy")["metrics"]}))
    try:
        baseline.check(summary("smoke_busy"), "smoke", tmp_path, RULES)
    except baseline.BaselineError as error:
        assert "is corrupt: no machine" in str(error)
    else:
        raise AssertionError("a baseline that names no machine must not pass silently")


def test_recording_leaves_no_temporary_file(tmp_path, summary):
    baseline.record(summary("smoke_busy"), tmp_path / "smoke.json")
    assert [p.name for p in tmp_path.iterdir()] == ["smoke.json"]
    assert len(json.loads((tmp_path / "smoke.json").read_text())["load_average"]) == 3
