"""Refresh a database from another one (production's), sanitized on the way, in one call:
the runbook's `pg_dump $PROD | sanitize | psql $STAGING`, with nothing unsanitized on disk.

    refresh(source_url, replica_url, policy, salt)

1. The source is opened read-only (readonly_source.py); a role that could write is refused unless
   allow_writable, and so is a source that is the replica's own database.
2. One snapshot of the source is exported; both dumps below take it, so they see the same data.
3. `pg_dump --data-only` feeds the leak check's digests of every sensitive value (digests, in
   memory; nothing of the values is kept).
4. `pg_dump` feeds the sanitizer; its output goes, on pipes, to `psql --single-transaction` into
   `<live>_refreshing` and to the leak check's scan. psql commits only when the whole dump was
   sanitized and the scan found nothing; then the new database is swapped in (two renames).
   On any failure psql is killed (nothing committed), the aside database is dropped, and the
   live one is as it was.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import BinaryIO, Callable


from ..db import databases as dbs
from . import leakcheck, readonly_source as source
from .. import pgtools
from ..errors import LeakFoundError, SourceRefusedError
from .pipes import PipeReader, Tee, feeding, reading
from .policy import Policy
from .rows import NATIVE
from .sanitize import PROCESSES_FROM, THREADS_FROM, Sanitizer, Stats

ASIDE_SUFFIX = "_refreshing"
# Ownership and privileges name production's roles; large objects, publications and
# subscriptions are data and configuration outside the tables that staging does not take.
DUMP_OPTIONS = ["--no-owner", "--no-privileges", "--no-large-objects", "--no-publications",
                "--no-subscriptions"]
Sanitize = Callable[[BinaryIO, BinaryIO], Stats]


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did: rows per table, statements left out, values checked, seconds taken."""

    database: str
    source: str  # the source URL, redacted
    stats: Stats
    scanned: int
    sensitive: int
    seconds: float


def refresh(source_url: str, replica_url: str, policy: Policy, salt: bytes, max_major: int = 18,
            allow_writable: bool = False, sanitize: Sanitize | None = None,
            say: Callable[[str], None] = lambda message: None) -> RefreshResult:
    """Replace replica_url's database with a sanitized copy of source_url's (see the module)."""
    started = time.perf_counter()
    live = dbs.database_of(replica_url)
    with source.connect(source_url) as conn:
        _check_source(conn, replica_url, live, allow_writable)
        sanitize = sanitize or Sanitizer(policy, salt, max_major, _workers(conn)).run
        with source.snapshot(conn) as snapshot:
            say(f"reading the sensitive values of {source.redactor(source_url).text(source_url)}")
            secrets = _sensitive_values(source_url, snapshot, policy, max_major)
            say(f"{len(secrets)} sensitive values known; streaming the sanitized dump")
            stats, report = _load_aside(source_url, snapshot, replica_url, live, secrets,
                                        sanitize, max_major)
    return RefreshResult(live, source.redactor(source_url).text(source_url), stats,
                         report.scanned, report.sensitive, time.perf_counter() - started)


def _check_source(conn, replica_url: str, live: str, allow_writable: bool) -> None:
    """Refuse a source that is the replica's database, or whose role can write (unless allowed)."""
    with dbs.admin(replica_url) as replica:
        if source.identity(conn) == source.identity(replica, live):
            raise SourceRefusedError(
                f"the source is the replica's own database {live}: refreshing it from itself "
                "would replace it with a copy of itself",
                hint="give --from production's URL (or another server's); nothing was changed")
    if not allow_writable and (how := source.write_access(conn)):
        raise SourceRefusedError(
            f"the source could be changed by this session: {how}",
            hint="give --from a role with SELECT only (e.g. GRANT pg_read_all_data), or pass "
                 "--allow-writable-source (the dump's session is read-only either way)")


def _workers(conn) -> int:
    """Rewrite rows on every core when the source is big enough for threads to pay off."""
    size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    threshold = THREADS_FROM if NATIVE else PROCESSES_FROM
    return min(os.cpu_count() or 1, 8) if size >= threshold else 0


def _pg_dump(source_url: str, snapshot: str, max_major: int, *options: str):
    conninfo, env = source.client_process(source.read_only(source_url))
    command = [pgtools.find("pg_dump", max_major), "--snapshot", snapshot, *DUMP_OPTIONS,
               *options, "-d", conninfo]
    return reading(command, env, source.redactor(source_url), "pg_dump of the source")


def _sensitive_values(source_url: str, snapshot: str, policy: Policy,
                      max_major: int) -> leakcheck.Secrets:
    with _pg_dump(source_url, snapshot, max_major, "--data-only") as dump:
        return leakcheck.sensitive_values(dump, policy)


def _load_aside(source_url: str, snapshot: str, replica_url: str, live: str,
                secrets: leakcheck.Secrets, sanitize: Sanitize, max_major: int):
    """Sanitize the source's dump into a new database beside live and swap it in; drop it on
    any failure."""
    with dbs.built_aside(replica_url, ASIDE_SUFFIX) as aside_url:
        conninfo, env = source.client_process(aside_url)
        with _pg_dump(source_url, snapshot, max_major) as dump, \
                feeding(pgtools.loading_psql(conninfo, max_major), env, source.redactor(replica_url),
                        f"loading into {live}{ASIDE_SUFFIX}") as load:
            scanner = PipeReader(lambda stream: leakcheck.scan(secrets, stream))
            try:
                stats = sanitize(dump, Tee(load, scanner.sink))
            except BaseException:
                scanner.stop()  # what it makes of a stream cut short does not matter
                raise
            report = scanner.result()
            if report.total_leaks:  # raised before psql sees the end: nothing is committed
                raise LeakFoundError(_leaks(report), hint="classify those columns fake, hash, "
                                     "null or drop in the policy; nothing was changed")
    return stats, report


def _leaks(report: leakcheck.Report) -> str:
    where = ", ".join(f"{where} ({count})" for where, count in sorted(report.by_column.items()))
    first = report.leaks[0]
    return (f"the leak check found {report.total_leaks} values of the source in the sanitized "
            f"dump: {where}; first at line {first.line}, from {first.source}")
