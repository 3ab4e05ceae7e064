import re

import pytest

from tests.support.app import PASSWORD


def csrf(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def browser(client):
    """A client registered through the HTML form, CSRF token included."""
    response = client.post("/register", data={
        "csrf_token": csrf(client, "/register"), "email": "carol@example.com",
        "username": "carol", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/meetings")
    return client


def test_form_login_needs_csrf_token(client, register):
    register(client)
    client.post("/api/auth/logout", json={})
    response = client.post("/login", data={"login": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_create_meeting_through_the_form(browser):
    response = browser.post("/meetings", data={"csrf_token": csrf(browser, "/meetings"),
                                               "title": "Retro"})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>Retro</h1>" in page and 'aria-live="polite"' in page


def test_invalid_form_shows_labelled_error(browser):
    response = browser.post("/meetings", data={"csrf_token": csrf(browser, "/meetings"),
                                               "title": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'aria-invalid="true"' in html
    assert 'aria-describedby="title-error"' in html


def test_meeting_list_page_and_others_meeting(app, browser, register):
    other = app.test_client()
    register(other, "dave")
    their = other.post("/api/meetings", json={"title": "Private"}).json["id"]
    assert browser.get(f"/meetings/{their}").status_code == 404
    assert "No meetings yet." in browser.get("/meetings").get_data(as_text=True)


def test_logout_form(browser):
    response = browser.post("/logout", data={"csrf_token": csrf(browser, "/meetings")})
    assert response.status_code == 302
    assert browser.get("/meetings").status_code == 302
