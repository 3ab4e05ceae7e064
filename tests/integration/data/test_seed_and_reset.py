"""Seeding loads exact fixture rows with COPY; reset brings back exactly the same content."""
from __future__ import annotations

import time

import psycopg
import pytest

from replica.data.db import databases as dbs, load, reset
from replica.data.errors import DataError
from replica.data.fakes import STAGING_PASSWORD


def test_seed_loads_every_fixture_row_and_sets_the_id_sequences(live_url, fixture_set):
    reset.seed(live_url, fixture_set)
    counts = {table: count for table, (count, _) in reset.fingerprint(live_url).items()}
    assert counts == fixture_set.rows
    with psycopg.connect(live_url) as conn:  # the app can insert right away: ids continue
        new_id = conn.execute("INSERT INTO users (email, username, password_hash) "
                              "VALUES ('n@example.com', 'n', 'x') RETURNING id").fetchone()[0]
    assert new_id == fixture_set.rows["users"] + 1


def test_fixture_users_log_in_with_the_staging_password(live_url, fixture_set):
    from werkzeug.security import check_password_hash

    reset.seed(live_url, fixture_set)
    with psycopg.connect(live_url) as conn:
        stored = conn.execute("SELECT password_hash FROM users ORDER BY id LIMIT 1").fetchone()[0]
    assert check_password_hash(stored, STAGING_PASSWORD)


def test_reset_gives_back_exact_row_counts_and_content_hash(live_url, fixture_set):
    reset.seed(live_url, fixture_set)
    before = reset.fingerprint(live_url)
    with psycopg.connect(live_url) as conn:
        conn.execute("DELETE FROM meetings WHERE id % 3 = 0")
        conn.execute("UPDATE users SET display_name = 'changed'")
    assert reset.fingerprint(live_url) != before
    result = reset.reset(live_url, background=False)
    assert reset.fingerprint(live_url) == before
    assert result.database == dbs.database_of(live_url)


def _register(url: str, name: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("INSERT INTO users (email, username, password_hash) VALUES "
                            "(%s, %s, 'x') RETURNING id", [f"{name}@example.com", name]).fetchone()[0]


@pytest.mark.parametrize("background", [False, True], ids=["cloned-now", "spare-swapped"])
def test_ids_continue_across_a_reset_as_on_staging(live_url, fixture_set, background):
    # a gate registered smoke user N, the next gate's reset brought the template's sequences
    # back, its new user got id N again, and the app's per-worker user cache answered /me with
    # the previous gate's user: staging never reuses an id, so a reset must not either
    reset.seed(live_url, fixture_set)
    first = _register(live_url, "before_reset")
    reset.reset(live_url, background=background)
    assert _register(live_url, "after_reset") == first + 1
    reset.reset(live_url, background=background)  # and again, past ids the fixtures never had
    assert _register(live_url, "after_second_reset") == first + 2


def test_reset_disconnects_open_sessions_and_new_ones_work(live_url, fixture_set):
    reset.seed(live_url, fixture_set)
    held = psycopg.connect(live_url, autocommit=True)  # like the app's pool holding connections
    held.execute("SELECT 1")
    busy = psycopg.connect(live_url)
    busy.execute("SELECT count(*) FROM users")  # inside an open transaction
    reset.reset(live_url, background=False)
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")
    with psycopg.connect(live_url) as conn:  # what a pool does next: reconnect
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == fixture_set.rows["users"]


def test_a_spare_prepared_in_the_background_makes_the_next_reset_a_swap(live_url, fixture_set):
    reset.seed(live_url, fixture_set)
    expected = reset.fingerprint(live_url)
    live = dbs.database_of(live_url)
    deadline = time.monotonic() + 60
    with dbs.admin(live_url) as conn:
        while not dbs.exists(conn, f"{live}_spare") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert dbs.exists(conn, f"{live}_spare")
    with psycopg.connect(live_url) as conn:
        conn.execute("TRUNCATE users CASCADE")
    reset.reset(live_url)
    assert reset.fingerprint(live_url) == expected


def test_reset_without_fixtures_says_to_seed_first(live_url):
    with pytest.raises(DataError, match="no loaded fixtures") as error:
        reset.reset(live_url)
    assert "staging.db.seed" in error.value.hint


def test_loading_into_an_unmigrated_database_says_to_migrate(postgres_server, fixture_set):
    url = postgres_server.create_database("not_migrated")
    try:
        with pytest.raises(DataError, match="not migrated") as error:
            load.load(url, fixture_set)
        assert "staging.db.migrate" in error.value.hint
    finally:
        postgres_server.drop_database("not_migrated")


CATALOG = """
SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
WHERE indrelid = ANY(%(tables)s::regclass[])
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE conrelid = ANY(%(tables)s::regclass[])
ORDER BY 1, 2
"""
FIXTURE_TABLES = ["public.users", "public.meetings", "public.transcript_segments", "public.summaries"]


def _catalog(url):
    with psycopg.connect(url) as conn:
        return conn.execute(CATALOG, {"tables": FIXTURE_TABLES}).fetchall()


def test_loading_puts_back_every_index_and_key_it_set_aside(live_url, fixture_set):
    before = _catalog(live_url)
    assert any(kind == "constraint" and "FOREIGN KEY" in text for kind, _, text in before)
    load.load(live_url, fixture_set)
    assert _catalog(live_url) == before


def test_rows_that_break_a_key_fail_the_load_by_name_and_change_nothing(live_url, fixture_set,
                                                                         tmp_path):
    import shutil
    from dataclasses import replace

    broken = tmp_path / "broken"
    shutil.copytree(fixture_set.path, broken)
    segments = broken / "transcript_segments.csv"
    header, first, *rest = segments.read_text().splitlines(keepends=True)
    fields = first.split(",")
    fields[1] = "999999999"  # meeting_id of a meeting that does not exist
    segments.write_text(header + ",".join(fields) + "".join(rest))
    load.load(live_url, fixture_set)
    before, rows_before = _catalog(live_url), reset.fingerprint(live_url)
    with pytest.raises(DataError, match="break transcript_segments.*meeting") as error:
        load.load(live_url, replace(fixture_set, path=broken))
    assert "999999999" in str(error.value)
    assert _catalog(live_url) == before and reset.fingerprint(live_url) == rows_before
