"""The performance item's verdict: which k6 failures are warnings on a local replica, and ratios."""
import copy
import json
import random

import pytest

from replica.gate import k6_runner, performance, probe
from replica.gate.checklist import ItemFailed
from replica.gate.k6_runner import K6Result, Outcome
from replica.gate.performance import Target, check_suite
from replica.stack.settings import from_environment

LOCAL = Target("http://127.0.0.1:5000", local=True, strict_slo=False, config="default")


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def k6_returns(monkeypatch, summary, code):
    outcome, message = k6_runner.classify(code)
    def run_suite(suite, base_url, run_dir, **_):
        return K6Result(suite, code, outcome, message, 1.0, run_dir, summary,
                        k6_runner.failed_thresholds(summary))
    monkeypatch.setattr(k6_runner, "run_suite", run_suite)


class FakeProbe:
    """Ratios around a center per kind, like the real probe's, without an app."""
    centers = {"list": 3.0, "show": 2.0, "segments": 2.5, "ready": 4.0}
    user = "fixture_user"

    def __init__(self):
        self.rng = random.Random(5)

    def measure(self, kinds, pairs):
        return {k: [self.centers[k] * self.rng.lognormvariate(0, 0.2) for _ in range(pairs)] for k in kinds}

    def medians_ms(self):
        return {kind: (center, 1.0) for kind, center in self.centers.items()}


FLAT = "queries per request do not grow with the user's data: list 1 statements"


@pytest.fixture
def fake_probe(monkeypatch):
    monkeypatch.setattr(probe.Probe, "open", classmethod(lambda cls, *a, **k: FakeProbe()))
    monkeypatch.setattr(FakeProbe, "centers", dict(FakeProbe.centers))
    monkeypatch.setattr(performance.querycounts, "check", lambda *args: FLAT)  # tests/unit/gate/test_querycounts.py
    return FakeProbe


def test_latency_slos_crossed_locally_are_a_warning_with_the_load_average(monkeypatch, tmp_path, summary):
    k6_returns(monkeypatch, summary("smoke_busy"), 99)
    evidence = check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=False)
    assert evidence.startswith("warning: k6 smoke: latency SLOs crossed on this busy machine (load average")
    assert "http_req_duration{kind:health}: p(95)<250" in evidence and "--strict-slo" in evidence


def test_strict_slo_fails_the_same_run(monkeypatch, tmp_path, summary):
    k6_returns(monkeypatch, summary("smoke_busy"), 99)
    strict = Target(LOCAL.base_url, local=True, strict_slo=True, config="default")
    with pytest.raises(ItemFailed, match="thresholds failed"):
        check_suite(strict, "smoke", tmp_path, rebaseline=False, ratios_too=False)


def test_a_remote_target_is_held_to_the_slos(monkeypatch, tmp_path, summary):
    k6_returns(monkeypatch, summary("smoke_busy"), 99)
    remote = Target.of("https://mina-staging.replit.app")
    assert remote.strict and not remote.local and remote.config == "url-mina-staging.replit.app-https"
    with pytest.raises(ItemFailed, match="crossed: .*kind:health"):
        check_suite(remote, "smoke", tmp_path, rebaseline=False, ratios_too=True)


def test_failed_requests_fail_even_locally(monkeypatch, tmp_path, summary):
    broken = copy.deepcopy(summary("smoke_busy"))
    broken["metrics"]["http_req_failed"]["thresholds"]["rate<0.01"] = True
    k6_returns(monkeypatch, broken, 99)
    assert performance.latency_thresholds(k6_runner.run_suite("smoke", "", tmp_path)) != \
        k6_runner.failed_thresholds(broken)
    with pytest.raises(ItemFailed, match="http_req_failed: rate<0.01"):
        check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=False)


def test_first_run_records_the_ratios_then_the_same_app_passes(monkeypatch, tmp_path, summary, fake_probe):
    k6_returns(monkeypatch, summary("smoke_passed"), 0)
    first = check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    assert "latency ratios no baseline yet: recorded" in first and "as fixture_user" in first
    second = check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    assert "latency ratios within noise of the baseline: list" in second


def test_a_slower_kind_fails_with_its_ratios(monkeypatch, tmp_path, summary, fake_probe):
    k6_returns(monkeypatch, summary("smoke_passed"), 0)
    check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    fake_probe.centers["list"] = 12.0  # an N+1 list: four times the work of the calibration
    with pytest.raises(ItemFailed, match=r"latency ratio regressed: list \d+\.\d\d× calibration"):
        check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)


def test_a_corrupt_ratio_baseline_fails_and_says_how_to_re_record(monkeypatch, tmp_path, summary, fake_probe):
    k6_returns(monkeypatch, summary("smoke_passed"), 0)
    check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    path = next((tmp_path / "cache").rglob("ratios.json"))
    path.write_text(path.read_text()[:50])
    with pytest.raises(performance.baseline.BaselineError, match="is corrupt") as raised:
        check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    assert "--rebaseline" in raised.value.hint
    assert "re-recorded" in check_suite(LOCAL, "smoke", tmp_path, rebaseline=True, ratios_too=True)


def test_loopback_targets_are_local():
    assert performance.is_loopback("http://127.0.0.1:5000") and performance.is_loopback("http://localhost:1")
    assert performance.is_loopback("http://[::1]:5000") and not performance.is_loopback("https://10.0.0.1")


def test_an_n_plus_one_and_a_slower_kind_are_both_named(monkeypatch, tmp_path, summary, fake_probe):
    k6_returns(monkeypatch, summary("smoke_passed"), 0)
    check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    def grows(*args):
        raise ItemFailed("queries per request grow with the user's data (N+1): /api/meetings (list): 21 vs 2")
    monkeypatch.setattr(performance.querycounts, "check", grows)
    fake_probe.centers["show"] = 12.0
    with pytest.raises(ItemFailed) as failed:
        check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    assert str(failed.value).startswith("queries per request grow with the user's data (N+1): /api/meetings")
    assert "; latency ratio regressed: show " in str(failed.value)


def test_the_query_check_runs_beside_the_ratios_when_both_pass(monkeypatch, tmp_path, summary, fake_probe):
    k6_returns(monkeypatch, summary("smoke_passed"), 0)
    check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    evidence = check_suite(LOCAL, "smoke", tmp_path, rebaseline=False, ratios_too=True)
    assert f"; {FLAT}; latency ratios within noise" in evidence


def test_k6_logs_in_as_the_replicas_heaviest_fixture_users(monkeypatch, tmp_path, summary):
    heavy = [performance.fixture_users.FixtureUser("heavy_one", 300, 812, 1500)]
    asked = []
    monkeypatch.setattr(performance.fixture_users, "heaviest",
                        lambda url, limit: asked.append((url, limit)) or heavy)
    passed = []
    monkeypatch.setattr(k6_runner, "run_suite", lambda suite, base_url, run_dir, env=None: passed.append(env)
                        or K6Result(suite, 0, Outcome.PASSED, "", 1.0, run_dir, summary("smoke_passed"), []))
    replica = Target(LOCAL.base_url, True, False, "prod-scale", "postgresql://u:p@127.0.0.1:15432/mina")
    check_suite(replica, "load", tmp_path, rebaseline=False, ratios_too=False, env={"EXPECT_SUMMARY_STATUS": "429"})
    assert asked == [(replica.database_url, performance.fixture_users.MOST)]
    assert passed[0]["EXPECT_SUMMARY_STATUS"] == "429" and passed[0]["FIXTURE_PASSWORD"] == "staging-password"
    assert json.loads(passed[0]["FIXTURE_USERS"]) == [
        {"login": "heavy_one", "meetings": 300, "meeting": 812, "segments": 1500}]
    check_suite(LOCAL, "load", tmp_path, rebaseline=False, ratios_too=False)  # no database: no fixture users
    assert "FIXTURE_USERS" not in passed[1]
