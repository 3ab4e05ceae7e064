"""The k6 runner: exit codes to outcomes, crossed thresholds, and real runs of the k6 binary."""
import os
import stat
from pathlib import Path

import pytest

from replica.gate import k6_runner
from replica.gate.errors import K6NotFoundError, ResultsNotWritableError
from replica.gate.k6_runner import Outcome, classify, failed_thresholds, missing_samples, run_suite


@pytest.mark.parametrize("code, outcome", [
    (0, Outcome.PASSED), (99, Outcome.THRESHOLDS_FAILED), (107, Outcome.SCRIPT_ERROR),
    (108, Outcome.ABORTED), (105, Outcome.ABORTED), (104, Outcome.CONFIG_ERROR),
    (100, Outcome.TIMEOUT), (103, Outcome.FAILED), (1, Outcome.FAILED), (-9, Outcome.ABORTED)])
def test_exit_codes_map_to_outcomes(code, outcome):
    assert classify(code)[0] is outcome


def test_unknown_exit_code_is_named():
    assert classify(42) == (Outcome.FAILED, "k6 exited with code 42")


def test_crossed_thresholds_are_named_from_a_recorded_summary(summary):
    assert failed_thresholds(summary("thresholds_failed")) == ["http_req_duration: p(95)<0.001"]
    assert failed_thresholds(summary("smoke_passed")) == []


def test_empty_metrics_are_flagged(summary):
    assert missing_samples(summary("smoke_passed")) == []
    assert missing_samples(summary("thresholds_failed")) == ["socketio_sessions_ok"]


def test_k6_from_environment_wins(tmp_path):
    fake = _script(tmp_path / "k6", "exit 0")
    assert k6_runner.find_k6({"K6_BINARY": str(fake), "PATH": ""}) == fake
    assert k6_runner.find_k6({"PATH": str(tmp_path)}) == fake


def test_no_k6_anywhere_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(k6_runner.sys, "executable", str(tmp_path / "python"))
    with pytest.raises(K6NotFoundError, match="no k6 binary"):
        k6_runner.find_k6({"PATH": str(tmp_path)})


def test_fake_k6_crossing_thresholds_keeps_metrics_and_html(tmp_path, summary):
    recorded = Path(__file__).parent / "fixtures" / "summary_thresholds_failed.json"
    fake = _script(tmp_path / "k6", f'out=$(echo "$@" | sed -n "s/.*--summary-export \\([^ ]*\\).*/\\1/p")\n'
                                     f'cp {recorded} "$out"\necho "some k6 output"\nenv | grep ^K6_WEB\nexit 99')
    result = run_suite("smoke", "http://127.0.0.1:9", tmp_path / "run", binary=fake)
    assert result.outcome is Outcome.THRESHOLDS_FAILED and not result.ok
    assert result.failed_thresholds == ["http_req_duration: p(95)<0.001"]
    log = (tmp_path / "run" / "k6.log").read_text()
    assert "some k6 output" in log
    # the HTML report is k6's dashboard export, at a period the 8 s smoke suite fills
    assert f"K6_WEB_DASHBOARD_EXPORT={result.html_path}" in log.splitlines()
    assert "K6_WEB_DASHBOARD=true" in log and "K6_WEB_DASHBOARD_PORT=-1" in log
    assert "K6_WEB_DASHBOARD_PERIOD=1s" in log
    assert "no HTML report (k6 wrote none" in result.describe()   # this fake k6 wrote none


def test_a_hung_k6_is_stopped_at_its_budget(tmp_path):
    fake = _script(tmp_path / "k6", "trap 'exit 105' INT\nsleep 30 & wait")
    result = run_suite("smoke", "http://127.0.0.1:9", tmp_path / "run", binary=fake, timeout=0.5)
    assert result.outcome is Outcome.TIMEOUT and result.seconds < 20


def test_unwritable_results_directory_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ResultsNotWritableError, match="not writable"):
        run_suite("smoke", "http://127.0.0.1:9", blocker / "run")


def test_real_k6_script_error_is_a_script_error(tmp_path):
    suites = _suites(tmp_path, "throw new Error('broken on purpose');\nexport default function () {}\n")
    result = run_suite("broken", "http://127.0.0.1:9", tmp_path / "run", k6_dir=suites)
    assert (result.exit_code, result.outcome) == (107, Outcome.SCRIPT_ERROR)
    assert "broken on purpose" in result.describe()


def test_real_k6_test_abort_is_an_abort(tmp_path):
    suites = _suites(tmp_path, "import exec from 'k6/execution';\n"
                               "export const options = { iterations: 1 };\n"
                               "export default function () { exec.test.abort('stop'); }\n")
    result = run_suite("broken", "http://127.0.0.1:9", tmp_path / "run", k6_dir=suites)
    assert (result.exit_code, result.outcome) == (108, Outcome.ABORTED)
    assert result.metrics_path.is_file()


def test_real_k6_writes_its_dashboard_report_for_a_run_shorter_than_its_default_period(tmp_path):
    suites = _suites(tmp_path, "import { sleep } from 'k6';\n"
                               "export const options = { vus: 1, duration: '3s' };\n"
                               "export default function () { sleep(0.2); }\n",
                     plan='{"duration": "3s", "max_seconds": 60}')
    result = run_suite("broken", "http://127.0.0.1:9", tmp_path / "run", k6_dir=suites)
    assert result.ok, result.log_tail
    assert result.html_path.is_file(), result.log_tail   # k6's default 10 s period writes none
    assert "k6" in result.html_path.read_text()[:2000].lower()
    assert "no HTML report" not in result.describe()


@pytest.mark.parametrize("plan, period", [
    ('{"duration": "8s"}', "1s"), ('{"stages": [["10s", 8], ["40s", 8], ["10s", 0]]}', "2s"),
    ('{"duration": "1m30s"}', "3s"), ("{}", "1s")])
def test_the_dashboard_period_follows_the_suites_planned_length(tmp_path, plan, period):
    suites = _suites(tmp_path, "", plan=plan)
    assert k6_runner.dashboard_env("broken", tmp_path, suites)["K6_WEB_DASHBOARD_PERIOD"] == period


def test_every_real_suite_gets_a_period_it_fills_at_least_twice():
    for suite in ("smoke", "load", "stress"):
        seconds = k6_runner.suite_seconds(suite)
        period = int(k6_runner.dashboard_env(suite, Path("x"))["K6_WEB_DASHBOARD_PERIOD"][:-1])
        assert seconds >= 2 * period, suite


def _suites(tmp_path: Path, body: str, plan: str = '{"max_seconds": 30}') -> Path:
    suites = tmp_path / "k6"
    suites.mkdir()
    (suites / "slo.json").write_text('{"suites": {"broken": %s}}' % plan)
    (suites / "broken.js").write_text(body)
    return suites


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_busy_machine_run_names_each_crossed_slo(summary):
    assert failed_thresholds(summary("smoke_busy")) == [
        "http_req_duration{kind:api}: p(95)<800", "http_req_duration{kind:health}: p(95)<250",
        "socketio_segment_latency: p(95)<1500"]


def test_every_slo_in_slo_json_reaches_the_summary(summary):
    import json
    from replica.stack.settings import ROOT
    slo = json.loads((ROOT / "k6" / "slo.json").read_text())["thresholds"]
    recorded = summary("smoke_busy")["metrics"]
    for metric, expressions in slo.items():
        assert set(recorded[metric]["thresholds"]) == set(expressions), metric


def test_ctrl_c_stops_k6_and_keeps_partial_results(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "k6-got-sigint"
    fake = _script(tmp_path / "k6", f"trap 'touch {marker}; exit 105' INT\nsleep 30 & wait")
    code = ("import sys; from pathlib import Path; from replica.gate.k6_runner import run_suite\n"
            "try:\n"
            f"    run_suite('smoke', 'http://127.0.0.1:9', Path({str(tmp_path / 'run')!r}),"
            f" binary=Path({str(fake)!r}))\n"
            "except KeyboardInterrupt:\n"
            "    sys.exit(130)\n")
    runner = subprocess.Popen([sys.executable, "-c", code], cwd=str(k6_runner.ROOT))
    deadline = time.monotonic() + 20
    while not (tmp_path / "run" / "k6.log").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    runner.send_signal(signal.SIGINT)
    assert runner.wait(timeout=30) == 130
    assert marker.exists()  # k6 itself was asked to stop (it writes its summary on SIGINT)
    assert (tmp_path / "run" / "k6.log").exists()


def test_a_profile_s_expectations_reach_the_k6_script_as_env_values(tmp_path):
    cmd = k6_runner.command(Path("k6"), Path("smoke.js"), "http://127.0.0.1:5000", tmp_path,
                            {"EXPECT_SUMMARY_STATUS": "429"})
    assert cmd[cmd.index("EXPECT_SUMMARY_STATUS=429") - 1] == "--env"
    assert cmd[-1] == "smoke.js"


def test_odd_virtual_users_log_in_as_the_fixture_users_k6_is_given(tmp_path):
    lib = k6_runner.K6_DIR / "lib"
    suites = _suites(tmp_path, (
        f"import {{ fixtureUserFor }} from 'file://{lib}/scenario.js';\n"
        f"import {{ FIXTURE }} from 'file://{lib}/config.js';\n"
        "const picked = [1, 2, 3, 4, 5].map((vu) => (fixtureUserFor(vu, FIXTURE.users) || {}).login || null);\n"
        "if (JSON.stringify(picked) !== JSON.stringify(['heavy', null, 'next', null, 'heavy'])"
        " || FIXTURE.password !== 'pw' || fixtureUserFor(1, []) !== null) {\n"
        "  throw new Error(`picked ${JSON.stringify(picked)}, password ${FIXTURE.password}`);\n}\n"
        "export const options = { iterations: 1 };\nexport default function () {}\n"))
    users = '[{"login": "heavy", "meeting": 1}, {"login": "next", "meeting": 2}]'
    result = run_suite("broken", "http://127.0.0.1:9", tmp_path / "run", k6_dir=suites,
                       env={"FIXTURE_USERS": users, "FIXTURE_PASSWORD": "pw"})
    assert result.outcome is Outcome.PASSED, result.describe()
