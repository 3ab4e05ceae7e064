"""Accounts over the JSON API: register, log in, log out."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, session
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from .api import json_body, text_field
from .errors import ApiError
from .extensions import db, login_manager
from .models import User

bp = Blueprint("auth", __name__, url_prefix="/api/auth")

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
TEST_DOMAINS = ("example.com", "example.org", "example.net", ".test", ".invalid")


USER_CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class SessionUser(UserMixin):
    """The logged-in user as the session needs it: no ORM object, cacheable per worker."""

    id: int
    email: str
    username: str
    display_name: str | None

    def to_dict(self) -> dict:
        return {"id": self.id, "email": self.email, "username": self.username,
                "display_name": self.display_name}


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    """Load the session's user, cached for a few seconds per worker (saves a query per request)."""
    try:
        uid = int(user_id)
    except ValueError:
        return None
    cache = current_app.extensions.setdefault("mina.user_cache", {})
    ttl = current_app.config.get("USER_CACHE_SECONDS", USER_CACHE_SECONDS)
    hit = cache.get(uid)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    row = db.session.execute(select(User.id, User.email, User.username, User.display_name)
                             .where(User.id == uid)).first()
    user = SessionUser(*row) if row else None
    if user is None:
        cache.pop(uid, None)
    elif ttl > 0:
        cache[uid] = (time.monotonic() + ttl, user)
    return user


def is_test_email(email: str) -> bool:
    """Return True for reserved test domains (RFC 2606), allowed only with ALLOW_TEST_USERS."""
    domain = email.rsplit("@", 1)[-1].lower()
    return any(domain.endswith(d) if d.startswith(".") else domain == d or domain.endswith("." + d)
               for d in TEST_DOMAINS)


def create_user(email: str, username: str, password: str, display_name: str | None) -> User:
    """Validate and insert a new user; raise ApiError for anything the client must fix."""
    email = email.lower()
    if not EMAIL_RE.match(email):
        raise ApiError(400, "'email' is not a valid address")
    if not USERNAME_RE.match(username):
        raise ApiError(400, "'username' must be 3-40 letters, digits, '_', '.' or '-'")
    if len(password) < 8:
        raise ApiError(400, "'password' must be at least 8 characters")
    if is_test_email(email) and not current_app.config["MINA"].allow_test_users:
        raise ApiError(400, "test-domain accounts are disabled here (ALLOW_TEST_USERS=false)")
    taken = db.session.scalar(select(User.id).where(
        or_(User.email == email, func.lower(User.username) == username.lower())))
    if taken is not None:
        raise ApiError(409, "that email or username is already registered")
    user = User(email=email, username=username, display_name=display_name,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
    return user


def start_session(user: User, remember: bool = False) -> None:
    """Log the user in with a session that expires (PERMANENT_SESSION_LIFETIME)."""
    session.permanent = True
    login_user(user, remember=remember)


def authenticate(login: str, password: str) -> User | None:
    """Return the user whose email or username and password match, else None."""
    user = db.session.scalar(select(User).where(
        or_(User.email == login.lower(), User.username == login)))
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = datetime.now(timezone.utc)
    db.session.commit()
    return user


@bp.post("/register")
def register():
    data = json_body()
    user = create_user(text_field(data, "email", max_len=254),
                       text_field(data, "username", max_len=40),
                       text_field(data, "password", max_len=200),
                       text_field(data, "display_name", required=False, max_len=100))
    start_session(user)
    return jsonify({"user": user.to_dict()}), 201


@bp.post("/login")
def login():
    data = json_body()
    user = authenticate(text_field(data, "login", required=False, max_len=254)
                        or text_field(data, "email", max_len=254),
                        text_field(data, "password", max_len=200))
    if user is None:
        raise ApiError(401, "wrong email/username or password")
    start_session(user, remember=data.get("remember") is True)
    return jsonify({"user": user.to_dict()})


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return jsonify({"status": "logged out"})


@bp.get("/me")
@login_required
def me():
    return jsonify({"user": current_user.to_dict()})
