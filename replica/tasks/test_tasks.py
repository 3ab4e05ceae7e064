"""`invoke test`: the project's own test suites, fast ones first."""
from __future__ import annotations

from invoke.exceptions import Exit

from .cli import task
from ..stack.settings import test_replica_name
from .reporting import reported, settings_for



@task(help={"fast": "unit tests only: no container engine needed",
            "keep": "leave the test replica running afterwards (faster re-runs)",
            "pytest_args": "extra arguments for pytest, e.g. \"-k envprofile -x\""})
@reported
def test(c, fast=False, keep=False, pytest_args=""):
    """Run unit tests (no engine), then integration and end-to-end tests on a throwaway replica."""
    from ..commands import test as test_command

    failed = test_command.run(settings_for(test_replica_name()), fast, keep, pytest_args)
    if failed:
        raise Exit(code=failed)
