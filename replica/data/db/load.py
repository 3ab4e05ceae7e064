"""Load a fixture set into a migrated database with COPY, in one transaction.

The tables are truncated in that transaction, so COPY FREEZE writes rows already frozen (no
vacuum pass rewrites them later), and indexes and keys are built once after the rows are in
(`bulk.without_row_checks`) instead of row by row.
"""
from __future__ import annotations

import psycopg
from psycopg import sql

from .bulk import without_row_checks
from .databases import connect
from ..errors import DataError
from .fixtures import COLUMNS, FixtureSet

CHUNK = 1 << 20


def load(url: str, fixture_set: FixtureSet) -> dict[str, int]:
    """Replace the rows of the fixture tables with the set's CSV files; return rows loaded."""
    with connect(url, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the index builds after the COPY
        _require_schema(cur, url)
        cur.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in COLUMNS)))
        with without_row_checks(cur, list(COLUMNS)):
            loaded = {table: copy_file(cur, table, path, freeze=True)
                      for table, path, _ in fixture_set.tables}
        for table in COLUMNS:
            cur.execute(sql.SQL(
                "SELECT setval(pg_get_serial_sequence({t}, 'id'), coalesce(max(id), 0) + 1, false) "
                "FROM {i}").format(t=sql.Literal(table), i=sql.Identifier(table)))
    return loaded


def analyze(url: str) -> None:
    """Gather planner statistics for the fixture tables (cloned along with the template)."""
    with connect(url) as conn:
        conn.execute(sql.SQL("ANALYZE {}").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in COLUMNS)))


def copy_file(cur: psycopg.Cursor, table: str, path, freeze: bool = False) -> int:
    """Stream one CSV file (with a header line) into a table; return the rows copied.

    freeze: the table was created or truncated in this transaction (COPY FREEZE requires it).
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, HEADER true{})").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS[table]),
        sql.SQL(", FREEZE true" if freeze else ""))
    try:
        with open(path, "rb") as src, cur.copy(statement) as copy:
            while chunk := src.read(CHUNK):
                copy.write(chunk)
    except psycopg.Error as error:
        raise DataError(f"loading {path} into {table} failed: "
                        f"{(error.diag.message_primary or str(error)).strip()}",
                        hint="the fixture cache may be stale: delete .staging/fixtures and seed "
                             "again") from None
    return cur.rowcount


def _require_schema(cur: psycopg.Cursor, url: str) -> None:
    missing = [t for t in COLUMNS
               if cur.execute("SELECT to_regclass(%s)", [f"public.{t}"]).fetchone()[0] is None]
    if missing:
        raise DataError(f"the database has no table {', '.join(missing)}: it is not migrated",
                        hint="run `invoke staging.db.migrate` first")
