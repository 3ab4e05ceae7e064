"""Bulk loading without per-row checks: set a table's secondary indexes and constraints aside, put
them back after, inside the caller's transaction (a failure rolls every step back).

A foreign key checked row by row and an index kept sorted row by row cost most of a large COPY;
built once afterwards from the loaded rows they cost a sort and a join. The primary keys stay (the
fixtures' ids arrive in order). What is put back is what the catalog said, verbatim:
`pg_get_indexdef` and `pg_get_constraintdef`.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import psycopg
from psycopg import sql

from ..errors import DataError

# unique and foreign-key constraints of the tables; then indexes that back no constraint
_CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
FROM pg_constraint c
WHERE c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype IN ('u', 'f')
  -- a unique key another table's foreign key refers to stays (dropping it would drop that key)
  AND NOT (c.contype = 'u' AND EXISTS (SELECT 1 FROM pg_constraint f
                                       WHERE f.contype = 'f' AND f.conindid = c.conindid))
ORDER BY c.contype DESC, c.conname
"""
_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = ANY(%(tables)s::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""


@dataclass(frozen=True)
class SetAside:
    """What was dropped, to be put back in this order: indexes, unique keys, foreign keys."""

    indexes: list[tuple[str, str]]               # (index, CREATE INDEX statement)
    constraints: list[tuple[str, str, str, str]]  # (table, name, definition, kind u|f)


@contextmanager
def without_row_checks(cur: psycopg.Cursor, tables: list[str]) -> Iterator[SetAside]:
    """Drop the tables' secondary indexes and unique/foreign keys; re-create them on leaving.

    Leaving by an exception re-creates nothing: the caller's transaction rolls the drops back.
    """
    names = [f"public.{table}" for table in tables]
    aside = SetAside(cur.execute(_INDEXES, {"tables": names}).fetchall(),
                     cur.execute(_CONSTRAINTS, {"tables": names}).fetchall())
    for table, name, _, kind in sorted(aside.constraints, key=lambda c: c[3]):  # f before u
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
            sql.SQL(table), sql.Identifier(name)))
    for index, _ in aside.indexes:
        cur.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index)))
    yield aside
    for index, statement in aside.indexes:
        _put_back(cur, index, sql.SQL(statement))
    for table, name, definition, _ in aside.constraints:  # u before f: a key before what refers to it
        _put_back(cur, f"{table}.{name}", sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.SQL(table), sql.Identifier(name), sql.SQL(definition)))


def _put_back(cur: psycopg.Cursor, what: str, statement: sql.Composable) -> None:
    """Re-create one index or key; rows that break it are a data error naming it and the row."""
    try:
        cur.execute(statement)
    except psycopg.errors.IntegrityError as error:
        detail = (error.diag.message_detail or "").strip()
        raise DataError(f"the loaded rows break {what}: "
                        f"{(error.diag.message_primary or str(error)).strip()}"
                        + (f" ({detail})" if detail else ""),
                        hint="nothing was loaded; the fixture cache may be stale: delete "
                             ".staging/fixtures and seed again") from None
