import httpx2 as httpx
import openai
import pytest

from mina.ai import to_api_error

REQUEST = httpx.Request("POST", "http://mock/v1/chat/completions")


def status_error(cls, code):
    response = httpx.Response(code, request=REQUEST, json={"error": {"message": "x"}})
    return cls("x", response=response, body=None)


@pytest.mark.parametrize("exc,status", [
    (status_error(openai.RateLimitError, 429), 429),
    (status_error(openai.InternalServerError, 500), 503),
    (status_error(openai.InternalServerError, 503), 503),
    (openai.APITimeoutError(request=REQUEST), 503),
    (openai.APIConnectionError(request=REQUEST), 503),
])
def test_retryable_openai_failures(app, exc, status):
    with app.app_context():
        err = to_api_error(exc, "the summary")
    assert err.status == status and err.retryable and "try again" in err.message


def test_rejected_request_is_502_not_retryable(app):
    with app.app_context():
        err = to_api_error(status_error(openai.AuthenticationError, 401), "the summary")
    assert err.status == 502 and not err.retryable
