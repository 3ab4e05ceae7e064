"""`staging.watch --migrate` on a replica of its own: a migration added to db/migrations while
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

from replica.commands import down, up, watch
from replica.data.db import reset
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
WORKERS = 2  # staging's command
MIGRATION = """\"\"\"A table added while watching (written by {test}).\"\"\"
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("{table}")
"""


@pytest.fixture(scope="module")
def own_replica(replica_settings):
    """A seeded replica of this test's own (its database ends up at a migration that is then
    removed from the checkout: no other test may share it)."""
    settings = replica_settings("migrate")
    yield up.up(settings)
    down.down(settings, volumes=True)


@pytest.fixture
def added_migration(own_replica):
    """Write a new head migration into the checkout; remove it at the end."""
    folder = own_replica.settings.root / "db" / "migrations"
    config = Config()
    config.set_main_option("script_location", str(folder))
    head = ScriptDirectory.from_config(config).get_current_head()
    token = uuid.uuid4().hex[:8]
    revision, table = f"watch{token}", f"watch_probe_{token}"
    path = folder / "versions" / f"{revision}_watch_probe.py"
    yield lambda: path.write_text(MIGRATION.format(test=__name__, revision=revision,
                                                   down_revision=head, table=table)), revision, table
    path.unlink(missing_ok=True)


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
        own_replica, added_migration):
    write, revision, table = added_migration
    stop, ready = threading.Event(), threading.Event()
    watching = threading.Thread(target=watch.watch, args=(own_replica.settings,),
                                kwargs={"migrate": True, "stop_event": stop, "ready": ready},
                                daemon=True)
    watching.start()
    written = [0.0]

    def served_at_the_new_head():
        if time.monotonic() - written[0] > 20:  # again: the watcher may have begun just after
            write()
            written[0] = time.monotonic()
        return len(workers_at(own_replica.url("app") + "/health/ready", revision)) == WORKERS
    try:
        wait_until(ready.is_set, "staging.watch started", timeout=60)
        wait_until(served_at_the_new_head, f"both workers serving the database at {revision}",
                   timeout=240, pause=1)
    finally:
        stop.set()
        watching.join(timeout=60)
    live = own_replica.url("db")
    assert revision_and_table(live, table) == (revision, True)
    reset.reset(live, background=False)  # a fresh clone of the template (no connections to it)
    assert revision_and_table(live, table) == (revision, True)  # it was upgraded too
