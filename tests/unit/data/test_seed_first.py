"""A replica's first `up` seeds the default fixtures at their schema revision and migrates to head;
a replica that has them is left as it is (on the unit tier's PostgreSQL, migrations in-process)."""
from __future__ import annotations

import psycopg
import pytest
from flask_migrate import downgrade, upgrade

from mina import create_app
from mina.extensions import db as app_db
from replica.commands import db, migrations_check
from replica.data.db import fixtures
from replica.data.db.reset import fixtures_loaded, reset
from replica.stack.settings import Settings
from tests.support.app import app_config

HEAD = migrations_check.revisions(Settings().root).head


class Replica:
    """The two URLs seeding reads from a stack: its database, and an app that does not answer."""

    def __init__(self, db_url: str, root):
        self.db_url, self.settings = db_url, Settings(name="seedfirst", root=root)

    def url(self, service: str) -> str:
        return self.db_url if service == "db" else "http://127.0.0.1:9"


@pytest.fixture
def in_process_migrations(monkeypatch):
    """`flask db` run in this process instead of the app container; the commands it was asked."""
    asked = []

    def flask_db(stack, command, *args, on="the replica's database", database_url=None):
        asked.append((command, *args))
        app = create_app(app_config(stack.url("db")))
        with app.app_context():
            (downgrade(revision=args[0]) if command == "downgrade" else upgrade())
            app_db.engine.dispose()
        return [f"{command} {' '.join(args)}".strip()]

    monkeypatch.setattr(migrations_check, "flask_db", flask_db)
    return asked


def revision_of(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_a_first_up_seeds_at_the_fixtures_revision_then_migrates_to_head(
        migrated_url, tmp_path, in_process_migrations):
    replica = Replica(migrated_url, tmp_path)
    assert not fixtures_loaded(migrated_url)

    done = db.seed_first(replica, scale="small")

    assert fixtures_loaded(migrated_url)
    assert in_process_migrations[0] == ("downgrade", fixtures.SCHEMA_REVISION)
    assert in_process_migrations[-1] == ("upgrade",) and revision_of(migrated_url) == HEAD
    assert "small-scale fixtures" in done and f"revision {fixtures.SCHEMA_REVISION}" in done
    with psycopg.connect(migrated_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == fixtures.SCALES["small"]
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        conn.execute("DELETE FROM summaries")
    reset(migrated_url, background=False)  # what `staging.db.reset` does: it works at once,
    assert revision_of(migrated_url) == HEAD  # landing at head (the app stays ready)
    with psycopg.connect(migrated_url) as conn:
        assert conn.execute("SELECT count(*) FROM summaries").fetchone()[0] > 0


def test_a_replica_with_fixtures_is_not_seeded_again(migrated_url, tmp_path, in_process_migrations):
    replica = Replica(migrated_url, tmp_path)
    db.seed_first(replica, scale="small")
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        conn.execute("DELETE FROM summaries")  # the developer's own changes since
    asked = len(in_process_migrations)

    assert db.seed_first(replica, scale="small") is None
    assert len(in_process_migrations) == asked
    with psycopg.connect(migrated_url) as conn:
        assert conn.execute("SELECT count(*) FROM summaries").fetchone()[0] == 0


def test_upgrading_the_template_keeps_the_live_data_and_the_next_reset_has_the_new_schema(
        migrated_url, tmp_path, in_process_migrations):
    from replica.data.db import databases as dbs
    from replica.data.db.reset import upgrade_template

    db.seed_first(replica := Replica(migrated_url, tmp_path), scale="small")
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        conn.execute("DELETE FROM summaries")  # the developer's data, kept by the upgrade
    upgraded = []

    def add_a_column(database):  # what `flask db upgrade` of a new migration does to the clone
        upgraded.append(database)
        with psycopg.connect(dbs.with_database(migrated_url, database), autocommit=True) as conn:
            conn.execute("ALTER TABLE users ADD COLUMN nickname text")

    upgrade_template(replica.url("db"), add_a_column)
    assert upgraded and upgraded[0] != dbs.database_of(migrated_url)
    with psycopg.connect(migrated_url) as conn:
        assert conn.execute("SELECT count(*) FROM summaries").fetchone()[0] == 0
    reset(migrated_url, background=False)
    with psycopg.connect(migrated_url) as conn:
        assert conn.execute("SELECT count(nickname) FROM users").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM summaries").fetchone()[0] > 0
