"""Whole-database operations on one server: clone from a template, swap in, drop, list.

Every name is passed through psycopg.sql.Identifier; every swap keeps the live database until its
replacement exists, so a failure leaves the user's data as it was.
"""
from __future__ import annotations

import getpass
import os
import time
from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from ...core.conninfo import connection_params
from ...core.redact import redact
from ..errors import DataError

STRATEGIES = ("FILE_COPY", "WAL_LOG")
TEMPLATE_SUFFIX = "_fixtures"


def template_name(live: str) -> str:
    """The template database that keeps live's loaded fixtures (what a reset clones)."""
    return f"{live}{TEMPLATE_SUFFIX}"


def with_database(url: str, name: str) -> str:
    """Return url (a URL or key=value string) pointing at another database of the same server."""
    connection_params(url)  # a clear error for an unreadable one
    return make_conninfo(url, dbname=name)


def database_of(url: str) -> str:
    """Return the database libpq connects to for url: dbname, else PGDATABASE, else the user's."""
    params = connection_params(url)
    return (params.get("dbname") or os.environ.get("PGDATABASE") or params.get("user")
            or os.environ.get("PGUSER") or getpass.getuser())


def connect(url: str, autocommit: bool = True) -> psycopg.Connection:
    """Open a connection, or raise DataError saying where and what to check."""
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=5,
                               application_name="mina-staging-data")
    except psycopg.OperationalError as error:
        raise DataError(f"cannot connect to {redact(url)}: {str(error).strip().splitlines()[-1]}",
                        hint="is the replica up? `invoke staging.status` shows it") from None


@contextmanager
def admin(url: str) -> Iterator[psycopg.Connection]:
    """Connect to the server's maintenance database (postgres), where databases are managed."""
    with connect(with_database(url, "postgres")) as conn:
        yield conn


def exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def allow_connections(conn: psycopg.Connection, name: str, allowed: bool) -> None:
    conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
        sql.Identifier(name), sql.SQL("true" if allowed else "false")))


def terminate(conn: psycopg.Connection, name: str) -> int:
    """Disconnect every other session on a database; return how many were ended."""
    row = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", [name]).fetchone()
    return row[0]


@contextmanager
def quiesced(conn: psycopg.Connection, name: str) -> Iterator[None]:
    """Hold a database without sessions (new ones refused) for the duration of the block."""
    allow_connections(conn, name, False)
    try:
        terminate(conn, name)
        yield
    finally:
        if exists(conn, name):
            allow_connections(conn, name, True)


def clone(conn: psycopg.Connection, source: str, target: str, strategy: str = "FILE_COPY") -> None:
    """Create target as a copy of source (source must have no sessions)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    try:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY {}").format(
            sql.Identifier(target), sql.Identifier(source), sql.SQL(strategy)))
    except psycopg.Error as error:
        raise DataError(f"cannot copy database {source} to {target}: {_message(error)}") from None


def drop(conn: psycopg.Connection, name: str) -> None:
    """Drop a database if it exists, templates included, disconnecting its sessions."""
    row = conn.execute("SELECT datistemplate FROM pg_database WHERE datname = %s", [name]).fetchone()
    if row is None:
        return
    if row[0]:
        conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(sql.Identifier(name)))
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def rename(conn: psycopg.Connection, old: str, new: str) -> None:
    conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old),
                                                                 sql.Identifier(new)))


def swap_in(conn: psycopg.Connection, replacement: str, live: str, keep_retired: bool = False) -> str:
    """Make replacement the live database; return the retired old one's name (dropped unless kept)."""
    retired = f"{live}_retired_{time.time_ns() % 10**12}"[:63]
    if exists(conn, live):
        with quiesced(conn, live):
            rename(conn, live, retired)
    try:
        rename(conn, replacement, live)
    except psycopg.Error as error:
        if exists(conn, retired):
            rename(conn, retired, live)  # put the user's database back
            allow_connections(conn, live, True)
        raise DataError(f"cannot swap {replacement} in as {live}: {_message(error)}") from None
    if not keep_retired:
        drop(conn, retired)
    return retired


@contextmanager
def built_aside(url: str, suffix: str) -> Iterator[str]:
    """Create an empty database beside url's live one and yield its URL; when the block succeeds
    swap it in as the live database, when anything fails drop it (the live one as it was)."""
    live = database_of(url)
    aside = f"{live}{suffix}"
    with admin(url) as conn:
        drop(conn, aside)
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(aside)))
    try:
        yield with_database(url, aside)
        with admin(url) as conn:
            swap_in(conn, aside, live)
    except BaseException:
        with admin(url) as conn:
            drop(conn, aside)
        raise


def make_template(conn: psycopg.Connection, name: str, comment: str) -> None:
    """Mark a database as a template nobody connects to, with a JSON comment describing it."""
    conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name),
                                                                sql.Literal(comment)))
    conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
        sql.Identifier(name)))


def comment(conn: psycopg.Connection, name: str) -> str | None:
    """Return a database's comment (a template's JSON description), or None."""
    row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                       "WHERE datname = %s", [name]).fetchone()
    return row[0] if row else None


def listing(conn: psycopg.Connection, prefix: str) -> list[tuple[str, int, str | None]]:
    """Return (name, size in bytes, comment) for each database whose name starts with prefix."""
    return conn.execute(
        "SELECT datname, pg_database_size(oid), shobj_description(oid, 'pg_database') "
        "FROM pg_database WHERE starts_with(datname, %s) ORDER BY datname", [prefix]).fetchall()


def _message(error: psycopg.Error) -> str:
    return (error.diag.message_primary or str(error)).strip()
