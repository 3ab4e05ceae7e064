"""The OpenAI client (official SDK) and the translation of its failures into API errors."""
from __future__ import annotations

import json
import logging
import math

import openai
from flask import Flask, current_app

from .errors import ApiError

log = logging.getLogger(__name__)
# What a call to the AI service may raise: the SDK's own errors, and the JSONDecodeError its parsing
# raises for a 200 whose body is not JSON (a broken answer, not a bug of ours)
AI_FAILURES = (openai.OpenAIError, json.JSONDecodeError)


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


def retry_after(exc: Exception) -> str:
    """Whole seconds the client should wait: the AI service's own retry-after(-ms), else 1."""
    response = getattr(exc, "response", None)
    headers = response.headers if response is not None else {}
    try:
        if headers.get("retry-after-ms"):
            return str(max(1, math.ceil(float(headers["retry-after-ms"]) / 1000)))
        if headers.get("retry-after"):
            return str(max(1, math.ceil(float(headers["retry-after"]))))
    except ValueError:  # an HTTP date, or garbage: the default
        pass
    return "1"


def to_api_error(exc: Exception, action: str) -> ApiError:
    """Map an OpenAI failure to a clear client error; report it to error tracking."""
    import sentry_sdk

    sentry_sdk.capture_exception(exc)
    log.warning("openai %s failed: %s: %s", action, type(exc).__name__, exc)
    wait = {"Retry-After": retry_after(exc)}
    if isinstance(exc, openai.RateLimitError):
        return ApiError(429, f"the AI service is rate limiting {action}; try again shortly",
                        retryable=True, headers=wait, upstream_status=429)
    if isinstance(exc, openai.APITimeoutError):
        return ApiError(503, f"the AI service timed out during {action}; try again",
                        retryable=True, headers=wait)
    if isinstance(exc, json.JSONDecodeError):
        return ApiError(502, f"the AI service sent a broken answer during {action}; try again",
                        retryable=True, headers=wait)
    if isinstance(exc, openai.APIConnectionError):
        return ApiError(503, f"the AI service is unreachable for {action}; try again",
                        retryable=True, headers=wait)
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        return ApiError(503, f"the AI service failed during {action}; try again",
                        retryable=True, headers=wait, upstream_status=exc.status_code)
    status = getattr(exc, "status_code", None)
    return ApiError(502, f"the AI service rejected {action}", retryable=False,
                    upstream_status=status)
