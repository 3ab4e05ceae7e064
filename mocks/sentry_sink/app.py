"""Build the Sentry-compatible sink: envelope and store endpoints plus a read-out under /_sink."""

from __future__ import annotations

import json
import logging
import os
import uuid

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from .decode import DecodeError, decompress, parse_envelope, parse_store_body, payload_json
from .spans import SPAN_V2_CONTENT_TYPE, is_health_check, spans_from_transaction, spans_from_v1, spans_from_v2
from .spotlight import SENTRY_CONTENT_TYPE, SERVER_IDENTIFIER, KEEPALIVE_S, StreamBuffer, sse_stream
from .store import EVENT_ITEM_TYPES, EventStore, event_id_key, summarize

log = logging.getLogger("mocks.sentry_sink")
MAX_BODY_BYTES = 20 * 1024 * 1024
FILTERS = ("level", "min_level", "environment", "release", "type", "exception_type", "project_id", "trace_id",
           "health")
SPAN_FILTERS = ("trace_id", "span_id", "parent_span_id", "segment_id", "transaction", "op", "status",
                "environment", "release", "source", "segment", "project_id", "health")
# the browsers' origins the Spotlight UI runs at (the sidecar's rule): local ones and spotlightjs.com
SPOTLIGHT_ORIGINS = (r"^(?:https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::\d+)?"
                     r"|https://(?:[a-z0-9-]+\.)*spotlightjs\.com)$")


async def _body(request: Request) -> bytes:
    """Read and decompress the body, refusing oversized or undecodable input with DecodeError."""
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise DecodeError(f"body exceeds {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise DecodeError("client disconnected mid-body") from None
    return decompress(b"".join(chunks), request.headers.get("content-encoding", ""))


def _reject(exc: Exception, status: int = 400) -> Response:
    """Answer bad input the way Sentry does: a `detail` message, never a trace."""
    return JSONResponse({"detail": str(exc)}, status)


def _ingest(store: EventStore, stream: StreamBuffer, body: bytes, project_id, via: str) -> str | None:
    """Read every item of an envelope, then keep them all, or raise DecodeError having kept nothing."""
    header, items = parse_envelope(body)
    event_id = header.get("event_id")
    events, spans, health_items = [], [], set()
    for index, (item_header, payload) in enumerate(items):
        kind = str(item_header.get("type", "unknown"))
        if kind in EVENT_ITEM_TYPES:
            event = payload_json(payload)
            event_id = event.get("event_id") or event_id
            events.append(summarize(event, project_id, kind, via))
            if kind == "transaction":
                segment = spans_from_transaction(event, project_id)
                spans += segment
                if segment and is_health_check(segment[0]):
                    health_items.add(index)
        elif kind == "span":
            span = payload_json(payload)
            v2 = item_header.get("content_type") == SPAN_V2_CONTENT_TYPE or "items" in span
            spans += spans_from_v2(span, item_header, project_id) if v2 else spans_from_v1(span, project_id)
    for item_header, _ in items:
        store.item_counts[str(item_header.get("type", "unknown"))] += 1
    for record in events:
        store.add(record)
    store.add_envelope([header.get("event_id"), *(record["event_id"] for record in events)], body)
    for record in spans:
        record["via"] = [via]
        store.add_span(record)
    stream.put(body, header, items, health_items)
    return event_id


async def envelope(request: Request) -> Response:
    """POST /api/{project_id}/envelope/: keep every event, transaction and span of the envelope."""
    try:
        event_id = _ingest(request.app.state.store, request.app.state.stream, await _body(request),
                           request.path_params["project_id"], "envelope")
    except DecodeError as exc:
        return _reject(exc, 413 if "exceeds" in str(exc) else 400)
    return JSONResponse({"id": event_id})


def _dsn_project(header: dict) -> int | None:
    """The project id of the envelope header's `dsn` (`http://key@host/42`), if it has one."""
    dsn = header.get("dsn") if isinstance(header, dict) else None
    tail = dsn.rstrip("/").rpartition("/")[2] if isinstance(dsn, str) else ""
    return int(tail) if tail.isdigit() else None


async def spotlight_post(request: Request) -> Response:
    """POST /stream: an envelope as the SDKs send it to Spotlight (`spotlight=`, `SENTRY_SPOTLIGHT`)."""
    try:
        body = await _body(request)
        header, _ = parse_envelope(body)
        _ingest(request.app.state.store, request.app.state.stream, body, _dsn_project(header), "spotlight")
    except DecodeError as exc:
        return _reject(exc, 413 if "exceeds" in str(exc) else 400)
    return Response(status_code=200, headers={"Cache-Control": "no-cache"})


async def spotlight_stream(request: Request) -> Response:
    """GET /stream: every envelope the sink receives, as Spotlight's sidecar streams them (SSE)."""
    params = request.query_params
    stream: StreamBuffer = request.app.state.stream
    start = stream.position_of(request.headers.get("last-event-id"))
    body = sse_stream(stream, start, "base64" in params, params.get("health", "") in ("1", "true"),
                      request.app.state.keepalive)
    return StreamingResponse(body, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def spotlight_clear(request: Request) -> Response:
    """DELETE /clear: forget the stream's backlog (the sidecar's clear); the kept events stay."""
    request.app.state.stream.clear()
    return PlainTextResponse("Cleared")


async def store_event(request: Request) -> Response:
    """POST /api/{project_id}/store/: the legacy endpoint, one event per request."""
    store: EventStore = request.app.state.store
    try:
        event = parse_store_body(await _body(request))
    except DecodeError as exc:
        return _reject(exc, 413 if "exceeds" in str(exc) else 400)
    store.item_counts["event"] += 1
    event.setdefault("event_id", uuid.uuid4().hex)
    store.add(summarize(event, request.path_params["project_id"], "event", "store"))
    try:
        payload = json.dumps(event).encode()
    except (RecursionError, ValueError):  # parsed, but too deep to write again: kept, not streamed
        payload = None
    if payload is not None:
        header = {"event_id": event["event_id"]}
        store.add_envelope([event["event_id"]], b"\n".join([json.dumps(header).encode(), b'{"type":"event"}', payload]))
        request.app.state.stream.put(payload, header, [({"type": "event"}, payload)], set())
    return JSONResponse({"id": event["event_id"]})


def _query(request: Request, allowed: tuple[str, ...]) -> tuple[dict, int | None]:
    """The filters and limit of a read request; ValueError for an unknown filter or a bad limit."""
    params = request.query_params
    unknown = set(params) - set(allowed) - {"limit"}
    if unknown:
        raise ValueError(f"unknown filter(s) {sorted(unknown)}; use {', '.join(allowed)} or limit")
    limit = params.get("limit", "")
    if limit and not limit.isdigit():
        raise ValueError("limit must be a non-negative integer")
    return {k: params[k] for k in allowed if k in params}, int(limit) if limit else None


async def list_events(request: Request) -> Response:
    """GET /_sink/events?level=error&environment=staging&limit=N: kept events, oldest first."""
    try:
        filters, limit = _query(request, FILTERS)
    except ValueError as exc:
        return _reject(exc)
    return JSONResponse(request.app.state.store.events(filters, limit))


async def get_envelope(request: Request) -> Response:
    """GET /_sink/envelopes/{event_id}: the envelope an event arrived in, raw (what Spotlight's UI downloads)."""
    event_id = request.path_params["event_id"]
    try:
        body = request.app.state.store.envelope(event_id)
    except ValueError:
        return _reject(ValueError(f"event_id must be 32 hex digits (or a dashed UUID), not {event_id[:40]!r}"))
    if body is None:
        return JSONResponse({"detail": f"no envelope kept for event {event_id}"}, 404)
    return Response(body, media_type=SENTRY_CONTENT_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{event_id_key(event_id)}.envelope"'})


async def list_spans(request: Request) -> Response:
    """GET /_sink/spans?trace_id=...&op=db&segment=1&limit=N: kept spans, in arrival order."""
    try:
        filters, limit = _query(request, SPAN_FILTERS)
    except ValueError as exc:
        return _reject(exc)
    return JSONResponse(request.app.state.store.spans(filters, limit))


async def list_traces(request: Request) -> Response:
    """GET /_sink/traces?environment=staging&limit=N: one summary per trace."""
    try:
        filters, limit = _query(request, SPAN_FILTERS)
    except ValueError as exc:
        return _reject(exc)
    return JSONResponse(request.app.state.store.traces(filters, limit))


async def clear_events(request: Request) -> Response:
    """DELETE /_sink/events: forget every event and span, and the Spotlight stream's backlog."""
    spans = request.app.state.store.counts()["spans"]
    request.app.state.stream.clear()
    return JSONResponse({"cleared": request.app.state.store.clear(), "spans": spans})


async def stats(request: Request) -> Response:
    """GET /_sink/stats: how many envelope items of each type arrived."""
    return JSONResponse(dict(request.app.state.store.item_counts))


async def health(request: Request) -> Response:
    """GET /health: liveness."""
    counts = request.app.state.store.counts()
    return JSONResponse({"status": "ok", "service": "sentry-sink", "events": counts["events"] + counts["transactions"],
                         "spans": counts["spans"]}, headers={"X-Powered-By": SERVER_IDENTIFIER})


async def not_found(request: Request, exc: Exception) -> Response:
    """Answer unknown routes with a JSON 404."""
    return JSONResponse({"detail": f"no route for {request.method} {request.url.path}"}, 404)


async def internal_error(request: Request, exc: Exception) -> Response:
    """Log a bug in the sink and answer 500 without a trace."""
    log.error("sentry-sink failed on %s %s: %r", request.method, request.url.path, exc)
    return JSONResponse({"detail": "internal error in the sink"}, 500)


def _setting(value: int | None, variable: str, default: int, what: str) -> int:
    """A positive count from the argument, else the environment, else the default; ValueError otherwise."""
    if value is None:
        raw = os.environ.get(variable, "").strip() or str(default)
        if not raw.lstrip("-").isdigit():
            raise ValueError(f"{variable} must be a whole number, not {raw!r}")
        value = int(raw)
    if value <= 0:
        raise ValueError(f"the sink must keep at least one {what}, not {value}")
    return value


def create_app(max_events: int | None = None, max_spans: int | None = None,
               keepalive: float = KEEPALIVE_S) -> Starlette:
    """Return the sink app keeping at most `max_events` events (env SENTRY_SINK_MAX_EVENTS, default 1000)
    and `max_spans` spans (SENTRY_SINK_MAX_SPANS, default 10000)."""
    size = _setting(max_events, "SENTRY_SINK_MAX_EVENTS", 1000, "event")
    span_size = _setting(max_spans, "SENTRY_SINK_MAX_SPANS", 10000, "span")
    routes = [
        Route("/api/{project_id:int}/envelope/", envelope, methods=["POST"]),
        Route("/api/{project_id:int}/store/", store_event, methods=["POST"]),
        Route("/_sink/events", list_events, methods=["GET"]),
        Route("/_sink/events", clear_events, methods=["DELETE"]),
        Route("/_sink/envelopes/{event_id}", get_envelope, methods=["GET"]),
        Route("/_sink/spans", list_spans, methods=["GET"]),
        Route("/_sink/traces", list_traces, methods=["GET"]),
        Route("/_sink/stats", stats, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/stream", spotlight_post, methods=["POST"]),
        Route("/stream", spotlight_stream, methods=["GET"]),
        Route("/clear", spotlight_clear, methods=["DELETE"]),
    ]
    cors = Middleware(CORSMiddleware, allow_origin_regex=SPOTLIGHT_ORIGINS, allow_methods=["GET", "POST", "DELETE"],
                      allow_headers=["*"])
    app = Starlette(routes=routes, middleware=[cors],
                    exception_handlers={404: not_found, 405: not_found, Exception: internal_error})
    app.state.store = EventStore(size, span_size)
    app.state.stream = StreamBuffer()
    app.state.keepalive = keepalive
    return app
