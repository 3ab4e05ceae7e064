"""`staging.openai.journal`, `staging.openai.faults`, `staging.errors`: the mocks of a running replica."""
from __future__ import annotations

import json

from invoke import Collection
from rich.table import Table

from mocks import control

from .. import console
from ..errors import ConfigError, StackNotUpError
from .cli import task
from .reporting import reported, settings_for

NAME = "replica name (env STAGING_NAME)"


def _url(name: str | None, service: str) -> str:
    from ..commands.service import running_stack
    return running_stack(settings_for(name)).url(service)


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except control.MockUnreachableError as error:
        raise StackNotUpError(str(error), hint="is the replica up? `invoke staging.status`") from error
    except control.ControlError as error:  # the mock refused what was asked of it
        raise ConfigError(str(error)) from error


@task(help={"name": NAME, "path": "only requests under this path, e.g. /v1/chat/completions",
            "limit": "only the last N", "clear": "empty the journal afterwards", "json": "raw JSON"},
      numbers={"limit": 0})
@reported
def journal(c, name=None, path=None, limit=20, clear=False, json_=False):
    """Show what the app sent to the mock OpenAI (requests, statuses, faults), oldest first."""
    url = _url(name, "mock-openai")
    entries = _call(control.openai_journal, url, path, limit)
    if json_:
        print(json.dumps(entries, indent=2))
    else:
        table = Table(title=f"mock-openai journal ({len(entries)})", title_justify="left")
        for column in ("method", "path", "status", "ms", "fault", "model"):
            table.add_column(column)
        for entry in entries:
            body = entry.get("body") if isinstance(entry.get("body"), dict) else {}
            table.add_row(entry.get("method", ""), entry.get("path", ""), str(entry.get("status", "")),
                          f"{entry.get('duration_ms', 0):.1f}", str(entry.get("fault") or ""),
                          str(body.get("model", "")))
        console.console.print(table)
    if clear:
        console.info(f"cleared {_call(control.clear_openai_journal, url)} entries")


@task(iterable=["sequence", "path"],
      help={"name": NAME, "profile": "ratelimit, flaky, slow, down, timeout, broken-stream, malformed",
            "sequence": "one-shot fault tokens in order, e.g. --sequence 429 --sequence 429 --sequence ok",
            "path": "only requests under this path prefix get the faults, e.g. /v1/chat/completions "
                    "(repeatable; with --profile or --sequence)",
            "clear": "remove every fault"})
@reported
def faults(c, name=None, profile=None, sequence=None, path=None, clear=False):
    """Show, set or clear the mock OpenAI's faults on the running replica (no restart)."""
    if path and profile is None and not sequence:
        raise ConfigError("--path says where faults go, but no fault was given",
                          hint="add --profile NAME or --sequence TOKEN, e.g. "
                               "--profile ratelimit --path /v1/chat/completions")
    url = _url(name, "mock-openai")
    if clear:
        plan = _call(control.clear_openai_faults, url)
    elif profile is not None or sequence:
        plan = _call(control.set_openai_faults, url, profile=profile, sequence=sequence or None,
                     paths=path or None)
    else:
        plan = _call(control.openai_faults, url)
    print(json.dumps(plan, indent=2))


@task(help={"name": NAME, "level": "only events of this level (e.g. error)",
            "clear": "empty the sink afterwards", "json": "raw JSON"})
@reported
def errors(c, name=None, level=None, clear=False, json_=False):
    """Show the errors the app reported to error tracking (the replica's Sentry sink)."""
    url = _url(name, "error-sink")
    events = _call(control.sink_events, url, level=level)
    if json_:
        print(json.dumps(events, indent=2))
    else:
        table = Table(title=f"error events ({len(events)})", title_justify="left")
        for column in ("level", "type", "message", "environment"):
            table.add_column(column, overflow="fold")
        for event in events:
            table.add_row(str(event.get("level", "")), str(event.get("exception_type") or ""),
                          str(event.get("message") or event.get("exception_value") or ""),
                          str(event.get("environment", "")))
        console.console.print(table)
    if clear:
        console.info(f"cleared {_call(control.clear_sink_events, url)} events")


openai = Collection("openai", journal, faults)
