"""A database outage is a retryable 503 with Retry-After, never a 500; a short one is ridden out."""
import threading
import time

import psycopg
import pytest

from mina.outage import connect_with_backoff


@pytest.fixture
def outage(postgres_url, migrated_url):
    """Refuse new connections to the app's database and close its open ones; `end()` undoes it."""
    name = migrated_url.rsplit("/", 1)[1]

    def admin(sql):
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql)

    class Outage:
        def start(self):
            admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")

        def end(self):
            admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    yield Outage()
    Outage().end()


def rows(url, sql):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.mark.parametrize("method,path,body", [
    ("get", "/api/meetings", None), ("post", "/api/meetings", {"title": "during the outage"}),
    ("get", "/api/meetings/1", None), ("get", "/api/auth/me", None)])
def test_api_answers_a_retryable_503_with_retry_after(make_db_app, register, outage, method, path,
                                                      body):
    client = make_db_app(DB_CONNECT_RETRY_SECONDS=0.2, USER_CACHE_SECONDS=0).test_client()
    register(client)
    outage.start()
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 503, response.data
    assert response.json == {"error": response.json["error"], "status": 503, "retryable": True}
    assert "database" in response.json["error"] and response.headers["Retry-After"] == "1"


def test_pages_answer_503_html_with_retry_after(make_db_app, register, outage):
    client = make_db_app(DB_CONNECT_RETRY_SECONDS=0.2, USER_CACHE_SECONDS=0).test_client()
    register(client)
    outage.start()
    response = client.get("/meetings", headers={"Accept": "text/html"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.mimetype == "text/html"


def test_a_short_outage_is_ridden_out_by_retrying_the_connection(make_db_app, register, outage,
                                                                migrated_url):
    client = make_db_app(DB_CONNECT_RETRY_SECONDS=10, USER_CACHE_SECONDS=0).test_client()
    register(client)
    outage.start()
    threading.Timer(0.5, outage.end).start()  # a restart or a wake that takes half a second
    response = client.post("/api/meetings", json={"title": "while it wakes"})
    assert response.status_code == 201, response.json
    assert rows(migrated_url, "SELECT count(*) FROM meetings") == 1


def test_the_app_recovers_after_the_outage(make_db_app, register, outage):
    client = make_db_app(DB_CONNECT_RETRY_SECONDS=0.2, USER_CACHE_SECONDS=0).test_client()
    register(client)
    outage.start()
    assert client.get("/api/meetings").status_code == 503
    outage.end()
    assert [client.get("/api/meetings").status_code,
            client.post("/api/meetings", json={"title": "after"}).status_code] == [200, 201]


def test_backoff_is_bounded_and_grows():
    waits, clock = [], [0.0]

    def refuse():
        raise psycopg.OperationalError("connection failed: FATAL:  the database system is starting up")

    def sleep(seconds):
        waits.append(seconds)
        clock[0] += seconds
    with pytest.raises(psycopg.OperationalError, match="starting up"):
        connect_with_backoff(refuse, 3.0, sleep=sleep, clock=lambda: clock[0])
    assert waits == sorted(waits) and waits[0] < 0.1 and max(waits) <= 0.5 and sum(waits) <= 3.0


def test_wrong_credentials_are_not_retried():
    calls = []

    def refuse():
        calls.append(time.monotonic())
        raise psycopg.OperationalError('FATAL:  password authentication failed for user "mina"')
    with pytest.raises(psycopg.OperationalError):
        connect_with_backoff(refuse, 3.0, sleep=lambda s: None)
    assert len(calls) == 1
