"""Integration tests run against a throwaway replica (never the user's): STAGING_NAME=test.

`invoke test` brings it up before pytest and takes it down after; run alone, the `replica`
fixture brings it up itself (a no-op when it is already up) and leaves it running.
"""
import os
from dataclasses import replace

import pytest

from replica.commands.up import up
from replica.settings import from_environment

TEST_REPLICA = "test"


def settings_for(name: str = TEST_REPLICA):
    """Settings for a test replica: the test name unless the runner chose another."""
    settings = from_environment()
    chosen = os.environ.get("STAGING_NAME", name) if name == TEST_REPLICA else name
    return replace(settings.with_name(chosen), pinned_ports={})


@pytest.fixture(scope="session")
def replica_settings():
    """A factory of settings for other throwaway replicas (take them down in the test)."""
    return settings_for


@pytest.fixture(scope="session")
def replica():
    """The running test replica's Stack (brought up if needed)."""
    return up(settings_for())
