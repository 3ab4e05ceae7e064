"""POST /v1/chat/completions: deterministic answers, plain or streamed as chat.completion.chunk events."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from . import chat_tools, models, structured, text, tools
from .errors import BadRequest, invalid_type, missing
from .http import EventStream, json_response

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
FINGERPRINT = "fp_mockstaging"
CONTENT_REQUIRED = frozenset({"system", "developer", "user"})


def message_text(content: object) -> str:
    """Return the text of a message's content, whether a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def validate(body: dict) -> tuple[str, list[dict]]:
    """Check the fields the real API requires, raising its 400s; return the model and messages."""
    if "model" not in body:
        raise missing("model")
    if not isinstance(body["model"], str):
        raise invalid_type("model", "a string", body["model"])
    if "messages" not in body:
        raise missing("messages")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise invalid_type("messages", "an array", messages)
    if not messages:
        raise BadRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
                         "an empty array instead.", param="messages", code="empty_array")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid_type(f"messages[{i}]", "an object", message)
        if message.get("role") not in ROLES:
            raise BadRequest(f"Invalid value: '{message.get('role')}'. Supported values are: 'system', "
                             "'assistant', 'user', 'function', 'tool', and 'developer'.",
                             param=f"messages[{i}].role", code="invalid_value")
        _check_content(message, f"messages[{i}]")
    _check_int(body, "max_tokens")
    _check_int(body, "max_completion_tokens")
    _check_int(body, "n", minimum=1)
    return models.require(body["model"], models.CHAT_MODELS), messages


def _check_content(message: dict, where: str) -> None:
    """Raise the real API's 400 unless the content is a string or an array of objects.

    Only an assistant (with tool calls) or tool message may leave it out or null.
    """
    content = message.get("content")
    if content is None:
        if message["role"] in CONTENT_REQUIRED:
            raise missing(f"{where}.content")
        return
    if not isinstance(content, (str, list)):
        raise invalid_type(f"{where}.content", "one of a string or array of objects", content)
    for j, part in enumerate(content if isinstance(content, list) else ()):
        if not isinstance(part, dict):
            raise invalid_type(f"{where}.content[{j}]", "an object", part)


def _check_int(body: dict, name: str, minimum: int = 1) -> None:
    """Raise a 400 unless `body[name]` is absent, null or an integer >= minimum."""
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid_type(name, "an integer", value)
    if value < minimum:
        raise BadRequest(f"Invalid '{name}': integer below minimum value. Expected a value >= {minimum}, "
                         f"but got {value} instead.", param=name, code="integer_below_min_value")


@dataclass
class Reply:
    """The model's turn: text (`content`) or tool calls, with its finish reason and usage."""

    content: str | None
    calls: list[tools.Call]
    finish: str
    usage: dict


def answer(body: dict, messages: list[dict]) -> Reply:
    """Return the model's reply to a checked request: tool calls, structured JSON or the summary."""
    offer = chat_tools.offer(body)
    chat_tools.check_turns(messages)
    all_text = " ".join(message_text(m.get("content")) for m in messages)
    fmt = structured.chat_format(body, all_text)
    user_texts = [message_text(m.get("content")) for m in messages if m.get("role") == "user"]
    source = user_texts[-1] if user_texts else ""
    key = tools.request_key(body.get("model"), messages, body.get("tools"), body.get("tool_choice"),
                            body.get("response_format"))
    results = chat_tools.results(messages)
    picked = tools.choose(offer, source, answered=bool(results))
    words = text.keywords(source, limit=20)
    calls = tools.calls(picked, key, words)
    if calls:
        reply, finish = None, "tool_calls"
        completion = sum(text.count_tokens(c.name) + text.count_tokens(c.arguments) for c in calls)
    else:
        summary = "" if fmt.kind == "json_schema" else \
            tools.results_text(results) if results else text.summarize(source)
        reply, finish = structured.content(fmt, key, words, summary), "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if limit:
            reply, cut = text.truncate_to_tokens(reply, limit)
            finish = "length" if cut else "stop"
        completion = text.count_tokens(reply)
    prompt = sum(4 + text.count_tokens(message_text(m.get("content"))) for m in messages) + 3
    completion *= body.get("n") or 1
    usage = {
        "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    }
    return Reply(reply, calls, finish, usage)


def _message(reply: Reply) -> dict:
    """Return the assistant message of a non-streamed choice."""
    message = {"role": "assistant", "content": reply.content, "refusal": None, "annotations": []}
    if reply.calls:
        message["tool_calls"] = [{"id": c.call_id, "type": "function",
                                  "function": {"name": c.name, "arguments": c.arguments}} for c in reply.calls]
    return message


async def create(request: Request, body: dict) -> Response:
    """Answer a chat completion request, streamed when `stream` is true."""
    model, messages = validate(body)
    reply = answer(body, messages)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if body.get("stream"):
        return _stream(body, model, completion_id, created, reply)
    choices = [{"index": i, "message": _message(reply), "logprobs": None, "finish_reason": reply.finish}
               for i in range(body.get("n") or 1)]
    return json_response({
        "id": completion_id, "object": "chat.completion", "created": created, "model": model,
        "choices": choices, "usage": reply.usage, "service_tier": "default", "system_fingerprint": FINGERPRINT,
    })


def _stream(body: dict, model: str, completion_id: str, created: int, reply: Reply) -> EventStream:
    """Build the SSE events of a streamed completion, ending with `data: [DONE]`."""
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "service_tier": "default", "system_fingerprint": FINGERPRINT}

    def chunk(delta: dict, finish_reason: str | None = None) -> str:
        data = {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}
        if include_usage:
            data["usage"] = None
        return EventStream.event(data)

    if reply.calls:
        events = [chunk(delta) for delta in _call_deltas(reply.calls)]
    else:
        events = [chunk({"role": "assistant", "content": "", "refusal": None})]
        events += [chunk({"content": piece}) for piece in _split_keeping_spaces(reply.content or "")]
    events.append(chunk({}, reply.finish))
    if include_usage:
        events.append(EventStream.event({**base, "choices": [], "usage": reply.usage}))
    events.append(EventStream.event("[DONE]"))
    journal = {"stream": True, "content": reply.content, "finish_reason": reply.finish, "usage": reply.usage,
               "events": len(events)}
    if reply.calls:
        journal["tool_calls"] = [{"id": c.call_id, "name": c.name, "arguments": c.arguments} for c in reply.calls]
    return EventStream(events, journal)


def _call_deltas(calls: list[tools.Call]) -> list[dict]:
    """Return the deltas that stream tool calls as the real API does: each call's index, id and name
    with empty arguments first, then its arguments in fragments."""
    deltas: list[dict] = []
    for index, call in enumerate(calls):
        opening = {"index": index, "id": call.call_id, "type": "function",
                   "function": {"name": call.name, "arguments": ""}}
        deltas.append({"tool_calls": [opening]} if index else
                      {"role": "assistant", "content": None, "refusal": None, "tool_calls": [opening]})
        deltas += [{"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
                   for piece in fragments(call.arguments)]
    return deltas


def fragments(arguments: str, size: int = 8) -> list[str]:
    """Split a JSON text into the short fragments a stream sends (their concatenation is the text)."""
    return [arguments[i:i + size] for i in range(0, len(arguments), size)]


def _split_keeping_spaces(reply: str) -> list[str]:
    """Split text into word-sized pieces whose concatenation is the text."""
    pieces, start = [], 0
    for i in range(1, len(reply)):
        if reply[i] in " \n" and reply[i - 1] not in " \n":
            pieces.append(reply[start:i])
            start = i
    pieces.append(reply[start:])
    return [p for p in pieces if p]
