"""One place that turns errors into clear responses: JSON for the API, HTML for pages."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .outage import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, first_line, is_outage

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the client can act on: a status, a message and whether retrying helps."""

    def __init__(self, status: int, message: str, *, retryable: bool = False,
                 headers: dict[str, str] | None = None, **extra):
        super().__init__(message)
        self.status, self.message, self.retryable, self.extra = status, message, retryable, extra
        self.headers = headers or {}


def wants_json() -> bool:
    """Return True for API and health paths, or clients that prefer JSON over HTML."""
    if request.path.startswith(("/api/", "/health", "/version")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, message: str, *, retryable: bool = False, headers=None, **extra):
    """Render an error as JSON or as the error page, whichever the client wants."""
    if wants_json():
        body = {"error": message, "status": status, "retryable": retryable, **extra}
        return jsonify(body), status, headers or {}
    return render_template("error.html", status=status, message=message), status, headers or {}


def database_unavailable(err: Exception):
    """Answer a database outage with a retryable 503 and Retry-After, after rolling back."""
    from .extensions import db

    try:
        db.session.rollback()  # the connection is gone or broken; never reuse its transaction
    except Exception:  # noqa: BLE001 (a dead connection may fail even to roll back)
        db.session.close()
    if "_login_user" not in g:  # the page's nav would load the session user from the database
        g._login_user = current_app.login_manager.anonymous_user()
    log.warning("database unavailable on %s %s: %s", request.method, request.path,
                first_line(err))
    return error_response(503, UNAVAILABLE_MESSAGE, retryable=True,
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def register_error_handlers(app: Flask) -> None:
    """Install handlers so no error leaves the app as a bare 500 page."""

    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        log.info("api error %s %s: %s", request.method, request.path, err.message)
        return error_response(err.status, err.message, retryable=err.retryable,
                              headers=err.headers, **err.extra)

    @app.errorhandler(CSRFError)
    def handle_csrf(err: CSRFError):
        log.info("csrf failure on %s: %s", request.path, err.description)
        return error_response(400, f"CSRF check failed: {err.description}")

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        if err.code and err.code >= 500:
            log.error("http %s on %s: %s", err.code, request.path, err.description)
        return error_response(err.code or 500, err.description or err.name)

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        if is_outage(err):
            return database_unavailable(err)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, InternalServerError.description)
