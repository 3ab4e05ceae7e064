"""Create endpoints honour Idempotency-Key: a retried create replays its first response."""
import psycopg
import pytest

KEY = {"Idempotency-Key": "6f1c2d1e-4b7a-4c55-9e0b-0d6c1f3e2a10"}


@pytest.fixture
def client(make_db_app, register):
    client = make_db_app().test_client()
    register(client)
    return client


def count(url, table="meetings"):
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_the_same_key_and_body_replays_the_first_response(client, migrated_url):
    first = client.post("/api/meetings", json={"title": "Standup"}, headers=KEY)
    again = client.post("/api/meetings", json={"title": "Standup"}, headers=KEY)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(migrated_url) == 1


def test_the_same_key_with_another_body_is_422_and_creates_nothing(client, migrated_url):
    client.post("/api/meetings", json={"title": "Standup"}, headers=KEY)
    other = client.post("/api/meetings", json={"title": "Retro"}, headers=KEY)
    assert other.status_code == 422 and other.json["status"] == 422
    assert other.json["retryable"] is False and "Idempotency-Key" in other.json["error"]
    assert count(migrated_url) == 1


def test_without_a_key_every_post_creates(client, migrated_url):
    for _ in range(2):
        assert client.post("/api/meetings", json={"title": "Standup"}).status_code == 201
    assert count(migrated_url) == 2


def test_keys_belong_to_one_user(make_db_app, register, migrated_url):
    app = make_db_app()
    alice, bob = app.test_client(), app.test_client()
    register(alice, "alice")
    register(bob, "bob")
    mine = alice.post("/api/meetings", json={"title": "Standup"}, headers=KEY)
    theirs = bob.post("/api/meetings", json={"title": "Standup"}, headers=KEY)
    assert theirs.status_code == 201 and theirs.json["id"] != mine.json["id"]
    assert theirs.json["owner_id"] != mine.json["owner_id"] and count(migrated_url) == 2


def test_a_failed_create_is_not_stored_and_its_retry_runs(client, migrated_url):
    assert client.post("/api/meetings", json={"title": ""}, headers=KEY).status_code == 400
    assert count(migrated_url, "idempotency_keys") == 0
    assert client.post("/api/meetings", json={"title": "Fixed"}, headers=KEY).status_code == 201


def test_an_expired_key_creates_again(client, migrated_url):
    client.post("/api/meetings", json={"title": "Standup"}, headers=KEY)
    with psycopg.connect(migrated_url) as conn:
        conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    again = client.post("/api/meetings", json={"title": "Standup"}, headers=KEY)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert count(migrated_url) == 2 and count(migrated_url, "idempotency_keys") == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_key_is_400(client, migrated_url, key):
    response = client.post("/api/meetings", json={"title": "Standup"},
                           headers={"Idempotency-Key": key})
    assert response.status_code == 400 and "Idempotency-Key" in response.json["error"]
    assert count(migrated_url) == 0
