"""Sentry Spotlight's sidecar protocol: `POST /stream` takes envelopes, `GET /stream` serves them as SSE.

What the sidecar (getsentry/spotlight, `packages/spotlight/src/server/routes/stream`) sends, and what
the Spotlight UI and `spotlight tail` read: one SSE message per envelope,

    id: <the envelope's id>
    event: application/x-sentry-envelope        (`...;base64` when the client asked `?base64=1`)
    data: [<envelope header + "__spotlight_envelope_id">, [[<item header>, <payload>], ...]]

the payloads parsed from JSON and given the item's `type`, raw types (attachments) as `{"data": ...}`.
A new client first gets every envelope still buffered (after `Last-Event-ID` when it sends one).
Envelopes reach the buffer from every ingest endpoint: what the app sends to its DSN is watched too.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from collections import deque

from .spans import is_health_check

SENTRY_CONTENT_TYPE = "application/x-sentry-envelope"
SERVER_IDENTIFIER = "spotlight-by-sentry"  # the sidecar's X-Powered-By: Spotlight tools look for it
RAW_TYPES = frozenset({"attachment", "replay_video", "statsd"})
TEXT_CONTENT_TYPES = frozenset({"text/plain", "text/css", "text/csv", "text/html", "text/javascript", "text/json",
                                "text/x-json", "application/json", "application/ld+json"})
KEEPALIVE_S = 15.0


def parsed_items(items: list[tuple[dict, bytes]]) -> list[list]:
    """Items as the sidecar hands them to its clients: JSON payloads parsed and typed, raw ones as data."""
    out = []
    for header, payload in items:
        kind = header.get("type")
        if kind in RAW_TYPES:
            text = header.get("content_type") in TEXT_CONTENT_TYPES or kind == "statsd"
            body = {"data": payload.decode("utf-8", "replace") if text else base64.b64encode(payload).decode()}
        else:
            try:
                body = json.loads(payload)
            except (ValueError, RecursionError):  # the sidecar hands an unparsable payload on as it is
                body = payload.decode("utf-8", "replace")
            if isinstance(body, dict) and kind:
                body["type"] = kind
        out.append([header, body])
    return out


def _without_health(items: list[list], health_items: set[int]) -> list[list]:
    """Drop health-check transactions and spans (the item indexes in `health_items`; spans filtered one by one)."""
    kept = []
    for index, (header, body) in enumerate(items):
        if index in health_items:
            continue
        if header.get("type") == "span" and isinstance(body, dict) and isinstance(body.get("items"), list):
            spans = [s for s in body["items"] if not _v2_health(s)]
            if not spans:
                continue
            if len(spans) != len(body["items"]):
                header = {**header, "item_count": len(spans)}
                body = {**body, "items": spans}
        kept.append([header, body])
    return kept


def _v2_health(span) -> bool:
    if not isinstance(span, dict) or not isinstance(span.get("attributes"), dict):
        return False
    attributes = {k: v.get("value") for k, v in span["attributes"].items() if isinstance(v, dict)}
    return is_health_check({"transaction": attributes.get("sentry.segment.name"), "is_segment": bool(
        span.get("is_segment")), "description": span.get("name"), "attributes": attributes})


class StreamBuffer:
    """The last `size` envelopes for SSE clients, each with a sequence number; a repeated body is kept once
    (an SDK with both a DSN and Spotlight pointed at the sink sends every envelope twice)."""

    def __init__(self, size: int = 500) -> None:
        self.size = size
        self._entries: deque[dict] = deque()
        self._digests: deque[bytes] = deque(maxlen=size)
        self._seq = 0
        self._changed = asyncio.Event()

    def put(self, body: bytes, header: dict, items: list[tuple[dict, bytes]], health_items: set[int]) -> bool:
        """Buffer one envelope; return False for a body already buffered."""
        digest = hashlib.sha256(body).digest()
        if digest in self._digests:
            return False
        self._digests.append(digest)
        envelope_id = str(uuid.uuid4())
        header = {**header, "__spotlight_envelope_id": envelope_id}
        full = parsed_items(items)
        quiet = _without_health(full, health_items)
        data = _data(header, full, items)
        self._seq += 1
        self._entries.append({"seq": self._seq, "id": envelope_id, "data": data,
                              "quiet_data": data if quiet == full else _data(header, quiet, items)})
        if len(self._entries) > self.size:
            self._entries.popleft()
        self._changed.set()
        self._changed = asyncio.Event()
        return True

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        self._digests.clear()
        return count

    def after(self, seq: int) -> list[dict]:
        return [entry for entry in self._entries if entry["seq"] > seq]

    def position_of(self, envelope_id: str | None) -> int:
        """The sequence number of a buffered envelope id (Last-Event-ID), else 0: from the start."""
        for entry in self._entries:
            if entry["id"] == envelope_id:
                return entry["seq"]
        return 0

    async def wait(self, seq: int, timeout: float) -> None:
        """Return once an envelope after `seq` is buffered, or after `timeout` seconds."""
        if self._entries and self._entries[-1]["seq"] > seq:
            return
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass


def _data(header: dict, items: list[list], raw: list[tuple[dict, bytes]]) -> str | None:
    """The `data:` line's JSON, serialized once; None when no item is left (all health checks)."""
    if not items:
        return None
    try:
        return json.dumps([header, items], separators=(",", ":"), ensure_ascii=False)
    except (RecursionError, ValueError):  # parsed, but too deep to write again: hand the payloads on as text
        texts = [[h, p.decode("utf-8", "replace")] for h, p in raw]
        return json.dumps([header, texts], separators=(",", ":"), ensure_ascii=False)


def sse_message(entry: dict, base64_flag: bool, include_health: bool) -> str | None:
    """One SSE message in the sidecar's format, or None when nothing is left after the health filter."""
    data = entry["data"] if include_health else entry["quiet_data"]
    if data is None:
        return None
    event = SENTRY_CONTENT_TYPE + (";base64" if base64_flag else "")
    return f"id: {entry['id']}\nevent: {event}\ndata: {data}\n\n"


async def sse_stream(buffer: StreamBuffer, start: int, base64_flag: bool, include_health: bool,
                     keepalive: float = KEEPALIVE_S):
    """Yield SSE text: a first empty line (the sidecar's, so EventSource opens at once), the backlog after
    `start`, then each new envelope, with a comment every `keepalive` seconds of quiet."""
    yield "\n"
    seq = start
    while True:
        entries = buffer.after(seq)
        for entry in entries:
            seq = entry["seq"]
            message = sse_message(entry, base64_flag, include_health)
            if message:
                yield message
        if not entries:
            await buffer.wait(seq, keepalive)
            if not buffer.after(seq):
                yield ": keepalive\n\n"
