"""The sink's memory: the last N events, each boiled down to what a test or the gate asks about."""

from __future__ import annotations

import time
from collections import Counter, deque

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


def summarize(event: dict, project_id: str, kind: str) -> dict:
    """Boil an event down to the fields the sink keeps."""
    exc_type, exc_value = _exception(event)
    default_level = "info" if kind == "transaction" else "error"  # Sentry's default for events is error
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
        "received_at": time.time(),
    }


class EventStore:
    """A bounded list of events plus counts of every envelope item type seen."""

    def __init__(self, size: int) -> None:
        self._events: deque[dict] = deque(maxlen=size)
        self.item_counts: Counter[str] = Counter()

    def add(self, record: dict) -> None:
        """Keep one summarized event."""
        self._events.append(record)

    def events(self, filters: dict[str, str], limit: int | None = None) -> list[dict]:
        """Return events (oldest first) matching every filter; `type` defaults to `event`, `min_level` is a floor."""
        filters = {"type": "event", **filters}
        if filters["type"] == "all":
            del filters["type"]
        floor = LEVELS.get(filters.pop("min_level", ""), -1)
        found = [e for e in self._events
                 if LEVELS.get(e["level"], 3) >= floor and all(str(e.get(k)) == v for k, v in filters.items())]
        return found[-limit:] if limit else found

    def clear(self) -> int:
        """Forget every event and count; return how many events there were."""
        count = len(self._events)
        self._events.clear()
        self.item_counts.clear()
        return count
