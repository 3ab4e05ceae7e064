"""Errors in the real OpenAI API's shape: `{"error": {"message", "type", "param", "code"}}`."""

from __future__ import annotations

import math


class APIError(Exception):
    """An error the mock answers with, carrying the HTTP status and the real API's error fields."""

    status = 500
    type = "server_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict:
        """Return the JSON body the real API would send for this error."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class BadRequest(APIError):
    """400: the request is malformed or a parameter is invalid."""

    status = 400
    type = "invalid_request_error"


class Unauthorized(APIError):
    """401: the API key is missing or wrong."""

    status = 401
    type = "invalid_request_error"


class NotFound(APIError):
    """404: unknown model or route."""

    status = 404
    type = "invalid_request_error"


class PayloadTooLarge(APIError):
    """413: the body is bigger than the mock (and the real API) accepts."""

    status = 413
    type = "invalid_request_error"


class RateLimited(APIError):
    """429: too many requests; carries retry-after headers the SDK honours."""

    status = 429
    type = "requests"

    def __init__(self, retry_after: float, model: str = "gpt-4o-mini") -> None:
        ms = max(0, round(retry_after * 1000))
        super().__init__(
            f"Rate limit reached for {model} in organization org-staging on requests per min (RPM): "
            f"Limit 500, Used 500, Requested 1. Please try again in {ms}ms.",
            code="rate_limit_exceeded",
            headers={
                "retry-after": str(max(1, math.ceil(retry_after))),
                "retry-after-ms": str(ms),
                "x-ratelimit-remaining-requests": "0",
            },
        )


class ServerError(APIError):
    """5xx: the server failed; the status is chosen by the fault that raised it."""

    MESSAGES = {
        500: "The server had an error while processing your request. Sorry about that!",
        502: "Bad gateway.",
        503: "The engine is currently overloaded, please try again later.",
        504: "Gateway timeout: the request took too long to process.",
    }

    def __init__(self, status: int = 500, message: str | None = None) -> None:
        super().__init__(message or self.MESSAGES.get(status, "The server had an error."))
        self.status = status


def status_error(status: int, retry_after: float | None = None) -> APIError:
    """Build the error the real API sends for an arbitrary status code (used by faults)."""
    if status == 429:
        return RateLimited(retry_after if retry_after is not None else 0.2)
    if status >= 500:
        error = ServerError(status)
    else:
        error = APIError(f"Injected fault: HTTP {status}.", code="mock_fault")
        error.status, error.type = status, "invalid_request_error"
    if retry_after is not None:
        error.headers["retry-after-ms"] = str(round(retry_after * 1000))
    return error


def missing(param: str) -> BadRequest:
    """Return the 400 the real API sends when a required parameter is absent."""
    return BadRequest(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def invalid_type(param: str, expected: str, value: object) -> BadRequest:
    """Return the 400 the real API sends when a parameter has the wrong JSON type."""
    names = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
             list: "an array", dict: "an object", type(None): "null"}
    got = names.get(type(value), "a value")
    return BadRequest(
        f"Invalid type for '{param}': expected {expected}, but got {got} instead.",
        param=param,
        code="invalid_type",
    )
