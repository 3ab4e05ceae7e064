"""Redis down under staging's gunicorn (2 workers): no acknowledged segment is lost to a participant.

The sender's ack says the broadcast failed; participants on the sender's worker still get the
segment; the others are told `segments_missed` when the queue is back, and a re-join with their
`last_seq` replays the gap from PostgreSQL.
"""
import base64

from tests.support.gunicorn import StagingGunicorn
from tests.support.live_clients import clients_on_two_workers, login

SECRET = "a-random-test-secret-of-sufficient-length-123"


def send(client, meeting_id, seq):
    audio = base64.b64encode(f"audio of chunk {seq}".encode()).decode()  # the mock wants 16+ bytes
    return client.sio.call("audio_chunk", {"meeting_id": meeting_id, "seq": seq, "audio": audio},
                           timeout=30)


def seqs(client):
    return sorted({s["seq"] for s in client.segments})


def test_segments_sent_while_redis_is_down_reach_every_participant(migrated_url, redis_server, ai):
    redis = redis_server
    with StagingGunicorn({
            "DATABASE_URL": migrated_url, "SECRET_KEY": SECRET, "OPENAI_API_KEY": "sk-test",
            "ALLOW_TEST_USERS": "true", "REDIS_URL": redis.url,
            "OPENAI_BASE_URL": ai.base_url}) as server:
        cookie, meeting_id = login(server.url)
        (_, sender), (_, other) = clients_on_two_workers(server.url, cookie, meeting_id).items()
        assert send(sender, meeting_id, 0)["broadcast"] is True
        assert other.wait_for(lambda: seqs(other) == [0]), server.output()

        redis.stop_server()
        ack = send(sender, meeting_id, 1)
        assert ack["ok"] is True and ack["broadcast"] is False, ack  # stored, not broadcast
        assert sender.wait_for(lambda: 1 in seqs(sender)), "the sender's worker delivers locally"

        redis.start_server()  # same port: the workers' listeners reconnect by themselves
        assert other.wait_for(lambda: other.missed, timeout=30), server.output()
        assert other.missed[0]["meeting_id"] == meeting_id
        rejoin = other.join(meeting_id, last_seq=max(seqs(other)))
        assert rejoin["ok"] and rejoin["replayed"] == 1 and rejoin["more"] is False
        assert other.wait_for(lambda: seqs(other) == [0, 1])
        assert [s for s in other.segments if s["seq"] == 1][0]["replayed"] is True

        assert send(sender, meeting_id, 2)["broadcast"] is True  # the queue works again
        assert other.wait_for(lambda: seqs(other) == [0, 1, 2]), server.output()
        for client in (sender, other):
            client.sio.disconnect()
