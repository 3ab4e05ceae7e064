"""The mock OpenAI answers client mistakes as the real API does: a 4xx with
`{"error": {"message", "type", "param", "code"}}`, never a 500, and its fault plan unchanged."""
import json

import pytest
import requests

from mocks import control

from tests.unit.mocks.conftest import API_KEY

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
AUTH = {"Authorization": f"Bearer {API_KEY}"}
CHAT, EMBED, RESPONSES = "/v1/chat/completions", "/v1/embeddings", "/v1/responses"


def chat(*messages, **fields) -> str:
    return json.dumps({"model": "gpt-4o-mini", "messages": list(messages), **fields})


def user(content) -> dict:
    return {"role": "user", "content": content}


def fn(name="f", **fields) -> dict:
    return {"type": "function", "function": {"name": name, **fields}}


def with_call(*after) -> list:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    return [user("hi"), {"role": "assistant", "content": None, "tool_calls": [call]}, *after]


def schema_format(schema, strict=True) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "out", "schema": schema, "strict": strict}}


def responses(**fields) -> str:
    return json.dumps({"model": "gpt-4o-mini", "input": "hi", **fields})


OPEN = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
DEEP_SCHEMA = {"type": "object"}
for _ in range(200):
    DEEP_SCHEMA = {"type": "object", "properties": {"a": DEEP_SCHEMA}}


CASES = [  # (path, body, extra headers, status, param, words in the message)
    (CHAT, DEEP_ARRAY, {}, 400, None, "parse the JSON"),
    (CHAT, DEEP_OBJECT, {}, 400, None, "parse the JSON"),
    (EMBED, DEEP_OBJECT, {}, 400, None, "parse the JSON"),
    (RESPONSES, DEEP_ARRAY, {}, 400, None, "parse the JSON"),
    (CHAT, "{not json", {}, 400, None, "parse the JSON"),
    (CHAT, "[1, 2]", {}, 400, None, "parse the JSON"),
    (CHAT, b"\xff\xfe{}", {}, 400, None, "parse the JSON"),
    (CHAT, chat(user(42)), {}, 400, "messages[0].content", "but got an integer instead"),
    (CHAT, chat(user(4.5)), {}, 400, "messages[0].content", "but got a number instead"),
    (CHAT, chat(user(True)), {}, 400, "messages[0].content", "but got a boolean instead"),
    (CHAT, chat(user({"text": "hi"})), {}, 400, "messages[0].content", "but got an object"),
    (CHAT, chat(user([1, 2])), {}, 400, "messages[0].content[0]", "expected an object"),
    (CHAT, chat(user("ok"), {"role": "system", "content": ["x"]}), {}, 400,
     "messages[1].content[0]", "expected an object"),
    (CHAT, chat({"role": "user"}), {}, 400, "messages[0].content", "Missing required parameter"),
    (CHAT, chat(user(None)), {}, 400, "messages[0].content", "Missing required parameter"),
    (CHAT, chat(user("hi"), {"role": "wizard", "content": "x"}), {}, 400, "messages[1].role",
     "Invalid value"),
    (CHAT, chat("just a string"), {}, 400, "messages[0]", "expected an object"),
    (CHAT, json.dumps({"model": "gpt-4o-mini", "messages": "hi"}), {}, 400, "messages",
     "expected an array"),
    (CHAT, chat(), {}, 400, "messages", "empty array"),
    (CHAT, json.dumps({"messages": [user("hi")]}), {}, 400, "model", "Missing required parameter"),
    (CHAT, json.dumps({"model": 7, "messages": [user("hi")]}), {}, 400, "model", "expected a string"),
    (CHAT, chat(user("hi"), max_tokens="10"), {}, 400, "max_tokens", "expected an integer"),
    (CHAT, chat(user("hi"), n=0), {}, 400, "n", "below minimum"),
    (CHAT, chat(user("hi")), {"Authorization": ""}, 401, None, "didn't provide an API key"),
    (CHAT, chat(user("hi")), {"Authorization": "Bearer sk-wrong-key-123456"}, 401, None,
     "Incorrect API key"),
    (EMBED, json.dumps({"model": "text-embedding-3-small", "input": 42}), {}, 400, "input",
     "expected a string or an array"),
    (EMBED, json.dumps({"model": "text-embedding-3-small", "input": []}), {}, 400, "input",
     "inputs"),
    (EMBED, json.dumps({"model": "text-embedding-3-small", "input": "x", "dimensions": 0}), {}, 400,
     "dimensions", "dimensions"),
    (RESPONSES, json.dumps({"model": "gpt-4o-mini", "input": 42}), {}, 400, "input",
     "expected a string or an array"),
    ("/v1/audio/transcriptions", json.dumps({"model": "whisper-1"}), {}, 400, "Content-Type",
     "multipart/form-data"),
    # tools, tool_choice and tool turns (chat)
    (CHAT, chat(user("hi"), tools={"type": "function"}), {}, 400, "tools", "expected an array"),
    (CHAT, chat(user("hi"), tools=[{"type": "function"}]), {}, 400, "tools[0].function", "Missing required"),
    (CHAT, chat(user("hi"), tools=[{"type": "function", "function": {}}]), {}, 400, "tools[0].function.name",
     "Missing required"),
    (CHAT, chat(user("hi"), tools=[fn("get weather")]), {}, 400, "tools[0].function.name", "does not match"),
    (CHAT, chat(user("hi"), tools=[{"type": "retrieval"}]), {}, 400, "tools[0].type", "Invalid value"),
    (CHAT, chat(user("hi"), tools=[fn(parameters=[1])]), {}, 400, "tools[0].function.parameters",
     "expected an object"),
    (CHAT, chat(user("hi"), tools=[fn(parameters={"type": "strnig"})]), {}, 400, "tools[0].function.parameters",
     "Invalid schema for function 'f'"),
    (CHAT, chat(user("hi"), tools=[fn(parameters=OPEN, strict=True)]), {}, 400, "tools[0].function.parameters",
     "'additionalProperties' is required"),
    (CHAT, chat(user("hi"), tools=[fn(parameters=DEEP_SCHEMA)]), {}, 400, "tools[0].function.parameters",
     "nested deeper"),
    (CHAT, chat(user("f"), tools=[fn(parameters={"type": "object", "properties": {"a": {"$ref": "#"}}, "required": ["a"]})]), {},
     400, "tools[0].function.parameters", "never reaches a value"),
    (CHAT, chat(user("f"), tools=[fn(parameters={"type": "object", "properties": {
        "a": {"type": "string", "pattern": "a{99999}"}}})]), {}, 400, "tools[0].function.parameters",
     "over the mock's"),
    (CHAT, chat(user("hi"), tools=[fn(), fn()]), {}, 400, "tools", "duplicate function name"),
    (CHAT, chat(user("hi"), tool_choice="required"), {}, 400, "tool_choice", "only allowed when 'tools'"),
    (CHAT, chat(user("hi"), tools=[fn()], tool_choice="sometimes"), {}, 400, "tool_choice", "Invalid value"),
    (CHAT, chat(user("hi"), tools=[fn()], tool_choice={"type": "function", "function": {"name": "g"}}), {}, 400,
     "tool_choice", "'g' is not one of the 'tools'"),
    (CHAT, chat(user("hi"), tools=[fn()], tool_choice={"type": "function"}), {}, 400, "tool_choice.function.name",
     "Missing required"),
    (CHAT, chat(user("hi"), tools=[fn()], parallel_tool_calls="yes"), {}, 400, "parallel_tool_calls",
     "expected a boolean"),
    (CHAT, chat(user("hi"), {"role": "tool", "tool_call_id": "call_9", "content": "1"}), {}, 400,
     "messages.[1].role", "must be a response to a preceeding message with 'tool_calls'"),
    (CHAT, chat(*with_call()), {}, 400, "messages.[1].role", "did not have response messages: call_1"),
    (CHAT, chat(*with_call(user("again"))), {}, 400, "messages.[1].role", "did not have response messages"),
    (CHAT, chat(*with_call({"role": "tool", "content": "1"})), {}, 400, "messages[2].tool_call_id",
     "Missing required"),
    (CHAT, chat(user("hi"), {"role": "assistant", "content": None, "tool_calls": {"id": "x"}}), {}, 400,
     "messages[1].tool_calls", "expected an array"),
    (CHAT, chat(user("hi"), {"role": "assistant", "content": None, "tool_calls": [{"id": "x", "function": "f"}]}),
     {}, 400, "messages[1].tool_calls[0].function", "expected an object"),
    # structured outputs (chat)
    (CHAT, chat(user("json"), response_format="json"), {}, 400, "response_format", "expected an object"),
    (CHAT, chat(user("json"), response_format={"type": "yaml"}), {}, 400, "response_format.type", "Invalid value"),
    (CHAT, chat(user("hi"), response_format={"type": "json_object"}), {}, 400, "messages",
     "must contain the word 'json'"),
    (CHAT, chat(user("hi"), response_format={"type": "json_schema"}), {}, 400, "response_format.json_schema",
     "Missing required"),
    (CHAT, chat(user("hi"), response_format={"type": "json_schema", "json_schema": {"schema": OPEN}}), {}, 400,
     "response_format.json_schema.name", "Missing required"),
    (CHAT, chat(user("hi"), response_format=schema_format(OPEN)), {}, 400, "response_format",
     "Invalid schema for response_format 'out': In context=()"),
    (CHAT, chat(user("hi"), response_format=schema_format([1], strict=False)), {}, 400, "response_format",
     "Invalid schema for response_format 'out'"),
    (CHAT, chat(user("hi"), response_format=schema_format({"type": "integer", "minimum": 5, "maximum": 1},
                                                          strict=False)), {}, 400, "response_format",
     "cannot produce an instance"),
    (CHAT, chat(user("hi"), response_format=schema_format({"type": "object", "properties": {"a": {
        "type": "number", "minimum": 1}}}, strict=False)).replace('"minimum": 1', '"minimum": 1e400'), {}, 400,
     "response_format", "not finite"),
    (CHAT, chat(user("hi"), response_format=schema_format({"type": "object", "properties": {"a": {
        "type": "integer", "maximum": 1}}}, strict=False)).replace('"maximum": 1', '"maximum": -1e400'), {}, 400,
     "response_format", "not finite"),
    (CHAT, chat(user("hi"), response_format=schema_format({"anyOf": [{"$ref": "#/$defs/nope"}, {"type": "string"}]},
                                                          strict=False)), {}, 400, "response_format",
     "In context=('anyOf', 0), reference '#/$defs/nope' cannot be resolved"),
    (CHAT, chat(user("hi"), response_format=schema_format({"$ref": "https://example.com/s.json"}, strict=False)),
     {}, 400, "response_format", "only references within the schema"),
    (CHAT, chat(user("hi"), response_format={**schema_format(OPEN), "json_schema": {
        "name": "out", "schema": OPEN, "strict": "yes"}}), {}, 400, "response_format.json_schema.strict",
     "expected a boolean"),
    # Responses: tools, tool_choice, text.format, call items
    (RESPONSES, responses(tools=[{"name": "f"}]), {}, 400, "tools[0].type", "Missing required"),
    (RESPONSES, responses(tools=[{"type": "function"}]), {}, 400, "tools[0].name", "Missing required"),
    (RESPONSES, responses(tools=[{"type": "function", "name": "f", "strict": True, "parameters": OPEN}]), {}, 400,
     "tools[0].parameters", "Invalid schema for function 'f'"),
    (RESPONSES, responses(tools=[{"type": "function", "name": "f"}], tool_choice={"type": "function", "name": "g"}),
     {}, 400, "tool_choice", "'g' is not one of the 'tools'"),
    (RESPONSES, responses(tools=[{"type": "function", "name": "f"}], tool_choice={
        "type": "allowed_tools", "mode": "sometimes", "tools": []}), {}, 400, "tool_choice.mode", "Invalid value"),
    (RESPONSES, responses(tools=[{"type": "function", "name": "f"}], tool_choice="always"), {}, 400, "tool_choice",
     "Invalid value"),
    (RESPONSES, responses(text={"format": {"type": "xml"}}), {}, 400, "text.format.type", "Invalid value"),
    (RESPONSES, responses(text={"format": {"type": "json_schema", "schema": OPEN}}), {}, 400, "text.format.name",
     "Missing required"),
    (RESPONSES, responses(text={"format": {"type": "json_schema", "name": "o", "schema": OPEN, "strict": True}}),
     {}, 400, "text.format.schema", "Invalid schema for response_format 'o'"),
    (RESPONSES, responses(text={"format": {"type": "json_object"}}), {}, 400, "input", "must contain the word"),
    (RESPONSES, responses(input=[user("hi"), {"type": "function_call_output", "call_id": "call_9", "output": "1"}]),
     {}, 400, "input", "No tool call found for function call output with call_id call_9."),
    (RESPONSES, responses(input=[{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
                                 {"type": "function_call_output", "call_id": "c"}]), {}, 400, "input[1].output",
     "Missing required"),
    (RESPONSES, responses(input=[{"type": "function_call", "name": "f", "arguments": "{}"}]), {}, 400,
     "input[0].call_id", "Missing required"),
    (RESPONSES, responses(previous_response_id="resp_unknown"), {}, 404, "previous_response_id", "not found"),
]


def send(url: str, path: str, body, headers: dict) -> requests.Response:
    return requests.post(url + path, data=body, timeout=30,
                         headers={**AUTH, "Content-Type": "application/json", **headers})


@pytest.mark.parametrize("path,body,headers,status,param,words", CASES,
                         ids=[f"{c[0]} {c[3]} {c[4]} {i}" for i, c in enumerate(CASES)])
def test_mock_bad_input(openai_url, path, body, headers, status, param, words):
    faults_before = control.openai_faults(openai_url)
    response = send(openai_url, path, body, headers)
    assert response.status_code == status, response.text[:300]
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert words in error["message"] and "\n" not in error["message"]
    assert control.openai_faults(openai_url) == faults_before
    journal = control.openai_journal(openai_url)
    assert [entry["status"] for entry in journal] == [status]  # recorded once, as answered


def test_a_deeply_nested_fault_plan_is_refused_and_the_plan_kept(openai_url):
    before = control.openai_faults(openai_url)
    nested = '{"a":' * 10_000 + "1" + "}" * 10_000  # under the control plane's 64 KiB cap
    response = requests.put(openai_url + "/_mock/faults", data=nested, timeout=30)
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"
    assert control.openai_faults(openai_url) == before
