"""Chat completions' side of tool calling: `tools`, `tool_choice` and the tool turns of `messages`."""

from __future__ import annotations

from . import tools
from .errors import BadRequest, invalid_type, missing


def offer(body: dict) -> tools.Tooling:
    """Check `tools`, `tool_choice` and `parallel_tool_calls`; return what the model may call."""
    raw = body.get("tools")
    if raw is not None and not isinstance(raw, list):
        raise invalid_type("tools", "an array", raw)
    functions = []
    for i, tool in enumerate(raw or []):
        if not isinstance(tool, dict):
            raise invalid_type(f"tools[{i}]", "an object", tool)
        kind = tool.get("type", "function")
        if kind == "custom":
            continue  # accepted, never called: the mock's model only calls functions
        if kind != "function":
            raise BadRequest(f"Invalid value: '{kind}'. Supported values are: 'function' and 'custom'.",
                             param=f"tools[{i}].type", code="invalid_value")
        if "function" not in tool:
            raise missing(f"tools[{i}].function")
        functions.append(tools.function(tool["function"], f"tools[{i}].function"))
    tools.unique(functions, "tools")
    choice, named, allowed = _choice(body.get("tool_choice"))
    return tools.tooling(functions, bool(raw), choice, named, allowed, body.get("parallel_tool_calls"))


def _choice(raw: object) -> tuple[str | None, str | None, list[str] | None]:
    """Read chat's `tool_choice`: a string, `{"type": "function", "function": {"name"}}` or allowed_tools."""
    if raw is None:
        return None, None, None
    if isinstance(raw, str):
        return tools.mode(raw), None, None
    if not isinstance(raw, dict):
        raise invalid_type("tool_choice", "a string or an object", raw)
    if raw.get("type") == "allowed_tools":
        spec = raw.get("allowed_tools") if isinstance(raw.get("allowed_tools"), dict) else {}
        names = [t.get("function", {}).get("name") for t in spec.get("tools") or [] if isinstance(t, dict)]
        return tools.mode(spec.get("mode", "auto"), "tool_choice.allowed_tools.mode"), None, names
    if raw.get("type") == "custom":
        return "hosted", None, None  # a custom tool forced: no function call
    if raw.get("type") != "function":
        raise BadRequest(f"Invalid value: '{raw.get('type')}'. Supported values are: 'function', 'custom' "
                         "and 'allowed_tools'.", param="tool_choice.type", code="invalid_value")
    function = raw.get("function")
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise missing("tool_choice.function.name")
    return "named", function["name"], None


def check_turns(messages: list[dict]) -> None:
    """Raise the real API's 400 for a tool message that answers no call, or a call left unanswered."""
    pending: dict[str, int] = {}  # call id -> index of the assistant message that made it
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id is None:
                raise missing(f"messages[{i}].tool_call_id")
            if call_id not in pending:
                raise BadRequest("Invalid parameter: messages with role 'tool' must be a response to a "
                                 "preceeding message with 'tool_calls'.", param=f"messages.[{i}].role")
            del pending[call_id]
            continue
        _unanswered(pending)
        if role == "assistant" and message.get("tool_calls") is not None:
            pending = {call_id: i for call_id in _call_ids(message["tool_calls"], i)}
    _unanswered(pending)


def _unanswered(pending: dict[str, int]) -> None:
    if pending:
        index = next(iter(pending.values()))
        raise BadRequest("An assistant message with 'tool_calls' must be followed by tool messages responding "
                         "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                         f"{', '.join(pending)}", param=f"messages.[{index}].role")


def _call_ids(tool_calls: object, i: int) -> list[str]:
    """Check an assistant message's `tool_calls`; return their ids."""
    where = f"messages[{i}].tool_calls"
    if not isinstance(tool_calls, list):
        raise invalid_type(where, "an array", tool_calls)
    ids = []
    for j, call in enumerate(tool_calls):
        if not isinstance(call, dict):
            raise invalid_type(f"{where}[{j}]", "an object", call)
        for field in ("id", "function"):
            if field not in call:
                raise missing(f"{where}[{j}].{field}")
        if not isinstance(call["id"], str):
            raise invalid_type(f"{where}[{j}].id", "a string", call["id"])
        if not isinstance(call["function"], dict):
            raise invalid_type(f"{where}[{j}].function", "an object", call["function"])
        ids.append(call["id"])
    return ids


def results(messages: list[dict]) -> list[tuple[str, str]]:
    """Return (function name, output) of the tool messages after the last user message."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    names: dict[str, str] = {}
    out = []
    for message in messages[last_user + 1:]:
        for call in message.get("tool_calls") or []:
            names[call["id"]] = (call.get("function") or {}).get("name", "tool")
        if message.get("role") == "tool":
            output = message.get("content")
            text = output if isinstance(output, str) else " ".join(
                p.get("text", "") for p in output or [] if isinstance(p, dict))
            out.append((names.get(message["tool_call_id"], "tool"), text))
    return out
