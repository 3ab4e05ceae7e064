"""The control plane under /_mock (no auth: it only listens inside the compose network or loopback)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from . import resilience as resilience_verdict
from .errors import APIError, BadRequest
from .http import json_response, read_json


async def health(request: Request) -> Response:
    """GET /health: liveness, with the active profile."""
    state = request.app.state
    return json_response({"status": "ok", "service": "mock-openai", "profile": state.faults.profile})


async def journal(request: Request) -> Response:
    """GET /_mock/journal?path=/v1/chat&limit=N: recorded exchanges, oldest first."""
    limit = request.query_params.get("limit", "")
    if limit and not limit.isdigit():
        return _error(BadRequest("'limit' must be a non-negative integer.", param="limit"))
    entries = request.app.state.journal.entries(request.query_params.get("path"), int(limit) if limit else None)
    # default=str keeps odd values (bytes, numbers as keys) from breaking the read-out
    return Response(json.dumps(entries, default=str), media_type="application/json")


async def resilience(request: Request) -> Response:
    """GET /_mock/resilience?since=T&path=P&budget=N&reported=TRACE,...: how the client met its faults."""
    query = request.query_params
    try:
        since = _number(query, "since", float, 0.0)
        budget = _number(query, "budget", int, resilience_verdict.DEFAULT_BUDGET)
    except BadRequest as error:
        return _error(error)
    reported = {t.strip().lower() for t in query["reported"].split(",") if t.strip()} if "reported" in query else None
    entries = [e for e in request.app.state.journal.entries(query.get("path")) if e["time"] >= since]
    return json_response(resilience_verdict.verdict(entries, budget, reported))


def _number(query, name: str, kind: type, default):
    """Read a non-negative number from the query string, or the real API's 400 naming it."""
    raw = query.get(name, "")
    try:
        value = kind(raw) if raw else default
    except ValueError:
        value = -1
    if not value >= 0:  # also refuses NaN
        raise BadRequest(f"'{name}' must be a non-negative {kind.__name__}, not {raw[:40]!r}.", param=name)
    return value


async def clear_journal(request: Request) -> Response:
    """DELETE /_mock/journal: forget every exchange."""
    return json_response({"cleared": request.app.state.journal.clear()})


async def get_faults(request: Request) -> Response:
    """GET /_mock/faults: the current fault plan."""
    return json_response(request.app.state.faults.state())


async def put_faults(request: Request) -> Response:
    """PUT /_mock/faults: replace the plan with {"profile"?, "sequence"?, "cycle"?, "paths"?}."""
    try:
        spec = await read_json(request, 64 * 1024)
        return json_response(request.app.state.faults.set(spec))
    except APIError as error:
        return _error(error)


async def clear_faults(request: Request) -> Response:
    """DELETE /_mock/faults: back to healthy, the start-up profile included."""
    return json_response(request.app.state.faults.clear())


async def not_found(request: Request, exc: Exception) -> Response:
    """Answer unknown routes and methods as the real API does."""
    message = f"Invalid URL ({request.method} {request.url.path})"
    return json_response({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                    "code": None}}, 404)


async def internal_error(request: Request, exc: Exception) -> Response:
    """Answer a bug in the mock with the real API's 500 body instead of a trace."""
    error = APIError("The server had an error while processing your request. Sorry about that!")
    return _error(error)


def _error(error: APIError) -> Response:
    """Render an APIError."""
    return json_response(error.body(), error.status, error.headers)
