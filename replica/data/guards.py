"""Refuse destructive work on a database that is not this machine's replica (unless forced)."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from .errors import RemoteDatabaseError

LOCAL_HOSTS = {"localhost", ""}


def redact(url: str) -> str:
    """Return url with its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def is_local(host: str | None) -> bool:
    """Tell whether host names this machine (loopback address, localhost or a socket path)."""
    if host is None or host in LOCAL_HOSTS or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_target(url: str, action: str, replica_url: str | None = None,
                 force_remote: bool = False) -> None:
    """Raise RemoteDatabaseError unless url is local, is the replica's own, or force_remote."""
    host = urlsplit(url).hostname
    if force_remote or is_local(host):
        return
    if replica_url and urlsplit(replica_url).hostname == host:
        return
    raise RemoteDatabaseError(
        f"refusing to {action} {redact(url)}: host {host!r} is not this machine's replica "
        "(the runbook's FLASK_ENV=staging check, widened: only loopback databases are changed)",
        hint="point --url at the replica (the default), or pass --force-remote if you really "
             "mean to change that database")
