"""The smoke suite's per-test results become checklist items; no report at all fails every item."""
import json

from replica.gate import smoke
from replica.gate.checklist import FAILED, PASSED, SKIPPED, Checklist


def write_report(tmp_path, tests):
    (tmp_path / "smoke.json").write_text(json.dumps({"tests": tests}))
    log = tmp_path / "smoke.log"
    log.write_text("collected 0 items\nERROR: file or directory not found\n")
    return log


def result_of(name, keys, outcome="passed", message=""):
    return {"test": f"tests/e2e/x.py::{name}", "checklist": keys, "outcome": outcome,
            "seconds": 1.0, "message": message}


def test_each_item_takes_the_results_of_its_tests(tmp_path):
    log = write_report(tmp_path, [
        result_of("test_ready", ["starts", "migrations"]),
        result_of("test_page[/]", ["accessibility"]),
        result_of("test_page[/login]", ["accessibility"], "failed", "label: critical"),
        result_of("test_sink", ["sentry"], "skipped", "no error sink")])
    checklist = Checklist()
    smoke.record(checklist, ["starts", "accessibility", "sentry", "summary"], 1, tmp_path, log)
    items = {i.key: i for i in checklist.items}
    assert items["starts"].result == PASSED and items["starts"].evidence == "1/1 tests passed"
    assert items["accessibility"].result == FAILED
    assert "test_page[/login]: label: critical" in items["accessibility"].evidence
    assert items["sentry"].result == SKIPPED and "no error sink" in items["sentry"].evidence
    assert items["summary"].result == FAILED and "no smoke test" in items["summary"].evidence


def test_a_suite_that_ran_nothing_fails_every_item_with_pytests_words(tmp_path):
    log = write_report(tmp_path, [])
    checklist = Checklist()
    smoke.record(checklist, ["auth", "api"], 4, tmp_path, log)
    assert all(i.result == FAILED for i in checklist.items)
    assert "pytest exit 4" in checklist.items[0].evidence
    assert "file or directory not found" in checklist.items[0].evidence


def test_command_points_pytest_at_the_target_and_the_report(tmp_path):
    cmd = smoke.command("http://127.0.0.1:5000", None, tmp_path)
    assert cmd[cmd.index("--base-url") + 1] == "http://127.0.0.1:5000"
    assert "--sink-url" not in cmd and str(tmp_path / "smoke.json") in cmd
    assert "tests.e2e.plugin" in cmd


def test_a_browser_that_cannot_be_installed_is_a_warning_not_a_crash(monkeypatch, capsys):
    from replica.core.errors import ConfigError

    def cannot(binaries):
        raise ConfigError("missing on this machine: chromium", hint="sudo apt-get install chromium")
    monkeypatch.delenv("CHROMIUM_BINARY", raising=False)
    monkeypatch.setattr(smoke.system_packages, "ensure", cannot)
    smoke.ensure_browser()
    said = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "browser checks will fail (sudo apt-get install chromium)" in said


def test_a_browser_of_ones_own_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv("CHROMIUM_BINARY", "/opt/google/chrome/chrome")
    monkeypatch.setattr(smoke.system_packages, "ensure", lambda binaries: 1 / 0)
    smoke.ensure_browser()


def test_the_suite_collects_with_only_the_plugins_the_gate_loads(tmp_path):
    """Autoload off (smoke.ENVIRONMENT): every plugin the suite needs must be in smoke.PLUGINS."""
    import os
    import subprocess

    from replica.core.checkout import ROOT

    cmd = smoke.command("http://127.0.0.1:5000", "http://127.0.0.1:9", tmp_path) + [
        "--collect-only", "-W", "error::pytest.PytestConfigWarning"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **smoke.ENVIRONMENT})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "test_live_transcription_reaches_pages_on_both_workers[chromium]" in done.stdout
    assert "test_page_has_no_accessibility_violations[chromium-/login]" in done.stdout


def test_the_gates_suite_loads_no_conftest_of_the_tiers_nor_the_app(tmp_path):
    """The conftests above tests/e2e are the unit and integration tiers' (tests/conftest.py imports
    the app, ~1.4 s of CPU a run); the gate's suite needs none of them, and leaves its sink check
    out when the gate reads the sink itself."""
    import os
    import subprocess
    import sys

    from replica.core.checkout import ROOT

    cmd = smoke.command("http://127.0.0.1:5000", "http://127.0.0.1:9", tmp_path,
                        sink_checked_after=True) + ["--collect-only"]
    probe = ("import sys, pytest; code = pytest.main(sys.argv[1:]); "
             "print('imported:', sorted({'mina', 'flask'} & set(sys.modules))); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", probe, *cmd[cmd.index("pytest") + 1:]], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **smoke.ENVIRONMENT})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "imported: []" in done.stdout
    assert "test_live_transcription_reaches_pages_on_both_workers[chromium]" in done.stdout
    assert "test_no_errors_captured_during_the_run" not in done.stdout  # deselected
    assert "1 deselected" in done.stdout
