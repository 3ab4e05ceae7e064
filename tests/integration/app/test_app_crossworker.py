"""Two Socket.IO clients on the two gunicorn workers both get every segment."""
import base64
import time

import pytest
import requests

from tests.support.gunicorn import StagingGunicorn
from tests.support.live_clients import clients_on_two_workers, login

SECRET = "a-random-test-secret-of-sufficient-length-123"


@pytest.mark.parametrize("mode", ["redis", "postgres"])
def test_segments_reach_clients_on_both_workers(mode, migrated_url, redis_url, ai):
    env = {"DATABASE_URL": migrated_url, "SECRET_KEY": SECRET, "OPENAI_API_KEY": "sk-test",
           "ALLOW_TEST_USERS": "true", "REDIS_URL": redis_url if mode == "redis" else ""}
    with StagingGunicorn({**env, "OPENAI_BASE_URL": ai.base_url}) as server:
        assert requests.get(server.url + "/health/ready", timeout=5).json()["fanout"] == mode
        cookie, meeting_id = login(server.url)
        clients = clients_on_two_workers(server.url, cookie, meeting_id)
        (pid_a, a), (pid_b, b) = clients.items()
        for seq in range(3):
            audio = base64.b64encode(f"audio of chunk {seq}".encode()).decode()  # 16+ bytes
            ack = a.sio.call("audio_chunk", {"meeting_id": meeting_id, "seq": seq,
                                             "audio": audio}, timeout=10)
            assert ack["ok"], (ack, server.output())
        for client in (a, b):
            deadline = time.monotonic() + 10
            while len(client.segments) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            client.sio.disconnect()
    transcripts = ai.transcripts()  # each chunk's own words, from a hash of its bytes
    assert len(set(transcripts)) == 3
    assert [s["text"] for s in a.segments] == transcripts
    assert [s["text"] for s in b.segments] == [s["text"] for s in a.segments]
    assert {s["worker_pid"] for s in b.segments} == {pid_a} != {pid_b}
