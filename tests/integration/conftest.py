"""Integration tests run against a throwaway replica, never the user's: STAGING_TEST_NAME (default
`test`); tests that need more replicas name them `<that>-<suffix>`.

`invoke test` brings it up before pytest and takes it down after; run alone, the `replica`
fixture brings it up itself (a no-op when it is already up) and leaves it running.
"""
import os
from dataclasses import replace

import pytest

from replica.commands.up import up
from replica.settings import from_environment

TEST_REPLICA = os.environ.get("STAGING_TEST_NAME", "test")


def settings_for(suffix: str | None = None):
    """Settings for the test replica, or for another one named `<test replica>-<suffix>`."""
    name = f"{TEST_REPLICA}-{suffix}" if suffix else TEST_REPLICA
    return replace(from_environment().with_name(name), pinned_ports={})


@pytest.fixture(scope="session")
def replica_settings():
    """A factory of settings for other throwaway replicas (take them down in the test)."""
    return settings_for


@pytest.fixture(scope="session")
def replica():
    """The running test replica's Stack (brought up if needed)."""
    return up(settings_for())
