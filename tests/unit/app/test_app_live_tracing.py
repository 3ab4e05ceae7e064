"""Each audio_chunk runs in its own Sentry transaction, so its transcription call carries a trace id
(`sentry-trace`) and mock-openai's resilience verdict can tie a broken answer to what the app did
with it: reported in that trace (green), or swallowed (red, not `unseen`)."""
import base64

import openai
import pytest
import sentry_sdk

from mina import live as live_module
from mina.extensions import socketio
from mocks import control
from mocks.sentry_sink import create_app as create_sink
from tests.support.mock_openai import MockOpenAI, serve

TRANSCRIPTIONS = "/v1/audio/transcriptions"
AUDIO = base64.b64encode(b"\x1aE\xdf\xa3 some webm bytes").decode()


@pytest.fixture
def live(make_db_app, register):
    """A Socket.IO client of an app whose AI is an in-process mock and whose Sentry is the sink."""
    with MockOpenAI(api_key="sk-test") as ai, serve(create_sink()) as sink_url:
        app = make_db_app(OPENAI_BASE_URL=ai.base_url, OPENAI_API_KEY="sk-test",
                          SENTRY_DSN=f"http://public-key@{sink_url.removeprefix('http://')}/1")
        http = app.test_client()
        register(http)
        meeting_id = http.post("/api/meetings", json={"title": "Traced"}).json["id"]
        sio = socketio.test_client(app, flask_test_client=http)

        def send(seq: int) -> dict:
            return sio.emit("audio_chunk", {"meeting_id": meeting_id, "seq": seq, "audio": AUDIO}, callback=True)
        try:
            yield ai, sink_url, send
        finally:
            sio.disconnect()
            sentry_sdk.get_client().close()


def verdict(ai: MockOpenAI, sink_url: str) -> dict:
    sentry_sdk.flush(timeout=10)
    report = control.openai_resilience(ai.url, path=TRANSCRIPTIONS, sink_url=sink_url, budget=0)
    return {line["check"]: line for line in report["lines"]}["broken_answer"]


def test_every_chunk_s_transcription_call_carries_a_trace_of_its_own(live):
    ai, _sink_url, send = live
    assert send(0)["ok"] and send(1)["ok"]
    traces = [entry["trace_id"] for entry in ai.journal(TRANSCRIPTIONS)]
    assert len(traces) == 2 and None not in traces and traces[0] != traces[1]


def test_a_broken_answer_the_app_reports_is_green(live):
    ai, sink_url, send = live
    control.set_openai_faults(ai.url, sequence=["malformed"], paths=[TRANSCRIPTIONS])
    ack = send(0)
    assert ack["ok"] is False and ack["code"] == "transcription_failed" and ack["retryable"] is True
    line = verdict(ai, sink_url)
    assert line["result"] == "passed", line["evidence"]


def careless_transcribe(audio: bytes, seq: int) -> str:
    """An app that swallows a failed transcription: no report, an empty segment, `ok` to its user."""
    try:
        return live_module.get_client().audio.transcriptions.create(
            model="whisper-1", file=(f"chunk-{seq}.webm", audio, "audio/webm")).text
    except (openai.OpenAIError, ValueError):  # a malformed body is a JSONDecodeError
        return ""


def test_a_broken_answer_the_app_swallows_is_red(live, monkeypatch):
    ai, sink_url, send = live
    monkeypatch.setattr(live_module, "transcribe", careless_transcribe)
    control.set_openai_faults(ai.url, sequence=["malformed"], paths=[TRANSCRIPTIONS])
    assert send(0)["ok"] is True
    line = verdict(ai, sink_url)
    assert line["result"] == "failed" and ai.journal(TRANSCRIPTIONS)[0]["trace_id"] in line["evidence"]
