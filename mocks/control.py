"""A small HTTP client for the mocks' control planes, for tasks and tests (stdlib only).

    >>> from mocks import control
    >>> control.set_openai_faults("http://127.0.0.1:8080", sequence=["429", "429"])
    >>> control.openai_journal("http://127.0.0.1:8080", path="/v1/chat/completions")
    >>> control.openai_resilience("http://127.0.0.1:8080", sink_url="http://127.0.0.1:9000")["verdict"]
    >>> control.sink_events("http://127.0.0.1:9000", level="error")
    >>> control.sink_spans("http://127.0.0.1:9000", trace_id="5b8efff798038103d269b633813fc60c")
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT = 10.0


class ControlError(RuntimeError):
    """A control request failed."""


class MockUnreachableError(ControlError):
    """Nothing answered at the base URL: the service is down or the URL is wrong."""


class MockRequestError(ControlError):
    """The mock answered with an error status (for instance an unknown profile)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


def _call(base_url: str, method: str, path: str, params: dict | None = None, body: Any = None) -> Any:
    """Send one request and return the decoded JSON answer."""
    query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
    url = base_url.rstrip("/") + path + (f"?{query}" if query else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise MockRequestError(exc.code, _error_message(exc.read())) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MockUnreachableError(f"cannot reach {url}: {reason}. Is the stack up?") from None


def _error_message(raw: bytes) -> str:
    """Pull the human message out of an OpenAI-shaped or Sentry-shaped error body."""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:200]
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message"))
    return str(data.get("detail", data)) if isinstance(data, dict) else str(data)


def health(base_url: str) -> dict:
    """Return the /health answer of either mock."""
    return _call(base_url, "GET", "/health")


def openai_journal(base_url: str, path: str | None = None, limit: int | None = None) -> list[dict]:
    """Return mock-openai's recorded exchanges, oldest first, optionally under `path` and the last `limit`."""
    return _call(base_url, "GET", "/_mock/journal", {"path": path, "limit": limit})


def clear_openai_journal(base_url: str) -> int:
    """Empty mock-openai's journal and return how many entries it held."""
    return _call(base_url, "DELETE", "/_mock/journal")["cleared"]


def openai_resilience(base_url: str, since: float | None = None, path: str | None = None,
                      budget: int | None = None, sink_url: str | None = None) -> dict:
    """Return mock-openai's resilience verdict over its journal (entries from `since`, under `path`);
    with `sink_url`, the traces that have error events in the sink count as a client reporting its error."""
    params = {"since": since, "path": path, "budget": budget}
    if sink_url:
        events = sink_events(sink_url, type="event")
        params["reported"] = ",".join(sorted({e["trace_id"] for e in events if e.get("trace_id")}))
    return _call(base_url, "GET", "/_mock/resilience", params)


def openai_faults(base_url: str) -> dict:
    """Return mock-openai's current fault plan."""
    return _call(base_url, "GET", "/_mock/faults")


def set_openai_faults(base_url: str, profile: str | None = None, sequence: list[str] | None = None,
                      cycle: list[str] | None = None, paths: list[str] | None = None) -> dict:
    """Replace mock-openai's fault plan (see mocks/README.md for tokens and profiles); return the new plan."""
    spec = {k: v for k, v in {"profile": profile, "sequence": sequence, "cycle": cycle, "paths": paths}.items()
            if v is not None}
    return _call(base_url, "PUT", "/_mock/faults", body=spec)


def clear_openai_faults(base_url: str) -> dict:
    """Remove every fault, the start-up profile included; return the (empty) plan."""
    return _call(base_url, "DELETE", "/_mock/faults")


def sink_events(base_url: str, level: str | None = None, environment: str | None = None,
                min_level: str | None = None, limit: int | None = None, type: str | None = None,
                trace_id: str | None = None, health: bool = False) -> list[dict]:
    """Return the events the Sentry sink kept, oldest first, filtered by the given fields (`type`: `event`,
    the default, `transaction` or `all`; health-check transactions only with `health=True`)."""
    params = {"level": level, "environment": environment, "min_level": min_level, "limit": limit, "type": type,
              "trace_id": trace_id, "health": "1" if health else None}
    return _call(base_url, "GET", "/_sink/events", params)


def clear_sink_events(base_url: str) -> int:
    """Empty the Sentry sink and return how many events it held."""
    return _call(base_url, "DELETE", "/_sink/events")["cleared"]


def _flag(value: bool | None) -> str | None:
    return None if value is None else ("1" if value else "0")


def sink_spans(base_url: str, trace_id: str | None = None, transaction: str | None = None, op: str | None = None,
               status: str | None = None, segment: bool | None = None, health: bool = False,
               limit: int | None = None) -> list[dict]:
    """Return the spans the Sentry sink kept (v2 `span` items and transactions' spans), in arrival order;
    `segment=True` only segments (transactions), health-check transactions only with `health=True`."""
    params = {"trace_id": trace_id, "transaction": transaction, "op": op, "status": status,
              "segment": _flag(segment), "health": "1" if health else None, "limit": limit}
    return _call(base_url, "GET", "/_sink/spans", params)


def sink_traces(base_url: str, health: bool = False, limit: int | None = None) -> list[dict]:
    """Return one summary per trace the Sentry sink holds: root transaction, span count, duration, errors."""
    return _call(base_url, "GET", "/_sink/traces", {"health": "1" if health else None, "limit": limit})
