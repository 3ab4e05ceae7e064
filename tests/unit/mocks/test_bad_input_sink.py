"""The Sentry sink answers malformed envelopes, span items and Spotlight posts with a 400 (413 over the
caps) and a one-line `{"detail": ...}`, never a 500, and keeps nothing of them: not the events, spans and
counts it holds, nor the Spotlight stream's backlog, even when the bad item follows good ones."""

import gzip
import json

import pytest
import requests

from mocks import control
from mocks.sentry_sink.spotlight import _data
from tests.unit.mocks.test_sink_spotlight import sse

TRACE, SPAN = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
V2 = {"type": "span", "content_type": "application/vnd.sentry.items.span.v2+json"}
ENVELOPE, STREAM = "/api/1/envelope/", "/stream"
DEEP = b"[" * 100_000 + b"]" * 100_000


def span(**fields) -> dict:
    return {"trace_id": TRACE, "span_id": SPAN, "name": "GET /x", "status": "ok", "is_segment": True,
            "start_timestamp": 1796170000.0, "end_timestamp": 1796170001.0,
            "attributes": {"sentry.op": {"type": "string", "value": "http.server"}}, **fields}


def body(*items, header='{"sent_at":"2026-12-01T00:00:00Z"}') -> bytes:
    """An envelope of (item header, payload) pairs; a str or bytes payload is sent as it is."""
    lines = [header]
    for item_header, payload in items:
        lines += [json.dumps(item_header), payload if isinstance(payload, (str, bytes)) else json.dumps(payload)]
    return b"\n".join(line.encode() if isinstance(line, str) else line for line in lines)


def v2(*spans, **header) -> tuple:
    return {**V2, **header}, {"version": 2, "items": list(spans)}


def transaction(**fields) -> tuple:
    return {"type": "transaction"}, {"type": "transaction", "transaction": "GET /x", "start_timestamp": 1.0,
                                     "timestamp": 2.0, "contexts": {"trace": {"trace_id": TRACE, "span_id": SPAN}},
                                     **fields}


GOOD_EVENT = ({"type": "event"}, {"event_id": "a" * 32, "level": "error", "message": "kept?"})

CASES = [  # (path, body, extra headers, status, words in the detail)
    (ENVELOPE, body((V2, "{not json")), {}, 400, "item payload is not valid JSON"),
    (ENVELOPE, body((V2, "[1, 2]")), {}, 400, "item payload is not a JSON object"),
    (ENVELOPE, body((V2, {"version": 2})), {}, 400, "non-empty `items` array"),
    (ENVELOPE, body((V2, {"version": 2, "items": []})), {}, 400, "non-empty `items` array"),
    (ENVELOPE, body((V2, {"items": {"a": 1}})), {}, 400, "non-empty `items` array"),
    (ENVELOPE, body(v2("a span")), {}, 400, "items[0] must be a JSON object"),
    (ENVELOPE, body(v2(span(trace_id=None))), {}, 400, "items[0].trace_id must be a hex string of 32"),
    (ENVELOPE, body(v2(span(trace_id="abc"))), {}, 400, "items[0].trace_id must be a hex string"),
    (ENVELOPE, body(v2(span(), span(span_id="zzzzzzzzzzzzzzzz"))), {}, 400, "items[1].span_id must be a hex"),
    (ENVELOPE, body(v2(span(parent_span_id=42))), {}, 400, "items[0].parent_span_id must be a hex"),
    (ENVELOPE, body(v2(span(start_timestamp=None))), {}, 400, "items[0].start_timestamp must be a number"),
    (ENVELOPE, body(v2(span(start_timestamp="yesterday"))), {}, 400, "not an RFC 3339 timestamp"),
    (ENVELOPE, body(v2(span(start_timestamp=True))), {}, 400, "must be a number or an RFC 3339"),
    (ENVELOPE, body(v2(span(start_timestamp=-5))), {}, 400, "finite, non-negative"),
    (ENVELOPE, body((V2, '{"items":[{"trace_id":"%s","span_id":"%s","start_timestamp":NaN}]}' % (TRACE, SPAN))),
     {}, 400, "finite, non-negative"),
    (ENVELOPE, body(v2(span(end_timestamp=1796160000.0))), {}, 400, "end timestamp is before its start"),
    (ENVELOPE, body(v2(span(attributes=["sentry.op"]))), {}, 400, "items[0].attributes must be a JSON object"),
    (ENVELOPE, body(v2(span(attributes={"k": "bare"}))), {}, 400, "must be an object with a value and a type"),
    (ENVELOPE, body(v2(span(name=7))), {}, 400, "items[0].name must be a string"),
    (ENVELOPE, body(v2(span(status={"code": 2}))), {}, 400, "items[0].status must be a string"),
    (ENVELOPE, body(v2(span(is_segment="yes"))), {}, 400, "items[0].is_segment must be a boolean"),
    (ENVELOPE, body(v2(span(), item_count=3)), {}, 400, "item_count says 3 spans but the payload has 1"),
    (ENVELOPE, body(v2(*[span(span_id=f"{i:016x}") for i in range(1001)])), {}, 400, "at most 1000 spans"),
    (ENVELOPE, body(({"type": "span"}, {"span_id": SPAN, "start_timestamp": 1.0})), {}, 400,
     "span.trace_id must be a hex string"),
    (ENVELOPE, body(transaction(spans={"a": 1})), {}, 400, "`spans` must be an array"),
    (ENVELOPE, body(transaction(spans=[{"span_id": "x", "start_timestamp": 1.0}])), {}, 400,
     "spans[0].span_id must be a hex string"),
    (ENVELOPE, body(transaction(contexts=[1])), {}, 400, "contexts must be a JSON object"),
    (ENVELOPE, body(transaction(start_timestamp=None)), {}, 400, "contexts.trace.start_timestamp"),
    (ENVELOPE, body(transaction(event_id={"a": 1})), {}, 400, "event_id must be a string"),
    # a good event first: the bad span after it must not leave the event kept
    (ENVELOPE, body(GOOD_EVENT, v2(span(span_id="short"))), {}, 400, "items[0].span_id"),
    (STREAM, body(GOOD_EVENT, v2(span(trace_id="0"))), {}, 400, "items[0].trace_id"),
    (ENVELOPE, body((V2, '{"items":[{"trace_id":"%s","span_id":"%s","start_timestamp":1%s}]}'
                     % (TRACE, SPAN, "0" * 400))),
     {}, 400, "finite, non-negative"),
    (ENVELOPE, body(v2(span(start_timestamp="0001-01-01T00:00:00+23:59"))), {}, 400, "finite, non-negative"),
    (ENVELOPE, DEEP + b"\n", {}, 400, "envelope header is nested too deeply"),
    (STREAM, body(({"type": "event"}, DEEP)), {}, 400, "item payload is nested too deeply"),
    (STREAM, body((V2, b'{"items":' + DEEP + b"}")), {}, 400, "item payload is nested too deeply"),
    (STREAM, b"not an envelope", {}, 400, "envelope header is not valid JSON"),
    (STREAM, b"[]\n", {}, 400, "envelope header is not a JSON object"),
    (STREAM, b'{}\n{"type":"event","length":999}\n{}', {}, 400, "item length runs past the end"),
    (STREAM, b'{}\n{"type":"event"}\n{"level":', {}, 400, "item payload is not valid JSON"),
    (STREAM, b"\x1f\x8b garbage", {"Content-Encoding": "gzip"}, 400, "invalid compressed body"),
    (STREAM, b"anything", {"Content-Encoding": "zstd-ish"}, 400, "unsupported Content-Encoding"),
    (STREAM, gzip.compress(b"{" + b" " * (60 * 1024 * 1024)), {"Content-Encoding": "gzip"}, 413,
     "decompressed body exceeds"),
]


def state(url: str) -> tuple:
    return (control.sink_events(url, type="all", health=True), control.sink_spans(url, health=True),
            requests.get(f"{url}/_sink/stats", timeout=10).json())


@pytest.mark.parametrize("path,data,headers,status,words", CASES,
                         ids=[f"{c[0]} {c[3]} {i}" for i, c in enumerate(CASES)])
def test_sink_bad_input(sink_url, path, data, headers, status, words):
    before = state(sink_url)
    response = requests.post(sink_url + path, data=data, timeout=30,
                             headers={"Content-Type": "application/x-sentry-envelope", **headers})
    assert response.status_code == status, response.text[:300]
    detail = response.json()["detail"]
    assert words in detail and "\n" not in detail
    assert state(sink_url) == before
    marker = body(({"type": "event"}, {"event_id": "f" * 32, "message": "marker"}))
    assert requests.post(sink_url + STREAM, data=marker, timeout=10).status_code == 200
    with sse(sink_url) as next_message:  # the stream's first envelope is the marker: nothing bad was buffered
        assert json.loads(next_message()["data"])[1][0][1]["message"] == "marker"


@pytest.mark.parametrize("path,params,words", [
    ("/_sink/spans", {"colour": "red"}, "unknown filter(s) ['colour']"),
    ("/_sink/spans", {"limit": "abc"}, "limit must be a non-negative integer"),
    ("/_sink/traces", {"limit": "-1"}, "limit must be a non-negative integer"),
    ("/_sink/traces", {"op": "db", "nope": "1"}, "unknown filter(s) ['nope']"),
])
def test_sink_bad_reads(sink_url, path, params, words):
    response = requests.get(sink_url + path, params=params, timeout=10)
    assert response.status_code == 400 and words in response.json()["detail"]


@pytest.mark.parametrize("event_id,status,words", [
    ("abc", 400, "event_id must be 32 hex digits"),
    ("z" * 32, 400, "event_id must be 32 hex digits"),
    ("{" + "a" * 32 + "}", 400, "event_id must be 32 hex digits"),
    ("e" * 32, 404, "no envelope kept for event"),
])
def test_sink_bad_envelope_reads(sink_url, event_id, status, words):
    response = requests.get(f"{sink_url}/_sink/envelopes/{event_id}", timeout=10)
    assert response.status_code == status and words in response.json()["detail"]
    assert "\n" not in response.json()["detail"]


def test_an_unparsable_item_of_a_type_the_sink_does_not_read_is_streamed_as_text(sink_url):
    assert requests.post(sink_url + STREAM, data=body(({"type": "session"}, DEEP)), timeout=30).status_code == 200
    post_marker = body(({"type": "event"}, {"event_id": "f" * 32, "message": "marker"}))
    assert requests.post(sink_url + STREAM, data=post_marker, timeout=10).status_code == 200
    with sse(sink_url) as next_message:
        deep, marker = (json.loads(next_message()["data"])[1][0] for _ in range(2))
    assert deep == [{"type": "session"}, DEEP.decode()] and marker[1]["message"] == "marker"


def test_a_payload_too_deep_to_write_back_is_streamed_as_its_text():
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    data = json.loads(_data({"event_id": "e"}, [[{"type": "session"}, nested]], [({"type": "session"}, b"[[...]]")]))
    assert data == [{"event_id": "e"}, [[{"type": "session"}, "[[...]]"]]]
