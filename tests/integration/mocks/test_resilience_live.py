"""The resilience verdict of the running mock, for the openai Python SDK and its own retries under the
`ratelimit` profile (every answer a 429 with retry-after: 1, retry-after-ms: 1000)."""
import pytest
from openai import OpenAI, RateLimitError

from mocks import control
from tests.integration.mocks.conftest import KEY

ASK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Summarise the budget review."}]}


def verdict_after(url: str, max_retries: int, budget: int) -> dict:
    control.clear_openai_journal(url)
    with OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=max_retries, timeout=10) as sdk:
        with pytest.raises(RateLimitError):
            sdk.chat.completions.create(**ASK)
    report = control.openai_resilience(url, budget=budget)
    report["by_check"] = {line["check"]: line["result"] for line in report["lines"]}
    return report


def test_the_sdk_honours_retry_after_and_stops_at_its_budget(ratelimited_url):
    report = verdict_after(ratelimited_url, max_retries=2, budget=2)
    assert report["verdict"] == "passed" and report["retries"] == 2
    assert report["by_check"]["retry_after"] == "passed" and report["by_check"]["budget"] == "passed"


def test_retries_past_the_budget_turn_the_verdict_red(ratelimited_url):
    report = verdict_after(ratelimited_url, max_retries=3, budget=2)
    assert report["verdict"] == "failed" and report["by_check"]["budget"] == "failed"
    assert report["by_check"]["retry_after"] == "passed"
