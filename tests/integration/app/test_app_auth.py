from tests.support.app import PASSWORD


def test_register_logs_in(client, register):
    user = register(client)
    assert client.get("/api/auth/me").json["user"]["id"] == user["id"]


def test_password_is_hashed(app, client, register):
    from mina.extensions import db
    from mina.models import User
    register(client)
    with app.app_context():
        stored = db.session.scalar(db.select(User.password_hash))
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_duplicate_registration_is_409(client, register):
    register(client)
    again = client.post("/api/auth/register", json={
        "email": "ALICE@example.com", "username": "other", "password": PASSWORD})
    assert again.status_code == 409


def test_login_logout_cycle(client, register):
    register(client)
    client.post("/api/auth/logout", json={})
    assert client.get("/api/auth/me").status_code == 401
    login = client.post("/api/auth/login", json={"login": "alice", "password": PASSWORD})
    assert login.status_code == 200 and client.get("/api/auth/me").status_code == 200


def test_wrong_password_is_401(client, register):
    register(client)
    client.post("/api/auth/logout", json={})
    response = client.post("/api/auth/login", json={"email": "alice@example.com", "password": "nope-nope"})
    assert response.status_code == 401 and "password" in response.json["error"]


def test_test_domains_refused_when_test_users_disabled(make_app):
    client = make_app(ALLOW_TEST_USERS="false").test_client()
    response = client.post("/api/auth/register", json={
        "email": "bob@example.com", "username": "bob", "password": PASSWORD})
    assert response.status_code == 400 and "ALLOW_TEST_USERS" in response.json["error"]


def test_tampered_session_cookie_is_logged_out(client, register):
    register(client)
    client.set_cookie("session", "forged.cookie.value")
    assert client.get("/api/auth/me").status_code == 401


def test_deleted_user_loses_access(make_app, register):
    from mina.extensions import db
    from mina.models import User
    app = make_app(USER_CACHE_SECONDS=0)
    client = app.test_client()
    register(client)
    with app.app_context():
        db.session.execute(db.delete(User))
        db.session.commit()
    assert client.get("/api/meetings").status_code == 401


def test_session_expires(make_app, register):
    import time
    from datetime import timedelta
    client = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=1)).test_client()
    register(client)
    assert client.get("/api/auth/me").status_code == 200
    time.sleep(2.1)
    assert client.get("/api/auth/me").status_code == 401
