"""Deploys that are refused or red before the engine is reached: nothing deployed is touched."""
from __future__ import annotations

import dataclasses
import json

import pytest
from invoke import Context
from invoke.exceptions import Exit

from replica.deploy import deploy, remote
from replica.deploy.errors import DeployRefused
from replica.deploy.layout import Layout
from replica.stack.settings import from_environment
from replica.tasks import deploy_tasks

from .conftest import git


@pytest.fixture
def installed(project, tmp_path, monkeypatch):
    """The project's staging remote, its branches pushed without the hook (no CLI to call back)."""
    settings = dataclasses.replace(from_environment({"STAGING_NAME": "unit-deploy"}), root=project,
                                   results_override=tmp_path / "results")
    layout = remote.install(project, settings)
    (layout.remote / "hooks" / "post-receive").unlink()
    git(project, "push", "-q", "staging", "staging:staging", "main:main")
    return settings


def test_a_commit_without_the_compose_file_is_red_and_the_deployment_is_untouched(installed, tmp_path):
    layout = Layout(installed.state_dir)
    layout.serving.write_text(json.dumps({"commit": git(installed.root, "rev-parse", "main"),
                                          "revision": "0001"}))
    before = layout.serving.read_text()
    outcome = deploy.deploy(installed, "staging", "refs/heads/staging")
    assert not outcome.passed and outcome.serving == git(installed.root, "rev-parse", "main")
    assert layout.serving.read_text() == before and not layout.work_tree.exists()
    record = json.loads(outcome.record.read_text())
    assert outcome.record.parent.parent == tmp_path / "results"
    assert outcome.record.parent.name.startswith("deploy-")
    assert (record["kind"], record["verdict"], record["passed"]) == ("deploy", "red", False)
    assert record["commit"] == git(installed.root, "rev-parse", "staging")
    assert record["failed"][0]["key"] == "stack"
    assert "has no docker-compose.staging.yml" in record["failed"][0]["evidence"]
    assert {"started", "duration_s", "tree", "ref", "items", "previous", "serving"} <= set(record)


def test_the_task_exits_1_on_a_red_deploy(installed, monkeypatch, capsys):
    monkeypatch.setattr(deploy_tasks, "settings_for", lambda name: installed)
    with pytest.raises(Exit) as caught:
        deploy_tasks.deploy(Context(), "staging")
    assert caught.value.code == 1
    assert "is red" in capsys.readouterr().err


def test_a_commit_the_remote_does_not_hold_is_refused(installed):
    with pytest.raises(DeployRefused, match="'no-such-branch' is not a commit the staging remote holds"):
        deploy.deploy(installed, "no-such-branch")


def test_a_replica_without_a_remote_is_told_to_install_one(project):
    settings = dataclasses.replace(from_environment({"STAGING_NAME": "never-installed"}), root=project)
    with pytest.raises(DeployRefused, match="has no staging remote"):
        deploy.deploy(settings, "staging")


def test_a_webhook_that_never_answers_leaves_a_red_deploy_red_and_recorded(installed, monkeypatch,
                                                                            capsys):
    from replica.reporting import notify
    from tests.support.webhook_receiver import SilentWebhook
    monkeypatch.setattr(notify, "TIMEOUT_S", 0.5)
    with SilentWebhook() as silent:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", silent.url)
        outcome = deploy.deploy(installed, "staging", "refs/heads/staging")
    assert not outcome.passed and json.loads(outcome.record.read_text())["verdict"] == "red"
    assert "did not answer" in " ".join(capsys.readouterr().err.split())


def test_the_deploy_work_tree_judges_the_tree_the_commits_gate_records_are_keyed_by(installed):
    """The deploy's record names what the gate would judge on its checkout (the .staging link
    excluded): one definition of the tree judged."""
    from replica.reporting import revision
    layout = Layout(installed.state_dir)
    commit = git(installed.root, "rev-parse", "staging")
    tree = deploy.check_out(layout, commit)
    assert (layout.work_tree / ".staging").is_symlink()
    assert tree == revision.judged_tree(layout.work_tree) == git(installed.root, "rev-parse",
                                                                   "staging^{tree}")
