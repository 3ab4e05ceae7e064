"""Idempotent create endpoints: the `Idempotency-Key` request header, as payment APIs use it.

A create request may carry `Idempotency-Key: <1-255 visible ASCII characters>` (a UUID, say). Its
first successful response is committed in the same transaction as what it created, so a retry
after any failure (a 503 while the database restarted, a lost connection, a timeout) is safe:
- same user, key and request (method, path and body bytes) → the first response again, with
  `Idempotent-Replayed: true`, and nothing is created twice;
- the same key with a different request → 422;
- keys belong to one user and are forgotten after KEY_TTL.
Errors are not stored: a failed create changed nothing, so its retry runs again.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .errors import ApiError
from .extensions import db
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
KEY_TTL = timedelta(hours=24)
PRIMARY_KEY = "idempotency_keys_pkey"


def idempotent(view):
    """Replay the stored response to a repeated Idempotency-Key; put it below @login_required."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not KEY_PATTERN.fullmatch(key):
            raise ApiError(400, f"'{HEADER}' must be 1 to 255 visible ASCII characters "
                                "(a UUID, for example)")
        fingerprint = request_fingerprint()
        stored = find(current_user.id, key)
        if stored is not None:
            return replay(stored, fingerprint)
        g.idempotency = (key, fingerprint)
        return view(*args, **kwargs)
    return wrapper


def commit_created(body: dict, status: int = 201):
    """Commit the view's transaction together with its response; return that response.

    Build `body` before calling (after a flush): nothing is read back after the commit, so a
    database lost right after it cannot turn a committed create into an error.
    """
    pending = g.pop("idempotency", None)
    if pending is not None:
        db.session.add(IdempotencyKey(user_id=current_user.id, key=pending[0],
                                      request_hash=pending[1], status_code=status, response=body))
    try:
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        if pending is None or getattr(err.orig.diag, "constraint_name", None) != PRIMARY_KEY:
            raise
        stored = find(current_user.id, pending[0])  # a concurrent request with this key won
        if stored is None:
            raise
        return replay(stored, pending[1])
    return jsonify(body), status


def request_fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def find(user_id: int, key: str) -> IdempotencyKey | None:
    """Return the user's live record for `key`; an expired (or sanitized) one is deleted."""
    match = (IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    stored = db.session.scalar(select(IdempotencyKey).where(*match))
    if stored is None:
        return None
    if stored.response is None or stored.created_at < datetime.now(timezone.utc) - KEY_TTL:
        db.session.expunge(stored)
        db.session.execute(delete(IdempotencyKey).where(*match))
        return None
    return stored


def replay(stored: IdempotencyKey, fingerprint: str):
    if stored.request_hash != fingerprint:
        raise ApiError(422, f"this {HEADER} was already used for a different request; "
                            "send a new key for a new request")
    return jsonify(stored.response), stored.status_code, {"Idempotent-Replayed": "true"}
