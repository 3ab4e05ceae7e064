"""`@sentry/node` 11 against the sink: errors and the v2 `span` items it sends, read back with their trace,
through the DSN and through Spotlight's `POST /stream` (`SENTRY_SPOTLIGHT`), and seen on `GET /stream`; and
the Spotlight CLI's `spotlight tail` reading the sink as its sidecar."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from mocks import control
from tests.support.npm_cache import installed, node_or_skip
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
    assert root["attributes"]["mina.cached"] is False
    assert root["attributes"]["sentry.sdk.name"] == "sentry.javascript.node"
    assert (child["op"], child["description"], child["status"]) == ("db.query", "SELECT * FROM meetings", "error")
    assert child["parent_span_id"] == child["segment_id"] == ids["root"] and child["transaction"] == "GET /meetings"
    assert child["attributes"]["db.system"] == "postgresql"
    assert child["attributes"]["sentry.status.message"] == "internal_error"
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


def test_spotlight_tail_reads_the_sink_as_its_sidecar(sink_url):
    """`spotlight tail --port <sink>` (the Spotlight CLI) prints what the sink received, errors and traces."""
    modules = installed("@spotlightjs/spotlight@4")
    event = {"event_id": "a" * 32, "level": "error", "message": "hello from the replica", "platform": "python",
             "timestamp": time.time()}
    transaction = {"type": "transaction", "transaction": "GET /meetings", "start_timestamp": time.time() - 0.1,
                   "timestamp": time.time(), "contexts": {"trace": {"trace_id": "1" * 32, "span_id": "2" * 16,
                                                                    "op": "http.server"}}}
    # posted first: tail gets the stream's backlog when it connects, whenever that is
    for path, kind, payload in (("/stream", "event", event), ("/api/1/envelope/", "transaction", transaction)):
        body = f'{{}}\n{{"type":"{kind}"}}\n{json.dumps(payload)}\n'.encode()
        assert requests.post(sink_url + path, data=body, timeout=10).status_code == 200
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "sentry_spotlight")}
    env["https_proxy"] = "http://127.0.0.1:9"  # the CLI reports its own telemetry to sentry.io: let it fail locally
    port = sink_url.rsplit(":", 1)[1]
    proc = subprocess.Popen([str(modules / ".bin" / "spotlight"), "tail", "--port", port, "-f", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    printed, deadline = [], time.monotonic() + 60
    try:
        while not ({"error", "trace"} <= {p.get("type") for p in printed}) and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line.startswith("{"):
                printed.append(json.loads(line))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    by_type = {p["type"]: p for p in printed}
    assert "error" in by_type and "trace" in by_type, f"spotlight tail printed {printed}"
    assert by_type["error"]["message"] == "hello from the replica" and by_type["error"]["event_id"] == "a" * 32
    assert by_type["trace"]["transaction"] == "GET /meetings" and by_type["trace"]["trace_id"] == "1" * 32
