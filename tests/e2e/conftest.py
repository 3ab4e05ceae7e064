"""Loads the smoke suite's plugin when pytest is pointed at tests/e2e (the runbook's command)."""
from tests.e2e.plugin import pytest_addoption, pytest_configure, run_started_at, target  # noqa: F401
