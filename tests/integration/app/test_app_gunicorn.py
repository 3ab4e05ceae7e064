"""The app under staging's real gunicorn command (eventlet workers, --reload)."""
import concurrent.futures
import os
import threading
import time

import psycopg
import pytest
import requests

from tests.support.gunicorn import StagingGunicorn

SECRET = "a-random-test-secret-of-sufficient-length-123"


def env_for(url, **extra):
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET, "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "GIT_SHA": "test-sha", **extra}


def test_staging_command_serves_ready_and_version(migrated_url):
    with StagingGunicorn(env_for(migrated_url)) as server:
        ready = requests.get(server.url + "/health/ready", timeout=5)
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["redis"] == {"status": "disabled"} and body["fanout"] == "postgres"
        assert body["fanout_listen"] == {"status": "ok"}  # checked at boot: no Socket.IO client
        assert body["psycopg_wait"] == "wait_select"
        assert requests.get(server.url + "/version", timeout=5).json()["git_sha"] == "test-sha"


def test_staging_refuses_placeholder_secret(migrated_url):
    env = env_for(migrated_url, SECRET_KEY="staging-secret-key-different-from-prod")
    with pytest.raises(RuntimeError, match="SECRET_KEY is a known placeholder"):
        StagingGunicorn(env).start()


def hold_meetings_lock(url, seconds, locked):
    """Lock the meetings table and keep a slow query (pg_sleep) running in the same txn."""
    with psycopg.connect(url) as conn:
        conn.execute("LOCK TABLE meetings IN ACCESS EXCLUSIVE MODE")
        locked.set()
        conn.execute(f"SELECT pg_sleep({seconds})")


def health_latency_during_slow_query(server, url):
    """Return (pid, seconds) of /health asked while the same worker waits on a 2 s query."""
    session = requests.Session()
    session.post(server.url + "/api/auth/register", timeout=10, json={
        "email": "slow@example.com", "username": "slow", "password": "password123"})
    locked = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        holder = pool.submit(hold_meetings_lock, url.replace("+psycopg", ""), 2, locked)
        assert locked.wait(5)
        slow = pool.submit(session.get, server.url + "/api/meetings", timeout=30)
        time.sleep(0.3)  # the list query is now waiting on the lock inside the worker
        started = time.monotonic()
        health = requests.get(server.url + "/health/ready", timeout=30)
        elapsed = time.monotonic() - started
        assert slow.result().status_code == 200 and holder.result() is None
    return health.json()["worker_pid"], elapsed


# Both with Redis fan-out: under wait_c the PostgreSQL fan-out's listener, which starts when the
# worker boots, would sit in the C wait on LISTEN for good and freeze the worker before the query.
def test_one_worker_answers_health_while_a_query_is_slow(migrated_url, redis_url):
    env = env_for(migrated_url, FLASK_ENV="test", REDIS_URL=redis_url)
    with StagingGunicorn(env, workers=1) as server:
        _, elapsed = health_latency_during_slow_query(server, migrated_url)
    assert elapsed < 1.0, f"/health took {elapsed:.2f}s: the worker was blocked"


def test_c_wait_would_block_the_worker(migrated_url, redis_url):
    """Control: forcing psycopg's C wait makes the same check fail, so the test can fail."""
    env = env_for(migrated_url, FLASK_ENV="test", REDIS_URL=redis_url, PSYCOPG_WAIT_FUNC="wait_c")
    with StagingGunicorn(env, workers=1) as server:
        _, elapsed = health_latency_during_slow_query(server, migrated_url)
    assert elapsed > 1.0
