"""`@sentry/node` 11 against the sink: errors and the v2 `span` items it sends, read back with their trace,
through the DSN and through Spotlight's `POST /stream` (`SENTRY_SPOTLIGHT`), and seen on `GET /stream`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mocks import control
from tests.unit.mocks.npm_cache import installed, node_or_skip
from tests.unit.mocks.test_sink_spotlight import sse

CLIENT = Path(__file__).with_name("sentry_node_client.js")


@pytest.fixture(scope="module")
def sentry_node():
    node = node_or_skip()
    modules = installed("@sentry/node@11")

    def run(sink_url: str, spotlight: bool = False) -> dict:
        env = {**os.environ, "NODE_PATH": str(modules),
               "SENTRY_DSN": f"http://publickey@{sink_url.removeprefix('http://')}/1",
               "SENTRY_SPOTLIGHT": f"{sink_url}/stream" if spotlight else ""}
        done = subprocess.run([node, str(CLIENT)], env=env, capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-2000:]
        ids = json.loads(done.stdout.strip().splitlines()[-1])
        assert ids["flushed"], "@sentry/node did not flush within 10 s"
        return ids

    return run


def test_node_spans_and_errors_are_read_back_with_their_trace(sink_url, sentry_node):
    ids = sentry_node(sink_url)
    spans = {s["span_id"]: s for s in control.sink_spans(sink_url, trace_id=ids["trace_id"])}
    root, child = spans[ids["root"]], spans[ids["child"]]
    assert root["source"] == "span" and root["is_segment"] and root["parent_span_id"] is None
    assert (root["op"], root["description"], root["status"]) == ("http.server", "GET /meetings", "ok")
    assert root["attributes"]["http.route"] == "/meetings" and root["attributes"]["mina.rows"] == 3
    assert root["attributes"]["mina.cached"] is False and root["attributes"]["sentry.sdk.name"] == "sentry.javascript.node"
    assert (child["op"], child["description"], child["status"]) == ("db.query", "SELECT * FROM meetings", "error")
    assert child["parent_span_id"] == child["segment_id"] == ids["root"] and child["transaction"] == "GET /meetings"
    assert child["attributes"]["db.system"] == "postgresql" and child["attributes"]["sentry.status.message"] == "internal_error"
    assert root["start_timestamp"] <= child["start_timestamp"] <= child["end_timestamp"] <= root["end_timestamp"]
    assert root["environment"] == "staging" and root["release"] == "mina@node-test" and root["project_id"] == 1
    [event] = control.sink_events(sink_url)
    assert (event["event_id"], event["exception_type"], event["exception_value"]) == (
        ids["event_id"], "Error", "meetings query failed")
    assert event["trace_id"] == ids["trace_id"] and event["platform"] == "node"
    [trace] = control.sink_traces(sink_url)
    assert (trace["transaction"], trace["spans"], trace["failed_spans"], trace["errors"]) == ("GET /meetings", 2, 1, 1)
    assert ids["health"] not in spans  # the health check is hidden by default...
    assert ids["health"] in {s["span_id"] for s in control.sink_spans(sink_url, health=True)}  # ...not lost


def test_node_with_spotlight_is_watched_on_the_stream_and_kept_once(sink_url, sentry_node):
    with sse(sink_url) as next_message:
        ids = sentry_node(sink_url, spotlight=True)
        kinds = set()
        while not {"span", "event"} <= kinds:  # each read is bounded by the socket timeout
            header, items = json.loads(next_message()["data"])
            kinds |= {item_header["type"] for item_header, _ in items}
            for item_header, payload in items:
                if item_header["type"] == "span":
                    assert item_header["content_type"] == "application/vnd.sentry.items.span.v2+json"
                    assert {s["span_id"] for s in payload["items"]} >= {ids["root"], ids["child"]}
    spans = control.sink_spans(sink_url, trace_id=ids["trace_id"])
    assert sorted(s["span_id"] for s in spans) == sorted([ids["root"], ids["child"]])
    assert all(s["via"] == ["envelope", "spotlight"] for s in spans)
    [event] = control.sink_events(sink_url)
    assert event["event_id"] == ids["event_id"] and event["via"] == ["envelope", "spotlight"]
