"""`staging.remote.deploy`: one deploy run, what Replit does on a push to staging, on the replica.

The pushed commit is judged on a candidate replica beside the serving deployment (candidate.py):
its own work tree, name, ports and containers, its data copied from the serving deployment's
database; there it is brought up with staging's declared set-up (only what changed is rebuilt:
image tags hash their build inputs), migrated and smoke-tested, and then torn down. Green: the
serving replica is brought up on the commit in its own work tree (the images the candidate built,
its own ports: the served URL stays the same; the app container is recreated, the only downtime)
and migrated. Red: what serves was never touched (its containers, database and tree). Only a
promotion that fails on the serving replica returns to the last green deployment (downgrading the
database if the promotion migrated it). A commit without docker-compose.staging.yml is red before
anything is touched.

The work trees' .staging is a link to the pushing checkout's: the deployed replica keeps its
ports, secrets and fixtures there, so `invoke staging.status --name <replica>` there shows it.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from ..core import console
from ..stack import variants
from ..core.errors import StagingError
from ..commands import db as db_commands, migrations_check
from ..gate import smoke
from ..gate.checklist import FAILED, PASSED, Checklist
from ..gate.results import prepare_dir, run_name
from ..stack import plan as stack_module
from ..reporting import history, notify, revision
from ..stack.settings import slack_webhook_url
from ..commands.validate import SMOKE_ITEMS
from ..stack.settings import Settings
from . import candidate, git, lock, record, worktree
from .errors import DeployRefused
from .layout import COMPOSE_FILE, Layout

STEPS = {"stack": "Candidate replica up on the pushed commit (staging.up)",
         "data": "Candidate's data copied from the serving deployment",
         "migrate": "Migrations applied on the candidate (flask db upgrade)",
         "promote": "Serving replica on the pushed commit, migrated",
         "rollback": "Previous deployment serving again"}


@dataclass(frozen=True)
class Deployment:
    """A commit that deployed green: what a promotion that fails returns to."""

    commit: str
    revision: str | None  # the database's migration revision once it was up


@dataclass(frozen=True)
class Outcome:
    commit: str
    passed: bool
    checklist: Checklist
    serving: str | None  # the commit serving after the run
    record: Path


def deploy(settings: Settings, rev: str, ref: str | None = None) -> Outcome:
    """Deploy rev (a commit of the staging remote) to settings' replica; wait for a running deploy."""
    layout = Layout(settings.state_dir)
    if not (layout.remote / "HEAD").is_file():
        raise DeployRefused(f"replica {settings.name!r} has no staging remote ({layout.remote})",
                            hint=f"run `invoke staging.remote.install --name {settings.name}`, "
                                 "then `git push staging HEAD:staging`")
    commit = git.resolve(layout.remote, rev)
    if commit is None:
        raise DeployRefused(f"{rev!r} is not a commit the staging remote holds",
                            hint="push it first: git push staging HEAD:staging")
    waiting = lambda holder: console.info(f"{lock.describe(holder)} is running: waiting for it")
    with lock.held(layout.lock, commit, on_wait=waiting):
        return _deploy_locked(settings, layout, commit, ref)


def _deploy_locked(settings: Settings, layout: Layout, commit: str, ref: str | None) -> Outcome:
    started, clock = datetime.now(timezone.utc), time.monotonic()
    webhook = slack_webhook_url()  # a malformed one is refused before anything is touched
    left = candidate.clear_leftover(settings, layout)  # so is a candidate name another replica has
    if left:
        console.info(left)
    run_dir = prepare_dir(settings.results_dir / run_name("deploy"))
    console.info(f"deploying {commit[:12]} to replica {settings.name!r} (judged on "
                 f"{candidate.name_for(settings.name)!r}); evidence goes to {run_dir}")
    checklist, previous = Checklist(), serving(layout)
    tree = _judge(settings, layout, commit, checklist, run_dir)
    passed = not checklist.failed
    now_serving = previous.commit if previous else None
    if passed:
        stack = _promote(settings, layout, commit, checklist)
        passed = not checklist.failed
        if passed:
            _remember(layout, Deployment(commit, migrations_check.live_revision(stack.url("db"))))
            now_serving = commit
        elif previous is not None:  # the promotion replaced it: bring it back
            now_serving = _return_to(settings, layout, previous,
                                     stack_module.load(on_work_tree(settings, layout)), checklist)
        else:
            now_serving = None
    path = record.write(run_dir, replica=settings.name, commit=commit, ref=ref, tree=tree,
                        started=started, seconds=time.monotonic() - clock, checklist=checklist,
                        passed=passed, previous=previous.commit if previous else None,
                        serving=now_serving, candidate=candidate.name_for(settings.name))
    _into_history(settings, run_dir, started, time.monotonic() - clock, commit, tree, checklist,
                  passed, stack_module.load(settings), webhook)
    _report(settings, commit, checklist, passed, now_serving, path)
    return Outcome(commit, passed, checklist, now_serving, path)


def _into_history(settings: Settings, run_dir: Path, started: datetime, seconds: float, commit: str,
                  tree: str | None, checklist: Checklist, passed: bool, stack, webhook: str | None) -> None:
    """The run in `staging.history` (its run.json) and announced, like a gate run; neither can
    change the verdict."""
    verdict = history.PASSED if passed else history.FAILED
    run = history.RunRecord("deploy", verdict, started.isoformat(timespec="seconds"), round(seconds, 1),
                            commit, tree, [item.title for item in checklist.failed], {}, settings.name,
                            f"deploy of {commit[:12]} {'green' if passed else 'red'}", run_dir.name)
    try:
        history.write_record(run_dir, run)
    except OSError as error:
        console.warning(f"this deploy is not in the history ({error})")
    url = stack.url("app") if stack is not None and "app" in getattr(stack, "ports", {}) else "unknown"
    notify.announce(notify.Announcement("deploy", passed, commit, url), webhook)


def _judge(settings: Settings, layout: Layout, commit: str, checklist: Checklist,
           run_dir: Path) -> str | None:
    """Judge commit on a candidate replica, torn down after; return the tree judged (None: the
    commit has no stack to bring up, so nothing was touched)."""
    if not git.has_path(layout.remote, commit, COMPOSE_FILE):
        checklist.item("stack", STEPS["stack"])
        checklist.record("stack", FAILED, f"{commit[:12]} has no {COMPOSE_FILE}: nothing to bring "
                                          "up; the deployment was not touched")
        return None
    candidate.claim(settings, commit)
    try:
        tree = worktree.check_out(layout, layout.candidate_tree, commit)
        _on_candidate(candidate.settings_for(settings, layout), stack_module.load(settings),
                      checklist, run_dir)
    finally:
        _tear_down(settings, layout)
    return tree


def _on_candidate(settings: Settings, serving_stack, checklist: Checklist, run_dir: Path) -> None:
    """Bring the candidate up, copy the serving data into it, migrate, run the smoke suite."""
    stack = _up(settings, checklist)
    if stack is None:
        return
    checklist.run("data", lambda: _copy_data(serving_stack, stack), STEPS["data"])
    if not checklist.failed:
        checklist.run("migrate", lambda: _migrate(stack), STEPS["migrate"])
    if checklist.failed:
        return
    sink = stack.url("error-sink") if "error-sink" in stack.services else None
    code, log_path = smoke.run(settings.root, stack.url("app"), sink, run_dir, settings.name)
    smoke.record(checklist, SMOKE_ITEMS, code, run_dir, log_path)


def _copy_data(serving_stack, stack) -> str:
    """Replace the candidate's database with a copy of the serving deployment's."""
    if serving_stack is None or "db" not in serving_stack.ports:
        return "no deployment is up: the candidate starts from an empty database"
    return db_commands.copy_between(serving_stack, stack)


def _tear_down(settings: Settings, layout: Layout) -> None:
    try:
        candidate.tear_down(settings, layout)
    except StagingError as error:  # the next run removes it (its marker says whose it is)
        console.warning(f"the candidate replica was not removed ({error}); the next deploy will")


def _promote(settings: Settings, layout: Layout, commit: str, checklist: Checklist):
    """Bring the serving replica up on commit in its own work tree and migrate it; return its stack
    (None when it did not come up)."""
    promoted = []

    def promote() -> str:
        worktree.check_out(layout, layout.work_tree, commit)
        promoted.append(_declared_up(on_work_tree(settings, layout)))
        return f"{commit[:12]} serving at {promoted[0].url('app')}: {_migrate(promoted[0])}"
    checklist.run("promote", promote, STEPS["promote"])
    return promoted[0] if promoted else None


def on_work_tree(settings: Settings, layout: Layout) -> Settings:
    """Return the replica's settings rooted at the deploy work tree (its compose file, app, images)."""
    return replace(settings, root=layout.work_tree)


def check_out(layout: Layout, commit: str) -> str:
    """Check commit out into the serving deployment's work tree; return the tree judged."""
    return worktree.check_out(layout, layout.work_tree, commit)


def _up(settings: Settings, checklist: Checklist):
    """Bring the replica up on its work tree; a failure is the stack item's evidence (None back)."""
    checklist.item("stack", STEPS["stack"])
    began = time.monotonic()
    try:
        stack = _declared_up(settings)
    except StagingError as error:
        checklist.record("stack", FAILED, f"{error}" + (f" → {error.hint}" if error.hint else ""),
                         time.monotonic() - began)
        return None
    checklist.record("stack", PASSED, f"app at {stack.url('app')}", time.monotonic() - began)
    return stack


def _declared_up(settings: Settings):
    """`staging.up` with staging's declared set-up (staging.declared.yml of the deployed commit)."""
    from ..commands.up import up

    return up(settings, profiles=variants.primary_profiles(settings.root), seed=False)


def _migrate(stack) -> str:
    """Apply the commit's migrations (the migrate service ran them on `up`: make sure of it)."""
    head = migrations_check.revisions(stack.settings.root).head
    if migrations_check.live_revision(stack.url("db")) == head:
        return f"database at head {head}"
    ran = migrations_check.flask_db(stack, "upgrade",
                                    on=f"the database of replica {stack.settings.name!r}")
    return f"applied {'; '.join(ran)}: database at head {head}"


def _return_to(settings: Settings, layout: Layout, previous: Deployment, stack,
               checklist: Checklist) -> str | None:
    """Bring the last green deployment back; return the commit serving after it (None: none is)."""
    def back() -> str:
        said = ""
        if stack is not None and migrations_check.live_revision(stack.url("db")) != previous.revision:
            steps = migrations_check.flask_db(stack, "downgrade", previous.revision or "base",
                                              on="the deployed database")
            said = f" (database downgraded: {'; '.join(steps)})"
        check_out(layout, previous.commit)
        again = _declared_up(on_work_tree(settings, layout))
        return f"{previous.commit[:12]} serving again at {again.url('app')}{said}"
    item = checklist.run("rollback", back, STEPS["rollback"])
    return previous.commit if item.result != FAILED else None


def serving(layout: Layout) -> Deployment | None:
    """Return the last green deployment of this replica, None before the first."""
    try:
        found = json.loads(layout.serving.read_text())
        return Deployment(found["commit"], found.get("revision"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(layout: Layout, deployment: Deployment) -> None:
    partial = layout.serving.with_suffix(".partial")
    partial.write_text(json.dumps({"commit": deployment.commit, "revision": deployment.revision,
                                   "deployed_at": datetime.now(timezone.utc).isoformat(
                                       timespec="seconds")}, indent=2) + "\n")
    partial.replace(layout.serving)


def _report(settings: Settings, commit: str, checklist: Checklist, passed: bool,
            now_serving: str | None, path: Path) -> None:
    console.console.print(checklist.table(f"deploy of {commit[:12]} to {settings.name}"))
    if passed:
        console.success(f"deployed {commit[:12]}: smoke suite green; it is serving")
    else:
        names = ", ".join(item.title for item in checklist.failed)
        where = (f"{now_serving[:12]} is serving" if now_serving
                 else "no earlier green deployment to return to")
        console.failure(f"deploy of {commit[:12]} is red ({names}); {where}")
    console.info(f"record: {path}")
