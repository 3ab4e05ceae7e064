"""The smoke suite's worker hold: while one gunicorn worker hashes passwords back to back, new
connections go to the other (how the live-transcription check puts its pages on both workers)."""
import collections

import requests

from tests.e2e.clients import Api
from tests.support.gunicorn import StagingGunicorn

SECRET = "a-random-test-secret-of-sufficient-length-123"
CONNECTIONS = 20


def workers_of_new_connections(url: str) -> collections.Counter:
    seen = collections.Counter()
    for _ in range(CONNECTIONS):
        with requests.Session() as session:
            seen[session.get(f"{url}/version", timeout=30).json()["worker_pid"]] += 1
    return seen


def test_new_connections_go_to_the_worker_not_held(migrated_url):
    env = {"DATABASE_URL": migrated_url, "SECRET_KEY": SECRET, "OPENAI_API_KEY": "sk-test",
           "ALLOW_TEST_USERS": "true", "REDIS_URL": ""}
    with StagingGunicorn(env) as server:
        user = Api(server.url)
        user.register()
        held = requests.get(f"{server.url}/version", timeout=30).json()["worker_pid"]
        with user.holding_worker(held):
            seen = workers_of_new_connections(server.url)
    # idle, ~9 in 10 new connections went to one worker here; held, 20 of 20 to the other
    assert seen[held] < CONNECTIONS // 2, (held, dict(seen), server.output())
