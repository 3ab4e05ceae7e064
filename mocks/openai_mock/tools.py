"""Function tools: which the mock "model" calls, and the arguments it fills in from their schemas.

The rule, the same for chat and Responses:
- `tool_choice: "none"`, or no function tools: no call.
- a named function (`{"type": "function", ...}`): that function, once.
- `"required"`: every function the last user message names, else the first function.
- `"auto"` (the default): every function the last user message names, matched as a whole word,
  case-insensitively, by its name or by its name with `_`/`-` read as spaces ("get_weather" or
  "get weather"); none named, no call. Once tool results follow that message, `auto` answers in text.
- `parallel_tool_calls: false` keeps only the first of several calls.
Arguments are an instance of the function's `parameters` (`instances.Filler`) seeded by the request.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from . import schema as schemas
from .errors import BadRequest, invalid_type, missing
from .instances import Filler

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
EMPTY_PARAMETERS = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class Function:
    """A function tool as the request declares it; `param` is where its parameters were given."""

    name: str
    parameters: dict
    strict: bool
    param: str = "tools"


@dataclass(frozen=True)
class Call:
    """One call the model makes: its id, function name and JSON arguments."""

    call_id: str
    name: str
    arguments: str


def function(spec: object, where: str) -> Function:
    """Check one function definition (`name`, `parameters`, `strict`) at `where`, raising the API's 400s."""
    if not isinstance(spec, dict):
        raise invalid_type(where, "an object", spec)
    name = spec.get("name")
    if name is None:
        raise missing(f"{where}.name")
    if not isinstance(name, str):
        raise invalid_type(f"{where}.name", "a string", name)
    if not NAME.match(name):
        raise BadRequest(f"Invalid '{where}.name': string does not match pattern. Expected a string that "
                         "matches the pattern '^[a-zA-Z0-9_-]+$'.", param=f"{where}.name", code="invalid_value")
    parameters = spec.get("parameters")
    strict = spec.get("strict") is True
    if parameters is None:  # the API's "no parameters": an empty object
        return Function(name, EMPTY_PARAMETERS, strict, f"{where}.parameters")
    if not isinstance(parameters, dict):
        raise invalid_type(f"{where}.parameters", "an object", parameters)
    schemas.check(parameters, strict=strict, subject=f"function '{name}'", param=f"{where}.parameters",
                  code="invalid_function_parameters")
    return Function(name, parameters, strict, f"{where}.parameters")


def unique(functions: list[Function], param: str) -> list[Function]:
    """Raise a 400 when two tools share a name."""
    seen: set[str] = set()
    for f in functions:
        if f.name in seen:
            raise BadRequest(f"Invalid '{param}': duplicate function name '{f.name}'.", param=param,
                             code="invalid_value")
        seen.add(f.name)
    return functions


@dataclass(frozen=True)
class Tooling:
    """What a request offers: its functions, how the model may use them, and in parallel or not."""

    functions: list[Function]
    how: str  # "none", "auto", "required" or "named"
    named: str | None = None
    parallel: bool = True


MODES = ("none", "auto", "required")


def mode(value: object, param: str = "tool_choice") -> str:
    """Return a `tool_choice` string (or an allowed_tools mode), raising the API's 400 for others."""
    if value not in MODES:
        raise BadRequest(f"Invalid value: '{value}'. Supported values are: 'none', 'auto', and 'required'.",
                         param=param, code="invalid_value")
    return value


def tooling(tools: list[Function], has_tools: bool, choice: str | None, named: str | None,
            allowed: list[str] | None, parallel: object) -> Tooling:
    """Return the checked tool set of a request.

    `choice` is a checked mode (`mode()`), "named" (with `named`), "hosted" (a hosted tool is forced:
    no function call) or None (`auto`); `allowed` restricts the functions to those names.
    """
    if parallel is not None and not isinstance(parallel, bool):
        raise invalid_type("parallel_tool_calls", "a boolean", parallel)
    choice = choice or "auto"
    if choice in ("required", "named") and not has_tools:
        raise BadRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
                         "specified.", param="tool_choice", code=None)
    names = {f.name for f in tools}
    for name in [named] if choice == "named" else allowed or []:
        if name not in names:
            raise BadRequest(f"Invalid value for 'tool_choice': function '{name}' is not one of the 'tools' "
                             "provided.", param="tool_choice", code="invalid_value")
    if allowed is not None:
        tools = [f for f in tools if f.name in allowed]
    return Tooling(tools, "none" if choice == "hosted" else choice, named, parallel is not False)


def choose(offer: Tooling, user_text: str, answered: bool) -> list[Function]:
    """Return the functions the model calls this turn (see the module's rule)."""
    functions, how, named, parallel = offer.functions, offer.how, offer.named, offer.parallel
    if how == "none" or not functions:
        return []
    if how == "named":
        return [f for f in functions if f.name == named]
    mentioned = [f for f in functions if _mentions(user_text, f.name)]
    if how == "auto" and answered:
        return []
    picked = mentioned or (functions[:1] if how == "required" else [])
    return picked if parallel else picked[:1]


def _mentions(text: str, name: str) -> bool:
    spaced = re.sub(r"[_-]+", " ", name).strip()
    words = {re.escape(name), r"\s+".join(map(re.escape, spaced.split()))}
    return any(re.search(rf"(?<![\w-]){w}(?![\w-])", text, re.IGNORECASE) for w in words if w)


def calls(picked: list[Function], request_key: bytes, words: list[str]) -> list[Call]:
    """Return the calls of `picked`, each with arguments filled from its schema, deterministic per request."""
    out = []
    for index, f in enumerate(picked):
        seed = hashlib.sha256(request_key + f"\0{index}\0{f.name}".encode()).digest()
        arguments = Filler(seed, words or f.name.replace("-", "_").split("_")).instance(f.parameters, f.param)
        out.append(Call(f"call_{seed.hex()[:24]}", f.name,
                        json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)))
    return out


def request_key(*parts: object) -> bytes:
    """Return a digest of the parts of a request that decide its answer."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()


def results_text(results: list[tuple[str, str]]) -> str:
    """Return the model's answer to a turn after tool results: what each tool returned."""
    lines = [f"- {name}: {' '.join(output.split())[:200]}" for name, output in results]
    return "Here is what the tools returned.\n" + "\n".join(lines)
