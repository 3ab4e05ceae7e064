import pytest


@pytest.mark.parametrize("method,path", [("get", "/api/meetings"), ("get", "/api/meetings/1"),
                                         ("delete", "/api/meetings/1"), ("post", "/api/auth/logout"),
                                         ("post", "/api/meetings/1/summary")])
def test_api_needs_login_and_says_so_in_json(client, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401 and "log in" in response.json["error"]


def test_register_rejects_invalid_json(client):
    response = client.post("/api/auth/register", data="{not json",
                           content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.json["error"]


def test_register_rejects_form_posts(client):
    response = client.post("/api/auth/register", data={"email": "a@b.c"})
    assert response.status_code == 415


def test_register_rejects_non_object(client):
    response = client.post("/api/auth/register", json=[1, 2])
    assert response.status_code == 400 and "object" in response.json["error"]


def test_oversize_body_is_413_json(client):
    response = client.post("/api/auth/register", data="x" * (1024 * 1024 + 10),
                           content_type="application/json")
    assert response.status_code == 413 and response.json["status"] == 413


@pytest.mark.parametrize("body,field", [({"username": "abc", "password": "p" * 8}, "email"),
                                         ({"email": 3, "username": "abc", "password": "p" * 8}, "email")])
def test_register_names_the_bad_field(client, body, field):
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 400 and field in response.json["error"]
