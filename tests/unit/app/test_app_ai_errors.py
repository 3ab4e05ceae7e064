import httpx2 as httpx
import openai
import pytest

from mina.ai import to_api_error

REQUEST = httpx.Request("POST", "http://mock/v1/chat/completions")


def status_error(cls, code, headers=None):
    response = httpx.Response(code, request=REQUEST, json={"error": {"message": "x"}},
                              headers=headers)
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


def test_a_broken_answer_is_a_retryable_502(app):
    import json

    with app.app_context():
        err = to_api_error(json.JSONDecodeError("Unterminated string", '{"text": "cut', 9), "the summary")
    assert err.status == 502 and err.retryable and "broken answer" in err.message
    assert err.headers == {"Retry-After": "1"}


def test_rejected_request_is_502_not_retryable(app):
    with app.app_context():
        err = to_api_error(status_error(openai.AuthenticationError, 401), "the summary")
    assert err.status == 502 and not err.retryable


@pytest.mark.parametrize("headers, wait", [
    ({"retry-after": "7"}, "7"), ({"retry-after-ms": "1500"}, "2"), ({"retry-after": "0.2"}, "1"),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, "1"), ({}, "1")])
def test_a_retryable_ai_failure_tells_the_client_how_long_to_wait(app, headers, wait):
    with app.app_context():
        err = to_api_error(status_error(openai.RateLimitError, 429, headers), "the summary")
    assert err.headers == {"Retry-After": wait}


def test_an_api_error_s_headers_reach_the_response(app):
    from mina.errors import ApiError

    handler = app.error_handler_spec[None][None][ApiError]
    with app.test_request_context("/api/meetings/1/summary", method="POST"):
        body, status, headers = handler(ApiError(429, "x", retryable=True, headers={"Retry-After": "3"}))
    assert status == 429 and headers == {"Retry-After": "3"} and body.json["retryable"] is True
