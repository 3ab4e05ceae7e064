"""The Responses API's side of tool calling: function tools, `tool_choice`, and the call items of `input`.

A response's calls are remembered (the last 1000 responses, per mock) so a turn that sends only
`function_call_output` items with `previous_response_id` is understood as the real API understands it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from . import tools
from .chat import message_text
from .errors import BadRequest, NotFound, invalid_type, missing

KEPT = 1000


@dataclass
class Turn:
    """What a request's input says: the last user text, and tool results that follow it."""

    user_text: str
    results: list[tuple[str, str]] = field(default_factory=list)
    calls: dict[str, str] = field(default_factory=dict)  # call_id -> function name, answerable here


class Remembered:
    """Responses by id (their user text and calls), the oldest forgotten first."""

    def __init__(self, size: int = KEPT) -> None:
        self.size, self.items = size, OrderedDict()

    def keep(self, response_id: str, user_text: str, calls: list[tools.Call]) -> None:
        self.items[response_id] = (user_text, {c.call_id: c.name for c in calls})
        while len(self.items) > self.size:
            self.items.popitem(last=False)

    def get(self, response_id: object) -> tuple[str, dict[str, str]]:
        if not isinstance(response_id, str):
            raise invalid_type("previous_response_id", "a string", response_id)
        if response_id not in self.items:
            raise NotFound(f"Previous response with id '{response_id}' not found.", param="previous_response_id",
                           code="previous_response_not_found")
        return self.items[response_id]


def offer(body: dict) -> tools.Tooling:
    """Check `tools`, `tool_choice` and `parallel_tool_calls`; return what the model may call."""
    raw = body.get("tools")
    if raw is not None and not isinstance(raw, list):
        raise invalid_type("tools", "an array", raw)
    functions = []
    for i, tool in enumerate(raw or []):
        if not isinstance(tool, dict):
            raise invalid_type(f"tools[{i}]", "an object", tool)
        if "type" not in tool:
            raise missing(f"tools[{i}].type")
        if tool["type"] == "function":  # hosted tools (web_search, file_search, mcp...) are accepted, never called
            functions.append(tools.function(tool, f"tools[{i}]"))
    tools.unique(functions, "tools")
    choice, named, allowed = _choice(body.get("tool_choice"))
    return tools.tooling(functions, bool(raw), choice, named, allowed, body.get("parallel_tool_calls"))


def _choice(raw: object) -> tuple[str | None, str | None, list[str] | None]:
    """Read `tool_choice`: a string, `{"type": "function", "name"}`, allowed_tools, or a hosted tool."""
    if raw is None:
        return None, None, None
    if isinstance(raw, str):
        return tools.mode(raw), None, None
    if not isinstance(raw, dict):
        raise invalid_type("tool_choice", "a string or an object", raw)
    if raw.get("type") == "function":
        if not isinstance(raw.get("name"), str):
            raise missing("tool_choice.name")
        return "named", raw["name"], None
    if raw.get("type") == "allowed_tools":
        listed = raw.get("tools") if isinstance(raw.get("tools"), list) else []
        names = [t.get("name") for t in listed if isinstance(t, dict) and t.get("type") == "function"]
        return tools.mode(raw.get("mode", "auto"), "tool_choice.mode"), None, names
    return "hosted", None, None


def turn(raw: object, previous: tuple[str, dict[str, str]] | None) -> Turn:
    """Read `input` (a string or items), checking that every function_call_output answers a call."""
    user_text, known = previous if previous else ("", {})
    current = Turn(user_text, calls=dict(known))
    if isinstance(raw, str):
        return Turn(raw)
    if not isinstance(raw, list):
        raise invalid_type("input", "a string or an array", raw)
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise invalid_type(f"input[{i}]", "an object", item)
        kind = item.get("type", "message")
        if kind == "message" and item.get("role", "user") == "user":
            current = Turn(message_text(item.get("content")), calls=current.calls)
        elif kind == "function_call":
            _call(item, i, current)
        elif kind == "function_call_output":
            _output(item, i, current)
    return current


def _call(item: dict, i: int, current: Turn) -> None:
    for name in ("call_id", "name", "arguments"):
        if not isinstance(item.get(name), str):
            raise missing(f"input[{i}].{name}") if name not in item else \
                invalid_type(f"input[{i}].{name}", "a string", item[name])
    current.calls[item["call_id"]] = item["name"]


def _output(item: dict, i: int, current: Turn) -> None:
    call_id = item.get("call_id")
    if not isinstance(call_id, str):
        raise missing(f"input[{i}].call_id") if call_id is None else \
            invalid_type(f"input[{i}].call_id", "a string", call_id)
    if "output" not in item:
        raise missing(f"input[{i}].output")
    if call_id not in current.calls:
        raise BadRequest(f"No tool call found for function call output with call_id {call_id}.", param="input")
    output = item["output"]
    current.results.append((current.calls[call_id], output if isinstance(output, str) else message_text(output)))
