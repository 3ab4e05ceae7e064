"""The OpenAI client (official SDK) and the translation of its failures into API errors."""
from __future__ import annotations

import logging

import openai
from flask import Flask, current_app

from .errors import ApiError

log = logging.getLogger(__name__)


def get_client() -> openai.OpenAI:
    """Return this app's OpenAI client, built once from settings."""
    app = current_app._get_current_object()
    client = app.extensions.get("mina.openai")
    if client is None:
        client = build_client(app)
        app.extensions["mina.openai"] = client
    return client


def build_client(app: Flask) -> openai.OpenAI:
    settings = app.config["MINA"]
    return openai.OpenAI(api_key=settings.openai_api_key or "not-set",
                         base_url=settings.openai_base_url,
                         timeout=app.config.get("OPENAI_TIMEOUT_SECONDS", 30.0),
                         max_retries=app.config.get("OPENAI_MAX_RETRIES", 1))


def to_api_error(exc: openai.OpenAIError, action: str) -> ApiError:
    """Map an OpenAI failure to a clear client error; report it to error tracking."""
    import sentry_sdk

    sentry_sdk.capture_exception(exc)
    log.warning("openai %s failed: %s: %s", action, type(exc).__name__, exc)
    if isinstance(exc, openai.RateLimitError):
        return ApiError(429, f"the AI service is rate limiting {action}; try again shortly",
                        retryable=True, upstream_status=429)
    if isinstance(exc, openai.APITimeoutError):
        return ApiError(503, f"the AI service timed out during {action}; try again",
                        retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return ApiError(503, f"the AI service is unreachable for {action}; try again",
                        retryable=True)
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        return ApiError(503, f"the AI service failed during {action}; try again",
                        retryable=True, upstream_status=exc.status_code)
    status = getattr(exc, "status_code", None)
    return ApiError(502, f"the AI service rejected {action}", retryable=False,
                    upstream_status=status)
