"""Security items: bandit against its baseline, the dependency audit's honest skip, live checks."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from replica.gate import security
from replica.gate.checklist import ItemFailed, ItemSkipped

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def app_tree(tmp_path):
    """A copy of app/ (and its requirements) to plant findings in."""
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_unmodified_app_has_no_finding_beyond_the_committed_baseline():
    assert "no new findings" in security.bandit_check(ROOT)


def test_a_new_finding_fails_naming_file_and_test(app_tree):
    (app_tree / "app" / "mina" / "shell.py").write_text(
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n")
    with pytest.raises(ItemFailed, match=r"new finding.*B602 app/mina/shell.py:5"):
        security.bandit_check(app_tree)


def test_a_finding_accepted_in_the_baseline_passes(app_tree, tmp_path):
    (app_tree / "app" / "mina" / "shell.py").write_text(
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n")
    baseline = tmp_path / "baseline.json"
    assert security.write_bandit_baseline(app_tree, baseline) >= 1
    assert "no new findings" in security.bandit_check(app_tree, baseline)


def fake_pip_audit(reports):
    """A runner that answers each pip-audit call with the next JSON report (or raw text)."""
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        answer = reports[min(len(calls), len(reports)) - 1]
        stdout = answer if isinstance(answer, str) else json.dumps(answer)
        return subprocess.CompletedProcess(command, 0, stdout, "")
    run.calls = calls
    return run


UNREACHABLE = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI and "
                                 "could not be audited: flask (3.1.3)"}], "fixes": []}


def test_an_unreachable_service_is_a_named_skip_after_one_quick_probe():
    runner = fake_pip_audit([UNREACHABLE])
    with pytest.raises(ItemSkipped, match="not reachable.*could not be audited"):
        security.dependency_audit(ROOT, runner)
    assert len(runner.calls) == 1 and "--timeout" in runner.calls[0]


def test_pip_audit_that_cannot_connect_at_all_is_a_skip_too():
    with pytest.raises(ItemSkipped, match="could not reach"):
        security.dependency_audit(ROOT, fake_pip_audit(["Traceback ... ConnectionError"]))


def test_a_vulnerable_pin_fails_naming_it_and_the_fix():
    healthy = {"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []}]}
    vulnerable = {"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []},
                                   {"name": "werkzeug", "version": "3.1.9",
                                    "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.1.10"]}]}]}
    with pytest.raises(ItemFailed, match="werkzeug 3.1.9 GHSA-xxxx.*3.1.10"):
        security.dependency_audit(ROOT, fake_pip_audit([healthy, vulnerable]))


def test_a_clean_audit_passes_with_the_count():
    clean = {"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []},
                              {"name": "werkzeug", "version": "3.1.9", "vulns": []}]}
    assert "2 pinned packages" in security.dependency_audit(ROOT, fake_pip_audit([clean]))


@pytest.mark.parametrize("published, ok", [
    ({"app": ["127.0.0.1:5000"], "db": ["127.0.0.1:15432"]}, True),
    ({"app": ["0.0.0.0:5000"]}, False),
    ({"redis": ["192.168.1.4:16379"]}, False),
])
def test_ports_off_loopback_fail(published, ok, live_app):
    if ok:
        assert "all on 127.0.0.1" in security.live_checks(live_app.url, published, edge_tls=True)
    else:
        with pytest.raises(ItemFailed, match="beyond loopback"):
            security.live_checks(live_app.url, published, edge_tls=True)


def test_a_target_that_is_not_a_replica_says_its_ports_were_not_checked(live_app):
    assert "ports not checked" in security.live_checks(live_app.url, None, edge_tls=False)


def test_a_session_cookie_without_httponly_fails(live_app):
    live_app.cookie = "session=abc; Path=/; SameSite=Lax"
    with pytest.raises(ItemFailed, match="lacks HttpOnly"):
        security.live_checks(live_app.url, {}, edge_tls=False)


def test_a_reachable_debugger_fails(live_app):
    live_app.debugger = True
    with pytest.raises(ItemFailed, match="debugger answers at /console"):
        security.live_checks(live_app.url, {}, edge_tls=False)


def test_edge_tls_comes_from_the_declared_public_url():
    assert security.declares_edge_tls({"public_url": "https://mina-staging.replit.app"})
    assert not security.declares_edge_tls({})
