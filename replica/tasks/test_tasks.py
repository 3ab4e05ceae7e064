"""`invoke test`: the project's own test suites, fast ones first."""
from __future__ import annotations

import os
import subprocess
import sys

from invoke.exceptions import Exit

from ..core import console
from ..engine import provision as engine, system_packages
from .cli import task
from .reporting import reported, settings_for

NO_TESTS_COLLECTED = 5
TEST_REPLICA = os.environ.get("STAGING_TEST_NAME", "test")  # never the user's replica


@task(help={"fast": "unit tests only: no container engine needed",
            "keep": "leave the test replica running afterwards (faster re-runs)",
            "pytest_args": "extra arguments for pytest, e.g. \"-k envprofile -x\""})
@reported
def test(c, fast=False, keep=False, pytest_args=""):
    """Run unit tests (no engine), then integration and end-to-end tests on a throwaway replica."""
    system_packages.ensure(system_packages.UNIT_TEST_BINARIES)
    _pytest("unit tests", ["tests/unit"], pytest_args)
    if fast:
        return
    found = engine.ensure_engine(settings_for(None).provision_engine)
    console.info(f"engine {found.server_version}, compose {found.compose_version}")
    system_packages.ensure(system_packages.BROWSER_BINARIES)
    from ..commands.down import down
    from ..commands.up import up
    settings = settings_for(TEST_REPLICA)
    console.console.rule(f"test replica {settings.name!r}")
    try:
        up(settings)
        _pytest("integration and end-to-end tests", ["tests/integration", "tests/e2e"],
                pytest_args, {"STAGING_TEST_NAME": settings.name, "STAGING_NAME": settings.name})
    finally:
        if not keep:
            down(settings, volumes=True)


def _pytest(title: str, paths: list[str], extra: str, env: dict[str, str] | None = None) -> None:
    console.console.rule(title)
    code = subprocess.call([sys.executable, "-m", "pytest", *paths, *extra.split()],
                           env={**os.environ, **(env or {})})
    if code not in (0, NO_TESTS_COLLECTED):
        raise Exit(code=code)
