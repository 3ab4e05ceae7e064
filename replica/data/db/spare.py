"""A ready clone of the fixtures template, so a reset is two renames instead of a full copy.

After each seed or reset a detached process (`python -m replica.data.db.spare`, URL in the
environment) drops retired databases and clones the next spare; a reset that finds no spare
ready clones synchronously instead, so correctness never depends on the background work.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

from psycopg import sql

from . import databases as dbs

URL_ENV = "STAGING_DATA_SPARE_URL"


def spare_name(live: str) -> str:
    return f"{live}_spare"


def take(conn, live: str, template: str) -> str | None:
    """Swap the ready spare in as live; return the retired database's name, or None if no spare."""
    spare = spare_name(live)
    row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                       "WHERE datname = %s", [spare]).fetchone()
    if row is None:
        return None
    if row[0] != _origin(conn, template):  # cloned from a template since replaced by a seed
        dbs.drop(conn, spare)
        return None
    return dbs.swap_in(conn, spare, live, keep_retired=True)


def _origin(conn, template: str) -> str | None:
    row = conn.execute("SELECT oid::text FROM pg_database WHERE datname = %s", [template]).fetchone()
    return f"spare of {template} oid {row[0]}" if row else None


def discard(conn, live: str) -> None:
    """Drop the spare (it no longer matches the template)."""
    dbs.drop(conn, spare_name(live))


def builder_lock(live: str) -> int:
    """The advisory lock `prepare` holds while it builds the live database's spare."""
    return zlib.crc32(live.encode())


def prepare(url: str, template: str) -> None:
    """Drop retired copies of the live database and clone a spare if there is none."""
    live = dbs.database_of(url)
    with dbs.admin(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [builder_lock(live)])  # one builder
        for name, _, _ in dbs.listing(conn, f"{live}_retired_"):
            dbs.drop(conn, name)
        if dbs.exists(conn, spare_name(live)) or not dbs.exists(conn, template):
            return
        building = f"{spare_name(live)}_building"
        dbs.drop(conn, building)
        origin = _origin(conn, template)
        dbs.clone(conn, template, building)
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(building),
                                                                    sql.Literal(origin)))
        dbs.rename(conn, building, spare_name(live))


PACKAGE_PARENT = Path(__file__).resolve().parents[3]  # the folder holding replica/ (-m needs it)


def prepare_in_background(url: str, log: Path | None = None) -> subprocess.Popen:
    """Start `prepare` in a detached process (it outlives the task that started it)."""
    env = {**os.environ, URL_ENV: url}
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "replica.data.db.spare"], env=env,
                            stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=PACKAGE_PARENT)


def main() -> int:
    url = os.environ[URL_ENV]
    prepare(url, dbs.template_name(dbs.database_of(url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
