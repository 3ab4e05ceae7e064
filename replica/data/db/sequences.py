"""Ids continue across a reset or a restore, as they do on staging, where no id is ever reused.

A reset swaps in a copy of the fixtures template, whose sequences stand where the fixtures left
them; without this, the next user registered gets the id a user of the previous run had, and
whatever still holds that id (the app's per-worker user cache, a browser's session cookie) now
names someone else. Staging never reuses an id, so the replica must not either.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from . import databases as dbs

READ = "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences " \
       "WHERE last_value IS NOT NULL"
ADVANCE = ("SELECT setval(s.name::regclass, s.high) "
           "FROM unnest(%s::text[], %s::bigint[]) AS s(name, high) JOIN pg_sequences q "
           "ON format('%%I.%%I', q.schemaname, q.sequencename) = s.name "
           "WHERE s.high > coalesce(q.last_value, 0)")


def high_water(url: str) -> dict[str, int]:
    """Return each used sequence of url's database and the last value it gave out."""
    with dbs.connect(url) as conn:
        return dict(conn.execute(READ).fetchall())


def advance(url: str, marks: dict[str, int]) -> int:
    """Move each sequence of url's database up to its mark (never down); return how many moved."""
    if not marks:
        return 0
    with dbs.connect(url) as conn:
        return len(conn.execute(ADVANCE, [list(marks), list(marks.values())]).fetchall())


@contextmanager
def continued(conn, url: str) -> Iterator[None]:
    """Replace url's live database inside the block (conn: the server's admin connection); its ids
    then continue where the old one's stopped. Read before the swap: a write racing the reset
    itself may still reuse one id."""
    marks = high_water(url) if dbs.exists(conn, dbs.database_of(url)) else {}
    yield
    advance(url, marks)
