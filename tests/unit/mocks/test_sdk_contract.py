"""Every shape of answer the mock gives for tools and structured outputs, validated by the official SDK's
own models in pydantic's strict mode (not `construct`, which accepts anything)."""

import pytest
import requests
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from tests.unit.mocks.conftest import API_KEY

WEATHER = {"name": "get_weather", "strict": True, "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"], "additionalProperties": False}}
SCHEMA = {"name": "minutes", "strict": True, "schema": {
    "type": "object", "properties": {"title": {"type": "string"}, "tags": {"type": "array", "items": {
        "type": "string"}}}, "required": ["title", "tags"], "additionalProperties": False}}
ASK = "Use get_weather for Paris, as JSON please."
CHAT_BODIES = {
    "text": {},
    "tool calls": {"tools": [{"type": "function", "function": WEATHER}]},
    "named tool": {"tools": [{"type": "function", "function": WEATHER}],
                   "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    "json_schema": {"response_format": {"type": "json_schema", "json_schema": SCHEMA}},
    "json_object": {"response_format": {"type": "json_object"}},
}
RESPONSES_BODIES = {
    "text": {},
    "function call": {"tools": [{"type": "function", **WEATHER}]},
    "text.format": {"text": {"format": {"type": "json_schema", **SCHEMA}}},
    "json_object": {"text": {"format": {"type": "json_object"}}},
}
EVENT = TypeAdapter(ResponseStreamEvent)


def post(url, path, body):
    response = requests.post(url + path, json=body, timeout=30, headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200, response.text[:300]
    return response.text


def sse_data(text):
    return [line[len("data: "):] for line in text.splitlines() if line.startswith("data: ")]


@pytest.mark.parametrize("extra", CHAT_BODIES.values(), ids=CHAT_BODIES)
def test_chat_answers_validate_strictly(openai_url, extra):
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": ASK}], **extra}
    completion = ChatCompletion.model_validate_json(post(openai_url, "/v1/chat/completions", body), strict=True)
    assert completion.choices[0].finish_reason in ("stop", "tool_calls")
    stream = post(openai_url, "/v1/chat/completions",
                  {**body, "stream": True, "stream_options": {"include_usage": True}})
    data = sse_data(stream)
    assert data[-1] == "[DONE]"
    for chunk in data[:-1]:
        ChatCompletionChunk.model_validate_json(chunk, strict=True)


@pytest.mark.parametrize("extra", RESPONSES_BODIES.values(), ids=RESPONSES_BODIES)
def test_responses_answers_and_events_validate_strictly(openai_url, extra):
    body = {"model": "gpt-4o-mini", "input": ASK, **extra}
    response = Response.model_validate_json(post(openai_url, "/v1/responses", body), strict=True)
    assert response.status == "completed"
    events = [EVENT.validate_json(data, strict=True) for data in sse_data(post(openai_url, "/v1/responses",
                                                                             {**body, "stream": True}))]
    assert events[-1].type == "response.completed"
    assert [item.type for item in events[-1].response.output] == [item.type for item in response.output]
