"""The path every API request takes: auth, body, fault, handler, headers, journal."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from . import faults, tracing
from .errors import APIError, ServerError, Unauthorized, status_error
from .http import CutBody, EventStream, JSONReply, describe_form, json_response, read_form, read_json

log = logging.getLogger("mocks.openai_mock")
Handler = Callable[[Request, object], Awaitable[Response]]
_ids = itertools.count(1)
_PREFIX = os.urandom(4).hex()

NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) "
    "if you're accessing the API from your browser and are prompted for a username."
)


def check_auth(request: Request, keys: frozenset[str]) -> None:
    """Raise the real API's 401 unless the request carries an accepted bearer key."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized(NO_KEY)
    key = key.strip()
    if key not in keys:
        shown = f"{key[:3]}{'*' * max(0, len(key) - 7)}{key[-4:]}" if len(key) > 8 else "*" * len(key)
        raise Unauthorized(
            f"Incorrect API key provided: {shown}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )


def _headers(request_id: str, started: float, model: str | None) -> dict[str, str]:
    """Return the headers the real API sends on every response."""
    return {
        "x-request-id": request_id,
        "openai-version": "2020-10-01",
        "openai-organization": "org-staging",
        "openai-processing-ms": str(max(1, round((time.perf_counter() - started) * 1000))),
        "openai-model": model or "",
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": "10000000",
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-remaining-tokens": "9999000",
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "6ms",
    }


async def _hold(request: Request, seconds: float) -> None:
    """Wait `seconds`, returning early if the client goes away."""
    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnected(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


async def _run(fault: faults.Fault | None, request: Request, handler: Handler, body: object) -> Response:
    """Answer the request through `handler`, bent by `fault`."""
    if fault is None:
        return await handler(request, body)
    if fault.kind == "status":
        error = status_error(fault.status, fault.seconds)
        if fault.no_retry:
            error.headers["x-should-retry"] = "false"
        raise error
    if fault.kind == "slow":
        await asyncio.sleep(fault.seconds or 0)
    elif fault.kind == "timeout":
        await _hold(request, fault.seconds or 0)
        raise ServerError(504)
    response = await handler(request, body)
    if fault.kind == "cut":
        if isinstance(response, EventStream):
            response.cut_after = fault.events if fault.events is not None else len(response.events) // 2
            return response
        return CutBody(response)
    if fault.kind == "malformed":
        if isinstance(response, EventStream):
            response.events.insert(len(response.events) // 2, 'data: {"id": "chatcmpl-broken", "choices": [\n\n')
            return response
        return Response(response.body[: len(response.body) // 2], 200, media_type="application/json")
    return response


def endpoint(app_state, handler: Handler, body_kind: str | None) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an API handler in the mock's request path (body_kind: "json", "form" or None)."""
    settings, plan, journal = app_state.settings, app_state.faults, app_state.journal

    async def answer(request: Request, exchange: dict) -> Response:
        check_auth(request, settings.api_keys)
        if body_kind == "json":
            exchange["body"] = await read_json(request, settings.max_json_bytes)
        elif body_kind == "form":
            exchange["body"] = await read_form(request, settings.max_upload_bytes)
        header = request.headers.get("x-mock-fault")
        fault = faults.parse(header, "X-Mock-Fault") if header else plan.next(request.url.path)
        exchange["fault"] = fault.token if fault else None
        return await _run(fault, request, handler, exchange["body"])

    async def run(request: Request) -> Response:
        started = time.perf_counter()
        exchange: dict = {"body": None, "fault": None}
        extra_headers: dict[str, str] = {}
        try:
            response = await answer(request, exchange)
        except APIError as error:
            response, extra_headers = json_response(error.body(), error.status), error.headers
        except Exception:  # the mock answers every request; a bug becomes a logged 500, never a trace
            log.exception("mock-openai failed on %s %s", request.method, request.url.path)
            response = json_response(ServerError(500).body(), 500)
        request_id = f"req_{_PREFIX}{next(_ids):012x}"
        response.headers.update({**_headers(request_id, started, _model(exchange["body"])), **extra_headers})
        body = describe_form(exchange["body"]) if body_kind == "form" and exchange["body"] else exchange["body"]
        journal.record(_entry(request, body, response, request_id, exchange["fault"], started))
        return response

    return run


def _model(body: object) -> str | None:
    """Return the request's model name when it is safe to echo in a header."""
    model = body.get("model") if isinstance(body, dict) else None
    if isinstance(model, str) and model.isascii() and model.isprintable():
        return model
    return None  # a header must stay latin-1; an odd name is in the journal anyway


def _entry(request: Request, body: object, response: Response, request_id: str,
           fault: str | None, started: float) -> dict:
    """Describe one exchange for the journal."""
    headers = {k: v for k, v in request.headers.items() if k != "authorization"}
    return {
        "request_id": request_id,
        "time": time.time(),
        "method": request.method,
        "path": request.url.path,
        "query": str(request.url.query),
        "headers": headers,
        "trace_id": tracing.trace_id(request.headers),
        "body": body,
        "status": response.status_code,
        "response": getattr(response, "data", None),
        "fault": fault,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }
