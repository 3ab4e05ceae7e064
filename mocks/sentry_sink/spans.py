"""Spans as the SDKs send them, boiled down to one record shape.

Three sources, one shape:
- `span` items in the v2 format (`content_type: application/vnd.sentry.items.span.v2+json`,
  `@sentry/node` 10+/11 with `traceLifecycle: "stream"`, its default): a payload
  `{"version": 2, "items": [span, ...]}`, each span with `trace_id`, `span_id`, `parent_span_id`,
  `name`, `status`, `is_segment`, `start_timestamp`, `end_timestamp` and typed `attributes`
  (`{"key": {"type": "string", "value": ...}}`); the op is the `sentry.op` attribute, the segment
  (the transaction it belongs to) `sentry.segment.id` / `sentry.segment.name`;
- v1 standalone `span` items (one span object, `op`/`description`/`timestamp`/`data`);
- `transaction` events (`sentry-sdk`, `@sentry/node` with `traceLifecycle: "static"`): the
  transaction itself is the segment span (its `contexts.trace`), its `spans` the children.

Malformed input raises DecodeError, which the sink answers with 400 before it stores anything.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from .decode import DecodeError

SPAN_V2_CONTENT_TYPE = "application/vnd.sentry.items.span.v2+json"
MAX_SPANS_PER_ITEM = 1000  # the span protocol's limit per v2 item
_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")
# a health check: the path (after an optional HTTP method) is one of these, or under it
_HEALTH = re.compile(r"^(?:[A-Z]+\s+)?(?:https?://[^/\s]+)?/(?:health|healthz|livez|readyz|ping)(?:[/?]|$)")
_HEALTH_ATTRIBUTES = ("http.route", "url.path", "http.target", "url.full", "http.url")
_HEALTH_ENDPOINTS = re.compile(r"(?:^|\.)health(?:\.|$)")  # Flask endpoint names: `health.ready`


def _hex(value, pattern: re.Pattern, what: str, required: bool = True) -> str | None:
    """Return a lower-case hex id, or raise DecodeError when it is not of the form Sentry requires."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise DecodeError(f"{what} must be a hex string of {pattern.pattern[-3:-1]} digits, not {str(value)[:40]!r}")
    return value.lower()


def timestamp(value, what: str, required: bool = True) -> float | None:
    """Return seconds since the epoch from a number or an RFC 3339 string; raise DecodeError otherwise."""
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DecodeError(f"{what} must be a number or an RFC 3339 timestamp")
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise DecodeError(f"{what} is not an RFC 3339 timestamp: {value[:40]!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        value = parsed.timestamp()
    try:
        value = float(value)
    except OverflowError:
        value = float("inf")
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise DecodeError(f"{what} must be a finite, non-negative number")
    return value


def _string(value, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise DecodeError(f"{what} must be a string")


def _object(value, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DecodeError(f"{what} must be a JSON object")
    return value


def _typed_attributes(value, what: str) -> dict:
    """Flatten v2 attributes `{"k": {"type": t, "value": v}}` to `{"k": v}`."""
    out = {}
    for key, entry in _object(value, what).items():
        if not isinstance(entry, dict) or "value" not in entry:
            raise DecodeError(f"{what}[{key!r}] must be an object with a value and a type")
        out[key] = entry["value"]
    return out


def _record(*, trace_id, span_id, parent_span_id, segment_id, transaction, op, description, status,
            start, end, is_segment, attributes, source, event_id, environment, release, project_id) -> dict:
    if end is not None and end < start:
        raise DecodeError("a span's end timestamp is before its start timestamp")
    return {
        "trace_id": trace_id, "span_id": span_id, "parent_span_id": parent_span_id,
        "segment_id": segment_id, "transaction": transaction, "op": op, "description": description,
        "status": status, "start_timestamp": start, "end_timestamp": end,
        "duration_ms": round((end - start) * 1000, 3) if end is not None else None,
        "is_segment": is_segment, "attributes": attributes, "source": source, "event_id": event_id,
        "environment": environment, "release": release, "project_id": project_id, "via": [],
        "received_at": time.time(),
    }


def spans_from_v2(payload: dict, item_header: dict, project_id) -> list[dict]:
    """Read a v2 span item's payload `{"items": [...]}` into span records."""
    items = payload.get("items")
    if not isinstance(items, list) or not items:
        raise DecodeError("a span v2 item needs a non-empty `items` array")
    if len(items) > MAX_SPANS_PER_ITEM:
        raise DecodeError(f"a span v2 item holds at most {MAX_SPANS_PER_ITEM} spans, not {len(items)}")
    count = item_header.get("item_count")
    if count is not None and count != len(items):
        raise DecodeError(f"item_count says {count} spans but the payload has {len(items)}")
    records = []
    for index, span in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(span, dict):
            raise DecodeError(f"{where} must be a JSON object")
        attributes = _typed_attributes(span.get("attributes"), f"{where}.attributes")
        span_id = _hex(span.get("span_id"), _SPAN_ID, f"{where}.span_id")
        is_segment = span.get("is_segment")
        if is_segment is not None and not isinstance(is_segment, bool):
            raise DecodeError(f"{where}.is_segment must be a boolean")
        segment_id = attributes.get("sentry.segment.id")
        records.append(_record(
            trace_id=_hex(span.get("trace_id"), _TRACE_ID, f"{where}.trace_id"), span_id=span_id,
            parent_span_id=_hex(span.get("parent_span_id"), _SPAN_ID, f"{where}.parent_span_id", False),
            segment_id=segment_id if isinstance(segment_id, str) else (span_id if is_segment else None),
            transaction=_attr_str(attributes, "sentry.segment.name") or (span.get("name") if is_segment else None),
            op=_attr_str(attributes, "sentry.op"), description=_string(span.get("name"), f"{where}.name"),
            status=_string(span.get("status"), f"{where}.status"),
            start=timestamp(span.get("start_timestamp"), f"{where}.start_timestamp"),
            end=timestamp(span.get("end_timestamp"), f"{where}.end_timestamp", False),
            is_segment=bool(is_segment), attributes=attributes, source="span", event_id=None,
            environment=_attr_str(attributes, "sentry.environment"),
            release=_attr_str(attributes, "sentry.release"), project_id=project_id))
    return records


def _attr_str(attributes: dict, key: str) -> str | None:
    value = attributes.get(key)
    return value if isinstance(value, str) else None


def _v1_span(span, where: str, project_id, *, trace_id=None, segment_id=None, transaction=None,
             environment=None, release=None, event_id=None, is_segment=False, source="span") -> dict:
    if not isinstance(span, dict):
        raise DecodeError(f"{where} must be a JSON object")
    data = _object(span.get("data"), f"{where}.data")
    return _record(
        trace_id=_hex(span.get("trace_id", trace_id), _TRACE_ID, f"{where}.trace_id"),
        span_id=_hex(span.get("span_id"), _SPAN_ID, f"{where}.span_id"),
        parent_span_id=_hex(span.get("parent_span_id"), _SPAN_ID, f"{where}.parent_span_id", False),
        segment_id=span.get("segment_id") if isinstance(span.get("segment_id"), str) else segment_id,
        transaction=transaction, op=_string(span.get("op"), f"{where}.op"),
        description=_string(span.get("description"), f"{where}.description"),
        status=_string(span.get("status"), f"{where}.status"),
        start=timestamp(span.get("start_timestamp"), f"{where}.start_timestamp"),
        end=timestamp(span.get("timestamp"), f"{where}.timestamp", False),
        is_segment=is_segment, attributes=dict(data), source=source, event_id=event_id,
        environment=environment, release=release, project_id=project_id)


def spans_from_v1(payload: dict, project_id) -> list[dict]:
    """Read a v1 standalone `span` item (one span object)."""
    return [_v1_span(payload, "span", project_id)]


def spans_from_transaction(event: dict, project_id) -> list[dict]:
    """The transaction as its segment span, then its child spans."""
    contexts = _object(event.get("contexts"), "contexts")
    trace = _object(contexts.get("trace"), "contexts.trace")
    if not trace:
        return []  # a transaction without a trace context has no spans to show; its event is kept
    name = _string(event.get("transaction"), "transaction")
    shared = {"environment": _string(event.get("environment"), "environment"),
              "release": _string(event.get("release"), "release"),
              "event_id": _string(event.get("event_id"), "event_id")}
    root = {**trace, "description": trace.get("description") or name,
            "start_timestamp": event.get("start_timestamp"), "timestamp": event.get("timestamp"),
            "data": {**_object(trace.get("data"), "contexts.trace.data"), **_request_path(event)}}
    segment = _v1_span(root, "contexts.trace", project_id, transaction=name, is_segment=True,
                       source="transaction", **shared)
    segment["segment_id"] = segment["span_id"]
    children = event.get("spans") or []
    if not isinstance(children, list):
        raise DecodeError("a transaction's `spans` must be an array")
    return [segment] + [_v1_span(child, f"spans[{i}]", project_id, trace_id=segment["trace_id"],
                                 segment_id=segment["span_id"], transaction=name, source="transaction",
                                 **shared)
                        for i, child in enumerate(children)]


def _request_path(event: dict) -> dict:
    request = event.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    return {"url.full": url} if isinstance(url, str) else {}


def is_health_check(record: dict) -> bool:
    """A segment (transaction) that only answers a health check: its name, route or URL is a health path
    (`/health`, `/health/ready`, `/healthz`, `/livez`, `/readyz`, `/ping`) or a Flask `health.*` endpoint."""
    names = [record.get("transaction"), record.get("description") if record.get("is_segment") else None]
    if record.get("is_segment"):
        names += [record["attributes"].get(key) for key in _HEALTH_ATTRIBUTES]
    if any(isinstance(n, str) and _HEALTH.match(n) for n in names):
        return True
    name = record.get("transaction")
    return isinstance(name, str) and "/" not in name and " " not in name and bool(_HEALTH_ENDPOINTS.search(name))
