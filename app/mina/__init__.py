"""Mina: a small, real meeting-transcription service, built by create_app()."""
from __future__ import annotations

from . import green  # noqa: F401  (sets PSYCOPG_WAIT_FUNC before psycopg is imported)

import logging
import os
from dataclasses import fields
from datetime import timedelta
from typing import Mapping

from flask import Flask

from .settings import ConfigError, Settings

__all__ = ["create_app", "ConfigError", "Settings"]

SETTING_NAMES = {f.name.upper() for f in fields(Settings)}
MAX_BODY_BYTES = 1024 * 1024
CONNECT_ARGS = {"connect_timeout": 5, "application_name": "mina"}
# Connections are recycled before Neon's 5-minute idle suspend. The ORM engine pre-pings (a
# database restart, a reset or a woken compute would otherwise cost a 500 per pooled connection);
# the hot read path retries once on a fresh connection instead (api.read_rows).
# Per worker: 20 + 15 + 2 (fan-out) connections at most; Neon allows 104.


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the app from the environment, or from `config` alone (tests)."""
    source = os.environ if config is None else config
    settings = Settings.from_env({k: v for k, v in source.items() if k in SETTING_NAMES})
    app = Flask(__name__)
    app.config.update(flask_config(settings))
    if config is not None:  # extra Flask keys (TESTING, WTF_CSRF_ENABLED, ...)
        app.config.update({k: v for k, v in config.items() if k not in SETTING_NAMES})
    app.debug = settings.debug
    app.json.compact = True  # DEBUG=True would pretty-print via the slow pure-Python encoder
    app.extensions["mina.psycopg_wait"] = green.ensure_cooperative_psycopg()
    configure_logging(settings)
    init_sentry(settings)
    init_extensions(app, settings)
    register_blueprints(app)
    app.extensions["mina.debug_toolbar"] = init_debug_toolbar(app, settings)
    return app


def init_debug_toolbar(app: Flask, settings: Settings) -> bool:
    """Honour ENABLE_DEBUG_TOOLBAR if Flask-DebugToolbar is installed; it is not in the lock."""
    if not settings.enable_debug_toolbar:
        return False
    try:
        from flask_debugtoolbar import DebugToolbarExtension
    except ImportError:
        logging.getLogger("mina").warning(
            "ENABLE_DEBUG_TOOLBAR=true but Flask-DebugToolbar is not installed; toolbar off")
        return False
    app.config.setdefault("DEBUG_TB_INTERCEPT_REDIRECTS", False)
    DebugToolbarExtension(app)
    return True


def flask_config(settings: Settings) -> dict:
    """Translate settings into Flask and extension config keys."""
    return {
        "MINA": settings,
        "SECRET_KEY": settings.secret_key,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True, "pool_recycle": 240, "pool_size": 10, "max_overflow": 10,
            "pool_timeout": 10, "connect_args": CONNECT_ARGS},
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "REMEMBER_COOKIE_DURATION": timedelta(days=7),
        "WTF_CSRF_TIME_LIMIT": 3600,
        "JSON_SORT_KEYS": False,
    }


def configure_logging(settings: Settings) -> None:
    """Log to stderr (gunicorn's error log); DEBUG level with ENABLE_VERBOSE_LOGGING."""
    level = logging.DEBUG if settings.enable_verbose_logging else logging.INFO
    logger = logging.getLogger("mina")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(
            "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


def init_sentry(settings: Settings) -> None:
    """Start error tracking when SENTRY_DSN is set; with no DSN it stays off."""
    if not settings.sentry_dsn:
        return
    import sentry_sdk

    sentry_sdk.init(dsn=settings.sentry_dsn, environment=settings.sentry_environment,
                    release=settings.git_sha, traces_sample_rate=0.0, send_default_pii=False)


def init_extensions(app: Flask, settings: Settings) -> None:
    """Bind database, migrations, login, CSRF and Socket.IO to the app."""
    from . import hubblock, querycount
    from .extensions import csrf, db, login_manager, migrate
    from .live import init_socketio
    from .migrations import migrations_dir
    from .outage import CONNECT_RETRY_SECONDS, retry_connects

    db.init_app(app)
    app.extensions["mina.read_engine"] = read_engine(settings)
    budget = float(app.config.get("DB_CONNECT_RETRY_SECONDS", CONNECT_RETRY_SECONDS))
    with app.app_context():  # every engine rides out a database that is waking or restarting
        engines = (*db.engines.values(), app.extensions["mina.read_engine"])
        for engine in engines:
            retry_connects(engine, budget)
    app.extensions["mina.query_count"] = querycount.init_app(app, engines)
    app.extensions["mina.hub_blocked"] = hubblock.init_app(app)
    migrate.init_app(app, db, directory=migrations_dir())
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    csrf.init_app(app)
    init_socketio(app, settings)


def read_engine(settings: Settings):
    """An autocommit engine for the hot read endpoints: no BEGIN/ROLLBACK, no ORM session."""
    from sqlalchemy import create_engine

    return create_engine(settings.database_url, isolation_level="AUTOCOMMIT", pool_size=5,
                         max_overflow=10, pool_timeout=10, pool_recycle=240,
                         pool_reset_on_return=None, connect_args=CONNECT_ARGS)


def register_blueprints(app: Flask) -> None:
    """One blueprint per area; JSON APIs are exempt from form CSRF (they require JSON)."""
    from . import auth, health, meetings, pages, summary
    from .api import IdConverter, refuse_unstorable_params
    from .errors import register_error_handlers
    from .extensions import csrf, login_manager

    app.url_map.converters["id"] = IdConverter
    app.before_request(refuse_unstorable_params)
    for module in (health, auth, meetings, summary):
        app.register_blueprint(module.bp)
        if module is not health:
            csrf.exempt(module.bp)
    app.register_blueprint(pages.bp)
    register_error_handlers(app)
    login_manager.unauthorized_handler(pages.unauthorized)
