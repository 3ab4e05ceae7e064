"""The smoke suite's pytest plugin: --base-url/--sink-url options, checklist marks, the gate's report.

Loaded as `pytest -p tests.e2e.plugin ...` (what `invoke staging.validate` runs), or by this
folder's conftest when pytest is pointed at tests/e2e (the runbook's
`pytest tests/e2e/test_01_smoke_tests.py --base-url=URL`).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.e2e.target import Target, resolve_target

OPTIONS = (
    ("--base-url", "URL of the app under test (default: the running local replica)"),
    ("--sink-url", "URL of the Sentry-compatible error sink (default: the replica's, if any)"),
    ("--gate-report", "write per-checklist-item results as JSON to this path"),
)


def pytest_addoption(parser):
    """Add the suite's options; tolerate a second registration (conftest and -p both loaded)."""
    group = parser.getgroup("staging smoke suite")
    for name, help_text in OPTIONS:
        try:
            group.addoption(name, action="store", default=None, help=help_text)
        except ValueError:  # already added by the other loading path
            return


def pytest_configure(config):
    config.addinivalue_line("markers", "checklist(*keys): the runbook checklist items a test proves")
    wanted = config.getoption("--gate-report", default=None)
    if wanted and not config.pluginmanager.has_plugin("staging-gate-report"):  # once, if loaded twice
        config.pluginmanager.register(GateReport(config), "staging-gate-report")


@pytest.fixture(scope="session")
def target(request) -> Target:
    """Where the suite points: --base-url, else the running replica (skip if none is up)."""
    found = resolve_target(request.config.getoption("--base-url", default=None),
                           request.config.getoption("--sink-url", default=None))
    if isinstance(found, str):
        pytest.skip(found)
    return found


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
