"""`staging.openai.journal`, `staging.openai.faults`, `staging.openai.verdict`, `staging.errors` (errors, spans, traces): the mocks of a
running replica."""
from __future__ import annotations

from invoke import Collection
from invoke.exceptions import Exit

from ..core.exit_status import ExitStatus

from .cli import task
from .reporting import reported, settings_for

NAME = "replica name (env STAGING_NAME)"


@task(help={"name": NAME, "path": "only requests under this path, e.g. /v1/chat/completions",
            "limit": "only the last N", "clear": "empty the journal afterwards", "json": "raw JSON"},
      numbers={"limit": 0})
@reported
def journal(c, name=None, path=None, limit=20, clear=False, json_=False):
    """Show what the app sent to the mock OpenAI (requests, statuses, faults), oldest first."""
    from ..commands import mocks

    mocks.journal(settings_for(name), path=path, limit=limit, clear=clear, json_=json_)


@task(iterable=["sequence", "path"],
      help={"name": NAME,
            "profile": "a replica profile (openai-ratelimit, openai-slow, openai-down: as "
                       "`up --profile` sets it) or one of the mock's: ratelimit, flaky, slow, "
                       "down, timeout, broken-stream, malformed",
            "sequence": "one-shot fault tokens in order, e.g. --sequence 429 --sequence 429 --sequence ok",
            "path": "only requests under this path prefix get the faults, e.g. /v1/chat/completions "
                    "(repeatable; with --profile or --sequence)",
            "clear": "remove every fault"})
@reported
def faults(c, name=None, profile=None, sequence=None, path=None, clear=False):
    """Show, set or clear the mock OpenAI's faults on the running replica (no restart)."""
    from ..commands import mocks

    mocks.faults(settings_for(name), profile=profile, sequence=sequence, path=path, clear=clear)


@task(help={"name": NAME, "budget": "the most retries one AI call may take (default: the SDKs' 2)",
            "path": "only requests under this path, e.g. /v1/chat/completions", "json": "raw JSON"},
      numbers={"budget": 0})
@reported
def verdict(c, name=None, budget=None, path=None, json_=False):
    """Judge, from the mock OpenAI's journal, how the app met its faults: retry-after, backoff, budget, cut streams."""
    from ..commands import mocks

    if not mocks.verdict(settings_for(name), budget=budget, path=path, json_=json_):
        raise Exit(code=ExitStatus.FAILED)


@task(help={"name": NAME, "level": "only events of this level (e.g. error)",
            "spans": "the spans instead (v2 span items and transactions' spans), oldest first",
            "traces": "one line per trace instead: root transaction, spans, duration, failures, errors",
            "trace": "only this trace (32 hex digits; shows its spans)",
            "op": "only spans of this op, e.g. db.query (with --spans)",
            "include_health": "include health-check transactions (hidden by default)",
            "limit": "only the last N", "clear": "empty the sink afterwards", "json": "raw JSON"},
      numbers={"limit": 0})
@reported
def errors(c, name=None, level=None, spans=False, traces=False, trace=None, op=None, include_health=False,
           limit=None, clear=False, json_=False):
    """Show what the app reported to error tracking (the replica's Sentry sink): errors, spans or traces."""
    from ..commands import mocks

    mocks.errors(settings_for(name), level=level, spans=spans, traces=traces, trace=trace, op=op,
                 include_health=include_health, limit=limit, clear=clear, json_=json_)


openai = Collection("openai", journal, faults, verdict)
