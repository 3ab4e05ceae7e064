"""The trace a request belongs to, from the headers its client's tracer put on it.

sentry-sdk propagates its trace on the openai SDK's httpx calls as `sentry-trace: <trace>-<span>[-<sampled>]`
(with `baggage`); OpenTelemetry and @sentry/node send the W3C `traceparent: 00-<trace>-<span>-<flags>`.
The journal keeps each entry's trace id, so the resilience verdict can ask the Sentry sink what the
client's own code did in that trace (reported an error, or not).

    >>> trace_id({"sentry-trace": "5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-0"})
    '5b8efff798038103d269b633813fc60c'
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SENTRY_TRACE = re.compile(r"^\s*([0-9a-f]{32})-[0-9a-f]{16}", re.IGNORECASE)
_TRACEPARENT = re.compile(r"^\s*[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}", re.IGNORECASE)
HEADERS = (("sentry-trace", _SENTRY_TRACE), ("traceparent", _TRACEPARENT))


def trace_id(headers: Mapping) -> str | None:
    """The request's trace id (32 lowercase hex digits) from its Sentry or W3C trace header, else None."""
    for name, pattern in HEADERS:
        value = headers.get(name) if isinstance(headers, Mapping) else None
        found = pattern.match(value) if isinstance(value, str) else None
        if found and found.group(1) != "0" * 32:  # an all-zero trace id is W3C's "invalid"
            return found.group(1).lower()
    return None
