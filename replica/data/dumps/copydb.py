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
    started = time.perf_counter()
    with dbs.built_aside(target_url, ASIDE_SUFFIX) as aside_url:
        size = _stream(source_url, aside_url, max_major)
    return Copied(dbs.database_of(target_url), size, time.perf_counter() - started)


def _stream(source_url: str, aside_url: str, max_major: int) -> int:
    """Pipe pg_dump of the source into psql on aside in one transaction; return the bytes moved."""
    source, source_env = client_process(read_only(source_url))
    target, target_env = client_process(aside_url)
    # ownership and privileges name the source's roles; the target's own user owns the copy
    pg_dump = [pgtools.find("pg_dump", max_major), "--no-owner", "--no-privileges", "-d", source]
    psql = pgtools.loading_psql(target, max_major)
    size = 0
    with reading(pg_dump, source_env, redactor(source_url), "pg_dump of the source database") as dump, \
            feeding(psql, target_env, redactor(aside_url), f"loading into {dbs.database_of(aside_url)}") as load:
        while piece := dump.read(PIECE):
            load.write(piece)
            size += len(piece)
    return size
