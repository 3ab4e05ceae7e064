"""Arbitrary schemas, strict or not, as a response format and as tool parameters: the mock answers JSON
valid for them or a 400 in the API's shape, never an unexpected exception (a 500). Derandomized: the
same examples on every run (found so far: a `$ref` to nowhere on a branch the filler did not take)."""

import json

import jsonschema
from hypothesis import HealthCheck, given, settings, strategies as st

from mocks.openai_mock import chat
from mocks.openai_mock.errors import APIError

NAMES = st.sampled_from(["a", "b", "node", "x-y"])
NUMBERS = st.one_of(st.integers(-5, 50), st.floats(-1e3, 1e3, allow_nan=False), st.just(1e308))
LEAF = st.fixed_dictionaries({}, optional={
    "type": st.one_of(st.sampled_from(["string", "number", "integer", "boolean", "null", "object", "array"]),
                      st.lists(st.sampled_from(["string", "null", "integer"]), min_size=1, max_size=2, unique=True)),
    "enum": st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), min_size=1, max_size=3),
    "minimum": NUMBERS, "maximum": NUMBERS, "exclusiveMinimum": NUMBERS, "multipleOf": st.sampled_from([1, 2, 0.5, 0.1]),
    "minLength": st.integers(0, 20), "maxLength": st.integers(0, 20), "minItems": st.integers(0, 4),
    "maxItems": st.integers(0, 4), "uniqueItems": st.booleans(),
    "pattern": st.sampled_from(["^[a-z]+$", "\\d{3}", "(?=x)y", "^(ab|cd)*$", "[^a]"]),
    "format": st.sampled_from(["date", "email", "uuid", "ipv4", "unknown"]),
    "$ref": st.sampled_from(["#", "#/$defs/node", "#/$defs/missing", "#/properties/a", "http://x/y"]),
})
SCHEMAS = st.recursive(LEAF, lambda inner: st.one_of(
    st.builds(lambda props, req, closed: {"type": "object", "properties": props, "required": req,
                                          **({"additionalProperties": False} if closed else {})},
              st.dictionaries(NAMES, inner, max_size=3), st.lists(NAMES, max_size=3, unique=True), st.booleans()),
    st.builds(lambda items, extra: {"type": "array", "items": items, **extra}, inner, LEAF),
    st.builds(lambda options: {"anyOf": options}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda root, node: {**root, "$defs": {"node": node}}, inner, inner),
), max_leaves=8)


def answer(body):
    try:
        return chat.answer(body, body["messages"])
    except APIError as error:
        assert 400 <= error.status < 500 and error.param, error.body()
        return None


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, strict=st.booleans())
def test_any_schema_gets_a_valid_instance_or_a_400(schema, strict):
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "the budget review of the launch"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": schema,
                                                                      "strict": strict}}}
    reply = answer(body)
    if reply is not None:
        jsonschema.validate(json.loads(reply.content), schema)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, strict=st.booleans())
def test_any_parameters_schema_gets_valid_arguments_or_a_400(schema, strict):
    tool = {"type": "function", "function": {"name": "f", "parameters": schema, "strict": strict}}
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "call f"}], "tools": [tool],
            "tool_choice": "required"}
    reply = answer(body)
    if reply is not None:
        jsonschema.validate(json.loads(reply.calls[0].arguments), schema)
