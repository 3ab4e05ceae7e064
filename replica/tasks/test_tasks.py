"""`invoke test`: the project's own test suites, fast ones first."""
from __future__ import annotations

import subprocess
import sys

from invoke import task
from invoke.exceptions import Exit

from .. import console, engine, system_packages
from .reporting import reported, settings_for

NO_TESTS_COLLECTED = 5


@task(help={"fast": "unit tests only: no container engine needed",
            "pytest_args": "extra arguments for pytest, e.g. \"-k envprofile -x\""})
@reported
def test(c, fast=False, pytest_args=""):
    """Run unit tests (no engine), then integration and end-to-end tests on a throwaway replica."""
    system_packages.ensure(system_packages.UNIT_TEST_BINARIES)
    _pytest("unit tests", ["tests/unit"], pytest_args)
    if fast:
        return
    found = engine.ensure_engine(settings_for(None).provision_engine)
    console.info(f"engine {found.server_version}, compose {found.compose_version}")
    system_packages.ensure(system_packages.BROWSER_BINARIES)
    _pytest("integration and end-to-end tests", ["tests/integration", "tests/e2e"], pytest_args)


def _pytest(title: str, paths: list[str], extra: str) -> None:
    console.console.rule(title)
    code = subprocess.call([sys.executable, "-m", "pytest", *paths, *extra.split()])
    if code not in (0, NO_TESTS_COLLECTED):
        raise Exit(code=code)
