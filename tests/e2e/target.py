"""Resolve what the smoke suite targets: an explicit --base-url, or the running local replica."""
from __future__ import annotations

from dataclasses import dataclass

import requests

PROBE_TIMEOUT_S = 5


@dataclass(frozen=True)
class Target:
    base_url: str
    sink_url: str | None  # None: no error sink to read (the real staging reports to Sentry)
    source: str  # "--base-url" or "replica <name>"
    profiles: tuple[str, ...] = ()  # the replica's fault profiles (what the app must ride out)
    database_url: str | None = None  # the replica's database (its fixture users); None: not ours


def resolve_target(base_url: str | None, sink_url: str | None) -> Target | str:
    """Return the Target, or a sentence saying why the suite cannot run (a skip reason)."""
    if base_url:
        base_url = base_url.rstrip("/")
        replica_sink, profiles, database_url = _replica_state_for(base_url)
        target = Target(base_url, sink_url or replica_sink, "--base-url", profiles, database_url)
    else:
        from replica.stack import plan as stack_module
        from replica.stack.settings import from_environment

        settings = from_environment()
        stack = stack_module.load(settings)
        if stack is None or "app" not in stack.ports:
            return (f"no --base-url and replica {settings.name!r} was never brought up here: "
                    "run `invoke staging.up` or pass --base-url=URL")
        app_url = stack.url("app")
        if not _answers(app_url):
            return (f"no --base-url and replica {settings.name!r} is not answering at {app_url}: "
                    "run `invoke staging.up` or pass --base-url=URL")
        sink = sink_url or (stack.url("error-sink") if "error-sink" in stack.ports else None)
        target = Target(app_url, sink, f"replica {settings.name}", tuple(stack.profiles), _db(stack))
    return target


def unreachable_reason(base_url: str) -> str | None:
    """Return why base_url's /health cannot be reached, or None when it answers."""
    try:
        requests.get(f"{base_url}/health", timeout=PROBE_TIMEOUT_S)
    except requests.RequestException as error:
        return f"cannot reach {base_url}/health: {type(error).__name__}: {error}"
    return None


def _answers(url: str) -> bool:
    return unreachable_reason(url) is None


def _replica_state_for(base_url: str) -> tuple[str | None, tuple[str, ...], str | None]:
    """When --base-url is this machine's replica, find its error sink, profiles and database too."""
    try:
        from replica.stack import plan as stack_module
        from replica.stack.settings import from_environment

        stack = stack_module.load(from_environment())
    except Exception:  # no replica tooling state: an external target
        return None, (), None
    if not (stack and "app" in stack.ports and stack.url("app") == base_url):
        return None, (), None
    sink = stack.url("error-sink") if "error-sink" in stack.ports else None
    return sink, tuple(stack.profiles), _db(stack)


def _db(stack) -> str | None:
    return stack.url("db") if "db" in stack.ports else None
