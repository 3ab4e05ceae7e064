"""The candidate replica a push is judged on: its name, its steps (judge, tear down, promote) with
the engine's parts stood in for, and a candidate a crashed run left (cleaned) or a replica of its
name that is not one (refused, nothing touched)."""
from __future__ import annotations

import dataclasses
import json

import pytest

from replica.deploy import candidate, deploy, remote
from replica.deploy.errors import DeployRefused
from replica.deploy.layout import Layout
from replica.gate.checklist import FAILED, PASSED
from replica.stack.settings import NAME_MAX, from_environment, validate_name

from .conftest import commit_file, git


def test_the_candidate_is_named_after_the_deployment():
    assert candidate.name_for("cd-deploy") == "cd-deploy-candidate"
    assert candidate.name_for("main") == "main-candidate"


def test_a_long_deployment_name_gets_a_short_distinct_candidate_name():
    first, second = "a" * 29 + "-1", "a" * 29 + "-2"
    names = {candidate.name_for(first), candidate.name_for(second)}
    assert len(names) == 2
    for name in names:
        assert len(name) <= NAME_MAX and name.endswith(candidate.SUFFIX)
        assert validate_name(name) == name
    assert candidate.name_for(first) == candidate.name_for(first)


def test_the_candidate_runs_from_its_own_tree_on_its_own_ports(tmp_path):
    settings = dataclasses.replace(
        from_environment({"STAGING_NAME": "cd-unit", "STAGING_APP_PORT": "5000"}), root=tmp_path)
    layout = Layout(settings.state_dir)
    own = candidate.settings_for(settings, layout)
    assert (own.name, own.root, own.pinned_ports) == ("cd-unit-candidate", layout.candidate_tree, {})
    assert own.results_dir == settings.results_dir
    assert candidate.state_dir(settings) == tmp_path / ".staging" / "cd-unit-candidate"


class FakeStack:
    """What `up` returns, without an engine: the settings it ran with and URLs."""

    def __init__(self, settings):
        self.settings, self.services = settings, ["app", "db"]
        self.ports = {"app": 5000, "db": 15432}

    def url(self, service):
        return f"http://{self.settings.name}/{service}"


@pytest.fixture
def engine(monkeypatch):
    """Stand-ins for everything that would reach an engine; calls lists what ran, in order."""
    calls, smoke_green = [], {"value": True}

    def up(settings):
        calls.append(("up", settings.name, settings.root))
        return FakeStack(settings)

    def smoke_record(checklist, keys, code, run_dir, log_path):
        checklist.record("api", PASSED if smoke_green["value"] else FAILED, "smoke")
    monkeypatch.setattr(deploy, "_declared_up", up)
    monkeypatch.setattr(deploy, "_migrate", lambda stack: calls.append(("migrate", stack.settings.name))
                        or "database at head 0002")
    monkeypatch.setattr(deploy.db_commands, "copy_between",
                        lambda source, target: calls.append(("copy", source.settings.name,
                                                             target.settings.name)) or "copied")
    monkeypatch.setattr(deploy.smoke, "run", lambda root, *args: calls.append(("smoke", root))
                        or (0, root / "smoke.log"))
    monkeypatch.setattr(deploy.smoke, "record", smoke_record)
    monkeypatch.setattr(deploy.migrations_check, "live_revision", lambda url: "0002")
    monkeypatch.setattr(candidate.down, "down",
                        lambda settings, volumes=False: calls.append(("down", settings.name, volumes)))
    monkeypatch.setattr(deploy.notify, "announce", lambda *args: None)
    return calls, smoke_green


@pytest.fixture
def deployed(project, tmp_path, monkeypatch, engine):
    """A deployment serving `main` (its tree checked out, its stack recorded) and a pushed commit
    with a compose file, `staging`, to judge."""
    settings = dataclasses.replace(from_environment({"STAGING_NAME": "cd-unit"}), root=project,
                                   results_override=tmp_path / "results")
    git(project, "checkout", "-q", "staging")
    commit_file(project, "docker-compose.staging.yml", "services: {}\n", "a stack")
    layout = remote.install(project, settings)
    (layout.remote / "hooks" / "post-receive").unlink()
    git(project, "push", "-q", "staging", "staging:staging", "main:main")
    main = git(project, "rev-parse", "main")
    deploy.check_out(layout, main)
    layout.serving.write_text(json.dumps({"commit": main, "revision": "0001"}))
    serving_stack = FakeStack(settings)
    monkeypatch.setattr(deploy.stack_module, "load",
                        lambda s: serving_stack if s.name == settings.name else None)
    engine[0].clear()
    return settings, layout, main


def test_a_red_push_is_judged_and_torn_down_on_the_candidate_alone(deployed, engine):
    settings, layout, main = deployed
    calls, smoke_green = engine
    smoke_green["value"] = False
    before = layout.serving.read_text()

    outcome = deploy.deploy(settings, "staging")

    assert not outcome.passed and outcome.serving == main
    cand = candidate.name_for(settings.name)
    assert calls == [("up", cand, layout.candidate_tree), ("copy", settings.name, cand),
                     ("migrate", cand), ("smoke", layout.candidate_tree), ("down", cand, True)]
    assert layout.serving.read_text() == before
    assert git(layout.work_tree, "rev-parse", "HEAD") == main
    assert not layout.candidate_tree.exists() and not candidate.state_dir(settings).exists()
    record = json.loads(outcome.record.read_text())
    assert (record["serving"], record["candidate"]) == (main, cand)


def test_a_green_push_tears_the_candidate_down_then_serves_the_commit_from_the_deployment(
        deployed, engine):
    settings, layout, main = deployed
    calls, _ = engine
    pushed = git(settings.root, "rev-parse", "staging")

    outcome = deploy.deploy(settings, "staging")

    assert outcome.passed and outcome.serving == pushed
    cand = candidate.name_for(settings.name)
    assert calls[-3:] == [("down", cand, True), ("up", settings.name, layout.work_tree),
                          ("migrate", settings.name)]
    assert git(layout.work_tree, "rev-parse", "HEAD") == pushed
    assert json.loads(layout.serving.read_text())["commit"] == pushed
    assert not layout.candidate_tree.exists() and not candidate.state_dir(settings).exists()
    promote = {item.key: item for item in outcome.checklist.ordered()}["promote"]
    assert promote.result == PASSED and "serving at http://cd-unit/app" in promote.evidence


def test_a_candidate_a_crashed_run_left_is_removed_first_and_said(deployed, engine, capsys):
    settings, layout, _ = deployed
    calls, _ = engine
    candidate.claim(settings, "d" * 40)
    layout.candidate_tree.mkdir()
    (layout.candidate_tree / "half-checked-out").write_text("")

    said = candidate.clear_leftover(settings, layout)

    assert said.startswith(f"removed the candidate of {'d' * 12} left by a run that ended early")
    assert calls == [("down", candidate.name_for(settings.name), True)]
    assert not layout.candidate_tree.exists() and not candidate.state_dir(settings).exists()
    assert candidate.clear_leftover(settings, layout) is None  # nothing left: nothing to say


def test_a_replica_holding_the_candidates_name_is_refused_and_nothing_is_touched(deployed, engine,
                                                                                 tmp_path):
    settings, layout, _ = deployed
    calls, _ = engine
    foreign = candidate.state_dir(settings)
    foreign.mkdir(parents=True)
    (foreign / "ports.json").write_text('{"app": 5001}')
    before = layout.serving.read_text()

    with pytest.raises(DeployRefused, match="is not the candidate of 'cd-unit'") as refused:
        deploy.deploy(settings, "staging")

    assert "staging.down --name cd-unit-candidate --volumes" in refused.value.hint
    assert calls == [] and (foreign / "ports.json").read_text() == '{"app": 5001}'
    assert layout.serving.read_text() == before and not (tmp_path / "results").exists()


def test_the_task_refuses_it_in_one_line_with_exit_2(deployed, engine, monkeypatch, capsys):
    from invoke import Context
    from invoke.exceptions import Exit
    from replica.tasks import deploy_tasks

    settings, _, _ = deployed
    candidate.state_dir(settings).mkdir(parents=True)
    monkeypatch.setattr(deploy_tasks, "settings_for", lambda name: settings)
    with pytest.raises(Exit) as caught:
        deploy_tasks.deploy(Context(), "staging")
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "is not the candidate of 'cd-unit'" in " ".join(err.split())
    assert "Traceback" not in err and engine[0] == []


def test_a_promotion_that_fails_brings_the_last_green_deployment_back(deployed, engine, monkeypatch):
    from replica.core.errors import StackUnhealthyError

    settings, layout, main = deployed
    calls, _ = engine
    judged_up = deploy._declared_up

    def up(on):
        if on.name == settings.name and git(layout.work_tree, "rev-parse", "HEAD") != main:
            calls.append(("up failed", on.name))
            raise StackUnhealthyError("app unhealthy")
        return judged_up(on)
    monkeypatch.setattr(deploy, "_declared_up", up)
    monkeypatch.setattr(deploy.migrations_check, "flask_db",
                        lambda stack, *args, on="": calls.append(("flask db", *args)) or ["0002 -> 0001"])

    outcome = deploy.deploy(settings, "staging")

    assert not outcome.passed and outcome.serving == main
    assert calls[-3:] == [("up failed", settings.name), ("flask db", "downgrade", "0001"),
                          ("up", settings.name, layout.work_tree)]
    assert git(layout.work_tree, "rev-parse", "HEAD") == main
    assert json.loads(layout.serving.read_text())["commit"] == main
    items = {item.key: item for item in outcome.checklist.ordered()}
    assert items["promote"].result == FAILED and items["rollback"].result == PASSED
