"""`invoke test`: the project's own suites, fast ones first: unit tests (no engine), then
integration and end-to-end tests on a throwaway replica that is never the user's."""
from __future__ import annotations

import os
import subprocess
import sys

from ..core import console, system_packages
from ..engine import provision
from ..stack.settings import Settings

NO_TESTS_COLLECTED = 5  # pytest's own exit status


def run(test_settings: Settings, fast: bool, keep: bool, pytest_args: str) -> int:
    """Run the unit tier, then (unless fast) the stack tiers on test_settings' replica; return
    the exit status of the first suite that failed (pytest's), else 0."""
    system_packages.ensure(system_packages.UNIT_TEST_BINARIES)
    failed = _pytest("unit tests", ["tests/unit"], pytest_args)
    if failed or fast:
        return failed
    found = provision.ensure_engine(test_settings.provision_engine)
    console.info(f"engine {found.server_version}, compose {found.compose_version}")
    system_packages.ensure(system_packages.STACK_TEST_BINARIES)
    from .down import down
    from .up import up
    console.console.rule(f"test replica {test_settings.name!r}")
    try:
        up(test_settings)
        return _pytest("integration and end-to-end tests", ["tests/integration", "tests/e2e"],
                       pytest_args, {"STAGING_TEST_NAME": test_settings.name,
                                     "STAGING_NAME": test_settings.name})
    finally:
        if not keep:
            down(test_settings, volumes=True)


def _pytest(title: str, paths: list[str], extra: str, env: dict[str, str] | None = None) -> int:
    console.console.rule(title)
    code = subprocess.call([sys.executable, "-m", "pytest", *paths, *extra.split()],
                           env={**os.environ, **(env or {})})
    return 0 if code == NO_TESTS_COLLECTED else code
