import base64

import pytest

from mina.extensions import socketio
from mocks import control


@pytest.fixture
def live(make_app, ai, register):
    """A logged-in HTTP client, its meeting id and a connected Socket.IO test client."""
    app = make_app(OPENAI_BASE_URL=ai.base_url, OPENAI_API_KEY="sk-test")
    http = app.test_client()
    register(http)
    meeting_id = http.post("/api/meetings", json={"title": "Live"}).json["id"]
    sio = socketio.test_client(app, flask_test_client=http)
    assert sio.is_connected()
    return http, meeting_id, sio


def chunk(meeting_id, seq, text="hello world, a chunk of audio"):  # the mock wants 16+ bytes
    return {"meeting_id": meeting_id, "seq": seq, "audio": base64.b64encode(text.encode()).decode()}


def events(sio, name):
    return [e["args"][0] for e in sio.get_received() if e["name"] == name]


def test_connect_requires_login(make_app):
    app = make_app()
    assert not socketio.test_client(app, flask_test_client=app.test_client()).is_connected()


def test_join_ack_names_worker(live):
    _, meeting_id, sio = live
    ack = sio.emit("join", {"meeting_id": meeting_id}, callback=True)
    assert ack["ok"] and isinstance(ack["worker_pid"], int)


def test_audio_chunk_becomes_stored_segment(live, ai):
    http, meeting_id, sio = live
    sio.emit("join", {"meeting_id": meeting_id}, callback=True)
    sio.get_received()
    ack = sio.emit("audio_chunk", chunk(meeting_id, 0), callback=True)
    assert ack["ok"], ack
    [transcript] = ai.transcripts()
    [segment] = events(sio, "segment")
    assert (segment["seq"], segment["text"], segment["meeting_id"]) == (0, transcript, meeting_id)
    stored = http.get(f"/api/meetings/{meeting_id}/segments").json["items"]
    assert [s["text"] for s in stored] == [transcript]
    assert http.get(f"/api/meetings/{meeting_id}").json["status"] == "live"


def test_duplicate_seq_keeps_the_first_segment(live, ai):
    http, meeting_id, sio = live
    sio.emit("audio_chunk", chunk(meeting_id, 3, "the first chunk of audio"), callback=True)
    [first] = ai.transcripts()
    ack = sio.emit("audio_chunk", chunk(meeting_id, 3, "the second chunk of audio"), callback=True)
    assert ack["code"] == "duplicate_seq"
    stored = http.get(f"/api/meetings/{meeting_id}/segments").json["items"]
    assert [s["text"] for s in stored] == [first]


@pytest.mark.parametrize("data,code", [
    ("not an object", "bad_event"), ({"meeting_id": "1"}, "bad_event"),
    ({"meeting_id": 999999, "seq": 0, "audio": "aGk="}, "not_found"),
    ({"seq": -1, "audio": "aGk="}, "bad_event"), ({"seq": 0, "audio": "%%%"}, "bad_event"),
    ({"seq": 0, "audio": ""}, "bad_event"), ({"seq": 0, "audio": "a" * 800_000}, "too_large"),
])
def test_malformed_chunks_get_error_events(live, data, code):
    _, meeting_id, sio = live
    if isinstance(data, dict):
        data = {"meeting_id": meeting_id, **data}
    ack = sio.emit("audio_chunk", data, callback=True)
    assert ack["ok"] is False and ack["code"] == code
    assert events(sio, "error")[-1]["code"] == code and sio.is_connected()


def test_transcription_outage_is_retryable_and_stores_nothing(live, ai):
    http, meeting_id, sio = live
    control.set_openai_faults(ai.url, sequence=["503"])
    ack = sio.emit("audio_chunk", chunk(meeting_id, 0), callback=True)
    assert ack["code"] == "transcription_failed" and ack["retryable"] is True
    assert http.get(f"/api/meetings/{meeting_id}/segments").json["items"] == []
    assert sio.emit("audio_chunk", chunk(meeting_id, 0), callback=True)["ok"]


def test_someone_elses_meeting_is_not_found(live, app, register):
    _, meeting_id, _ = live
    bob = app.test_client()
    register(bob, "bob")
    sio = socketio.test_client(app, flask_test_client=bob)
    assert sio.emit("join", {"meeting_id": meeting_id}, callback=True)["code"] == "not_found"


def test_a_meeting_deleted_during_transcription_gets_a_clear_error(live, monkeypatch, migrated_url):
    http, meeting_id, sio = live
    import psycopg
    from mina import live as live_module
    real_transcribe = live_module.transcribe

    def transcribe_then_delete(audio, seq):
        text = real_transcribe(audio, seq)
        with psycopg.connect(migrated_url.replace("+psycopg", ""), autocommit=True) as other:
            other.execute("DELETE FROM meetings WHERE id = %s", [meeting_id])  # another tab
        return text

    monkeypatch.setattr(live_module, "transcribe", transcribe_then_delete)
    ack = sio.emit("audio_chunk", chunk(meeting_id, 0), callback=True)
    assert ack == {"ok": False, "event": "audio_chunk", "code": "meeting_deleted",
                   "message": f"meeting {meeting_id} was deleted while this chunk was transcribed",
                   "retryable": False}
