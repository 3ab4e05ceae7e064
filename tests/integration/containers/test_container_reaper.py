"""Cleanup that survives a killed run: Ryuk is off, so a container whose owning process is gone is
removed when the next session starts (tests/support/containers.py), and a live one's is kept."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from tests.support import containers

ROOT = Path(__file__).resolve().parents[3]
# Start a Redis container the way a session does, print its name, then die or live on.
LEAVE_ONE = """
import os, signal, sys, time
from tests.support import containers
redis = containers.RedisContainer().start()
print(redis.container.get_wrapped_container().name, flush=True)
if sys.argv[1] == "killed":
    os.kill(os.getpid(), signal.SIGKILL)  # as a killed test run: no cleanup of any kind runs
time.sleep(300)
"""
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "app")])}


def owner(how: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", LEAVE_ONE, how], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, text=True)


def state(name: str) -> str | None:
    try:
        return docker.from_env().containers.get(name).status
    except docker.errors.NotFound:
        return None


@pytest.fixture
def left_behind():
    """Remove whatever the test's owners left, whatever the outcome."""
    names = []
    yield names
    for name in names:
        if state(name) is not None:
            docker.from_env().containers.get(name).remove(force=True)


def test_a_container_left_by_a_killed_run_is_gone_after_the_next_session_starts(left_behind):
    killed = owner("killed")
    name = killed.stdout.readline().strip()
    left_behind.append(name)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    assert state(name) == "running"
    session = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:playwright",
         str(Path(__file__).with_name("session_probe.py"))],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert session.returncode == 0, session.stdout + session.stderr
    assert state(name) is None


def test_a_live_owners_container_is_kept_until_it_is_gone(left_behind):
    alive = owner("alive")
    try:
        name = alive.stdout.readline().strip()
        left_behind.append(name)
        assert name not in containers.reap_stale()
        assert state(name) == "running"
    finally:
        alive.kill()
        alive.wait(timeout=30)
    assert name in containers.reap_stale()
    assert state(name) is None
