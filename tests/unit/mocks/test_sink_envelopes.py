"""The sink hands back the raw envelope an event arrived in, as Spotlight's UI downloads it:
`GET /_sink/envelopes/{event_id}`, for envelopes sent to the DSN, to Spotlight's `/stream`, or as
sentry-sdk sends them."""

import json

import requests
import sentry_sdk

from tests.unit.mocks.test_bad_input_sink import body

EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"
EVENT = ({"type": "event"}, {"event_id": EVENT_ID, "level": "error", "message": "kept raw"})


def envelope(sink_url: str, event_id: str) -> requests.Response:
    return requests.get(f"{sink_url}/_sink/envelopes/{event_id}", timeout=10)


def test_an_envelope_posted_to_the_dsn_comes_back_byte_for_byte(sink_url):
    sent = body(EVENT, ({"type": "attachment", "filename": "a.txt"}, "hello"))
    assert requests.post(f"{sink_url}/api/1/envelope/", data=sent, timeout=10).status_code == 200
    answer = envelope(sink_url, EVENT_ID)
    assert answer.status_code == 200 and answer.content == sent
    assert answer.headers["content-type"] == "application/x-sentry-envelope"
    assert EVENT_ID in answer.headers["content-disposition"]


def test_a_dashed_id_and_the_header_id_find_the_envelope_too(sink_url):
    header_id = "0" * 31 + "1"
    sent = body(({"type": "session"}, {"sid": "x"}), header=json.dumps({"event_id": header_id}))
    assert requests.post(f"{sink_url}/stream", data=sent, timeout=10).status_code == 200
    dashed = f"{header_id[:8]}-{header_id[8:12]}-{header_id[12:16]}-{header_id[16:20]}-{header_id[20:]}"
    assert envelope(sink_url, dashed).content == sent


def test_a_sentry_sdk_event_can_be_downloaded(sink_url):
    sentry_sdk.init(dsn=f"http://public-key@{sink_url.removeprefix('http://')}/1", default_integrations=False)
    try:
        event_id = sentry_sdk.capture_message("download me")
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.get_client().close()
    header, item_header, payload = envelope(sink_url, event_id).content.split(b"\n")[:3]
    assert json.loads(header)["event_id"] == event_id and json.loads(item_header)["type"] == "event"
    assert json.loads(payload)["message"] == "download me"


def test_a_legacy_store_event_comes_back_as_an_envelope(sink_url):
    sent = {"event_id": EVENT_ID, "message": "stored"}
    assert requests.post(f"{sink_url}/api/1/store/", json=sent, timeout=10).status_code == 200
    header, item_header, payload = envelope(sink_url, EVENT_ID).content.split(b"\n")
    assert json.loads(header) == {"event_id": EVENT_ID} and json.loads(payload)["message"] == "stored"


def test_clearing_the_sink_forgets_the_envelopes(sink_url):
    requests.post(f"{sink_url}/api/1/envelope/", data=body(EVENT), timeout=10)
    requests.delete(f"{sink_url}/_sink/events", timeout=10)
    assert envelope(sink_url, EVENT_ID).status_code == 404


def test_only_as_many_envelopes_as_events_are_kept():
    from starlette.testclient import TestClient

    from mocks.sentry_sink.app import create_app

    client = TestClient(create_app(max_events=2))
    ids = [f"{n:032x}" for n in range(1, 4)]
    for event_id in ids:
        client.post("/api/1/envelope/", content=body(({"type": "event"}, {"event_id": event_id})))
    assert [client.get(f"/_sink/envelopes/{i}").status_code for i in ids] == [404, 200, 200]
