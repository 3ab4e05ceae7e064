"""Spans in the Sentry sink: read back with their trace and transaction, from sentry-sdk's transactions
(to the DSN and through Spotlight's `POST /stream`) and from v2 `span` items as `@sentry/node` 11 sends them."""

import json

import pytest
import requests
import sentry_sdk

from mocks import control

TRACE = "5b8efff798038103d269b633813fc60c"
ROOT, CHILD = "eee19b7ec3c1b174", "eee19b7ec3c1b175"


@pytest.fixture
def sdk(sink_url):
    """sentry-sdk with traces on, sending to the sink's DSN and, with spotlight=True, to its /stream too."""

    def init(spotlight=False, **options):
        sentry_sdk.init(dsn=f"http://public-key@{sink_url.removeprefix('http://')}/1", environment="staging",
                        release="mina@test", default_integrations=False, traces_sample_rate=1.0,
                        spotlight=f"{sink_url}/stream" if spotlight else None, **options)

    yield init
    sentry_sdk.get_client().close()


def envelope(*items, header=None) -> bytes:
    lines = [json.dumps(header or {"sent_at": "2026-12-01T00:00:00Z"})]
    for item_header, payload in items:
        lines += [json.dumps(item_header), json.dumps(payload)]
    return "\n".join(lines).encode()


def v2_span(span_id=ROOT, parent=None, name="GET /meetings", op="http.server", segment=True, **extra):
    attributes = {"sentry.op": {"type": "string", "value": op},
                  "sentry.segment.id": {"type": "string", "value": ROOT},
                  "sentry.segment.name": {"type": "string", "value": "GET /meetings"},
                  "sentry.environment": {"type": "string", "value": "staging"},
                  "http.response.status_code": {"type": "integer", "value": 200}}
    return {"trace_id": TRACE, "span_id": span_id, "parent_span_id": parent, "name": name, "status": "ok",
            "is_segment": segment, "start_timestamp": 1796170000.25, "end_timestamp": 1796170000.75,
            "attributes": attributes, **extra}


def span_item(*spans):
    return ({"type": "span", "item_count": len(spans), "content_type": "application/vnd.sentry.items.span.v2+json"},
            {"version": 2, "items": list(spans)})


@pytest.mark.parametrize("spotlight", [False, True], ids=["dsn", "dsn+spotlight"])
def test_a_python_transaction_is_read_back_as_spans_of_its_trace(sdk, sink_url, spotlight):
    sdk(spotlight=spotlight)
    with sentry_sdk.start_transaction(name="GET /meetings", op="http.server") as transaction:
        with sentry_sdk.start_span(op="db", name="SELECT meetings") as span:
            span.set_data("db.system", "postgresql")
            span.set_status("internal_error")
        sentry_sdk.capture_message("slow query", level="error")
    sentry_sdk.flush(timeout=5)
    root, child = control.sink_spans(sink_url)  # sent twice with Spotlight, kept once
    assert root["trace_id"] == child["trace_id"] == transaction.trace_id
    assert root["span_id"] == transaction.span_id and root["is_segment"] and root["op"] == "http.server"
    assert root["description"] == root["transaction"] == "GET /meetings" and root["project_id"] == 1
    assert child["parent_span_id"] == child["segment_id"] == transaction.span_id
    assert (child["op"], child["description"], child["status"]) == ("db", "SELECT meetings", "internal_error")
    assert child["attributes"]["db.system"] == "postgresql" and child["transaction"] == "GET /meetings"
    assert root["start_timestamp"] <= child["start_timestamp"] <= child["end_timestamp"] <= root["end_timestamp"]
    assert root["via"] == (["envelope", "spotlight"] if spotlight else ["envelope"])
    [trace] = control.sink_traces(sink_url)
    assert (trace["trace_id"], trace["transaction"], trace["spans"]) == (transaction.trace_id, "GET /meetings", 2)
    assert trace["failed_spans"] == 1 and trace["errors"] == 1  # the message carries the trace id
    [event] = control.sink_events(sink_url)
    assert event["trace_id"] == transaction.trace_id and event["message"] == "slow query"


def test_events_sent_only_through_spotlight_are_kept(sink_url):
    body = envelope(({"type": "event"}, {"event_id": "c" * 32, "level": "error", "message": "via spotlight"}),
                    header={"event_id": "c" * 32, "dsn": "http://pk@sink:9000/7"})
    response = requests.post(f"{sink_url}/stream", data=body,
                             headers={"Content-Type": "application/x-sentry-envelope"}, timeout=10)
    assert response.status_code == 200
    [event] = control.sink_events(sink_url)
    assert (event["message"], event["project_id"], event["via"]) == ("via spotlight", 7, ["spotlight"])


def test_v2_span_items_are_kept_with_their_attributes(sink_url):
    child = v2_span(CHILD, parent=ROOT, name="SELECT meetings", op="db", segment=False, status="error")
    response = requests.post(f"{sink_url}/api/1/envelope/", data=envelope(span_item(child, v2_span())), timeout=10)
    assert response.status_code == 200
    db, root = control.sink_spans(sink_url)
    assert (db["op"], db["description"], db["status"], db["parent_span_id"]) == ("db", "SELECT meetings", "error", ROOT)
    assert db["segment_id"] == ROOT and db["transaction"] == "GET /meetings" and not db["is_segment"]
    assert db["attributes"]["http.response.status_code"] == 200 and db["environment"] == "staging"
    assert (db["start_timestamp"], db["end_timestamp"], db["duration_ms"]) == (1796170000.25, 1796170000.75, 500.0)
    assert root["is_segment"] and root["source"] == "span"
    assert [s["span_id"] for s in control.sink_spans(sink_url, op="db")] == [CHILD]
    assert [s["span_id"] for s in control.sink_spans(sink_url, segment=True)] == [ROOT]
    assert control.sink_spans(sink_url, trace_id="0" * 32) == []
    assert requests.get(f"{sink_url}/_sink/stats", timeout=10).json() == {"span": 1}


def test_a_v1_standalone_span_is_kept(sink_url):
    span = {"trace_id": TRACE, "span_id": ROOT, "op": "ui.interaction", "description": "click",
            "start_timestamp": "2026-12-01T00:00:00Z", "timestamp": "2026-12-01T00:00:01.5Z", "data": {"k": 1}}
    requests.post(f"{sink_url}/api/1/envelope/", data=envelope(({"type": "span"}, span)), timeout=10)
    [kept] = control.sink_spans(sink_url)
    assert (kept["op"], kept["description"], kept["duration_ms"], kept["attributes"]) == (
        "ui.interaction", "click", 1500.0, {"k": 1})


def test_health_check_transactions_are_hidden_unless_asked_for(sdk, sink_url):
    sdk()
    for name in ("GET /health/ready", "health.ready", "GET /meetings"):
        with sentry_sdk.start_transaction(name=name, op="http.server"):
            with sentry_sdk.start_span(op="db", name="SELECT 1"):
                pass
    health = v2_span(span_id="aaaaaaaaaaaaaaaa", name="GET /health", trace_id="1" * 32)
    health["attributes"]["sentry.segment.name"] = {"type": "string", "value": "GET /health"}
    requests.post(f"{sink_url}/api/1/envelope/", data=envelope(span_item(health)), timeout=10)
    sentry_sdk.flush(timeout=5)
    assert {s["transaction"] for s in control.sink_spans(sink_url)} == {"GET /meetings"}
    assert len(control.sink_spans(sink_url)) == 2
    assert len(control.sink_spans(sink_url, health=True)) == 7
    assert [t["transaction"] for t in control.sink_traces(sink_url)] == ["GET /meetings"]
    assert len(control.sink_traces(sink_url, health=True)) == 4
    transactions = requests.get(f"{sink_url}/_sink/events", params={"type": "transaction"}, timeout=10).json()
    assert [t["transaction"] for t in transactions] == ["GET /meetings"]


def test_spans_are_bounded_and_cleared_with_the_events(sink_url):
    spans = [v2_span(span_id=f"{i:016x}", segment=False) for i in range(600)]  # the test sink keeps 500
    requests.post(f"{sink_url}/api/1/envelope/", data=envelope(span_item(*spans[:300]), span_item(*spans[300:])),
                  timeout=10)
    kept = control.sink_spans(sink_url)
    assert len(kept) == 500 and kept[0]["span_id"] == f"{100:016x}"
    assert [s["span_id"] for s in control.sink_spans(sink_url, limit=2)] == [f"{598:016x}", f"{599:016x}"]
    assert requests.delete(f"{sink_url}/_sink/events", timeout=10).json() == {"cleared": 0, "spans": 500}
    assert control.sink_spans(sink_url) == []
