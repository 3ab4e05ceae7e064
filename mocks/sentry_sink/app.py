"""Build the Sentry-compatible sink: envelope and store endpoints plus a read-out under /_sink."""

from __future__ import annotations

import logging
import os
import uuid

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .decode import DecodeError, decompress, parse_envelope, parse_store_body, payload_json
from .store import EVENT_ITEM_TYPES, EventStore, summarize

log = logging.getLogger("mocks.sentry_sink")
MAX_BODY_BYTES = 20 * 1024 * 1024
FILTERS = ("level", "min_level", "environment", "release", "type", "exception_type", "project_id")


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


async def envelope(request: Request) -> Response:
    """POST /api/{project_id}/envelope/: keep every event item of the envelope."""
    store: EventStore = request.app.state.store
    try:
        header, items = parse_envelope(await _body(request))
    except DecodeError as exc:
        return _reject(exc, 413 if "exceeds" in str(exc) else 400)
    event_id = header.get("event_id")
    for item_header, payload in items:
        kind = str(item_header.get("type", "unknown"))
        store.item_counts[kind] += 1
        if kind not in EVENT_ITEM_TYPES:
            continue
        try:
            event = payload_json(payload)
        except DecodeError as exc:
            return _reject(exc)
        event_id = event.get("event_id") or event_id
        store.add(summarize(event, request.path_params["project_id"], kind))
    return JSONResponse({"id": event_id})


async def store_event(request: Request) -> Response:
    """POST /api/{project_id}/store/: the legacy endpoint, one event per request."""
    store: EventStore = request.app.state.store
    try:
        event = parse_store_body(await _body(request))
    except DecodeError as exc:
        return _reject(exc, 413 if "exceeds" in str(exc) else 400)
    store.item_counts["event"] += 1
    event.setdefault("event_id", uuid.uuid4().hex)
    store.add(summarize(event, request.path_params["project_id"], "event"))
    return JSONResponse({"id": event["event_id"]})


async def list_events(request: Request) -> Response:
    """GET /_sink/events?level=error&environment=staging&limit=N: kept events, oldest first."""
    params = request.query_params
    unknown = set(params) - set(FILTERS) - {"limit"}
    if unknown:
        return _reject(ValueError(f"unknown filter(s) {sorted(unknown)}; use {', '.join(FILTERS)} or limit"))
    limit = params.get("limit", "")
    if limit and not limit.isdigit():
        return _reject(ValueError("limit must be a non-negative integer"))
    filters = {k: params[k] for k in FILTERS if k in params}
    return JSONResponse(request.app.state.store.events(filters, int(limit) if limit else None))


async def clear_events(request: Request) -> Response:
    """DELETE /_sink/events: forget every event."""
    return JSONResponse({"cleared": request.app.state.store.clear()})


async def stats(request: Request) -> Response:
    """GET /_sink/stats: how many envelope items of each type arrived."""
    return JSONResponse(dict(request.app.state.store.item_counts))


async def health(request: Request) -> Response:
    """GET /health: liveness."""
    return JSONResponse({"status": "ok", "service": "sentry-sink",
                         "events": len(request.app.state.store.events({"type": "all"}))})


async def not_found(request: Request, exc: Exception) -> Response:
    """Answer unknown routes with a JSON 404."""
    return JSONResponse({"detail": f"no route for {request.method} {request.url.path}"}, 404)


async def internal_error(request: Request, exc: Exception) -> Response:
    """Log a bug in the sink and answer 500 without a trace."""
    log.error("sentry-sink failed on %s %s: %r", request.method, request.url.path, exc)
    return JSONResponse({"detail": "internal error in the sink"}, 500)


def create_app(max_events: int | None = None) -> Starlette:
    """Return the sink app keeping at most `max_events` (env SENTRY_SINK_MAX_EVENTS, default 1000)."""
    size = max_events or int(os.environ.get("SENTRY_SINK_MAX_EVENTS", "1000"))
    if size <= 0:
        raise ValueError(f"the sink must keep at least one event, not {size}")
    routes = [
        Route("/api/{project_id:int}/envelope/", envelope, methods=["POST"]),
        Route("/api/{project_id:int}/store/", store_event, methods=["POST"]),
        Route("/_sink/events", list_events, methods=["GET"]),
        Route("/_sink/events", clear_events, methods=["DELETE"]),
        Route("/_sink/stats", stats, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, Exception: internal_error})
    app.state.store = EventStore(size)
    return app
