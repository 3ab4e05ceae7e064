"""Client mistakes get a 4xx in the API's error shape, never a 500, and change nothing stored.

Each case is one request a careless or hurried client could send; `{mine}` is the id of the
logged-in user's meeting. The database's fingerprint (every row of every table) is compared
before and after each request.
"""
import json

import psycopg
import pytest

from mina import create_app
from tests.support.app import PASSWORD, app_config

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
HUGE_ID = "99999999999999999999"
TABLES = ("users", "meetings", "transcript_segments", "summaries", "idempotency_keys")


def raw(text: str | bytes, content_type: str = "application/json") -> dict:
    return {"data": text, "content_type": content_type}


def signup(**fields) -> dict:
    return {"json": {"email": "bob@example.com", "username": "bob", "password": PASSWORD, **fields}}


API_CASES = [  # (method, path, request kwargs, status, words in the error)
    ("post", "/api/auth/register", raw(DEEP_ARRAY), 400, "nested too deeply"),
    ("post", "/api/auth/register", raw(DEEP_OBJECT), 400, "nested too deeply"),
    ("post", "/api/auth/login", raw(DEEP_ARRAY), 400, "nested too deeply"),
    ("post", "/api/meetings", raw(DEEP_OBJECT), 400, "nested too deeply"),
    ("post", "/api/auth/register", raw("{not json"), 400, "not valid JSON"),
    ("post", "/api/auth/register", raw(b'{"email": "\xff\xfe"}'), 400, "not valid JSON"),
    ("post", "/api/auth/register", raw("null"), 400, "not valid JSON"),
    ("post", "/api/auth/register", raw("[1, 2]"), 400, "object"),
    ("post", "/api/auth/register", raw('"just a string"'), 400, "object"),
    ("post", "/api/auth/register", raw("email=a@b.c", "application/x-www-form-urlencoded"), 415,
     "Content-Type"),
    ("post", "/api/meetings", raw('{"title": "x"}', "text/plain"), 415, "Content-Type"),
    ("post", "/api/auth/register", raw("x" * (1024 * 1024 + 10)), 413, ""),
    ("post", "/api/auth/register", signup(username="bo\u0000b"), 400, "NUL"),
    ("post", "/api/auth/register", signup(email="bob\u0000@example.com"), 400, "NUL"),
    ("post", "/api/auth/register", signup(password="pass\u0000word123"), 400, "NUL"),
    ("post", "/api/auth/register",
     raw('{"email": "bob@example.com", "username": "bob", "password": "correct horse battery",'
         ' "display_name": "\\ud800"}'), 400, "Unicode"),
    ("post", "/api/auth/register", signup(email=3), 400, "email"),
    ("post", "/api/auth/register", signup(email="not-an-address"), 400, "email"),
    ("post", "/api/auth/register", signup(username="b" * 41), 400, "username"),
    ("post", "/api/auth/register", signup(username="bad name!"), 400, "username"),
    ("post", "/api/auth/register", signup(password="short"), 400, "password"),
    ("post", "/api/auth/register", {"json": {"username": "bob", "password": PASSWORD}}, 400, "email"),
    ("post", "/api/auth/register", signup(email="alice@example.com", username="alice"), 409,
     "already registered"),
    ("post", "/api/auth/login", {"json": {"login": "ali\u0000ce", "password": PASSWORD}}, 400, "NUL"),
    ("post", "/api/auth/login", {"json": {"login": "alice", "password": "wrong password"}}, 401,
     "wrong"),
    ("post", "/api/auth/login", {"json": {"login": ["alice"], "password": PASSWORD}}, 400, "login"),
    ("post", "/api/meetings", {"json": {"title": "Stand\u0000up"}}, 400, "NUL"),
    ("post", "/api/meetings", raw('{"title": "\\udfff half a pair"}'), 400, "Unicode"),
    ("post", "/api/meetings", {"json": {"title": "ok", "description": "a\u0000b"}}, 400, "NUL"),
    ("post", "/api/meetings", {"json": {"title": ""}}, 400, "title"),
    ("post", "/api/meetings", {"json": {"title": "   "}}, 400, "title"),
    ("post", "/api/meetings", {"json": {"title": "t" * 201}}, 400, "title"),
    ("post", "/api/meetings", {"json": {"title": 12}}, 400, "title"),
    ("post", "/api/meetings", {"json": {"title": "ok", "description": {"a": 1}}}, 400, "description"),
    ("post", "/api/meetings", {"json": {}}, 400, "title"),
    ("post", "/api/meetings", {"json": {"title": "ok"}, "headers": {"Idempotency-Key": "a b"}}, 400,
     "Idempotency-Key"),
    ("get", f"/api/meetings/{HUGE_ID}", {}, 404, ""),
    ("delete", f"/api/meetings/{HUGE_ID}", {}, 404, ""),
    ("get", f"/api/meetings/{HUGE_ID}/segments", {}, 404, ""),
    ("post", f"/api/meetings/{HUGE_ID}/summary", {"json": {}}, 404, ""),
    ("get", f"/api/meetings/{HUGE_ID}/summary", {}, 404, ""),
    ("get", "/api/meetings/9223372036854775807", {}, 404, "not found"),
    ("get", "/api/meetings/0", {}, 404, ""),
    ("get", "/api/meetings/-1", {}, 404, ""),
    ("get", "/api/meetings/abc", {}, 404, ""),
    ("put", "/api/meetings", {"json": {"title": "x"}}, 405, ""),
    ("get", "/api/meetings?page=abc", {}, 400, "page"),
    ("get", "/api/meetings?page=0", {}, 400, "page"),
    ("get", f"/api/meetings?page={HUGE_ID}", {}, 400, "page"),
    ("get", "/api/meetings?per_page=101", {}, 400, "per_page"),
    ("get", "/api/meetings?page=%00", {}, 400, "NUL"),
    ("get", "/api/meetings?q=a%00b", {}, 400, "NUL"),
    ("get", "/api/meetings/{mine}/segments?after_seq=-2", {}, 400, "after_seq"),
    ("get", "/api/meetings/{mine}/segments?after_seq=99999999999", {}, 400, "after_seq"),
    ("get", "/api/meetings/{mine}/segments?limit=0", {}, 400, "limit"),
    ("post", "/api/meetings/{mine}/summary", {"json": {}}, 409, "no transcript"),
    ("get", "/api/meetings/{mine}/summary", {}, 404, "no summary"),
]

PAGE_CASES = [  # (method, path, request kwargs, status)
    ("get", f"/meetings/{HUGE_ID}", {}, 404),
    ("get", "/meetings/9223372036854775807", {}, 404),
    ("get", "/meetings?page=abc", {}, 400),
    ("post", "/meetings", {"data": {"title": "Stand\u0000up"}}, 400),
    ("post", "/login", {"data": {"login": "ali\u0000ce", "password": PASSWORD}}, 400),
    ("post", "/register", {"data": {"email": "b\u0000@example.com", "username": "bob",
                                    "password": PASSWORD}}, 400),
]


@pytest.fixture(scope="module")
def stored(postgres_server, migrated_template):
    """One migrated database with alice and her meeting; the app and her logged-in client."""
    url = postgres_server.create_database("bad_input_api", template=migrated_template)
    app = create_app(app_config(url, WTF_CSRF_ENABLED=False))
    client = app.test_client()
    assert client.post("/api/auth/register", json={"email": "alice@example.com", "username": "alice",
                                                    "password": PASSWORD}).status_code == 201
    meeting = client.post("/api/meetings", json={"title": "Planning"}).json
    yield url, client, meeting["id"]
    app.extensions["mina.read_engine"].dispose()
    with app.app_context():
        from mina.extensions import db
        db.engine.dispose()
    postgres_server.drop_database("bad_input_api")


def fingerprint(url: str) -> dict:
    """Every table's row count and a digest of all its rows."""
    with psycopg.connect(url) as conn:
        return {table: conn.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f"FROM {table} t").fetchone() for table in TABLES}


@pytest.mark.parametrize("method,path,kwargs,status,words", API_CASES,
                         ids=[f"{c[0]} {c[1][:50]} {c[3]} {i}" for i, c in enumerate(API_CASES)])
def test_api_bad_input(stored, method, path, kwargs, status, words):
    url, client, mine = stored
    before = fingerprint(url)
    response = getattr(client, method)(path.format(mine=mine), **kwargs)
    assert response.status_code == status, response.data[:300]
    body = json.loads(response.data)
    assert set(body) == {"error", "status", "retryable"}, body
    assert body["status"] == status and body["retryable"] is False
    assert isinstance(body["error"], str) and "\n" not in body["error"] and words in body["error"]
    assert fingerprint(url) == before


@pytest.mark.parametrize("method,path,kwargs,status", PAGE_CASES,
                         ids=[f"{c[0]} {c[1][:40]} {c[3]}" for c in PAGE_CASES])
def test_page_bad_input(stored, method, path, kwargs, status):
    url, client, _ = stored
    before = fingerprint(url)
    response = getattr(client, method)(path, headers={"Accept": "text/html"}, **kwargs)
    assert response.status_code == status and response.mimetype == "text/html"
    assert b"Traceback" not in response.data
    assert fingerprint(url) == before
