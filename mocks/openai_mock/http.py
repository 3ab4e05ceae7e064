"""HTTP plumbing: bounded body reading, JSON replies that remember their data, SSE streams."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import BadRequest, PayloadTooLarge

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)


class JSONReply(Response):
    """A JSON response that keeps its data, so the journal need not parse it back."""

    media_type = "application/json"

    def __init__(self, data: Any, status_code: int = 200, headers: dict[str, str] | None = None,
                 journal: Any = None) -> None:
        self.data = data if journal is None else journal
        super().__init__(_dumps(data).encode("utf-8"), status_code, headers)


def json_response(data: Any, status_code: int = 200, headers: dict[str, str] | None = None,
                  journal: Any = None) -> JSONReply:
    """Return `data` as compact JSON; `journal` is a lighter stand-in to keep instead of `data`."""
    return JSONReply(data, status_code, headers, journal)


class TextReply(Response):
    """A plain-text response (transcripts as text/srt/vtt) that keeps its text for the journal."""

    media_type = "text/plain; charset=utf-8"

    def __init__(self, text: str) -> None:
        self.data = text
        super().__init__(text.encode("utf-8"))


class EventStream(Response):
    """Server-sent events, one body chunk per event; optionally cut mid-way like a dropped link."""

    media_type = "text/event-stream; charset=utf-8"

    def __init__(self, events: list[str], summary: dict) -> None:
        # Not Response.__init__: that would promise `content-length: 0`; a stream is chunked.
        self.status_code = 200
        self.background = None
        self.init_headers({"cache-control": "no-cache"})
        self.events = events
        self.data = summary
        self.cut_after: int | None = None

    @staticmethod
    def event(data: Any, name: str | None = None) -> str:
        """Format one SSE event, with an `event:` line when `name` is given."""
        payload = data if isinstance(data, str) else _dumps(data)
        return f"event: {name}\ndata: {payload}\n\n" if name else f"data: {payload}\n\n"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        for sent, chunk in enumerate(self.events):
            if self.cut_after is not None and sent >= self.cut_after:
                self.data["cut_after_events"] = sent
                return  # returning without the final message makes the server drop the connection
            await send({"type": "http.response.body", "body": chunk.encode("utf-8"), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class CutBody(Response):
    """A response that promises a full body but sends half of it, then drops the connection."""

    def __init__(self, original: Response) -> None:
        super().__init__(original.body, original.status_code, media_type=original.media_type)
        self.data = {"cut": True, "bytes_sent": len(self.body) // 2}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})


async def read_body(request: Request, limit: int) -> bytes:
    """Read the request body, refusing more than `limit` bytes with the real API's 413."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, int(declared))
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, size)
            chunks.append(chunk)
    except ClientDisconnect:
        raise BadRequest("The client disconnected before sending the whole body.") from None
    body = b"".join(chunks)
    request._body = body  # let Starlette's form parser reuse what was read
    return body


def _too_large(limit: int, size: int) -> PayloadTooLarge:
    """Return the 413 for a body over the cap."""
    return PayloadTooLarge(
        f"Maximum content size limit ({limit}) exceeded ({size} bytes read).", code="request_too_large"
    )


async def read_json(request: Request, limit: int) -> dict:
    """Read a JSON object body, raising the real API's 400 for anything else."""
    raw = await read_body(request, limit)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise BadRequest(NOT_JSON) from None
    if not isinstance(data, dict):
        raise BadRequest(NOT_JSON)
    return data


@dataclass(frozen=True)
class Upload:
    """A file from a multipart form, read into memory (the body cap bounds its size)."""

    filename: str
    content_type: str
    data: bytes


async def read_form(request: Request, limit: int) -> dict:
    """Read a multipart form into a dict of strings, lists and `Upload`s."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest(
            "Invalid Content-Type header (expected multipart/form-data).", param="Content-Type",
            code="invalid_content_type",
        )
    await read_body(request, limit)
    try:
        form = await request.form(max_files=4, max_fields=64, max_part_size=1024 * 1024)
    except (MultiPartException, HTTPException) as exc:
        detail = getattr(exc, "detail", None) or getattr(exc, "message", str(exc))
        raise BadRequest(f"Could not parse the multipart form: {detail}", code="invalid_multipart") from None
    fields: dict[str, Any] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                value = Upload(value.filename or "", value.content_type or "", await value.read())
            if key.endswith("[]"):
                fields.setdefault(key[:-2], []).append(value)
            else:
                fields[key] = value
    finally:
        await form.close()
    return fields


def describe_form(fields: dict) -> dict:
    """Return a journal-friendly copy of a form: files become their name, size and type."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, Upload):
            out[key] = {"filename": value.filename, "size": len(value.data), "content_type": value.content_type}
        else:
            out[key] = value
    return out
