"""POST /v1/responses: the Responses API, plain or as its typed stream of `response.*` events."""

from __future__ import annotations

import time
import uuid

from starlette.requests import Request
from starlette.responses import Response

from . import models, responses_tools, structured, text, tools
from .chat import fragments, message_text
from .errors import BadRequest, invalid_type, missing
from .http import EventStream, json_response


def _all_text(raw: object, instructions: object) -> str:
    """Return every input text, for counting input tokens and finding the word "json"."""
    parts = [instructions] if isinstance(instructions, str) else []
    if isinstance(raw, str):
        parts.append(raw)
    elif isinstance(raw, list):
        parts += [message_text(item.get("content")) for item in raw if isinstance(item, dict)]
        parts += [item["output"] for item in raw if isinstance(item, dict) and isinstance(item.get("output"), str)]
    return " ".join(parts)


def build(body: dict, remembered: responses_tools.Remembered) -> dict:
    """Return the completed Response object for a request."""
    for name in ("model", "input"):
        if name not in body:
            raise missing(name)
    if not isinstance(body["model"], str):
        raise invalid_type("model", "a string", body["model"])
    model = models.require(body["model"], models.CHAT_MODELS)
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 16):
        raise BadRequest("Invalid 'max_output_tokens': expected an integer >= 16.", param="max_output_tokens",
                         code="invalid_value")
    offer = responses_tools.offer(body)
    previous = body.get("previous_response_id")
    turn = responses_tools.turn(body["input"], remembered.get(previous) if previous is not None else None)
    all_text = _all_text(body["input"], body.get("instructions"))
    fmt = structured.responses_format(body, all_text)
    key = tools.request_key(model, body["input"], previous, body.get("tools"), body.get("tool_choice"),
                            body.get("text"))
    words = text.keywords(turn.user_text, limit=20)
    calls = tools.calls(tools.choose(offer, turn.user_text, answered=bool(turn.results)), key, words)
    status, incomplete = "completed", None
    if calls:
        output = [_call_item(call) for call in calls]
        produced = sum(text.count_tokens(c.name) + text.count_tokens(c.arguments) for c in calls)
    else:
        summary = "" if fmt.kind == "json_schema" else \
            tools.results_text(turn.results) if turn.results else text.summarize(turn.user_text)
        reply = structured.content(fmt, key, words, summary, "text.format.schema")
        if limit:
            reply, cut = text.truncate_to_tokens(reply, limit)
            if cut:
                status, incomplete = "incomplete", {"reason": "max_output_tokens"}
        output = [{"id": f"msg_{uuid.uuid4().hex}", "type": "message", "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "text": reply, "annotations": [], "logprobs": []}]}]
        produced = text.count_tokens(reply)
    prompt = text.count_tokens(all_text)
    now = time.time()
    response_id = f"resp_{uuid.uuid4().hex}"
    if body.get("store", True) is not False:
        remembered.keep(response_id, turn.user_text, calls)
    text_config = body.get("text") if isinstance(body.get("text"), dict) else {}
    return {
        "id": response_id, "object": "response", "created_at": int(now), "status": status,
        "completed_at": int(now), "error": None, "incomplete_details": incomplete,
        "instructions": body.get("instructions"), "max_output_tokens": limit, "model": model,
        "output": output, "parallel_tool_calls": offer.parallel, "previous_response_id": previous,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default", "store": bool(body.get("store", True)), "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium", **text_config},
        "tool_choice": body.get("tool_choice") or "auto", "tools": body.get("tools") or [],
        "top_p": 1.0, "truncation": "disabled", "user": None, "metadata": body.get("metadata") or {},
        "usage": {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                  "output_tokens": produced, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": prompt + produced},
    }


def _call_item(call: tools.Call) -> dict:
    """Return the output item of one function call."""
    return {"id": f"fc_{uuid.uuid4().hex}", "type": "function_call", "status": "completed",
            "arguments": call.arguments, "call_id": call.call_id, "name": call.name}


async def create(request: Request, body: dict) -> Response:
    """Answer a Responses API request, streamed when `stream` is true."""
    response = build(body, request.app.state.responses)
    if not body.get("stream"):
        return json_response(response)
    first = response["output"][0]
    content = first["content"][0]["text"] if first["type"] == "message" else None
    journal = {"stream": True, "content": content, "usage": response["usage"], "status": response["status"]}
    if first["type"] == "function_call":
        journal["function_calls"] = [{k: item[k] for k in ("call_id", "name", "arguments")}
                                     for item in response["output"]]
    return EventStream(_events(response), journal)


def _item_events(index: int, item: dict) -> list[dict]:
    """Return the events that stream one output item: a message's text, or a call's arguments."""
    if item["type"] == "function_call":
        ids = {"item_id": item["id"], "output_index": index}
        return [
            {"type": "response.output_item.added", "output_index": index,
             "item": {**item, "status": "in_progress", "arguments": ""}},
            *({"type": "response.function_call_arguments.delta", **ids, "delta": piece}
              for piece in fragments(item["arguments"])),
            {"type": "response.function_call_arguments.done", **ids, "arguments": item["arguments"]},
            {"type": "response.output_item.done", "output_index": index, "item": item},
        ]
    part = item["content"][0]
    ids = {"item_id": item["id"], "output_index": index}
    return [
        {"type": "response.output_item.added", "output_index": index,
         "item": {**item, "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", **ids, "content_index": 0, "part": {**part, "text": ""}},
        *({"type": "response.output_text.delta", **ids, "content_index": 0, "delta": token, "logprobs": []}
          for token in _pieces(part["text"])),
        {"type": "response.output_text.done", **ids, "content_index": 0, "text": part["text"], "logprobs": []},
        {"type": "response.content_part.done", **ids, "content_index": 0, "part": part},
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]


def _events(final: dict) -> list[str]:
    """Return the SSE events the real API streams for a response."""
    start = {**final, "status": "in_progress", "output": [], "usage": None, "completed_at": None,
             "incomplete_details": None}
    steps: list[dict] = [{"type": "response.created", "response": start},
                         {"type": "response.in_progress", "response": start}]
    for index, item in enumerate(final["output"]):
        steps += _item_events(index, item)
    steps.append({"type": f"response.{'completed' if final['status'] == 'completed' else 'incomplete'}",
                  "response": final})
    return [EventStream.event({**step, "sequence_number": n}, step["type"]) for n, step in enumerate(steps)]


def _pieces(reply: str) -> list[str]:
    """Split text into word-sized deltas whose concatenation is the text."""
    words = reply.split(" ")
    return [w + " " for w in words[:-1]] + [words[-1]] if reply else []
