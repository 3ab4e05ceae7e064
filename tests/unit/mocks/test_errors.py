"""Auth and bad input: the real API's statuses and error shape, never a trace, never a crash."""

import json

import openai
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

AUTH = {"Authorization": "Bearer sk-staging-local"}
ERROR_KEYS = {"message", "type", "param", "code"}


def chat(client, **body):
    return client.chat.completions.create(**{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
                                             **body})


def test_a_missing_key_is_a_401(openai_url):
    response = requests.post(f"{openai_url}/v1/chat/completions", json={})
    assert response.status_code == 401
    assert set(response.json()["error"]) == ERROR_KEYS


def test_a_wrong_key_is_an_authentication_error(openai_url):
    with openai.OpenAI(base_url=f"{openai_url}/v1", api_key="sk-wrong-key-1234") as wrong:
        with pytest.raises(openai.AuthenticationError) as caught:
            chat(wrong)
    assert caught.value.code == "invalid_api_key"
    assert "sk-wrong-key-1234" not in caught.value.message and caught.value.message.endswith("api-keys.")


def test_any_configured_key_is_accepted(start_mock):
    url = start_mock(api_keys=frozenset({"k-one", "k-two"}))
    with openai.OpenAI(base_url=f"{url}/v1", api_key="k-two") as sdk:
        assert chat(sdk).choices


def test_an_unknown_model_is_a_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        chat(client, model="gpt-9-imaginary")
    assert caught.value.code == "model_not_found" and caught.value.type == "invalid_request_error"


@pytest.mark.parametrize("body,param", [
    ({"model": "gpt-4o-mini"}, "messages"),
    ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
    ({"model": "gpt-4o-mini", "messages": "hi"}, "messages"),
    ({"model": "gpt-4o-mini", "messages": []}, "messages"),
    ({"model": "gpt-4o-mini", "messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
    ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": "x"}, "max_tokens"),
])
def test_bad_chat_bodies_are_400s_naming_the_param(openai_url, body, param):
    response = requests.post(f"{openai_url}/v1/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe", b""])
def test_a_body_that_is_not_a_json_object_is_a_400(openai_url, raw):
    response = requests.post(f"{openai_url}/v1/chat/completions", data=raw, headers=AUTH)
    assert response.status_code == 400
    assert "could not parse the JSON body" in response.json()["error"]["message"]


@pytest.mark.parametrize("method,path", [("GET", "/v1/nothing"), ("DELETE", "/v1/chat/completions"),
                                         ("POST", "/v2/chat")])
def test_unknown_routes_are_404_invalid_url(openai_url, method, path):
    response = requests.request(method, f"{openai_url}{path}", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"Invalid URL ({method} {path})"


def test_a_json_body_over_the_cap_is_a_413(start_mock):
    url = start_mock(max_json_bytes=1024)
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "word " * 1000}]}
    response = requests.post(f"{url}/v1/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"


def test_a_transcription_without_multipart_is_a_400(openai_url):
    response = requests.post(f"{openai_url}/v1/audio/transcriptions", json={"model": "whisper-1"}, headers=AUTH)
    assert response.status_code == 400 and set(response.json()["error"]) == ERROR_KEYS


def test_a_broken_multipart_body_is_a_400(openai_url):
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=xyz"}
    response = requests.post(f"{openai_url}/v1/audio/transcriptions", data=b"--xyz\r\ngarbage", headers=headers)
    assert response.status_code == 400


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=12)
fields = st.fixed_dictionaries({}, optional={
    "model": st.sampled_from(["gpt-4o-mini", "text-embedding-3-small", "nope"]) | json_values,
    "messages": st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "system"]),
                                                "content": json_values}), max_size=3) | json_values,
    "input": json_values, "stream": st.booleans(), "max_tokens": json_values, "dimensions": json_values,
    "encoding_format": json_values, "response_format": json_values, "stream_options": json_values,
    "max_output_tokens": json_values, "instructions": json_values, "n": st.integers(-2, 3),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/v1/chat/completions", "/v1/embeddings", "/v1/responses"]), body=fields)
def test_arbitrary_json_never_breaks_the_mock(openai_url, path, body):
    response = requests.post(f"{openai_url}{path}", data=json.dumps(body), headers=AUTH, timeout=10)
    assert response.status_code in (200, 400, 404)
    if response.status_code != 200:
        assert set(response.json()["error"]) == ERROR_KEYS


form_fields = st.dictionaries(
    st.sampled_from(["model", "response_format", "language", "prompt", "temperature", "stream",
                     "timestamp_granularities[]", "file"]),
    st.sampled_from(["whisper-1", "gpt-4o-transcribe", "json", "srt", "verbose_json", "true", ""]) | st.text(max_size=20),
    max_size=6,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=form_fields, name=st.text(max_size=20) | st.sampled_from(["a.wav", "b.mp3", "c.webm"]),
       data=st.binary(max_size=2048), with_file=st.booleans())
def test_arbitrary_uploads_never_break_the_mock(openai_url, fields, name, data, with_file):
    files = {"file": (name or "x", data)} if with_file else {"dummy": ("d.bin", b"")}
    response = requests.post(f"{openai_url}/v1/audio/transcriptions", data=fields, files=files, headers=AUTH,
                             timeout=10)
    assert response.status_code in (200, 400, 404)
    if response.status_code != 200:
        assert set(response.json()["error"]) == ERROR_KEYS
