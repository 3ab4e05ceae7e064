"""Structured outputs through the official SDK: json_schema (strict or not), json_object, parse helpers."""

import json
from enum import Enum
from typing import Literal, Optional

import jsonschema
import openai
import pytest
from pydantic import BaseModel, Field

TEXT = "Alice: the launch moves to March. Bob: the budget review is on Monday; Bob owns the checklist."


class Priority(str, Enum):
    low = "low"
    high = "high"


class Action(BaseModel):
    owner: str
    task: str
    priority: Priority
    due: Optional[str] = Field(description="ISO date", json_schema_extra={"format": "date"})


class Minutes(BaseModel):
    title: str
    decisions: list[str]
    actions: list[Action]
    sentiment: Literal["positive", "neutral", "negative"]
    confidence: float = Field(ge=0, le=1)
    attendees: int = Field(ge=1, le=20)


class Tree(BaseModel):
    label: str
    children: list["Tree"]


def chat(client, **extra):
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}], **extra)


def schema_format(schema, strict=True, name="minutes"):
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": strict}}


@pytest.mark.parametrize("model", [Minutes, Tree])
def test_chat_parse_returns_an_instance_of_the_pydantic_model(client, model):
    completion = client.chat.completions.parse(model="gpt-4o-mini", response_format=model,
                                               messages=[{"role": "user", "content": TEXT}])
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, model)
    assert completion.choices[0].message.content == parsed.model_dump_json(exclude_unset=False) or \
        model.model_validate_json(completion.choices[0].message.content) == parsed


def test_strings_come_from_the_input_and_the_answer_is_deterministic(client):
    first = client.chat.completions.parse(model="gpt-4o-mini", response_format=Minutes,
                                          messages=[{"role": "user", "content": TEXT}])
    again = client.chat.completions.parse(model="gpt-4o-mini", response_format=Minutes,
                                          messages=[{"role": "user", "content": TEXT}])
    assert first.choices[0].message.content == again.choices[0].message.content
    words = set(first.choices[0].message.parsed.title.split())
    assert words <= {"alice", "launch", "moves", "march", "bob", "budget", "review", "monday", "owns", "checklist"}


NESTED = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "when": {"type": "string", "format": "date-time"},
        "code": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"},
        "score": {"type": "number", "minimum": 10, "exclusiveMaximum": 11},
        "step": {"type": "integer", "multipleOf": 5, "minimum": 7, "maximum": 30},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "items": {"type": "array", "minItems": 2, "maxItems": 4, "items": {"$ref": "#/$defs/item"}},
    },
    "required": ["id", "when", "code", "score", "step", "note", "items"],
    "additionalProperties": False,
    "$defs": {"item": {"type": "object", "properties": {"kind": {"enum": ["a", "b"]}, "n": {"type": "integer"}},
                       "required": ["kind", "n"], "additionalProperties": False}},
}


@pytest.mark.parametrize("strict", [True, False])
def test_a_json_schema_is_answered_with_a_valid_instance(client, strict):
    reply = chat(client, response_format=schema_format(NESTED, strict))
    instance = json.loads(reply.choices[0].message.content)
    jsonschema.validate(instance, NESTED, format_checker=jsonschema.FormatChecker())
    assert 2 <= len(instance["items"]) <= 4 and instance["step"] % 5 == 0


def test_a_loose_schema_without_strict_is_filled_too(client):
    loose = {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}},
                                              "extra": {"type": "object"}}, "required": ["tags"]}
    reply = chat(client, response_format=schema_format(loose, strict=False))
    jsonschema.validate(json.loads(reply.choices[0].message.content), loose)


def test_streamed_structured_output_parses_as_the_model(client):
    with client.chat.completions.stream(model="gpt-4o-mini", response_format=Minutes,
                                        messages=[{"role": "user", "content": TEXT}]) as stream:
        final = stream.get_final_completion()
    assert isinstance(final.choices[0].message.parsed, Minutes)


def test_json_object_answers_a_json_object_when_the_input_says_json(client):
    reply = client.chat.completions.create(model="gpt-4o-mini", response_format={"type": "json_object"},
                                           messages=[{"role": "user", "content": f"As JSON: {TEXT}"}])
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_json_object_without_the_word_json_is_the_real_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        chat(client, response_format={"type": "json_object"})
    assert caught.value.body["param"] == "messages" and "'json'" in caught.value.body["message"]


@pytest.mark.parametrize("schema,words", [
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
     "In context=(), 'additionalProperties' is required to be supplied and to be false."),
    ({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["a"],
      "additionalProperties": False}, "Missing 'b'"),
    ({"type": "object", "properties": {"a": {"type": "object", "properties": {}}}, "required": ["a"],
      "additionalProperties": False}, "In context=('properties', 'a'), 'additionalProperties'"),
    ({"type": "array", "items": {"type": "string"}}, "type: \"object\""),
    ({"type": "object", "properties": {"a": {"allOf": [{"type": "string"}]}}, "required": ["a"],
      "additionalProperties": False}, "'allOf' is not permitted"),
    ({"type": "object", "properties": {"a": {"type": "strnig"}}}, "In context=('properties', 'a', 'type')"),
])
def test_a_schema_outside_strict_mode_is_the_real_400(client, schema, words):
    with pytest.raises(openai.BadRequestError) as caught:
        chat(client, response_format=schema_format(schema, strict=True))
    error = caught.value.body
    assert error["param"] == "response_format" and error["type"] == "invalid_request_error"
    assert error["message"].startswith("Invalid schema for response_format 'minutes': ") and words in error["message"]


def test_responses_parse_with_text_format_returns_the_model_and_echoes_the_format(client):
    response = client.responses.parse(model="gpt-4o-mini", input=TEXT, text_format=Minutes)
    assert isinstance(response.output_parsed, Minutes)
    assert response.text.format.type == "json_schema" and response.text.format.name == "Minutes"
    assert response.text.format.strict is True


def test_responses_text_format_json_schema_and_stream(client):
    fmt = {"type": "json_schema", "name": "nested", "schema": NESTED, "strict": True}
    plain = client.responses.create(model="gpt-4o-mini", input=TEXT, text={"format": fmt})
    jsonschema.validate(json.loads(plain.output_text), NESTED)
    with client.responses.stream(model="gpt-4o-mini", input=TEXT, text_format=Minutes) as stream:
        final = stream.get_final_response()
    assert isinstance(final.output_parsed, Minutes)


def test_responses_invalid_schema_is_the_real_400(client):
    fmt = {"type": "json_schema", "name": "bad", "schema": {"type": "object", "properties": {}}, "strict": True}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input=TEXT, text={"format": fmt})
    assert caught.value.body["param"] == "text.format.schema"
    assert caught.value.body["code"] == "invalid_json_schema"


def test_a_strict_tool_with_a_loose_schema_is_the_real_400(client):
    tool = {"type": "function", "function": {"name": "f", "strict": True,
                                             "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}}}
    with pytest.raises(openai.BadRequestError) as caught:
        chat(client, tools=[tool])
    error = caught.value.body
    assert error["param"] == "tools[0].function.parameters" and error["code"] == "invalid_function_parameters"
    assert error["message"].startswith("Invalid schema for function 'f': In context=(), ")
