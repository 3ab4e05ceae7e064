"""The smoke suite's pytest plugin: its options and marks, the target, the gate's report.

`--base-url` is pytest-base-url's (the convention pytest-selenium and pytest-playwright share);
this plugin adds `--sink-url`, `--destructive` and `--gate-report`. Loaded as
`pytest -p tests.e2e.plugin ...` (what `invoke staging.validate` runs), or by this folder's
conftest when pytest is pointed at tests/e2e (the runbook's
`pytest tests/e2e/test_01_smoke_tests.py --base-url=URL`).
"""
from __future__ import annotations

import ipaddress
import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.target import Target, resolve_target


def pytest_addoption(parser):
    group = parser.getgroup("staging smoke suite")
    group.addoption("--sink-url", action="store", default=None,
                    help="URL of the Sentry-compatible error sink (default: the replica's, if any)")
    group.addoption("--sink-ignore-host", action="append", default=[], metavar="SERVER_NAME",
                    help="an error event from this host (its server_name) is another app's that reports "
                         "to the same sink (the gate's variant apps: their items count them); repeatable")
    group.addoption("--destructive", action="store_true", default=False,
                    help="also run the tests that write data (accounts, meetings) against a "
                         "--base-url that is not this machine")
    group.addoption("--gate-report", action="store", default=None,
                    help="write per-checklist-item results as JSON to this path")


def pytest_configure(config):
    config.addinivalue_line("markers", "checklist(*keys): the runbook checklist items a test proves")
    config.addinivalue_line("markers", "destructive: writes data; run against a target that is not "
                                       "loopback only with --destructive")
    config.addinivalue_line("markers", "variant: shows what a configuration variant changes (the gate "
                                       "runs these against each variant app: -m variant)")
    wanted = config.getoption("--gate-report")
    if wanted:
        config.pluginmanager.register(GateReport(config), "staging-gate-report")


def pytest_runtest_setup(item):
    """Skip a data-writing test against a remote target unless --destructive was given."""
    if item.get_closest_marker("destructive") is None or item.config.getoption("--destructive"):
        return
    base_url = item.config.getoption("base_url")
    if base_url and not is_loopback(base_url):
        pytest.skip(f"writes data on {urlsplit(base_url).hostname}: pass --destructive to run it there")


def is_loopback(url: str) -> bool:
    """True when url's host is this machine (localhost or a loopback address)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: not resolved, a remote target unless it says localhost
        return False


@pytest.fixture(scope="session")
def target(request) -> Target:
    """Where the suite points: --base-url, else the running replica (skip if none is up)."""
    found = resolve_target(request.config.getoption("base_url"),
                           request.config.getoption("--sink-url"))
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(scope="session")
def fixture_users(target) -> dict:
    """The loaded fixtures' heaviest and lightest users (at prod-scale: the most data there is)."""
    from replica.gate import fixture_users as users

    try:
        picked = users.from_environment(os.environ)  # the gate's, taken before its k6 run began
    except ValueError as error:
        pytest.fail(str(error))
    if picked:
        return {"heaviest": picked[0][0], "lightest": picked[1]}
    if not target.database_url:
        pytest.skip(f"no fixture users: {target.base_url} is not a replica whose database this machine reads")
    heaviest, lightest = users.heaviest(target.database_url, 1), users.lightest(target.database_url)
    if not heaviest or lightest is None:
        pytest.skip(f"no fixture users could be read from the replica's database ({target.source})")
    return {"heaviest": heaviest[0], "lightest": lightest}


@pytest.fixture(scope="session")
def expects(target):
    """What the app must do under the target's fault profiles (replica/stack/profiles.py)."""
    from replica.stack.profiles import expectations

    return expectations(target.profiles)


@pytest.fixture(scope="session")
def sink_ignored_hosts(request) -> frozenset[str]:
    """The hosts whose error events are not the target's (--sink-ignore-host)."""
    return frozenset(request.config.getoption("--sink-ignore-host"))


@pytest.fixture(scope="session", autouse=True)
def run_started_at() -> float:
    """When the suite started (autouse: taken first); the sink check counts only errors after it."""
    return time.time() - 1.0


class GateReport:
    """Collect each test's outcome per checklist item and write them for `staging.validate`."""

    def __init__(self, config):
        self.path = Path(config.getoption("--gate-report"))
        self.results: list[dict] = []

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items):
        for item in items:
            keys = [key for mark in item.iter_markers("checklist") for key in mark.args]
            item.user_properties.append(("checklist", keys))

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        setup_not_passed = report.when == "setup" and report.outcome != "passed"
        if report.when != "call" and not setup_not_passed and not report.failed:
            return
        self.results.append({"test": report.nodeid,
                             "checklist": dict(report.user_properties).get("checklist", []),
                             "outcome": report.outcome, "seconds": round(report.duration, 2),
                             "message": _message(report)})

    @pytest.hookimpl
    def pytest_sessionfinish(self, session):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"tests": self.results}, indent=2) + "\n")


def _message(report) -> str:
    if report.passed:
        return ""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    return (crash.message if crash else str(report.longrepr))[:600]
