"""Typed settings read from the environment in one place; anything wrong stops start-up."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

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

    @property
    def redis_enabled(self) -> bool:
        return self.redis_url is not None

    def public(self) -> dict:
        """Return the settings without secrets, for logs and diagnostics."""
        data = asdict(self)
        for key in ("secret_key", "openai_api_key", "database_url", "sentry_dsn", "redis_url"):
            data[key] = "***" if data[key] else data[key]
        return data


def normalize_database_url(url: str) -> str:
    """Point a postgres URL at the psycopg 3 driver; refuse other schemes."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ConfigError("DATABASE_URL must start with postgresql:// (or postgres://)")


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
