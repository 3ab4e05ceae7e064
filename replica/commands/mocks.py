"""The mocks of a running replica: what the app sent to the mock OpenAI (its journal), its faults,
and what the app reported to the error sink (errors, spans, traces)."""
from __future__ import annotations

import json
import re

from rich.table import Table

from mocks import control

from ..core import console
from ..core.errors import ConfigError, StackNotUpError
from ..stack import profiles
from ..stack.settings import Settings


def _url(settings: Settings, service: str) -> str:
    from ..engine import reach
    from .service import running_stack

    stack = running_stack(settings)
    reach.require_reachable(stack)
    return stack.url(service)


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except control.MockUnreachableError as error:
        raise StackNotUpError(str(error), hint="is the replica up? `invoke staging.status`") from error
    except control.ControlError as error:  # the mock refused what was asked of it
        raise ConfigError(str(error)) from error


def journal(settings: Settings, path=None, limit=20, clear=False, json_=False) -> None:
    """Show what the app sent to the mock OpenAI (requests, statuses, faults), oldest first."""
    url = _url(settings, "mock-openai")
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


def faults(settings: Settings, profile=None, sequence=None, path=None, clear=False) -> None:
    """Show, set or clear the mock OpenAI's faults on the running replica (no restart)."""
    if path and profile is None and not sequence:
        raise ConfigError("--path says where faults go, but no fault was given",
                          hint="add --profile NAME or --sequence TOKEN, e.g. "
                               "--profile ratelimit --path /v1/chat/completions")
    replica_profile = profiles.mock_openai_faults(profile) if profile else None
    if replica_profile:  # the replica's own name: what `up --profile` would start the mock with
        profile, paths = replica_profile
        path = path or paths
    url = _url(settings, "mock-openai")
    if clear:
        plan = _call(control.clear_openai_faults, url)
    elif profile is not None or sequence:
        plan = _call(control.set_openai_faults, url, profile=profile, sequence=sequence or None,
                     paths=path or None)
    else:
        plan = _call(control.openai_faults, url)
    print(json.dumps(plan, indent=2))


def verdict(settings: Settings, budget=None, path=None, json_=False) -> bool:
    """Print the mock OpenAI's resilience verdict (mocks/openai_mock/resilience.py); False when red."""
    from .service import running_stack

    stack = running_stack(settings)
    sink = stack.url("error-sink") if "error-sink" in stack.services else None
    report = _call(control.openai_resilience, stack.url("mock-openai"), path=path, budget=budget,
                   sink_url=sink)
    if json_:
        print(json.dumps(report, indent=2))
    else:
        table = Table(title=f"mock-openai resilience verdict: {report['verdict']} ({report['calls']} calls, "
                            f"{report['retries']} retries)", title_justify="left")
        for column in ("check", "result", "evidence"):
            table.add_column(column, overflow="fold")
        for line in report["lines"]:
            table.add_row(line["title"], line["result"], line["evidence"])
        console.console.print(table)
    return report["verdict"] != "failed"


TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")


def errors(settings: Settings, level=None, spans=False, traces=False, trace=None, op=None,
           include_health=False, limit=None, clear=False, json_=False) -> None:
    """Show what the app reported to error tracking (the replica's Sentry sink): errors, spans or traces."""
    if spans and traces:
        raise ConfigError("--spans and --traces are two views; choose one",
                          hint="`invoke staging.errors --traces`, then `--trace ID` for one trace's spans")
    if trace is not None and not TRACE_ID.fullmatch(trace):
        raise ConfigError(f"--trace must be a trace id of 32 hex digits, not {trace[:40]!r}",
                          hint="copy one from `invoke staging.errors --traces`")
    if (spans or traces or trace or op) and level:
        raise ConfigError("--level filters error events, not spans", hint="drop --level, or --spans/--traces")
    if op and traces:
        raise ConfigError("--op filters spans, not traces", hint="use --spans --op OP")
    spans = spans or ((trace is not None or op is not None) and not traces)
    url = _url(settings, "error-sink")
    if traces:
        rows = _call(control.sink_traces, url, health=include_health, limit=limit or None)
        rows = [r for r in rows if trace is None or r["trace_id"] == trace.lower()]
    elif spans:
        rows = _call(control.sink_spans, url, trace_id=trace.lower() if trace else None, op=op, health=include_health,
                     limit=limit or None)
    else:
        rows = _call(control.sink_events, url, level=level, limit=limit or None)
    if json_:
        print(json.dumps(rows, indent=2))
    elif traces:
        _print_traces(rows)
    elif spans:
        _print_spans(rows)
    else:
        _print_events(rows)
    if clear:
        console.info(f"cleared {_call(control.clear_sink_events, url)} events")


def _print_events(events: list[dict]) -> None:
    table = Table(title=f"error events ({len(events)})", title_justify="left")
    for column in ("level", "type", "message", "environment"):
        table.add_column(column, overflow="fold")
    for event in events:
        table.add_row(str(event.get("level", "")), str(event.get("exception_type") or ""),
                      str(event.get("message") or event.get("exception_value") or ""),
                      str(event.get("environment", "")))
    console.console.print(table)


def _ms(value) -> str:
    return "" if value is None else f"{value:.1f}"


def _print_traces(traces: list[dict]) -> None:
    table = Table(title=f"traces ({len(traces)})", title_justify="left")
    for column in ("trace_id", "transaction", "spans", "ms", "failed", "errors"):
        table.add_column(column, overflow="fold")
    for trace in traces:
        table.add_row(trace["trace_id"], str(trace.get("transaction") or ""), str(trace["spans"]),
                      _ms(trace.get("duration_ms")), str(trace["failed_spans"]), str(trace["errors"]))
    console.console.print(table)


def _print_spans(spans: list[dict]) -> None:
    """Spans grouped by trace, each indented under its parent when the parent is shown too."""
    table = Table(title=f"spans ({len(spans)})", title_justify="left")
    for column in ("trace", "span", "op", "description", "status", "ms"):
        table.add_column(column, overflow="fold")
    by_id = {(s["trace_id"], s["span_id"]): s for s in spans}

    def depth(span: dict) -> int:
        level, seen = 0, set()
        while (span["trace_id"], span.get("parent_span_id")) in by_id and span["span_id"] not in seen:
            seen.add(span["span_id"])
            span, level = by_id[(span["trace_id"], span["parent_span_id"])], level + 1
        return level

    for span in sorted(spans, key=lambda s: (s["trace_id"], s["start_timestamp"])):
        table.add_row(span["trace_id"][:8], span["span_id"], str(span.get("op") or ""),
                      "  " * depth(span) + str(span.get("description") or ""), str(span.get("status") or ""),
                      _ms(span.get("duration_ms")))
    console.console.print(table)
