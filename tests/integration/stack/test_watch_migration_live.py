"""`staging.watch --migrate` on the test replica: a migration added to db/migrations while
watching is copied into the app, applied to the database and to the fixtures template (so a reset
lands at it), and both gunicorn workers serve at the new head. The unit tier (tests/unit/stack/
test_watch.py) holds the logic; this is the real thing, end to end."""
from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
import requests
from alembic.config import Config
from alembic.script import ScriptDirectory

from replica.commands import watch
from replica.commands.migrations_check import container_url, flask_db
from replica.data.db import reset
from tests.support.migrations import table_migration
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
WORKERS = 2  # staging's command


@pytest.fixture
def applying(monkeypatch) -> dict[str, threading.Event]:
    """Events set when the watcher begins and ends applying migrations (its session's method,
    wrapped: the database is migrated seconds before the template, which a reset then clones)."""
    events = {"begun": threading.Event(), "done": threading.Event()}
    apply = watch.Watch.apply_migrations

    def reporting(session):
        events["begun"].set()
        try:
            return apply(session)
        finally:
            events["done"].set()
    monkeypatch.setattr(watch.Watch, "apply_migrations", reporting)
    return events


@pytest.fixture
def watching(start_watch, applying):
    """staging.watch --migrate running on the test replica until the test ends."""
    return start_watch(migrate=True)


@pytest.fixture
def added_migration(watching):
    """A writer of a new head migration in the checkout. Afterwards, still watching: the database
    and the template are taken back to the old head, the file removed (from the app too) and
    both workers back at the old head, so the replica is as before for the tests after."""
    folder = watching.settings.root / "db" / "migrations"
    config = Config()
    config.set_main_option("script_location", str(folder))
    head = ScriptDirectory.from_config(config).get_current_head()
    token = uuid.uuid4().hex[:8]
    revision, table = f"watch{token}", f"watch_probe_{token}"
    path = folder / "versions" / f"{revision}_watch_probe.py"
    text = table_migration(revision, head, table, f"A table added while watching (by {__name__}).")
    yield lambda: path.write_text(text), revision, table
    try:
        if path.exists():
            back_to_the_old_head(watching, head)
    finally:
        path.unlink(missing_ok=True)
    wait_until(lambda: len(workers_at(watching.url("app") + "/health/ready", head)) == WORKERS,
               f"both workers back at {head}", timeout=240, pause=1)


def back_to_the_old_head(stack, head: str) -> None:
    url = stack.url("db")
    flask_db(stack, "downgrade", head, on="the replica's database")
    reset.upgrade_template(url, lambda database: flask_db(  # migrates a clone, whichever way
        stack, "downgrade", head, database_url=container_url(stack, database),
        on="the fixtures template"))


def revision_and_table(url: str, table: str) -> tuple[str, bool]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        (present,) = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()
    return revision, present


def workers_at(url: str, revision: str) -> set[int]:
    """Which worker pids (asked on new connections) report the database and the head at revision."""
    serving = set()
    for _ in range(20):
        try:
            ready = requests.get(url, timeout=5, headers={"Connection": "close"}).json()
        except (requests.RequestException, ValueError):
            continue  # a worker restarting
        if ready.get("migrations") == {"status": "ok", "current": revision, "head": revision}:
            serving.add(ready["worker_pid"])
    return serving


def test_a_migration_added_while_watching_is_applied_to_the_database_and_the_template(
        watching, added_migration, applying):
    write, revision, table = added_migration
    written = [0.0]

    def applied():
        if not applying["begun"].is_set() and time.monotonic() - written[0] > 20:
            write()  # again: the watcher may have begun just after the first write
            written[0] = time.monotonic()
        return applying["done"].is_set()
    wait_until(applied, f"the watcher applying {revision}", timeout=240, pause=0.5)
    wait_until(lambda: len(workers_at(watching.url("app") + "/health/ready", revision)) == WORKERS,
               f"both workers serving the database at {revision}", timeout=240, pause=1)
    live = watching.url("db")
    assert revision_and_table(live, table) == (revision, True)
    reset.reset(live, background=False)  # a fresh clone of the template (no connections to it)
    assert revision_and_table(live, table) == (revision, True)  # it was upgraded too
