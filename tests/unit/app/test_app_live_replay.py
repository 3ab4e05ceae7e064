"""A participant re-joining with `last_seq` gets the stored segments it missed, from PostgreSQL."""
import psycopg
import pytest

from mina import live
from mina.extensions import socketio


@pytest.fixture
def meeting(make_db_app, register, migrated_url):
    """A logged-in Socket.IO test client and a meeting with segments 0..4 stored."""
    app = make_db_app()
    http = app.test_client()
    register(http)
    meeting_id = http.post("/api/meetings", json={"title": "Live"}).json["id"]
    with psycopg.connect(migrated_url) as conn:
        for seq in range(5):
            conn.execute("INSERT INTO transcript_segments (meeting_id, seq, speaker, text) "
                         "VALUES (%s, %s, 'alice', %s)", (meeting_id, seq, f"words {seq}"))
    return socketio.test_client(app, flask_test_client=http), meeting_id


def replayed(sio):
    return [e["args"][0] for e in sio.get_received() if e["name"] == "segment"]


def test_join_with_last_seq_replays_what_came_after(meeting):
    sio, meeting_id = meeting
    ack = sio.emit("join", {"meeting_id": meeting_id, "last_seq": 2}, callback=True)
    assert ack["ok"] and ack["replayed"] == 2 and ack["more"] is False
    segments = replayed(sio)
    assert [s["seq"] for s in segments] == [3, 4] and {s["replayed"] for s in segments} == {True}
    assert segments[0]["text"] == "words 3"


def test_last_seq_minus_one_replays_everything_and_a_plain_join_nothing(meeting):
    sio, meeting_id = meeting
    assert "replayed" not in sio.emit("join", {"meeting_id": meeting_id}, callback=True)
    assert replayed(sio) == []
    assert sio.emit("join", {"meeting_id": meeting_id, "last_seq": -1}, callback=True)["replayed"] == 5


def test_a_long_gap_is_replayed_in_pages(meeting, monkeypatch):
    sio, meeting_id = meeting
    monkeypatch.setattr(live, "REPLAY_LIMIT", 3)
    first = sio.emit("join", {"meeting_id": meeting_id, "last_seq": -1}, callback=True)
    assert (first["replayed"], first["more"]) == (3, True)
    second = sio.emit("join", {"meeting_id": meeting_id, "last_seq": 2}, callback=True)
    assert (second["replayed"], second["more"]) == (2, False)
    assert [s["seq"] for s in replayed(sio)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("last_seq", ["3", 1.5, True, -2, 2**31, [1]])
def test_a_bad_last_seq_is_a_bad_event(meeting, last_seq):
    sio, meeting_id = meeting
    ack = sio.emit("join", {"meeting_id": meeting_id, "last_seq": last_seq}, callback=True)
    assert ack["ok"] is False and ack["code"] == "bad_event" and "last_seq" in ack["message"]
    assert replayed(sio) == []


HUGE_ID = 99999999999999999999


@pytest.mark.parametrize("event,data,code", [
    ("join", {"meeting_id": HUGE_ID}, "not_found"),
    ("audio_chunk", {"meeting_id": HUGE_ID, "seq": 9, "audio": "aGk="}, "not_found"),
    ("audio_chunk", {"seq": 9, "audio": "aGk=", "speaker": "a\u0000b"}, "bad_event"),
    ("audio_chunk", {"seq": 9, "audio": "aGk=", "speaker": "line\nbreak"}, "bad_event"),
])
def test_bad_live_events_are_refused_and_store_nothing(meeting, migrated_url, event, data, code):
    sio, meeting_id = meeting
    ack = sio.emit(event, {"meeting_id": meeting_id, **data}, callback=True)
    assert ack["ok"] is False and ack["code"] == code, ack
    with psycopg.connect(migrated_url) as conn:
        assert conn.execute("SELECT count(*) FROM transcript_segments").fetchone()[0] == 5
