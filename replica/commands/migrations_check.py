"""Migrations on the populated fixtures: upgrade first, then `downgrade -1` and `upgrade`, data intact.

The round trip runs on a scratch clone of the fixtures template, never on the live database: a
first migration's downgrade drops every table. Its verdict depends only on the migrations, the app
image and the fixtures, so a pass is remembered per replica under that key.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..core.errors import StagingError
from ..gate.checklist import ItemFailed
from ..engine.compose import Compose
from ..stack import state

SCRATCH_SUFFIX = "_migration_check"
CACHE_FILE = state.MIGRATION_CHECKS_FILE
EXCEPTION_LINE = re.compile(r"^[\w.]*(Error|Exception|Violation)\b")
RAN = re.compile(r"Running (upgrade|downgrade) ([^\s,]*) -> ([^\s,]*)")


@dataclass(frozen=True)
class Revisions:
    """The migration graph as the repository holds it."""

    head: str
    down_of_head: str | None


def revisions(root: Path) -> Revisions:
    """Read the single head of db/migrations and the revision before it."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(root / "db" / "migrations"))
    heads = script.get_heads()
    if len(heads) != 1:
        raise ItemFailed(f"db/migrations has {len(heads)} heads ({', '.join(heads)}): merge them "
                         "(`flask db merge`) so staging has one schema to upgrade to")
    down = script.get_revision(heads[0]).down_revision
    return Revisions(heads[0], down if isinstance(down, str) or down is None else ",".join(down))


def steps_run(output: str) -> list[str]:
    """Return the `A -> B` steps alembic logged, in order ("" stands for the empty schema)."""
    return [f"{m.group(2) or 'base'} -> {m.group(3) or 'base'}" for m in RAN.finditer(output)]


def flask_db(stack, *args: str, database_url: str | None = None,
             on: str = "the populated fixtures") -> list[str]:
    """Run `flask db ARGS` in the app container; return the steps it ran; fail naming the last one."""
    return _exec(stack, ["flask", "--app", "main", "db", *args], f"`flask db {' '.join(args)}`",
                 database_url, on)


def in_one_process(stack, *commands: str, database_url: str | None = None) -> list[str]:
    """Run Flask-Migrate's upgrade/downgrade in order in one app process (one app start-up, which
    costs seconds, and minutes on a loaded machine); return the steps alembic ran."""
    script = ("import sys\nfrom main import app\nimport flask_migrate\n"
              "with app.app_context():\n"
              "    for command in sys.argv[1:]:\n"
              "        getattr(flask_migrate, command)()\n")
    return _exec(stack, ["python", "-c", script, *commands], f"`flask db {' then '.join(commands)}`",
                 database_url, "the populated fixtures")


def _exec(stack, command: list[str], label: str, database_url: str | None, on: str) -> list[str]:
    env = ("-e", f"DATABASE_URL={database_url}") if database_url else ()
    try:
        done = Compose(stack.settings).run("exec", "-T", *env, "app", *command, timeout=600, check=False)
    except StagingError as error:
        raise ItemFailed(f"{label} could not run: {error}") from None
    output = (done.stdout or "") + (done.stderr or "")
    steps = steps_run(output)
    if done.returncode != 0:
        where = f"migration {steps[-1]} failed" if steps else f"{label} failed"
        raise ItemFailed(f"{where} on {on}: {_last_error(output)}")
    return steps


def migrate_service_failure(settings) -> str | None:
    """Return, when `up` failed because its one-shot migrate service did, which migration and why."""
    from ..engine import health

    client = health.engine_client()
    state = health.service_states(client, settings.project).get("migrate")
    if state is None or state.state != "exited" or state.exit_code == 0:
        return None
    output = client.containers.get(state.container_id).logs(tail=400).decode(errors="replace")
    steps = steps_run(output)
    where = f"migration {steps[-1]} failed" if steps else "`flask db upgrade` failed"
    return f"{where} on the replica's data (staging.up's migrate service): {_last_error(output)}"


def _last_error(output: str) -> str:
    """Return the exception line of a traceback (SQLAlchemy's links and SQL echo left out)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()
             and not line.strip().startswith(("(Background on this error", "[SQL:", "^"))]
    errors = [line for line in lines if EXCEPTION_LINE.match(line)]
    return (errors or lines or ["no output"])[-1][:300]


def live_revision(db_url: str) -> str | None:
    """Return the revision alembic recorded in a database (None: no schema yet)."""
    from ..data.db import databases as dbs

    with dbs.connect(db_url) as conn:
        if conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0] is None:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def container_url(stack, database: str) -> str:
    """Return the app's DATABASE_URL pointed straight at the db service's `database`."""
    parts = urlsplit(stack.app_env["DATABASE_URL"])
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{credentials}db:5432", path=f"/{database}", query=""))


def cache_key(root: Path, stack, template_comment: str) -> str:
    """Hash what the round trip's verdict depends on: migrations, app image, the fixtures."""
    digest = hashlib.sha256()
    for path in sorted((root / "db" / "migrations").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(stack.compose_env.get("APP_IMAGE", "").encode() + b"\0" + template_comment.encode())
    return digest.hexdigest()


def cached(state_dir: Path, key: str) -> str | None:
    """Return the evidence of an earlier pass under this key, or None."""
    try:
        record = json.loads((state_dir / CACHE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record.get("evidence") if isinstance(record, dict) and record.get("key") == key else None


def remember(state_dir: Path, key: str, evidence: str) -> None:
    (state_dir / CACHE_FILE).write_text(json.dumps({"key": key, "evidence": evidence}) + "\n")


def round_trip(stack) -> str:
    """Upgrade a scratch clone of the fixtures, downgrade -1, upgrade again; compare the data."""
    from ..data.db import databases as dbs

    root, live_url = stack.settings.root, stack.url("db")
    graph = revisions(root)
    live = dbs.database_of(live_url)
    template, scratch = dbs.template_name(live), f"{live}{SCRATCH_SUFFIX}"
    with dbs.admin(live_url) as conn:
        if not dbs.exists(conn, template):
            raise ItemFailed(f"no fixtures template {template}: nothing populated to migrate")
        comment = _comment(conn, template)
        key = cache_key(root, stack, comment)
        earlier = cached(stack.settings.state_dir, key)
        if earlier:
            return f"{earlier} (remembered: migrations, app image and fixtures unchanged)"
        dbs.drop(conn, scratch)
        dbs.clone(conn, template, scratch)
    try:
        evidence = _round_trip_on(stack, graph, dbs.with_database(live_url, scratch),
                                  container_url(stack, scratch))
    finally:
        with dbs.admin(live_url) as conn:
            dbs.drop(conn, scratch)
    remember(stack.settings.state_dir, key, evidence)
    return evidence


def _round_trip_on(stack, graph: Revisions, host_url: str, url_in_stack: str) -> str:
    from ..data.db.reset import fingerprint

    applied = []
    if live_revision(host_url) != graph.head:
        applied = in_one_process(stack, "upgrade", database_url=url_in_stack)
    before = fingerprint(host_url)
    steps = in_one_process(stack, "downgrade", "upgrade", database_url=url_in_stack)
    after = fingerprint(host_url)
    rows = sum(count for count, _ in before.values())
    trip = "; ".join(steps) or "nothing to step"
    upgraded = f"upgrade {'; '.join(applied)}, then " if applied else ""
    if graph.down_of_head is None:
        return (f"{upgraded}{trip} ran cleanly; {graph.head} is the first migration, so its "
                f"downgrade drops the tables: no data can survive it (data check n/a)")
    changed = [table for table in before if before[table] != after.get(table)]
    if changed:
        detail = ", ".join(f"{t} {before[t][0]} → {after.get(t, (0, ''))[0]} rows" for t in changed)
        raise ItemFailed(f"{trip}: data changed in {detail} (row count or checksum)")
    return f"{upgraded}{trip}: {rows} fixture rows intact (counts and md5 of {len(before)} tables)"


def _comment(conn, database: str) -> str:
    row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                       "WHERE datname = %s", (database,)).fetchone()
    return (row[0] if row else "") or ""
