"""The doctor's database checks, each provoked on the unit tier's PostgreSQL: a transaction left
open, a long query, migrations not applied, data older than a day."""
import json
import subprocess
import time
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from replica.commands import maintenance
from replica.data.db.databases import template_name
from replica.commands.migrations_check import revisions
from replica.stack.settings import ROOT

from tests.support.postgres import BIN


def test_a_session_left_idle_in_a_transaction_is_named_by_its_pid(database_url):
    with psycopg.connect(database_url, application_name="forgotten-begin") as holder:
        holder.execute("SELECT 1")  # psycopg opens the transaction and leaves it open
        found = maintenance.idle_in_transaction(database_url, limit_s=0)
        assert not found.same
        assert f"pid {holder.info.backend_pid} (forgotten-begin" in found.replica
        assert "pg_terminate_backend" in found.todo
        assert maintenance.idle_in_transaction(database_url).same  # under the 60 s it allows
        holder.rollback()
        assert maintenance.idle_in_transaction(database_url, limit_s=0).same


def wait_for_active_query(url, text, timeout=30.0):
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT pid FROM pg_stat_activity WHERE state = 'active' AND "
                               "query LIKE %s", [f"%{text}%"]).fetchone()
            if row:
                return row[0]
            time.sleep(0.1)
    raise AssertionError(f"no session ran {text!r} within {timeout} s")


def test_a_long_running_query_is_a_long_transaction_not_an_idle_one(database_url):
    sleeper = subprocess.Popen([str(BIN / "psql"), "-X", "-q", "-d", database_url, "-c",
                                "SELECT pg_sleep(120) AS stuck_report"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pid = wait_for_active_query(database_url, "stuck_report")
        found = maintenance.long_transactions(database_url, limit_s=0)
        assert not found.same and f"pid {pid} (psql" in found.replica and "stuck_report" in found.replica
        assert maintenance.long_transactions(database_url).same  # under the 300 s it allows
        assert maintenance.idle_in_transaction(database_url, limit_s=0).same
    finally:
        sleeper.kill()
        sleeper.wait()


def set_revision(url, revision):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES (%s)", [revision])


def test_migrations_not_applied_are_named_in_order(database_url):
    head = revisions(ROOT)
    found = maintenance.pending_migrations(ROOT, database_url)  # an empty database
    assert not found.same and found.todo == "invoke staging.db.migrate"
    assert found.replica.startswith("at an empty schema; not applied: 0001, ")  # oldest first
    assert found.replica.endswith(f", {head.head}")
    set_revision(database_url, head.down_of_head)
    found = maintenance.pending_migrations(ROOT, database_url)
    assert not found.same and found.replica == f"at {head.down_of_head}; not applied: {head.head}"


def test_a_database_at_head_has_nothing_pending(migrated_url):
    assert maintenance.pending_migrations(ROOT, migrated_url).same


def test_a_revision_the_tree_does_not_have_is_named(database_url):
    set_revision(database_url, "9999_from_another_branch")
    found = maintenance.pending_migrations(ROOT, database_url)
    assert not found.same and "db/migrations does not have" in found.replica


@pytest.fixture
def seeded(postgres_server, database_url):
    """Mark database_url as seeded at a given time, as staging.db.seed's template comment does."""
    template = template_name(database_url.rsplit("/", 1)[1])

    def at(when):
        postgres_server.create_database(template)
        comment = json.dumps({"fixtures": "default", "created_at": when.isoformat()})
        postgres_server.psql(f"COMMENT ON DATABASE \"{template}\" IS '{comment}'")
    yield at
    postgres_server.drop_database(template)


NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def test_data_seeded_three_days_ago_is_older_than_the_daily_sync(seeded, database_url):
    seeded(NOW - timedelta(days=3))
    found = maintenance.data_age(database_url, now=NOW)
    assert not found.same and found.replica.startswith("72 h since 2026-11-29 12:00")
    assert "staging.db.refresh" in found.todo


def test_data_seeded_an_hour_ago_is_fresh(seeded, database_url):
    seeded(NOW - timedelta(hours=1))
    assert maintenance.data_age(database_url, now=NOW).same


def test_data_never_seeded_says_so(database_url):
    found = maintenance.data_age(database_url, now=NOW)
    assert not found.same and found.replica == "no record of a seed or refresh"
