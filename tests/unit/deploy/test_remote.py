"""The staging remote: install, its post-receive hook's dispatch, one deploy at a time."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import threading

import pytest

from replica.deploy import lock, remote
from replica.deploy.layout import Layout
from replica.core.errors import ConfigError
from replica.stack.settings import from_environment

from .conftest import git


@pytest.fixture
def settings(project):
    return dataclasses.replace(from_environment({"STAGING_NAME": "unit-deploy"}), root=project)


@pytest.fixture
def fake_cli(project):
    """A stand-in for the checkout's .venv/bin/invoke that writes down each call's arguments."""
    calls = project / "cli-calls.jsonl"
    cli = project / ".venv" / "bin" / "invoke"
    cli.parent.mkdir(parents=True)
    cli.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$*\" >> {calls}\necho \"deploy says: $*\"\n")
    cli.chmod(0o755)
    return lambda: calls.read_text().splitlines() if calls.is_file() else []


def push(project, *refspecs):
    return subprocess.run(["git", "-C", str(project), "push", "staging", *refspecs],
                          capture_output=True, text=True)


def test_install_adds_the_remote_a_bare_repository_and_an_executable_hook(project, settings):
    layout = remote.install(project, settings)
    assert layout.remote == settings.state_dir / "remote.git"
    assert git(project, "remote", "get-url", "staging") == str(layout.remote)
    assert git(layout.remote, "rev-parse", "--is-bare-repository") == "true"
    hook = layout.remote / "hooks" / "post-receive"
    assert hook.stat().st_mode & 0o111 and remote.MARKER in hook.read_text()
    assert remote.install(project, settings) == layout  # again: the same, nothing refused


def test_install_refuses_a_staging_remote_pointing_elsewhere_unless_forced(project, settings):
    git(project, "remote", "add", "staging", "https://example.test/elsewhere.git")
    with pytest.raises(ConfigError, match="exists and points at https://example.test/elsewhere.git"):
        remote.install(project, settings)
    assert not Layout(settings.state_dir).remote.exists()
    remote.install(project, settings, force=True)
    assert git(project, "remote", "get-url", "staging") == str(Layout(settings.state_dir).remote)


def test_a_push_to_staging_calls_the_checkouts_cli_and_its_output_reaches_the_pusher(
        project, settings, fake_cli):
    remote.install(project, settings)
    done = push(project, "staging:staging")
    commit = git(project, "rev-parse", "staging")
    expected = f"staging.remote.deploy --name unit-deploy --ref refs/heads/staging {commit}"
    assert done.returncode == 0, done.stderr
    assert fake_cli() == [expected]
    assert f"remote: deploy says: {expected}" in done.stderr


def test_a_push_of_another_branch_is_kept_and_not_deployed(project, settings, fake_cli):
    remote.install(project, settings)
    done = push(project, "main:main")
    assert fake_cli() == []
    assert "kept refs/heads/main (only a push to staging deploys)" in done.stderr


def test_deleting_the_staging_branch_is_refused_and_deploys_nothing(project, settings, fake_cli):
    remote.install(project, settings)
    push(project, "staging:staging")
    done = push(project, ":staging")
    assert done.returncode != 0 and "deleting the current branch is denied" in done.stderr
    assert len(fake_cli()) == 1


def test_a_second_deploy_waits_for_the_running_one_and_is_told_whose_it_is(tmp_path):
    path, order = tmp_path / "deploy.lock", []
    first = lock.held(path, "a" * 40)
    first.__enter__()
    heard = []

    def second_waits(holder):  # called before the second blocks: let the first finish now
        heard.append(lock.describe(holder))
        order.append("first done")
        first.__exit__(None, None, None)

    def second():
        with lock.held(path, "b" * 40, on_wait=second_waits):
            order.append("second runs")
    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=60)
    assert order == ["first done", "second runs"]
    assert heard[0].startswith(f"the deploy of {'a' * 12} (pid ")


def test_the_lock_records_its_holder_and_clears_it_when_released(tmp_path):
    path = tmp_path / "deploy.lock"
    with lock.held(path, "c" * 40):
        assert json.loads(path.read_text())["commit"] == "c" * 40
    assert path.read_text() == ""
