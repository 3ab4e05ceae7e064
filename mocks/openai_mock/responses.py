"""POST /v1/responses: the Responses API, plain or as its typed stream of `response.*` events."""

from __future__ import annotations

import time
import uuid

from starlette.requests import Request
from starlette.responses import Response

from . import models, text
from .chat import message_text
from .errors import BadRequest, invalid_type, missing
from .http import EventStream, json_response


def _input_text(raw: object) -> str:
    """Return the text of the last user turn of `input` (a string or a list of input items)."""
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, list):
        raise invalid_type("input", "a string or an array", raw)
    users = [item for item in raw if isinstance(item, dict) and item.get("role", "user") == "user"]
    return message_text(users[-1].get("content")) if users else ""


def _all_text(raw: object, instructions: object) -> str:
    """Return every input text, for counting input tokens."""
    parts = [instructions] if isinstance(instructions, str) else []
    if isinstance(raw, str):
        parts.append(raw)
    elif isinstance(raw, list):
        parts += [message_text(item.get("content")) for item in raw if isinstance(item, dict)]
    return " ".join(parts)


def build(body: dict) -> dict:
    """Return the completed Response object for a request."""
    for field in ("model", "input"):
        if field not in body:
            raise missing(field)
    if not isinstance(body["model"], str):
        raise invalid_type("model", "a string", body["model"])
    model = models.require(body["model"], models.CHAT_MODELS)
    reply = text.summarize(_input_text(body["input"]))
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 16):
        raise BadRequest("Invalid 'max_output_tokens': expected an integer >= 16.", param="max_output_tokens",
                         code="invalid_value")
    status, incomplete = "completed", None
    if limit:
        reply, cut = text.truncate_to_tokens(reply, limit)
        if cut:
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
    prompt = text.count_tokens(_all_text(body["input"], body.get("instructions")))
    output = text.count_tokens(reply)
    now = time.time()
    return {
        "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": int(now), "status": status,
        "completed_at": int(now), "error": None, "incomplete_details": incomplete,
        "instructions": body.get("instructions"), "max_output_tokens": limit, "model": model,
        "output": [{"id": f"msg_{uuid.uuid4().hex}", "type": "message", "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": reply, "annotations": [], "logprobs": []}]}],
        "parallel_tool_calls": True, "previous_response_id": None, "reasoning": {"effort": None, "summary": None},
        "service_tier": "default", "store": bool(body.get("store", True)), "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"}, "tool_choice": "auto", "tools": [],
        "top_p": 1.0, "truncation": "disabled", "user": None, "metadata": body.get("metadata") or {},
        "usage": {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                  "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": prompt + output},
    }


async def create(request: Request, body: dict) -> Response:
    """Answer a Responses API request, streamed when `stream` is true."""
    response = build(body)
    if not body.get("stream"):
        return json_response(response)
    return EventStream(_events(response), {"stream": True, "content": response["output"][0]["content"][0]["text"],
                                           "usage": response["usage"], "status": response["status"]})


def _events(final: dict) -> list[str]:
    """Return the SSE events the real API streams for a one-message response."""
    message = final["output"][0]
    part = message["content"][0]
    start = {**final, "status": "in_progress", "output": [], "usage": None, "completed_at": None,
             "incomplete_details": None}
    item_open = {**message, "status": "in_progress", "content": []}
    empty_part = {**part, "text": ""}
    ids = {"item_id": message["id"], "output_index": 0}
    steps: list[dict] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
        {"type": "response.output_item.added", "output_index": 0, "item": item_open},
        {"type": "response.content_part.added", **ids, "content_index": 0, "part": empty_part},
    ]
    for token in _pieces(part["text"]):
        steps.append({"type": "response.output_text.delta", **ids, "content_index": 0, "delta": token,
                      "logprobs": []})
    steps += [
        {"type": "response.output_text.done", **ids, "content_index": 0, "text": part["text"], "logprobs": []},
        {"type": "response.content_part.done", **ids, "content_index": 0, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": message},
        {"type": f"response.{'completed' if final['status'] == 'completed' else 'incomplete'}", "response": final},
    ]
    return [EventStream.event({**step, "sequence_number": n}, step["type"]) for n, step in enumerate(steps)]


def _pieces(reply: str) -> list[str]:
    """Split text into word-sized deltas whose concatenation is the text."""
    words = reply.split(" ")
    return [w + " " for w in words[:-1]] + [words[-1]] if reply else []
