"""Copy one local database over another's, streamed: `pg_dump SOURCE | psql` into a database
built aside on the target's server, swapped in only when complete.

What push-to-deploy's candidate replica starts from: the serving deployment's data. Both ends
must be this machine's (guards.check_target): the copy never reads data from outside the
replicas. The source is read in read-only sessions; nothing is written to disk; on any failure
the target's live database is as it was and the aside one is dropped.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from psycopg import sql

from ..db import databases as dbs, guards
from .. import pgtools
from .pipes import feeding, reading
from .readonly_source import client_process, read_only, redactor

ASIDE_SUFFIX = "_copying"
PIECE = 1 << 20


@dataclass(frozen=True)
class Copied:
    """What a copy did: the target database, the bytes of the dump streamed, the seconds taken."""

    database: str
    bytes: int
    seconds: float


def copy_database(source_url: str, target_url: str, max_major: int = 18) -> Copied:
    """Replace target_url's database with a copy of source_url's; on failure target is untouched."""
    guards.check_target(source_url, "copy data from")
    guards.check_target(target_url, "copy data into")
    started, live = time.perf_counter(), dbs.database_of(target_url)
    aside = f"{live}{ASIDE_SUFFIX}"
    with dbs.admin(target_url) as conn:
        dbs.drop(conn, aside)
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(aside)))
    try:
        size = _stream(source_url, dbs.with_database(target_url, aside), aside, max_major)
        with dbs.admin(target_url) as conn:
            dbs.swap_in(conn, aside, live)
    except BaseException:
        with dbs.admin(target_url) as conn:
            dbs.drop(conn, aside)
        raise
    return Copied(live, size, time.perf_counter() - started)


def _stream(source_url: str, aside_url: str, aside: str, max_major: int) -> int:
    """Pipe pg_dump of the source into psql on aside in one transaction; return the bytes moved."""
    source, source_env = client_process(read_only(source_url))
    target, target_env = client_process(aside_url)
    # ownership and privileges name the source's roles; the target's own user owns the copy
    pg_dump = [pgtools.find("pg_dump", max_major), "--no-owner", "--no-privileges", "-d", source]
    psql = [pgtools.find("psql", max_major), "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "--single-transaction", "-d", target]
    size = 0
    with reading(pg_dump, source_env, redactor(source_url), "pg_dump of the source database") as dump, \
            feeding(psql, target_env, redactor(aside_url), f"loading into {aside}") as load:
        while piece := dump.read(PIECE):
            load.write(piece)
            size += len(piece)
    return size
