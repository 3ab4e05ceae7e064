"""Liveness, readiness and version: what the stack's healthchecks and humans ask."""
from __future__ import annotations

import os
import platform
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db
from .migrations import current_revision, head_revision

bp = Blueprint("health", __name__)
# How long readiness waits for a fan-out check under way: milliseconds on a direct connection,
# so a worker that just booted answers 200 rather than 503 "pending"; well under the probe's 3 s.
PENDING_WAIT_S = 1.0


@bp.get("/health")
def live():
    return jsonify({"status": "ok"})


@bp.get("/health/ready")
def ready():
    settings = current_app.config["MINA"]
    database = check_database()
    checks = {"database": database,
              "migrations": check_migrations() if database["status"] == "ok" else {"status": "unknown"},
              "redis": check_redis(settings.redis_url),
              "fanout_listen": check_listen(current_app.extensions["mina.fanout_manager"])}
    ok = all(c["status"] in ("ok", "disabled") for c in checks.values())
    body = {"status": "ok" if ok else "unavailable", **checks,
            "openai": {"status": "configured" if settings.openai_base_url else "default",
                       "base_url": settings.openai_base_url or "https://api.openai.com/v1"},
            "fanout": current_app.extensions["mina.fanout"],
            "psycopg_wait": current_app.extensions["mina.psycopg_wait"],
            "worker_pid": os.getpid()}
    return jsonify(body), 200 if ok else 503


@bp.get("/version")
def version():
    settings = current_app.config["MINA"]
    return jsonify({"git_sha": settings.git_sha, "build_time": settings.build_time,
                    "environment": settings.flask_env, "python": platform.python_version(),
                    "features": {"debug": settings.debug,
                                 "debug_toolbar": current_app.extensions["mina.debug_toolbar"],
                                 "verbose_logging": settings.enable_verbose_logging,
                                 "test_users": settings.allow_test_users},
                    "worker_pid": os.getpid()})


def check_database() -> dict:
    """Run SELECT 1 and time it."""
    started = time.monotonic()
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as exc:  # any driver error means not ready
        db.session.rollback()
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1)}


def check_migrations() -> dict:
    """Compare the database's alembic revision with the newest migration on disk."""
    try:
        current, head = current_revision(), head_revision()
    except Exception as exc:
        db.session.rollback()
        return {"status": "down", "error": type(exc).__name__}
    status = "ok" if current == head else "behind"
    return {"status": status, "current": current, "head": head}


def check_redis(url: str | None) -> dict:
    """Ping Redis with a short timeout, or report that it is disabled."""
    if not url:
        return {"status": "disabled"}
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok"}


def check_listen(manager) -> dict:
    """Report whether PostgreSQL fan-out hears its own NOTIFY: not ready while "pending" or "lost".

    The listener starts when the worker boots (live.start_fanout_listener); a check under way is
    given PENDING_WAIT_S to finish. "disabled" when fan-out goes through Redis (or stays in one
    process).
    """
    status = getattr(manager, "listen_status", None)
    deadline = time.monotonic() + PENDING_WAIT_S
    while status == "pending" and time.monotonic() < deadline:
        time.sleep(0.02)  # green under eventlet
        status = manager.listen_status
    return {"status": status or "disabled"}
