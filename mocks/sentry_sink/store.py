"""The sink's memory: the last N events and spans, each boiled down to what a test or the gate asks about."""

from __future__ import annotations

import time
import uuid
from collections import Counter, OrderedDict, deque

from .spans import is_health_check

EVENT_ITEM_TYPES = frozenset({"event", "transaction"})
LEVELS = {"debug": 0, "info": 1, "warning": 2, "error": 3, "fatal": 4}


def _message(event: dict) -> str | None:
    """Return the event's message from `message` or `logentry`, in either of their shapes."""
    for key in ("message", "logentry"):
        value = event.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            text = value.get("formatted") or value.get("message")
            if isinstance(text, str):
                return text
    return None


def _exception(event: dict) -> tuple[str | None, str | None]:
    """Return the type and value of the outermost exception (the last in `exception.values`)."""
    exc = event.get("exception")
    values = exc.get("values") if isinstance(exc, dict) else exc if isinstance(exc, list) else None
    if not values or not isinstance(values[-1], dict):
        return None, None
    return values[-1].get("type"), values[-1].get("value")


def _trace(event: dict) -> dict:
    contexts = event.get("contexts")
    trace = contexts.get("trace") if isinstance(contexts, dict) else None
    return trace if isinstance(trace, dict) else {}


def summarize(event: dict, project_id, kind: str, via: str = "envelope") -> dict:
    """Boil an event down to the fields the sink keeps."""
    exc_type, exc_value = _exception(event)
    default_level = "info" if kind == "transaction" else "error"  # Sentry's default for events is error
    trace = _trace(event)
    return {
        "event_id": event.get("event_id"),
        "project_id": project_id,
        "type": kind,
        "level": event.get("level") or default_level,
        "message": _message(event),
        "exception_type": exc_type,
        "exception_value": exc_value,
        "environment": event.get("environment"),
        "release": event.get("release"),
        "timestamp": event.get("timestamp"),
        "platform": event.get("platform"),
        "logger": event.get("logger"),
        "server_name": event.get("server_name"),
        "transaction": event.get("transaction"),
        "tags": event.get("tags") if isinstance(event.get("tags"), (dict, list)) else None,
        "trace_id": trace.get("trace_id") if isinstance(trace.get("trace_id"), str) else None,
        "span_id": trace.get("span_id") if isinstance(trace.get("span_id"), str) else None,
        "via": [via],
        "received_at": time.time(),
    }


class _Bounded:
    """The last `size` records in arrival order, each kept once per key (Sentry drops a repeated event id)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: deque[tuple[object, dict]] = deque()
        self._keys: set = set()

    def add(self, key, record: dict) -> bool:
        if key is not None and key in self._keys:
            self._merge(key, record)
            return False
        if len(self._items) >= self.size:
            old_key, _ = self._items.popleft()
            self._keys.discard(old_key)
        self._items.append((key, record))
        if key is not None:
            self._keys.add(key)
        return True

    def _merge(self, key, record: dict) -> None:
        """A second copy (the same envelope to the DSN and to Spotlight): note its channel and project."""
        for old_key, old in reversed(self._items):
            if old_key == key:
                old["via"] = sorted(set(old["via"]) | set(record["via"]))
                if old.get("project_id") is None:
                    old["project_id"] = record.get("project_id")
                return

    def __contains__(self, key) -> bool:
        return key in self._keys

    def __iter__(self):
        return (record for _, record in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> int:
        count = len(self._items)
        self._items.clear()
        self._keys.clear()
        return count


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")


def event_id_key(value: str) -> str:
    """An event id as Sentry writes it (32 lowercase hex digits), from that or a dashed UUID; ValueError otherwise."""
    if len(value) not in (32, 36):
        raise ValueError("wrong length")
    return uuid.UUID(value).hex


class EventStore:
    """Bounded lists of events and spans, the raw envelopes the events came in, and counts of every
    envelope item type seen."""

    def __init__(self, size: int, span_size: int | None = None) -> None:
        self._events = _Bounded(size)
        self._spans = _Bounded(span_size or size * 10)
        self._envelopes: OrderedDict[str, bytes] = OrderedDict()
        self.item_counts: Counter[str] = Counter()

    def add_envelope(self, event_ids, body: bytes) -> None:
        """Keep the raw envelope under each of its events' ids (as many envelopes as events are kept)."""
        for event_id in event_ids:
            try:
                key = event_id_key(event_id) if isinstance(event_id, str) else None
            except ValueError:
                continue  # an id Sentry would not accept: nothing can ask for it back
            if key is None or key in self._envelopes:
                continue  # the first copy is kept (the same envelope may come to the DSN and to Spotlight)
            self._envelopes[key] = body
            if len(self._envelopes) > self._events.size:
                self._envelopes.popitem(last=False)

    def envelope(self, event_id: str) -> bytes | None:
        """The raw envelope an event arrived in, by its id; ValueError for an id that is not one."""
        return self._envelopes.get(event_id_key(event_id))

    @staticmethod
    def _event_key(record: dict):
        return (record["type"], record["event_id"]) if isinstance(record.get("event_id"), str) else None

    def seen(self, record: dict) -> bool:
        """Whether this event (same type and id) is already kept."""
        key = self._event_key(record)
        return key is not None and key in self._events

    def add(self, record: dict) -> bool:
        """Keep one summarized event, unless one with its id is already kept; return whether it was new."""
        return self._events.add(self._event_key(record), record)

    def add_span(self, record: dict) -> bool:
        """Keep one span record, once per (trace_id, span_id); return whether it was new."""
        return self._spans.add((record["trace_id"], record["span_id"]), record)

    def _health_segments(self) -> tuple[set, set, set]:
        """Segment ids, transaction event ids and names that belong to health checks."""
        segments, events, names = set(), set(), set()
        for span in self._spans:
            if span["is_segment"] and is_health_check(span):
                segments.add(span["span_id"])
                if span["event_id"]:
                    events.add(span["event_id"])
                if span["transaction"]:
                    names.add(span["transaction"])
        return segments, events, names

    def _is_health(self, record: dict, health: tuple[set, set, set]) -> bool:
        segments, events, names = health
        if record.get("segment_id") in segments or record.get("span_id") in segments:
            return True
        if record.get("type") == "transaction":
            event_id, name = record.get("event_id"), record.get("transaction")
            return (isinstance(event_id, str) and event_id in events) or (isinstance(name, str) and name in names) \
                or is_health_check(
                {"transaction": record.get("transaction"), "is_segment": False, "attributes": {}})
        return "segment_id" in record and is_health_check(record)

    def events(self, filters: dict[str, str], limit: int | None = None) -> list[dict]:
        """Return events (oldest first) matching every filter; `type` defaults to `event`, `min_level` is a
        floor; health-check transactions only with `health=1`."""
        filters = {"type": "event", **filters}
        if filters["type"] == "all":
            del filters["type"]
        floor = LEVELS.get(filters.pop("min_level", ""), -1)
        include_health = _flag(filters.pop("health", ""))
        health = self._health_segments() if not include_health else None
        found = [e for e in self._events
                 if LEVELS.get(e["level"], 3) >= floor and all(str(e.get(k)) == v for k, v in filters.items())
                 and (include_health or e["type"] != "transaction" or not self._is_health(e, health))]
        return found[-limit:] if limit else found

    def spans(self, filters: dict[str, str], limit: int | None = None) -> list[dict]:
        """Return spans (in arrival order) matching every filter; `segment=1` only segments (transactions),
        health checks only with `health=1`."""
        filters = dict(filters)
        include_health = _flag(filters.pop("health", ""))
        segment = filters.pop("segment", None)
        health = self._health_segments() if not include_health else None
        found = [s for s in self._spans
                 if all(str(s.get(k)) == v for k, v in filters.items())
                 and (segment is None or s["is_segment"] == _flag(segment))
                 and (include_health or not self._is_health(s, health))]
        return found[-limit:] if limit else found

    def traces(self, filters: dict[str, str], limit: int | None = None) -> list[dict]:
        """One summary per trace (oldest first): its root transaction, span count, time span, failing
        spans and the error events that carry its trace id."""
        traces: dict[str, dict] = {}
        for span in self.spans(filters):
            trace = traces.setdefault(span["trace_id"], {
                "trace_id": span["trace_id"], "transaction": None, "spans": 0, "segments": 0,
                "start_timestamp": span["start_timestamp"], "end_timestamp": span["end_timestamp"],
                "failed_spans": 0, "errors": 0, "environment": span["environment"], "release": span["release"]})
            trace["spans"] += 1
            if span["is_segment"]:
                trace["segments"] += 1
                if trace["transaction"] is None or not span["parent_span_id"]:
                    trace["transaction"] = span["description"]
            trace["start_timestamp"] = min(trace["start_timestamp"], span["start_timestamp"])
            ends = [t for t in (trace["end_timestamp"], span["end_timestamp"]) if t is not None]
            trace["end_timestamp"] = max(ends) if ends else None
            if span["status"] not in (None, "ok", "unset"):
                trace["failed_spans"] += 1
        for event in self._events:
            if event["type"] == "event" and event.get("trace_id") in traces:
                traces[event["trace_id"]]["errors"] += 1
        found = list(traces.values())
        for trace in found:
            end = trace["end_timestamp"]
            trace["duration_ms"] = round((end - trace["start_timestamp"]) * 1000, 3) if end is not None else None
        return found[-limit:] if limit else found

    def counts(self) -> dict:
        return {"events": sum(1 for e in self._events if e["type"] == "event"),
                "transactions": sum(1 for e in self._events if e["type"] == "transaction"),
                "spans": len(self._spans)}

    def clear(self) -> int:
        """Forget every event, span and count; return how many events there were."""
        count = self._events.clear()
        self._spans.clear()
        self._envelopes.clear()
        self.item_counts.clear()
        return count
