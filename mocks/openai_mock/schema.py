"""JSON Schemas from requests: checked as the real API checks them, validated with `jsonschema`.

A schema is checked once against JSON Schema's own meta-schema (a typo such as `"type": "strnig"` is a
400), and under `strict` against the subset OpenAI's structured outputs accept: the root an object,
every object closed (`additionalProperties: false`) with every property required, only the keywords
that subset knows, at most 10 levels of nesting. The real API's message names the context as a tuple
of the keys that lead to the offending schema: `In context=('properties', 'when'), ...`.
"""

from __future__ import annotations

import json
from functools import lru_cache

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from .errors import BadRequest

TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
# Keywords strict mode refuses (the rest are allowed, or metadata such as title/description/default).
NOT_PERMITTED = ("allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas",
                 "patternProperties", "unevaluatedProperties", "unevaluatedItems", "propertyNames",
                 "contains", "minContains", "maxContains", "minProperties", "maxProperties")
MAX_DEPTH = 10
MAX_NESTING = 100  # JSON levels of any schema: deeper would exhaust the validator's recursion


def _depth(value: object) -> int:
    """Return how deeply `value` nests (without recursing, so no depth can crash it)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_NESTING:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


class SchemaProblem(Exception):
    """A schema the API refuses; `context` is the path of keys to the offending sub-schema."""

    def __init__(self, context: tuple, reason: str) -> None:
        super().__init__(reason)
        self.context, self.reason = context, reason

    def message(self, subject: str) -> str:
        """Return the real API's wording, e.g. "Invalid schema for function 'f': In context=(), ..."."""
        return f"Invalid schema for {subject}: In context={self.context!r}, {self.reason}"


def check(schema: object, *, strict: bool, subject: str, param: str, code: str | None) -> dict:
    """Return `schema` if the API would accept it, else raise its 400 naming `subject` and `param`."""
    if not isinstance(schema, dict):
        raise BadRequest(f"Invalid schema for {subject}: schema must be a JSON Schema of 'type: \"object\"', "
                         f"got '{type(schema).__name__}'.", param=param, code=code)
    try:
        problem = _problem(json.dumps(schema, sort_keys=True), strict)
    except RecursionError:
        problem = SchemaProblem((), f"the schema is nested deeper than {MAX_NESTING} levels.")
    if problem:
        raise BadRequest(problem.message(subject), param=param, code=code)
    return schema


@lru_cache(maxsize=1024)
def _problem(canonical: str, strict: bool) -> SchemaProblem | None:
    """Return why the API refuses a schema, or None (cached: clients send the same schemas again and again)."""
    schema = json.loads(canonical)
    if _depth(schema) > MAX_NESTING:
        return SchemaProblem((), f"the schema is nested deeper than {MAX_NESTING} levels.")
    try:
        Draft202012Validator.check_schema(schema)
        _check_refs(schema)
        if strict:
            if schema.get("type") != "object":
                raise SchemaProblem((), "schema must be a JSON Schema of 'type: \"object\"', got "
                                        f"'type: \"{schema.get('type')}\"'.")
            _strict(schema, (), 0)
    except SchemaError as error:
        return SchemaProblem(tuple(str(p) for p in error.path), f"{error.message.rstrip('.')}.")
    except SchemaProblem as problem:
        return problem
    return None


def _check_refs(schema: dict) -> None:
    """Raise SchemaProblem for a `$ref` that is not local or points to nowhere."""
    stack: list[tuple[object, tuple]] = [(schema, ())]
    while stack:
        node, context = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and pointer(schema, ref) is None:
                raise SchemaProblem(context, f"reference '{ref}' cannot be resolved: only references within the "
                                             "schema ('#', '#/$defs/...') are supported.")
            stack.extend((child, context + (key,)) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, context + (i,)) for i, child in enumerate(node))


def pointer(schema: dict, ref: str) -> object:
    """Return what a local `$ref` points to, or None."""
    if not ref.startswith("#"):
        return None
    node: object = schema
    for part in filter(None, ref[1:].split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _strict(node: dict, context: tuple, depth: int) -> None:
    """Raise SchemaProblem where `node` leaves strict mode's subset."""
    if depth > MAX_DEPTH:
        raise SchemaProblem(context, f"schema exceeds the maximum nesting depth of {MAX_DEPTH}.")
    for keyword in NOT_PERMITTED:
        if keyword in node:
            raise SchemaProblem(context, f"'{keyword}' is not permitted.")
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if "object" in kinds or "properties" in node:
        _strict_object(node, context)
    for key in ("properties", "$defs", "definitions"):
        for name, child in (node.get(key) or {}).items():
            _strict_child(child, context + (key, name), depth + 1)
    if isinstance(node.get("items"), dict):
        _strict_child(node["items"], context + ("items",), depth + 1)
    for key in ("anyOf", "oneOf", "prefixItems"):
        for i, child in enumerate(node.get(key) or []):
            _strict_child(child, context + (key, i), depth + 1)
    if not kinds and not any(k in node for k in ("$ref", "anyOf", "oneOf", "enum", "const")):
        raise SchemaProblem(context, "schema must have a 'type' key.")


def _strict_child(child: object, context: tuple, depth: int) -> None:
    if isinstance(child, dict):
        _strict(child, context, depth)


def _strict_object(node: dict, context: tuple) -> None:
    """Raise SchemaProblem unless an object is closed and requires every property."""
    if node.get("additionalProperties") is not False:
        raise SchemaProblem(context, "'additionalProperties' is required to be supplied and to be false.")
    properties = list(node.get("properties") or {})
    required = node.get("required") or []
    missing = [p for p in properties if p not in required]
    if missing:
        raise SchemaProblem(context, "'required' is required to be supplied and to be an array including "
                                     f"every key in properties. Missing '{missing[0]}'.")
    extra = [r for r in required if r not in properties]
    if extra:
        raise SchemaProblem(context, f"'required' names '{extra[0]}', which is not in properties.")


@lru_cache(maxsize=512)
def validator(canonical: str) -> Draft202012Validator:
    """Return a validator for a schema given as canonical JSON (cached per schema)."""
    return Draft202012Validator(json.loads(canonical))


def errors(schema: dict, instance: object) -> list[str]:
    """Return why `instance` is not valid for `schema` (empty when it is)."""
    try:
        found = list(validator(json.dumps(schema, sort_keys=True)).iter_errors(instance))
    except RecursionError:
        return ["its references never end"]
    except Unresolvable as error:  # a $ref to nowhere on a branch the filler did not take
        return [f"a reference cannot be resolved: {error}"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in found]
