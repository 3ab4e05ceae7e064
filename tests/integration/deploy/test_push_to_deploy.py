"""Push to deploy for real: `git push staging` judges a commit on a candidate replica beside the
serving deployment, says so in the pushing terminal and, when green, serves it; a broken commit
is red and the deployment serving before answers throughout, untouched.

One replica for the file (`<test replica>-deploy`; STAGING_TEST_NAME=h makes it `h-deploy`), on a
scratch clone of this checkout (its remote and hook are the clone's own, never this repository's),
taken down with its volumes at the end. The clone uses this checkout's .venv, as a second checkout
of the project on the same machine would.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from replica.stack import plan as stack_module
from replica.commands import migrations_check
from replica.commands.down import down
from replica.deploy import candidate
from replica.engine import health
from replica.stack.settings import ROOT, from_environment

from tests.integration.conftest import TEST_REPLICA
from tests.support.migrations import write_table_migration

REPLICA = f"{TEST_REPLICA}-deploy"
PUSH_TIMEOUT_S = 1200  # a first deploy may build images; the smoke suite takes minutes when loaded
# a red push (the candidate up, its smoke suite, its teardown) took 232 s at load 15-19: past the
# project's 300 s per test when the machine is busier; the push's own timeout bounds it instead
pytestmark = [pytest.mark.stack, pytest.mark.timeout(PUSH_TIMEOUT_S + 60)]
APP_PATHS = ("app", "db/migrations", "docker/python")  # what the app's GIT_SHA is the last change of
POLL_EVERY_S = 0.5


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A clone of this checkout's HEAD with the remote installed; the replica is removed after."""
    path = tmp_path_factory.mktemp("push-to-deploy") / "checkout"
    git(ROOT, "clone", "--quiet", "--no-checkout", str(ROOT), str(path))
    git(path, "checkout", "--quiet", "-b", "work", git(ROOT, "rev-parse", "HEAD"))
    for name, value in (("user.name", "Deploy Test"), ("user.email", "deploy@example.test")):
        git(path, "config", name, value)
    (path / ".venv").symlink_to(ROOT / ".venv")
    invoke(path, "staging.remote.install", "--name", REPLICA)
    yield path
    for name in (REPLICA, candidate.name_for(REPLICA)):  # a candidate only if a run was cut short
        down(dataclasses.replace(from_environment().with_name(name), root=path), volumes=True)


def invoke(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(checkout / ".venv" / "bin" / "invoke"), *args], cwd=checkout,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def push(checkout: Path, rev: str = "HEAD") -> subprocess.CompletedProcess:
    """`git push staging REV:staging`, as the runbook's manual deployment; its terminal output."""
    return subprocess.run(["git", "-C", str(checkout), "push", "--force", "staging", f"{rev}:staging"],
                          capture_output=True, text=True, timeout=PUSH_TIMEOUT_S,
                          env={**os.environ, "COLUMNS": "160"})


def last_record(checkout: Path) -> dict:
    newest = max((checkout / "results").glob("deploy-*/report.json"), key=lambda p: p.parent.name)
    return json.loads(newest.read_text())


def serving_sha(checkout: Path) -> str:
    """The GIT_SHA the running app reports: which commit's code is serving."""
    stack = stack_module.load(dataclasses.replace(from_environment().with_name(REPLICA), root=checkout))
    return requests.get(f"{stack.url('app')}/version", timeout=10).json()["git_sha"]


def app_sha(checkout: Path, rev: str) -> str:
    return git(checkout, "log", "-1", "--format=%h", "--abbrev=12", rev, "--", *APP_PATHS)


def deployment(checkout: Path) -> stack_module.Stack:
    return stack_module.load(dataclasses.replace(from_environment().with_name(REPLICA), root=checkout))


def containers(name: str) -> dict[str, str]:
    """The replica's containers (name -> id): a container recreated gets a new id."""
    label = f"{health.PROJECT_LABEL}={from_environment().with_name(name).project}"
    return {c.name: c.id for c in health.engine_client().containers.list(all=True,
                                                                          filters={"label": label})}


def assert_candidate_gone(checkout: Path) -> None:
    name = candidate.name_for(REPLICA)
    assert containers(name) == {}
    assert not (checkout / ".staging" / name).exists()
    assert not (checkout / ".staging" / REPLICA / "candidate").exists()


class HealthPoller(threading.Thread):
    """GET url every POLL_EVERY_S until stopped; keep each answer's status (or the error)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.answers, self.done = url, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.answers.append(requests.get(self.url, timeout=10).status_code)
            except requests.RequestException as error:
                self.answers.append(f"{type(error).__name__}: {error}")
            self.done.wait(POLL_EVERY_S)

    def stop(self) -> list:
        self.done.set()
        self.join(timeout=30)
        return self.answers


@pytest.fixture(scope="module")
def first_deploy(clone):
    """The clone's HEAD pushed once: the deployment the later tests must keep serving."""
    return push(clone), git(clone, "rev-parse", "HEAD")


def test_a_push_deploys_the_commit_and_reports_its_smoke_verdict_in_the_terminal(clone, first_deploy):
    done, commit = first_deploy
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"remote: ✔ deployed {commit[:12]}: smoke suite green" in done.stderr, done.stderr[-3000:]
    record = last_record(clone)
    assert (record["kind"], record["verdict"], record["commit"]) == ("deploy", "green", commit)
    assert record["failed"] == [] and record["serving"] == commit
    assert record["candidate"] == candidate.name_for(REPLICA)
    items = {item["key"]: item for item in record["items"]}
    assert {"stack", "data", "migrate", "promote"} <= set(items), sorted(items)
    assert serving_sha(clone) == app_sha(clone, commit)
    assert_candidate_gone(clone)


def test_a_broken_commit_that_migrates_is_red_and_the_deployment_serves_throughout_untouched(
        clone, first_deploy):
    _, good = first_deploy
    serving = deployment(clone)
    revision = migrations_check.live_revision(serving.url("db"))
    assert revision == migrations_check.revisions(clone).head
    before = containers(REPLICA)
    write_table_migration(clone, "0003_deploy_probe.py", "0003", "0002", "deploy_probe",
                          "A table only the broken commit knows (the serving database must never get it).")
    views = clone / "app" / "mina" / "meetings.py"
    marker = "def show(meeting_id: int):\n"
    assert marker in views.read_text()  # the break below must land in a route the smoke suite calls
    views.write_text(views.read_text().replace(marker, marker + "    raise RuntimeError('broken')\n"))
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "-m", "a migration and a broken route (staging must refuse it)")
    broken = git(clone, "rev-parse", "HEAD")

    poller = HealthPoller(f"{serving.url('app')}/health")
    poller.start()
    try:
        done = push(clone)
    finally:
        answers = poller.stop()

    assert f"remote: ✘ deploy of {broken[:12]} is red" in done.stderr, done.stderr[-3000:]
    assert f"{good[:12]} is serving" in done.stderr
    assert answers and set(answers) == {200}, [a for a in answers if a != 200][:5]
    record = last_record(clone)
    assert (record["verdict"], record["commit"], record["serving"]) == ("red", broken, good)
    assert "api" in {item["key"] for item in record["failed"]}
    items = {item["key"]: item for item in record["items"]}
    assert items["data"]["evidence"].startswith(f"copied the database of replica '{REPLICA}'"), \
        items["data"]
    assert "0002 -> 0003" in items["migrate"]["evidence"], items["migrate"]  # on the candidate
    assert "promote" not in items and "rollback" not in items
    assert containers(REPLICA) == before
    assert migrations_check.live_revision(serving.url("db")) == revision
    assert serving_sha(clone) == app_sha(clone, good)
    assert git(clone / ".staging" / REPLICA / "deploy", "rev-parse", "HEAD") == good
    assert_candidate_gone(clone)
    git(clone, "reset", "--quiet", "--hard", good)


def test_a_commit_without_the_compose_file_is_red_and_touches_nothing(clone, first_deploy):
    _, good = first_deploy
    git(clone, "rm", "--quiet", "docker-compose.staging.yml")
    git(clone, "commit", "--quiet", "-m", "drop the stack definition")
    before = serving_sha(clone)

    done = push(clone)

    assert "has no docker-compose.staging.yml" in done.stderr, done.stderr[-3000:]
    record = last_record(clone)
    assert record["verdict"] == "red" and record["tree"] is None
    assert serving_sha(clone) == before == app_sha(clone, good)
    assert_candidate_gone(clone)
    git(clone, "reset", "--quiet", "--hard", good)
