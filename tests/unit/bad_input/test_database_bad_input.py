"""Data tasks given bad input against a real (throwaway) PostgreSQL: the database is unchanged.

The server is tests/conftest.py's; each case gets a fresh database holding one table, and the
server's databases plus that table's rows are fingerprinted before and after.
"""
from __future__ import annotations

import gzip

import psycopg
import pytest

from replica.core.exit_status import ExitStatus

from tests.unit.bad_input.conftest import ROOT, assert_one_line_error, fingerprint

CONFIG, DATA = ExitStatus.CONFIG, ExitStatus.DATA

CASES = [
    ("snapshot-dotdot", ("staging.db.snapshot", "../x"), CONFIG),
    ("snapshot-newline-inside", ("staging.db.snapshot", "a\nb"), CONFIG),
    ("snapshot-taken-without-replace", ("staging.db.snapshot", "kept"), CONFIG),
    ("restore-missing-snapshot", ("staging.db.restore", "nope"), CONFIG),
    ("restore-bad-name", ("staging.db.restore", "a b"), CONFIG),
    ("reset-bogus-strategy", ("staging.db.reset", "--strategy", "BOGUS"), CONFIG),
    ("reset-without-fixtures", ("staging.db.reset",), DATA),
    ("seed-bogus-scale", ("staging.db.seed", "--scale", "bogus"), CONFIG),
    ("seed-zero-scale", ("staging.db.seed", "--scale", "0"), CONFIG),
    ("seed-bogus-strategy", ("staging.db.seed", "--strategy", "file_copy"), CONFIG),
    ("load-dump-missing-file", ("staging.db.load-dump", "/nonexistent.sql"), DATA),
    ("load-dump-text-file", ("staging.db.load-dump", "{text}"), DATA),
    ("load-dump-truncated-gzip", ("staging.db.load-dump", "{truncated}"), DATA),
    ("load-dump-directory", ("staging.db.load-dump", "{directory}"), DATA),
]


@pytest.fixture
def database(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 50) g")
    return database_url


def database_fingerprint(url: str) -> tuple:
    with psycopg.connect(url, autocommit=True) as conn:
        databases = conn.execute("SELECT datname FROM pg_database ORDER BY 1").fetchall()
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                              "ORDER BY 1").fetchall()
        rows = conn.execute("SELECT md5(string_agg(k::text, ',' ORDER BY id)) FROM kept k").fetchone()
    return databases, tables, rows


@pytest.mark.parametrize("label, argv, code", CASES, ids=[case[0] for case in CASES])
def test_data_task_bad_input_changes_no_database(label, argv, code, database, checkout, run,
                                                 monkeypatch):
    monkeypatch.chdir(checkout)
    files = {"text": checkout / "notes.txt", "truncated": checkout / "cut.sql.gz",
             "directory": checkout / "dumpdir"}
    files["text"].write_text("these are notes, not a dump\n")
    files["truncated"].write_bytes(gzip.compress(b"-- PostgreSQL database dump\n" * 1000)[:200])
    files["directory"].mkdir()
    if label == "snapshot-taken-without-replace":
        assert run("staging.db.snapshot", "kept", "--url", database).code == 0
    before = (database_fingerprint(database), fingerprint(checkout, ROOT / ".staging"))

    outcome = run(*[arg.format(**files) for arg in argv], "--url", database)

    assert_one_line_error(outcome, code)
    assert (database_fingerprint(database), fingerprint(checkout, ROOT / ".staging")) == before
