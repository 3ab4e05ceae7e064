"""The Sentry sink, with sentry-sdk as the client: events arrive with level, exception and environment."""

import gzip
import json

import pytest
import requests
import sentry_sdk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mocks import control


@pytest.fixture
def sentry(sink_url):
    """Initialize sentry-sdk against the sink; yield a function that flushes and returns the events."""

    def init(**options):
        sentry_sdk.init(dsn=f"http://public-key@{sink_url.removeprefix('http://')}/1", environment="staging",
                        release="mina@test", default_integrations=False, **options)

    yield init
    sentry_sdk.get_client().close()


def flushed_events(sink_url, **filters):
    sentry_sdk.flush(timeout=5)
    return control.sink_events(sink_url, **filters)


@pytest.mark.parametrize("compression", [{}, {"transport_compression_algo": "br"},
                                         {"transport_compression_algo": "gzip"},
                                         {"transport_compression_level": 0}])
def test_a_captured_exception_arrives_with_its_environment(sentry, sink_url, compression):
    sentry(_experiments=compression)
    try:
        {}["missing"]
    except KeyError as exc:
        sentry_sdk.capture_exception(exc)
    [event] = flushed_events(sink_url)
    assert event["level"] == "error" and event["environment"] == "staging" and event["release"] == "mina@test"
    assert event["exception_type"] == "KeyError" and event["exception_value"] == "'missing'"
    assert event["project_id"] == 1 and event["timestamp"]


def test_level_filters_separate_errors_from_warnings(sentry, sink_url):
    sentry()
    sentry_sdk.capture_message("disk almost full", level="warning")
    sentry_sdk.capture_message("payment failed", level="error")
    sentry_sdk.capture_message("db gone", level="fatal")
    assert [e["message"] for e in flushed_events(sink_url, level="error")] == ["payment failed"]
    assert [e["message"] for e in control.sink_events(sink_url, min_level="error")] == ["payment failed", "db gone"]
    assert len(control.sink_events(sink_url, environment="staging")) == 3
    assert control.sink_events(sink_url, environment="production") == []


def test_transactions_are_kept_apart_from_events(sentry, sink_url):
    sentry(traces_sample_rate=1.0)
    with sentry_sdk.start_transaction(name="GET /meetings"):
        pass
    assert flushed_events(sink_url) == []
    [tx] = requests.get(f"{sink_url}/_sink/events", params={"type": "transaction"}).json()
    assert tx["transaction"] == "GET /meetings"
    assert requests.get(f"{sink_url}/_sink/stats").json()["transaction"] == 1


@pytest.mark.parametrize("encode,headers", [(lambda b: b, {}), (gzip.compress, {"Content-Encoding": "gzip"})])
def test_the_legacy_store_endpoint_keeps_events(sink_url, encode, headers):
    event = {"event_id": "a" * 32, "level": "error", "message": "legacy", "environment": "staging"}
    response = requests.post(f"{sink_url}/api/1/store/", data=encode(json.dumps(event).encode()), headers=headers)
    assert response.json() == {"id": "a" * 32}
    assert control.sink_events(sink_url)[0]["message"] == "legacy"


@pytest.mark.parametrize("body,headers", [
    (b"not an envelope", {}),
    (b'{"event_id":"x"}\n{"type":"event","length":999}\n{}', {}),
    (b"\x1f\x8b garbage", {"Content-Encoding": "gzip"}),
    (b"anything", {"Content-Encoding": "zstd-ish"}),
])
def test_bad_envelopes_are_400s_with_a_detail(sink_url, body, headers):
    response = requests.post(f"{sink_url}/api/1/envelope/", data=body, headers=headers)
    assert response.status_code == 400 and "detail" in response.json()


def test_a_decompression_bomb_is_refused(sink_url):
    bomb = gzip.compress(b"{" + b" " * (60 * 1024 * 1024))
    response = requests.post(f"{sink_url}/api/1/envelope/", data=bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413


def test_unknown_routes_and_filters_are_rejected(sink_url):
    assert requests.post(f"{sink_url}/api/not-a-project/envelope/").status_code == 404
    assert requests.get(f"{sink_url}/_sink/events", params={"colour": "red"}).status_code == 400


def test_events_are_bounded_and_clearable(sink_url):
    for i in range(60):  # the test sink keeps 50
        requests.post(f"{sink_url}/api/1/store/", json={"message": f"m{i}"})
    events = control.sink_events(sink_url)
    assert len(events) == 50 and events[0]["message"] == "m10"
    assert control.clear_sink_events(sink_url) == 50 and control.sink_events(sink_url) == []

SPAN = b'{"trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174","start_timestamp":1.0}'
envelope_lines = st.lists(st.sampled_from([b'{"event_id":"e"}', b'{"type":"event"}', b'{"type":"event","length":3}',
                                           b'{"level":"error"}', b"{}", b"[]", b"null", b"\xff",
                                           b'{"type":"span"}', b'{"type":"transaction"}', b'{"items":[' + SPAN + b"]}",
                                           b'{"items":[{}]}', SPAN, b'{"contexts":{"trace":{}},"spans":[{}]}',
                                           b'{"type":"span","item_count":2}']) | st.binary(max_size=40),
                          max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=envelope_lines, endpoint=st.sampled_from(["/api/1/envelope/", "/api/1/store/", "/stream"]),
       encoding=st.sampled_from(["", "gzip", "br", "deflate"]))
def test_arbitrary_bodies_never_break_the_sink(sink_url, lines, endpoint, encoding):
    response = requests.post(f"{sink_url}{endpoint}", data=b"\n".join(lines),
                             headers={"Content-Encoding": encoding} if encoding else {}, timeout=10)
    assert response.status_code in (200, 400)
    if endpoint == "/stream" and response.status_code == 200:
        assert response.content == b""  # the sidecar answers an empty 200
    else:
        assert isinstance(response.json(), dict)
    assert requests.get(f"{sink_url}/_sink/spans", params={"health": "1"}, timeout=10).status_code == 200
    assert requests.get(f"{sink_url}/_sink/traces", timeout=10).status_code == 200
