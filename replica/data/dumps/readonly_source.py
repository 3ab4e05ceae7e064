"""A source database (production's) read without the power to change it.

Every session opened on it, ours and pg_dump's, runs with `default_transaction_read_only=on`
(a libpq startup option: no statement of the session can write unless it turns that off). A role
that could write anyway (a superuser, a table's owner, a role with INSERT/UPDATE/DELETE/TRUNCATE)
is named before anything is dumped, so the caller can refuse it.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg.conninfo import make_conninfo

from ...core.conninfo import connection_params
from ...core.redact import Redactor
from ..errors import SourceError, SourceRefusedError

READ_ONLY_OPTION = "-c default_transaction_read_only=on"
SHOWN_TABLES = 3
# Relations a role could change: tables, partitioned tables, views (auto-updatable or with
# rules) and foreign tables, outside the system schemas.
_RELATIONS = """FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'f')
      AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"""
_OWNED = f"SELECT format('%I.%I', n.nspname, c.relname) {_RELATIONS} " \
         "AND pg_has_role(c.relowner, 'MEMBER') ORDER BY 1"
_WRITABLE = f"SELECT format('%I.%I', n.nspname, c.relname) {_RELATIONS} " \
            "AND (has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') " \
            "OR has_any_column_privilege(c.oid, 'INSERT, UPDATE')) ORDER BY 1"
# Where a database is: its server (cluster id and the postmaster's start, which tells apart two
# servers initialised from one image) and its name. Not its address: one server has many.
IDENTITY = ("SELECT (SELECT system_identifier FROM pg_control_system())::text, "
            "pg_postmaster_start_time()::text")


def read_only(url: str) -> str:
    """Return url with the startup option that makes every transaction of its session read-only."""
    options = connection_params(url).get("options", "")
    return make_conninfo(url, options=f"{options} {READ_ONLY_OPTION}".strip())


def redactor(url: str) -> Redactor:
    """A redactor that also masks the URL's password wherever a message repeats it."""
    return Redactor([connection_params(url).get("password", "")])


def client_process(url: str) -> tuple[str, dict[str, str]]:
    """Return (conninfo, environment) for a client program: the password goes in PGPASSWORD,
    never on a command line, which every user of the machine can read (`ps`)."""
    params = connection_params(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = password
    return make_conninfo("", **params), env


@contextmanager
def connect(url: str) -> Iterator[psycopg.Connection]:
    """Open a read-only session on the source, or raise SourceError saying what failed."""
    try:
        conn = psycopg.connect(read_only(url), autocommit=True, connect_timeout=10,
                               application_name="mina-staging-refresh")
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split()) or "refused"  # libpq's lines, as one
        raise SourceError(f"cannot connect to the source {redactor(url).text(url)}: "
                          f"{redactor(url).text(reason)}",
                          hint="check --from (host, port, user, password) and that this machine "
                               "may reach it; nothing was changed") from None
    with conn:
        _check_read_only(conn, url)
        yield conn


def _check_read_only(conn: psycopg.Connection, url: str) -> None:
    """Refuse a session where the read-only option did not arrive (a pooler may drop it)."""
    if conn.execute("SHOW default_transaction_read_only").fetchone()[0] != "on":
        raise SourceRefusedError(
            f"the source {redactor(url).text(url)} ignored the startup option "
            f"'{READ_ONLY_OPTION}': its sessions would not be read-only (a pooler in between?)",
            hint="give --from the database's direct endpoint, not a pooled one; nothing was changed")


def write_access(conn: psycopg.Connection) -> str | None:
    """Say how the session's role could write to the source (None if it cannot)."""
    role, superuser = conn.execute(
        "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if superuser:
        return f"role {role!r} is a superuser"
    owned = [row[0] for row in conn.execute(_OWNED)]
    if owned:
        return f"role {role!r} owns {_tables(owned)}"
    writable = [row[0] for row in conn.execute(_WRITABLE)]
    if writable:
        return f"role {role!r} may INSERT, UPDATE, DELETE or TRUNCATE {_tables(writable)}"
    return None


def identity(conn: psycopg.Connection, database: str | None = None) -> tuple[str, ...]:
    """Return what names a database wherever it is reached from: server and database name."""
    server = conn.execute(IDENTITY).fetchone()
    return (*server, database or conn.info.dbname)


@contextmanager
def snapshot(conn: psycopg.Connection) -> Iterator[str]:
    """Hold a read-only snapshot of the source and yield its id, for `pg_dump --snapshot`:
    every dump taken with it sees the same data, whatever is committed meanwhile."""
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        yield conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    finally:
        if not conn.broken:  # a source gone mid-way: its own error is the one to report
            conn.execute("ROLLBACK")


def _tables(names: list[str]) -> str:
    shown = names[:SHOWN_TABLES] + ([f"+{len(names) - SHOWN_TABLES}"]
                                    if len(names) > SHOWN_TABLES else [])
    return f"{len(names)} table{'s' if len(names) > 1 else ''} ({', '.join(shown)})"
