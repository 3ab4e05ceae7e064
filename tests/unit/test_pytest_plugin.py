"""The pytest plugin's session replica: reused when it is up, else a throwaway one brought up for
the session and removed after it (kept with --staging-keep). Driven with pytester, the engine
replaced by fakes that record what the plugin asked of it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from replica.stack.settings import DEFAULT_NAME

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]

FAKE_ENGINE = '''
import json, os
import pytest

from replica.stack.settings import DEFAULT_NAME
from replica.commands import down, status, up

LOG = os.environ["PLUGIN_LOG"]

def record(*what):
    with open(LOG, "a") as f:
        f.write(json.dumps(what) + "\\n")

class Stack:
    def __init__(self, name):
        self.name = name
    def url(self, service):
        return f"http://127.0.0.1:1/{self.name}/{service}"

@pytest.fixture(autouse=True, scope="session")
def fake_engine():
    patch = pytest.MonkeyPatch()
    patch.setattr(status, "status", lambda s: {"up": os.environ["PLUGIN_UP"] == s.name})
    patch.setattr(up, "up", lambda s: record("up", s.name) or Stack(s.name))
    patch.setattr(down, "down", lambda s, volumes=False: record("down", s.name, volumes))
    patch.setattr("replica.stack.plan.load", lambda s: Stack(s.name))
    yield
    patch.undo()
'''

TEST = '''
def test_one(staging):
    assert staging.base_url.endswith("/app")
    print("RAN AGAINST", staging.settings.name, staging.owned)

def test_two(staging):
    print("RAN AGAINST", staging.settings.name, staging.owned)
'''


def run(pytester, monkeypatch, tmp_path, up_name, *args):
    log = tmp_path / "engine.log"
    log.write_text("")
    monkeypatch.setenv("PLUGIN_LOG", str(log))
    monkeypatch.setenv("PLUGIN_UP", up_name)
    monkeypatch.delenv("STAGING_NAME", raising=False)
    pytester.makeconftest(FAKE_ENGINE)
    pytester.makepyfile(test_example=TEST)
    result = pytester.runpytest_subprocess("-s", "-p", "no:playwright", *args)  # plugin: its entry point
    return result, [line for line in log.read_text().splitlines() if line]


def test_a_replica_that_is_up_is_reused_and_left_running(pytester, monkeypatch, tmp_path):
    result, engine = run(pytester, monkeypatch, tmp_path, "feature-x", "--staging-name", "feature-x")
    result.assert_outcomes(passed=2)
    assert sum("RAN AGAINST feature-x False" in line for line in result.stdout.lines) == 2
    assert engine == []  # neither up nor down


def test_otherwise_one_throwaway_replica_serves_the_session_and_is_removed(pytester, monkeypatch,
                                                                          tmp_path):
    result, engine = run(pytester, monkeypatch, tmp_path, "nothing-is-up", "--staging-name", "feature-x")
    result.assert_outcomes(passed=2)
    assert engine == ['["up", "feature-x-pytest"]', '["down", "feature-x-pytest", true]']


def test_keep_leaves_the_throwaway_replica_up(pytester, monkeypatch, tmp_path):
    result, engine = run(pytester, monkeypatch, tmp_path, "nothing-is-up", "--staging-keep")
    result.assert_outcomes(passed=2)
    assert engine == [f'["up", "{DEFAULT_NAME}-pytest"]']


def test_the_plugin_is_registered_for_every_pytest_run_of_the_checkout():
    done = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "--staging-name" in done.stdout and "--staging-keep" in done.stdout
