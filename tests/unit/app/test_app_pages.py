import pytest


@pytest.mark.parametrize("path,heading", [("/", "<h1>Mina</h1>"), ("/login", "<h1>Log in</h1>"),
                                          ("/register", "<h1>Create an account</h1>")])
def test_public_pages_have_landmarks_and_heading(client, path, heading):
    html = client.get(path).get_data(as_text=True)
    assert heading in html and '<main id="main">' in html and 'lang="en"' in html


def test_login_inputs_are_labelled(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="login">' in html and '<label for="password">' in html


def test_meetings_page_redirects_to_login(client):
    response = client.get("/meetings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_form_post_without_csrf_token_is_rejected(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/login", data={"login": "a", "password": "b"},
                                      headers={"Accept": "text/html"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
