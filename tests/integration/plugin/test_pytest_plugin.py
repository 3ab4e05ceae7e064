"""The pytest plugin (replica/pytest_plugin.py): the README's runnable example passes against the
running test replica, which it reuses rather than bringing up another."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from replica.stack import plan as stack_module

ROOT = Path(__file__).resolve().parents[3]


def test_the_example_runs_against_the_running_replica_and_reuses_it(replica):
    settings = replica.settings
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/", "-q", "-p", "no:cacheprovider",
         "--staging-name", settings.name], cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "STAGING_NAME": settings.name})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
    # reused, not a second replica: nothing named <name>-pytest was ever prepared here
    assert stack_module.load(settings.with_name(f"{settings.name}-pytest")) is None

