"""Refuse destructive work on a database that is not this machine's replica (unless forced).

The servers a URL reaches are decided as libpq decides them, before any connection: the conninfo's
host and hostaddr (a URL's netloc, its `?host=`/`?hostaddr=`, or a `key=value` string), else
PGHOST/PGHOSTADDR, every entry of a multi-host list; where a hostaddr is given, libpq connects to
it whatever the host says. A `service=` (or PGSERVICE) may name any server: it is refused.
"""
from __future__ import annotations

import ipaddress
import os
from typing import Mapping

from ..errors import ConfigError
from ..redact import redact
from .errors import RemoteDatabaseError

LOCAL_NAMES = {"", "localhost"}
HINT = ("point --url at the replica (the default), or pass --force-remote if you really mean to "
        "change that database")


def connection_params(url: str) -> dict[str, str]:
    """Parse a postgresql:// URL or a libpq key=value string, as libpq will read it."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {key: str(value) for key, value in conninfo_to_dict(url).items()}
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "unreadable"
        raise ConfigError(f"cannot read the database URL {redact(url)}: {reason}",
                          hint="give postgresql://user:password@host:port/name or a libpq "
                               "'host=... dbname=...' string") from None


def connection_hosts(url: str, environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Return (server, where it came from) for every server libpq may connect to for url."""
    env = os.environ if environ is None else environ
    params = connection_params(url)
    if params.get("service") or env.get("PGSERVICE"):
        raise RemoteDatabaseError(
            f"cannot tell which server {redact(url)} reaches: it names a connection service "
            "(service= or PGSERVICE), whose file may point anywhere",
            hint="give the host in the URL and unset PGSERVICE, or pass --force-remote")
    hosts = _listed(params, env, "host", "PGHOST")
    addresses = _listed(params, env, "hostaddr", "PGHOSTADDR")
    found = []
    for index in range(max(len(hosts), len(addresses), 1)):
        address = addresses[index] if index < len(addresses) else ("", "")
        host = hosts[index] if index < len(hosts) else ("", "")
        found.append(address if address[0] else host)
    return found


def _listed(params: dict[str, str], env: Mapping[str, str], key: str,
            variable: str) -> list[tuple[str, str]]:
    """Split a (comma-separated) host or hostaddr setting; the environment fills in when unset."""
    raw, source = params.get(key, ""), f"{key} in the URL"
    if not raw:
        raw, source = env.get(variable, ""), variable
    return [(entry.strip(), source) for entry in raw.split(",")] if raw else []


def is_local(host: str | None) -> bool:
    """Tell whether host names this machine (loopback address, localhost or a socket path)."""
    if host is None or host.lower() in LOCAL_NAMES or host.startswith(("/", "@")):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_target(url: str, action: str, replica_url: str | None = None,
                 force_remote: bool = False, environ: Mapping[str, str] | None = None) -> None:
    """Raise RemoteDatabaseError unless every server url reaches is local or the replica's own.

    Connects to nothing; a URL that cannot be read is a ConfigError even with force_remote.
    """
    servers = connection_hosts(url, environ) if not force_remote else None
    if servers is None:
        connection_params(url)
        return
    # the replica's URL as `up` wrote it, without the environment: PGHOSTADDR must not whitelist itself
    own = {host for host, _ in connection_hosts(replica_url, {})} if replica_url else set()
    remote = [(host, source) for host, source in servers if not is_local(host) and host not in own]
    if remote:
        named = ", ".join(f"{host!r} (from {source})" for host, source in remote)
        raise RemoteDatabaseError(
            f"refusing to {action} {redact(url)}: {named} is not this machine's replica "
            "(the runbook's FLASK_ENV=staging check, widened: only loopback databases are changed)",
            hint=HINT)
