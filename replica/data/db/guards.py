"""Refuse destructive work on a database that is not this machine's replica (unless forced).

The servers are those libpq will connect to (replica/core/conninfo.py), decided before any connection;
a `service=` (or PGSERVICE) may name any server, so it is refused unless the URL pins a hostaddr.
"""
from __future__ import annotations

import ipaddress
from typing import Mapping

from ...core.conninfo import connection_hosts, connection_params, service_of
from ...core.redact import redact
from ..errors import RemoteDatabaseError

LOCAL_NAMES = {"", "localhost"}
HINT = ("point --url at the replica (the default), or pass --force-remote if you really mean to "
        "change that database")


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
    if force_remote:
        connection_params(url)
        return
    # a service file fills in what the URL leaves unset, a hostaddr among them
    if not connection_params(url).get("hostaddr") and service_of(url, environ):
        raise RemoteDatabaseError(
            f"cannot tell which server {redact(url)} reaches: it names a connection service "
            "(service= or PGSERVICE), whose file may point anywhere",
            hint="give the host in the URL and unset PGSERVICE, or pass --force-remote")
    # the replica's URL as `up` wrote it, without the environment: PGHOSTADDR must not whitelist itself
    own = {host for host, _ in connection_hosts(replica_url, {})} if replica_url else set()
    remote = [(host, source) for host, source in connection_hosts(url, environ)
              if not is_local(host) and host not in own]
    if remote:
        named = ", ".join(f"{host!r} (from {source})" for host, source in remote)
        raise RemoteDatabaseError(
            f"refusing to {action} {redact(url)}: {named} is not this machine's replica "
            "(the runbook's FLASK_ENV=staging check, widened: only loopback databases are changed)",
            hint=HINT)
