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
