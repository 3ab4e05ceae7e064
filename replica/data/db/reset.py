"""Keep the loaded fixtures as a template database and clone it back in well under a second."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable
from datetime import datetime, timezone

from psycopg import sql

from . import databases as dbs, sequences, spare
from ..errors import DataError, NoFixturesError
from .fixtures import COLUMNS, FixtureSet
from .load import analyze, load

@dataclass(frozen=True)
class ResetResult:
    """What a reset did: the live database, its template, the seconds it took, sessions ended."""

    database: str
    template: str
    seconds: float



def seed(url: str, fixture_set: FixtureSet, strategy: str = "FILE_COPY") -> ResetResult:
    """Load fixtures into a fresh template (schema cloned from the live database), then reset."""
    live = dbs.database_of(url)
    build = _clone_live(url)
    try:
        load(dbs.with_database(url, build), fixture_set)
        analyze(dbs.with_database(url, build))
        _install_template(url, build, {
            "fixtures": fixture_set.path.name, "users": fixture_set.users,
            "seed": fixture_set.seed, "rows": fixture_set.rows,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    except BaseException:
        with dbs.admin(url) as conn:
            dbs.drop(conn, build)
        raise
    return reset(url, strategy)


def keep_live_as_template(url: str) -> None:
    """Make the live database, as it is now, the fixtures template (e.g. just seeded and migrated
    to head, so a reset lands at head); the template's description is kept."""
    live = dbs.database_of(url)
    with dbs.admin(url) as conn:
        description = json.loads(dbs.comment(conn, template_of(conn, live, "to replace")) or "{}")
    build = _clone_live(url)
    try:
        _install_template(url, build, description)
    except BaseException:
        with dbs.admin(url) as conn:
            dbs.drop(conn, build)
        raise


def upgrade_template(url: str, upgrade: Callable[[str], object]) -> None:
    """Migrate the fixtures template: clone it aside, let upgrade(database name) bring the clone to
    the new head, install the clone as the template (the live database is left as it is)."""
    live = dbs.database_of(url)
    build = f"{live}_fixtures_build"
    with dbs.admin(url) as conn:
        template = template_of(conn, live, "to upgrade")
        description = json.loads(dbs.comment(conn, template) or "{}")
        dbs.drop(conn, build)
        dbs.clone(conn, template, build, "FILE_COPY")
    try:
        upgrade(build)
        _install_template(url, build, description)
    except BaseException:
        with dbs.admin(url) as conn:
            dbs.drop(conn, build)
        raise


def template_of(conn, live: str, doing: str) -> str:
    """Return the name of live's fixtures template; NoFixturesError when none was loaded yet."""
    template = dbs.template_name(live)
    if not dbs.exists(conn, template):
        raise NoFixturesError(f"there are no loaded fixtures for {live} {doing} (no database "
                              f"{template})", hint="run `invoke staging.db.seed` once; later "
                                                   "resets reuse it")
    return template


def _clone_live(url: str) -> str:
    live = dbs.database_of(url)
    build = f"{live}_fixtures_build"
    with dbs.admin(url) as conn:
        if not dbs.exists(conn, live):
            raise DataError(f"database {live} does not exist", hint="run `invoke staging.up`")
        dbs.drop(conn, build)
        with dbs.quiesced(conn, live):
            dbs.clone(conn, live, build, "FILE_COPY")
    return build


def _install_template(url: str, build: str, description: dict) -> None:
    live = dbs.database_of(url)
    template = dbs.template_name(live)
    with dbs.admin(url) as conn:
        spare.discard(conn, live)
        dbs.drop(conn, template)
        dbs.rename(conn, build, template)
        dbs.make_template(conn, template, json.dumps(description))


def fixtures_loaded(url: str) -> bool:
    """Return whether the live database of url has its fixtures template (so a reset works)."""
    with dbs.admin(url) as conn:
        return dbs.exists(conn, dbs.template_name(dbs.database_of(url)))


def template_description(url: str) -> dict | None:
    """Return what the fixtures template of url's database holds (fixture set, users, seed), or
    None when there is no template."""
    with dbs.admin(url) as conn:
        template = dbs.template_name(dbs.database_of(url))
        if not dbs.exists(conn, template):
            return None
        return json.loads(dbs.comment(conn, template) or "{}")


def reset(url: str, strategy: str = "FILE_COPY", background: bool = True) -> ResetResult:
    """Replace the live database with a fresh copy of its fixtures template.

    A spare copy made in the background since the last reset is swapped in when ready; the next
    spare is then prepared in the background (background=False does everything here and now).
    """
    started = time.perf_counter()
    live = dbs.database_of(url)
    fresh = f"{live}_resetting"
    with dbs.admin(url) as conn:
        template = template_of(conn, live, "to reset to")
        with sequences.continued(conn, url):
            if not (background and spare.take(conn, live, template)):
                replace_from(conn, template, fresh, live, strategy, keep_retired=background)
    seconds = time.perf_counter() - started
    if background:
        spare.prepare_in_background(url)
    return ResetResult(live, template, seconds)


def replace_from(conn, source: str, fresh: str, live: str, strategy: str,
                 keep_retired: bool = False) -> str:
    """Clone source as fresh and swap it in as live; on failure live is untouched."""
    dbs.drop(conn, fresh)
    dbs.clone(conn, source, fresh, strategy)
    try:
        return dbs.swap_in(conn, fresh, live, keep_retired)
    except BaseException:
        dbs.drop(conn, fresh)
        raise


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Return (row count, digest of every row) for each fixture table.

    The digest sums each row's 64-bit md5 prefix (a row's text holds its id, so moving a value
    between rows changes it): one string of all rows would pass PostgreSQL's 1 GB limit at `prod`
    scale (6.3 M transcript segments).
    """
    with dbs.connect(url) as conn:
        return {table: tuple(conn.execute(sql.SQL(
            "SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint)"
            "::text, '') FROM {} t").format(sql.Identifier(table))).fetchone()) for table in COLUMNS}
