"""Spotlight's sidecar protocol in the sink: envelopes in at `POST /stream`, out at `GET /stream` as SSE
messages the Spotlight UI and `spotlight tail` read (`event: application/x-sentry-envelope`, `data:` the
parsed envelope). Every read is bounded by a socket timeout, never by a sleep."""

from __future__ import annotations

import json
from contextlib import contextmanager

import requests
import sentry_sdk

from mocks import control

ENVELOPE_TYPE = "application/x-sentry-envelope"
READ_TIMEOUT = 10  # seconds a read may wait for the next line; the sink sends a message within milliseconds


@contextmanager
def sse(url: str, params=None, headers=None):
    """Open GET /stream; yield a function returning the next SSE message as a dict (comments skipped)."""
    response = requests.get(f"{url}/stream", params=params, headers=headers, stream=True,
                            timeout=(5, READ_TIMEOUT))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    lines = response.iter_lines(decode_unicode=True)

    def next_message() -> dict:
        message: dict = {}
        for line in lines:
            if line == "":
                if message:
                    return message
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            message[field] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    try:
        yield next_message
    finally:
        response.close()


def envelope(event_id: str, message: str, **item) -> bytes:
    header = json.dumps({"event_id": event_id, "sent_at": "2026-12-01T00:00:00Z"})
    payload = json.dumps({"event_id": event_id, "level": "error", "message": message, **item})
    return f'{header}\n{{"type":"event"}}\n{payload}\n'.encode()


def post(url: str, body: bytes, path: str = "/stream") -> requests.Response:
    return requests.post(url + path, data=body, headers={"Content-Type": ENVELOPE_TYPE}, timeout=10)


def test_an_envelope_posted_to_the_stream_reaches_a_connected_client(sink_url):
    with sse(sink_url) as next_message:
        assert post(sink_url, envelope("a" * 32, "live")).status_code == 200
        message = next_message()
    assert message["event"] == ENVELOPE_TYPE and message["id"]
    header, items = json.loads(message["data"])
    assert header["event_id"] == "a" * 32 and header["__spotlight_envelope_id"] == message["id"]
    [[item_header, payload]] = items
    assert item_header == {"type": "event"} and payload["message"] == "live" and payload["type"] == "event"


def test_a_new_client_gets_the_backlog_then_resumes_after_last_event_id(sink_url):
    post(sink_url, envelope("a" * 32, "first"))
    post(sink_url, envelope("b" * 32, "second"), path="/api/1/envelope/")  # the DSN's envelopes too
    with sse(sink_url) as next_message:
        first, second = next_message(), next_message()
    assert [json.loads(m["data"])[1][0][1]["message"] for m in (first, second)] == ["first", "second"]
    with sse(sink_url, headers={"Last-Event-ID": first["id"]}) as next_message:
        assert next_message()["id"] == second["id"]
    with sse(sink_url, params={"base64": "1", "client": "spotlight-ui"}) as next_message:
        assert next_message()["event"] == f"{ENVELOPE_TYPE};base64"  # the name the UI listens for


def test_python_sdk_with_spotlight_streams_its_events(sink_url):
    with sse(sink_url) as next_message:
        sentry_sdk.init(spotlight=f"{sink_url}/stream", default_integrations=False, environment="staging")
        try:
            sentry_sdk.capture_message("seen in spotlight", level="warning")
            sentry_sdk.flush(timeout=5)
            header, items = json.loads(next_message()["data"])
        finally:
            sentry_sdk.get_client().close()
    [[item_header, payload]] = items
    assert item_header["type"] == "event" and payload["message"] == "seen in spotlight"
    assert payload["level"] == "warning" and header["event_id"] == payload["event_id"]
    [kept] = control.sink_events(sink_url)  # no DSN: kept from Spotlight alone
    assert kept["message"] == "seen in spotlight" and kept["via"] == ["spotlight"]


def test_health_checks_are_left_out_of_the_stream_unless_asked_for(sink_url):
    def transaction(name: str, span_id: str) -> bytes:
        payload = {"type": "transaction", "transaction": name, "start_timestamp": 1.0, "timestamp": 2.0,
                   "contexts": {"trace": {"trace_id": "1" * 32, "span_id": span_id, "op": "http.server"}}}
        return f'{{}}\n{{"type":"transaction"}}\n{json.dumps(payload)}\n'.encode()

    post(sink_url, transaction("GET /health/ready", "1" * 16))
    post(sink_url, transaction("GET /meetings", "2" * 16))
    with sse(sink_url) as next_message:
        assert json.loads(next_message()["data"])[1][0][1]["transaction"] == "GET /meetings"
    with sse(sink_url, params={"health": "1"}) as next_message:
        assert json.loads(next_message()["data"])[1][0][1]["transaction"] == "GET /health/ready"


def test_one_envelope_sent_to_both_the_dsn_and_spotlight_is_streamed_once(sink_url):
    body = envelope("c" * 32, "twice")
    post(sink_url, body, path="/api/1/envelope/")
    post(sink_url, body)
    post(sink_url, envelope("d" * 32, "after"))
    with sse(sink_url) as next_message:
        messages = [json.loads(next_message()["data"])[1][0][1]["message"] for _ in range(2)]
    assert messages == ["twice", "after"]
    assert len(control.sink_events(sink_url)) == 2


def test_clear_forgets_the_backlog_but_keeps_the_events(sink_url):
    post(sink_url, envelope("e" * 32, "old"))
    response = requests.delete(f"{sink_url}/clear", timeout=10)
    assert response.status_code == 200 and response.text == "Cleared"
    post(sink_url, envelope("f" * 32, "new"))
    with sse(sink_url) as next_message:
        assert json.loads(next_message()["data"])[1][0][1]["message"] == "new"
    assert [e["message"] for e in control.sink_events(sink_url)] == ["old", "new"]


def test_the_spotlight_ui_may_read_the_stream_from_a_local_origin(sink_url):
    allowed = requests.options(f"{sink_url}/stream", timeout=10, headers={
        "Origin": "http://localhost:8969", "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("access-control-allow-origin") == "http://localhost:8969"
    foreign = requests.options(f"{sink_url}/stream", timeout=10, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in foreign.headers
    health = requests.get(f"{sink_url}/health", timeout=10)
    assert health.headers["x-powered-by"] == "spotlight-by-sentry"  # how Spotlight's CLI finds a sidecar


def test_a_quiet_stream_sends_keepalive_comments():
    from mocks.sentry_sink import create_app
    from tests.unit.mocks.conftest import serve

    with serve(create_app(max_events=5, keepalive=0.05)) as url:
        response = requests.get(f"{url}/stream", stream=True, timeout=(5, READ_TIMEOUT))
        try:
            lines = response.iter_lines(decode_unicode=True)
            assert next(lines) == ""  # the opening empty line
            assert next(line for line in lines if line) == ": keepalive"
        finally:
            response.close()
