"""Structured outputs: chat's `response_format` and Responses' `text.format`, checked and answered.

`json_schema` (strict or not) is answered with an instance of the schema (`instances.Filler`, seeded
by the request, strings from the input's keywords); `json_object` with the mock's summary as JSON
(`{"summary", "topics"}`), and only when the input says "json" somewhere, as the real API demands.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from . import schema as schemas
from .errors import BadRequest, invalid_type, missing
from .instances import Filler

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Format:
    """The output format a request asks for: "text", "json_object" or "json_schema" (with its schema)."""

    kind: str
    name: str | None = None
    schema: dict | None = None


TEXT = Format("text")


def chat_format(body: dict, all_text: str) -> Format:
    """Check chat's `response_format`; return the format it asks for."""
    spec = body.get("response_format")
    if spec is None:
        return TEXT
    if not isinstance(spec, dict):
        raise invalid_type("response_format", "an object", spec)
    kind = _kind(spec, "response_format")
    if kind == "json_object":
        _require_json_word(all_text, "'messages' must contain the word 'json' in some form, to use "
                                     "'response_format' of type 'json_object'.", "messages")
        return Format(kind)
    if kind == "json_schema":
        inner = spec.get("json_schema")
        if inner is None:
            raise missing("response_format.json_schema")
        if not isinstance(inner, dict):
            raise invalid_type("response_format.json_schema", "an object", inner)
        return _schema_format(inner, "response_format.json_schema", "response_format", None)
    return TEXT


def responses_format(body: dict, all_text: str) -> Format:
    """Check Responses' `text.format`; return the format it asks for."""
    config = body.get("text")
    if config is None:
        return TEXT
    if not isinstance(config, dict):
        raise invalid_type("text", "an object", config)
    spec = config.get("format")
    if spec is None:
        return TEXT
    if not isinstance(spec, dict):
        raise invalid_type("text.format", "an object", spec)
    kind = _kind(spec, "text.format")
    if kind == "json_object":
        _require_json_word(all_text, "Response input messages must contain the word 'json' in some form to "
                                     "use 'text.format' of type 'json_object'.", "input")
        return Format(kind)
    if kind == "json_schema":
        return _schema_format(spec, "text.format", "text.format.schema", "invalid_json_schema")
    return TEXT


def _kind(spec: dict, where: str) -> str:
    kind = spec.get("type")
    if kind is None:
        raise missing(f"{where}.type")
    if kind not in ("text", "json_object", "json_schema"):
        raise BadRequest(f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object', and "
                         "'json_schema'.", param=f"{where}.type", code="invalid_value")
    return kind


def _require_json_word(all_text: str, message: str, param: str) -> None:
    if "json" not in all_text.lower():
        raise BadRequest(message, param=param, code=None)


def _schema_format(spec: dict, where: str, param: str, code: str | None) -> Format:
    name = spec.get("name")
    if name is None:
        raise missing(f"{where}.name")
    if not isinstance(name, str) or not NAME.match(name):
        raise BadRequest(f"Invalid '{where}.name': string does not match pattern. Expected a string that "
                         "matches the pattern '^[a-zA-Z0-9_-]+$'.", param=f"{where}.name", code="invalid_value")
    strict = spec.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise invalid_type(f"{where}.strict", "a boolean", strict)
    schema = spec.get("schema", {})
    schemas.check(schema, strict=strict is True, subject=f"response_format '{name}'", param=param, code=code)
    return Format("json_schema", name, schema)


def content(fmt: Format, seed: bytes, words: list[str], summary: str, param: str = "response_format") -> str:
    """Return the reply text in format `fmt`: the summary, or JSON built from the input's keywords `words`."""
    if fmt.kind == "json_object":
        return json.dumps({"summary": summary, "topics": words[:5]})
    if fmt.kind == "json_schema":
        instance = Filler(seed, words).instance(fmt.schema or {}, param)
        return json.dumps(instance, separators=(",", ":"), ensure_ascii=False)
    return summary
