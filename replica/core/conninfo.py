"""Which servers a PostgreSQL connection string reaches, read as libpq reads it.

A URL's netloc, its `?host=`/`?hostaddr=`, or a `key=value` string; unset ones from PGHOST and
PGHOSTADDR; every entry of a multi-host list. Where a hostaddr is given, libpq connects to it
whatever the host says. psycopg (libpq's own parser) is imported only when a string is read.
"""
from __future__ import annotations

import os
from typing import Mapping

from .errors import ConfigError
from .redact import redact


def connection_params(url: str) -> dict[str, str]:
    """Parse a postgresql:// URL or a libpq key=value string, as libpq will read it."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {key: str(value) for key, value in conninfo_to_dict(url).items()}
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "unreadable"
        raise ConfigError(f"cannot read the database URL {redact(url)}: {redact(reason)}",
                          hint="give postgresql://user:password@host:port/name or a libpq "
                               "'host=... dbname=...' string") from None


def connection_hosts(url: str, environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Return (server, where it came from) for every server libpq may connect to for url."""
    env = os.environ if environ is None else environ
    params = connection_params(url)
    hosts = _listed(params, env, "host", "PGHOST")
    addresses = _listed(params, env, "hostaddr", "PGHOSTADDR")
    found = []
    for index in range(max(len(hosts), len(addresses), 1)):
        address = addresses[index] if index < len(addresses) else ("", "")
        host = hosts[index] if index < len(hosts) else ("", "")
        found.append(address if address[0] else host)
    return found


def service_of(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the connection service url uses (service= or PGSERVICE): its file may point anywhere."""
    env = os.environ if environ is None else environ
    return connection_params(url).get("service") or env.get("PGSERVICE") or None


def _listed(params: dict[str, str], env: Mapping[str, str], key: str,
            variable: str) -> list[tuple[str, str]]:
    """Split a (comma-separated) host or hostaddr setting; the environment fills in when unset."""
    raw, source = params.get(key, ""), f"{key} in the URL"
    if not raw:
        raw, source = env.get(variable, ""), variable
    return [(entry.strip(), source) for entry in raw.split(",")] if raw else []
