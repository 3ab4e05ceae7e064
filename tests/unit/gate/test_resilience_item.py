"""The gate's resilience item: recorded under an `openai-*` profile from mock-openai's own verdict."""
import pytest
import requests
from openai import OpenAI, RateLimitError

from mocks import control
from mocks.openai_mock import Settings, create_app
from replica.gate import resilience
from replica.gate.checklist import FAILED, PASSED, SKIPPED, Checklist
from tests.support.mock_openai import serve

KEY = "sk-staging-local"
ASK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Summarise the budget."}]}


@pytest.fixture(scope="module")
def _mock():
    with serve(create_app(Settings())) as url:
        yield url


@pytest.fixture
def mock_url(_mock):
    control.clear_openai_journal(_mock)
    yield _mock
    control.clear_openai_faults(_mock)


def item(checklist: Checklist):
    return {i.key: i for i in checklist.items}.get(resilience.ITEM)


def test_without_an_openai_profile_there_is_no_item(mock_url):
    checklist = Checklist()
    resilience.record(checklist, mock_url, [])  # no openai-* profile among the replica's
    assert item(checklist) is None


def test_an_sdk_that_honours_retry_after_passes(mock_url):
    control.set_openai_faults(mock_url, cycle=["429:0.2"])
    with OpenAI(base_url=f"{mock_url}/v1", api_key=KEY, max_retries=1, timeout=10) as sdk:
        with pytest.raises(RateLimitError):
            sdk.chat.completions.create(**ASK)
    checklist = Checklist()
    resilience.record(checklist, mock_url, ["openai-ratelimit"])
    found = item(checklist)
    assert found.result == PASSED and "openai-ratelimit" in found.evidence and "retry-after" in found.evidence


def test_a_client_that_retries_at_once_fails_the_item_naming_the_line(mock_url):
    control.set_openai_faults(mock_url, cycle=["429:1"])
    headers = {"Authorization": f"Bearer {KEY}"}
    for retry in ("0", "1"):
        requests.post(f"{mock_url}/v1/chat/completions", json=ASK, timeout=10,
                      headers={**headers, "x-stainless-retry-count": retry})
    checklist = Checklist()
    resilience.record(checklist, mock_url, ["openai-ratelimit"])
    found = item(checklist)
    assert found.result == FAILED and "honoured retry-after" in found.evidence and "came early" in found.evidence


def test_a_run_without_faults_to_judge_is_skipped_saying_why(mock_url):
    requests.get(f"{mock_url}/v1/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    checklist = Checklist()
    resilience.record(checklist, mock_url, ["openai-slow"])
    found = item(checklist)
    assert found.result == SKIPPED and found.ran and "nothing to judge" in found.evidence


def test_an_unreachable_mock_fails_the_item_in_one_line():
    checklist = Checklist()
    resilience.record(checklist, "http://127.0.0.1:9", ["openai-down"])
    found = item(checklist)
    assert found.result == FAILED and found.evidence.startswith("cannot read mock-openai's resilience verdict")


def test_the_item_s_profiles_are_the_replica_s_openai_group():
    from replica.stack.profiles import in_group
    assert in_group(["tls", "openai-ratelimit", "redis-off", "openai-down"], "openai") == [
        "openai-ratelimit", "openai-down"]
