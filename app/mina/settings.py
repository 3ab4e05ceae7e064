"""Typed settings read from the environment in one place; anything wrong stops start-up."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

# The image writes when its app layer was built here (docker/python/Dockerfile).
BUILD_TIME_FILE = Path(__file__).resolve().parents[1] / "BUILD_TIME"


def _build_time_file() -> str | None:
    try:
        return BUILD_TIME_FILE.read_text().strip() or None
    except OSError:
        return None

ENVIRONMENTS = ("development", "test", "staging")
# Secrets that appear in docs, examples and the staging runbook: refused in staging.
PLACEHOLDER_SECRETS = frozenset({
    "", "dev", "secret", "changeme", "change-me", "dev-secret", "development",
    "your-secret-key", "your-secret-key-here", "secret-key", "test", "test-secret",
    "staging-secret-key-different-from-prod",
})
MIN_STAGING_SECRET_LEN = 24
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    """Every environment variable the app reads, parsed and validated."""

    flask_env: str
    debug: bool
    secret_key: str
    database_url: str
    database_direct_url: str | None
    openai_api_key: str
    openai_base_url: str | None
    redis_url: str | None
    enable_debug_toolbar: bool
    enable_verbose_logging: bool
    allow_test_users: bool
    frontend_url: str | None
    api_base_url: str | None
    sentry_dsn: str | None
    sentry_environment: str
    git_sha: str
    build_time: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from a mapping (the process environment by default)."""
        env = os.environ if env is None else env
        flask_env = _str(env, "FLASK_ENV") or "development"
        if flask_env not in ENVIRONMENTS:
            raise ConfigError(
                f"FLASK_ENV={flask_env!r} is not one of {', '.join(ENVIRONMENTS)}")
        settings = cls(
            flask_env=flask_env,
            debug=_bool(env, "DEBUG", False),
            secret_key=_required(env, "SECRET_KEY"),
            database_url=normalize_database_url(_required(env, "DATABASE_URL")),
            database_direct_url=_optional_database_url(env, "DATABASE_DIRECT_URL"),
            openai_api_key=_str(env, "OPENAI_API_KEY") or "",
            openai_base_url=_str(env, "OPENAI_BASE_URL") or None,
            redis_url=_str(env, "REDIS_URL") or None,
            enable_debug_toolbar=_bool(env, "ENABLE_DEBUG_TOOLBAR", False),
            enable_verbose_logging=_bool(env, "ENABLE_VERBOSE_LOGGING", False),
            allow_test_users=_bool(env, "ALLOW_TEST_USERS", flask_env != "staging"),
            frontend_url=_str(env, "FRONTEND_URL") or None,
            api_base_url=_str(env, "API_BASE_URL") or None,
            sentry_dsn=_str(env, "SENTRY_DSN") or None,
            sentry_environment=_str(env, "SENTRY_ENVIRONMENT") or flask_env,
            git_sha=_str(env, "GIT_SHA") or "unknown",
            build_time=_str(env, "BUILD_TIME") or _build_time_file() or "unknown",
        )
        settings._check_secret()
        settings._check_listen_url()
        return settings

    def _check_secret(self) -> None:
        if self.flask_env != "staging":
            return
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ConfigError(
                "SECRET_KEY is a known placeholder; staging needs a random value "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
        if len(self.secret_key) < MIN_STAGING_SECRET_LEN:
            raise ConfigError(
                f"SECRET_KEY is shorter than {MIN_STAGING_SECRET_LEN} characters; "
                "staging needs a random value")

    def _check_listen_url(self) -> None:
        """Refuse a LISTEN/NOTIFY URL known to be a transaction-mode pooler.

        With Redis off, Socket.IO fan-out LISTENs on `listen_url`. A transaction-mode pooler
        (PgBouncer; Neon's pooled endpoint) hands the LISTEN's server connection to other clients,
        so the listener never hears a NOTIFY and cross-worker broadcasts vanish without an error.
        Only Neon's pooled endpoint can be told from its URL (its host is `<endpoint>-pooler.…`),
        so that is refused here, before anything is lost. Any other pooler (e.g. a PgBouncer
        behind an ordinary host name) is caught at run time instead: the listener checks that a
        NOTIFY of its own comes back, and logs an error and fails readiness when it does not
        (`fanout.PostgresManager`).
        """
        direct_pooler = self.database_direct_url and pooled_host(self.database_direct_url)
        if direct_pooler:
            raise ConfigError(
                f"DATABASE_DIRECT_URL points at a pooled endpoint ({direct_pooler}); it must be "
                "a direct connection (for Neon: the same host without -pooler)")
        pooler = pooled_host(self.database_url)
        if pooler and not self.redis_enabled and not self.database_direct_url:
            raise ConfigError(
                f"DATABASE_URL points at a pooled endpoint ({pooler}) and Redis is off: Socket.IO "
                "fan-out would LISTEN through a transaction-mode pooler and lose every "
                "cross-worker broadcast; set DATABASE_DIRECT_URL to a direct connection (for "
                "Neon: the same URL without -pooler in the host), or set REDIS_URL")

    @property
    def redis_enabled(self) -> bool:
        return self.redis_url is not None

    @property
    def listen_url(self) -> str:
        """The URL Socket.IO fan-out LISTENs on: DATABASE_DIRECT_URL, else DATABASE_URL."""
        return self.database_direct_url or self.database_url

    def public(self) -> dict:
        """Return the settings without secrets, for logs and diagnostics."""
        data = asdict(self)
        for key in ("secret_key", "openai_api_key", "database_url", "database_direct_url",
                    "sentry_dsn", "redis_url"):
            data[key] = "***" if data[key] else data[key]
        return data


def normalize_database_url(url: str, name: str = "DATABASE_URL") -> str:
    """Point a postgres URL at the psycopg 3 driver; refuse other schemes."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ConfigError(f"{name} must start with postgresql:// (or postgres://)")


def pooled_host(url: str) -> str | None:
    """Return the URL's host if it names Neon's pooled endpoint (`ep-…-pooler.…`), else None."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    return host if host.split(".", 1)[0].endswith("-pooler") else None


def _optional_database_url(env: Mapping[str, str], name: str) -> str | None:
    value = _str(env, name)
    return normalize_database_url(value, name) if value else None


def _str(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return None if value is None else str(value).strip()


def _required(env: Mapping[str, str], name: str) -> str:
    value = _str(env, name)
    if not value:
        raise ConfigError(f"{name} is required but not set")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use true or false)")
