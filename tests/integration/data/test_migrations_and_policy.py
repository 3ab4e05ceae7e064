"""Migrations run up and down on empty and on populated databases; the policy matches them."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from replica.data.db import load
from replica.data.dumps import policy as policy_module

from tests.integration.data.app_migrations import migrate

ROOT = Path(__file__).resolve().parents[3]


def revisions() -> list[str]:
    """Every revision from base to head, in order (read from db/migrations/versions)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "db" / "migrations"))
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def step_down_and_up(url: str) -> None:
    """Downgrade one revision at a time to base, then upgrade one at a time to head."""
    chain = revisions()
    for target in reversed(["base"] + chain[:-1]):
        migrate(url, target, down=True)
    for target in chain:
        migrate(url, target)


def test_every_migration_runs_up_and_down_on_an_empty_database(postgres_server):
    url = postgres_server.create_database("migrate_empty")
    try:
        migrate(url)
        step_down_and_up(url)
    finally:
        postgres_server.drop_database("migrate_empty")


def test_every_migration_runs_down_and_up_again_on_a_populated_database(live_url, fixture_set):
    """A new NOT NULL column without a default on a populated table fails here, not in staging."""
    load.load(live_url, fixture_set)
    chain = revisions()
    # Down to the first revision and back up with the fixture rows in place: each later
    # migration meets populated tables on its way up.
    for target in reversed(chain[:-1]):
        migrate(live_url, target, down=True)
    for target in chain[1:]:
        migrate(live_url, target)
    with psycopg.connect(live_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == fixture_set.rows["users"]


def schema_columns(url: str) -> dict[str, set[str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_schema || '.' || table_name, column_name "
                            "FROM information_schema.columns WHERE table_schema = 'public'").fetchall()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


def test_the_sanitizer_policy_classifies_exactly_the_migrated_columns(live_url):
    rules = policy_module.load(ROOT / "db" / "sanitize.yml")
    in_schema = schema_columns(live_url)
    in_policy = {table: set(columns) for table, columns in rules.tables.items()}
    missing = {f"{t}.{c}" for t, cols in in_schema.items() for c in cols - in_policy.get(t, set())}
    stale = {f"{t}.{c}" for t, cols in in_policy.items() for c in cols - in_schema.get(t, set())}
    assert not missing, f"classify these columns in db/sanitize.yml: {sorted(missing)}"
    assert not stale, f"db/sanitize.yml names columns the migrations do not create: {sorted(stale)}"


@pytest.mark.parametrize("table", ["users", "meetings", "transcript_segments", "summaries"])
def test_fixture_columns_are_the_migrated_columns(live_url, table):
    from replica.data.db.fixtures import COLUMNS

    assert set(COLUMNS[table]) == schema_columns(live_url)[f"public.{table}"]
