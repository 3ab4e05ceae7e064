"""Faults on purpose: scripted sequences, per-request headers, profiles; the SDK reacts as to the real API."""

import json
import time

import openai
import pytest

from mocks import control
from mocks.openai_mock import Settings, create_app
from mocks.openai_mock.settings import SettingsError

MESSAGES = [{"role": "user", "content": "The budget review is on Monday."}]


def chat(client, **extra):
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **extra)


def test_two_429s_then_success_through_the_sdk_retries(client, openai_url):
    control.set_openai_faults(openai_url, sequence=["429:0.01", "429:0.01"])
    assert chat(client).choices[0].message.content.startswith("Summary")
    journal = control.openai_journal(openai_url)
    assert [e["status"] for e in journal] == [429, 429, 200]
    assert [e["headers"].get("x-stainless-retry-count") for e in journal] == ["0", "1", "2"]
    assert control.openai_faults(openai_url)["sequence"] == []


def test_a_429_carries_retry_and_request_headers(client, openai_url):
    control.set_openai_faults(openai_url, sequence=["429:2"])
    with pytest.raises(openai.RateLimitError) as caught:
        chat(client.with_options(max_retries=0))
    headers = caught.value.response.headers
    assert headers["retry-after"] == "2" and headers["retry-after-ms"] == "2000"
    assert caught.value.code == "rate_limit_exceeded" and caught.value.request_id.startswith("req_")
    assert headers["x-ratelimit-remaining-requests"] == "0"


def test_retries_run_out_on_a_persistent_rate_limit(client, openai_url):
    control.set_openai_faults(openai_url, cycle=["429:0.01"])
    with pytest.raises(openai.RateLimitError):
        chat(client)
    assert len(control.openai_journal(openai_url)) == 3  # first try + the SDK's 2 retries


@pytest.mark.parametrize("status,error", [(500, openai.InternalServerError), (503, openai.InternalServerError),
                                          (409, openai.ConflictError), (422, openai.UnprocessableEntityError)])
def test_a_header_fault_maps_to_the_sdk_exception(client, status, error):
    with pytest.raises(error) as caught:
        chat(client.with_options(max_retries=0), extra_headers={"X-Mock-Fault": str(status)})
    assert caught.value.status_code == status


def test_a_bad_fault_header_is_a_400_naming_the_header(client):
    with pytest.raises(openai.BadRequestError) as caught:
        chat(client, extra_headers={"X-Mock-Fault": "explode"})
    assert caught.value.param == "X-Mock-Fault"


def test_slow_adds_latency(client):
    started = time.perf_counter()
    chat(client, extra_headers={"X-Mock-Fault": "slow:300"})
    assert time.perf_counter() - started >= 0.3


def test_timeout_holds_until_the_client_gives_up(client):
    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        chat(client.with_options(max_retries=0, timeout=0.3), extra_headers={"X-Mock-Fault": "timeout:5"})
    assert time.perf_counter() - started < 3


def test_a_stream_cut_midway_is_a_connection_error_after_some_chunks(client):
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in chat(client, stream=True, extra_headers={"X-Mock-Fault": "cut:3"}):
            received.append(chunk)
    assert len(received) == 3


def test_a_body_cut_midway_is_a_connection_error(client):
    with pytest.raises(openai.APIConnectionError):
        chat(client.with_options(max_retries=0), extra_headers={"X-Mock-Fault": "cut"})


def test_malformed_json_does_not_parse(client):
    with pytest.raises(json.JSONDecodeError):
        chat(client, extra_headers={"X-Mock-Fault": "malformed"})


def test_a_malformed_event_breaks_the_stream_midway(client):
    received = []
    with pytest.raises(json.JSONDecodeError):
        for chunk in chat(client, stream=True, extra_headers={"X-Mock-Fault": "malformed"}):
            received.append(chunk)
    assert received


def test_the_flaky_profile_fails_every_third_request(client, openai_url):
    control.set_openai_faults(openai_url, profile="flaky")
    plain = client.with_options(max_retries=0)
    outcomes = []
    for _ in range(6):
        try:
            chat(plain)
            outcomes.append("ok")
        except openai.InternalServerError:
            outcomes.append("503")
    assert outcomes == ["ok", "ok", "503"] * 2


def test_faults_can_target_one_path(client, openai_url):
    control.set_openai_faults(openai_url, cycle=["503"], paths=["/v1/embeddings"])
    assert chat(client).choices
    with pytest.raises(openai.InternalServerError):
        client.with_options(max_retries=0).embeddings.create(model="text-embedding-3-small", input="x")


def test_clearing_faults_restores_health(client, openai_url):
    control.set_openai_faults(openai_url, profile="down")
    control.clear_openai_faults(openai_url)
    assert chat(client).choices


def test_an_unknown_profile_is_refused(openai_url):
    with pytest.raises(control.MockRequestError) as caught:
        control.set_openai_faults(openai_url, profile="apocalypse")
    assert caught.value.status == 400 and "known:" in str(caught.value)


def test_the_startup_profile_applies_from_the_first_request(start_mock):
    url = start_mock(profile="down")
    with openai.OpenAI(base_url=f"{url}/v1", api_key="sk-staging-local", max_retries=0) as sdk:
        with pytest.raises(openai.InternalServerError):
            chat(sdk)
    assert control.openai_faults(url)["startup_profile"] == "down"
    assert control.health(url)["profile"] == "down"


def test_an_unknown_startup_profile_fails_fast():
    with pytest.raises(SettingsError, match="not a profile"):
        create_app(Settings(profile="nope"))


def test_noretry_makes_the_sdk_give_up_at_once(client, openai_url):
    control.set_openai_faults(openai_url, sequence=["503+noretry", "503"])
    with pytest.raises(openai.InternalServerError) as caught:
        chat(client)
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert len(control.openai_journal(openai_url)) == 1


@pytest.mark.parametrize("token", ["slow+noretry", "429+again", "cut:x", "ok:3", "600", "slow:-1"])
def test_malformed_tokens_are_refused(openai_url, token):
    with pytest.raises(control.MockRequestError):
        control.set_openai_faults(openai_url, sequence=[token])


def test_a_startup_profile_can_act_on_some_paths_only(start_mock):
    url = start_mock(profile="ratelimit", fault_paths=("/v1/chat/completions",))
    with openai.OpenAI(base_url=f"{url}/v1", api_key="sk-staging-local", max_retries=0) as sdk:
        assert sdk.embeddings.create(model="text-embedding-3-small", input="x").data
        with pytest.raises(openai.RateLimitError):
            chat(sdk)
    assert control.openai_faults(url)["paths"] == ["/v1/chat/completions"]
