"""The running mock journals the trace sentry-sdk propagates on the openai SDK's calls, and its
resilience verdict ties a broken answer to what the client did in that trace: reported (green) or
swallowed (red)."""
import json

import pytest
import sentry_sdk
from openai import OpenAI

from mocks import control
from mocks.sentry_sink import create_app as create_sink
from tests.integration.mocks.conftest import KEY
from tests.support.mock_openai import serve

ASK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Summarise the budget review."}]}


@pytest.fixture
def traced_client(mock_url):
    """The openai SDK (no retries) under sentry-sdk reporting to an in-process sink; yields the sink's URL."""
    with serve(create_sink()) as sink_url:
        sentry_sdk.init(dsn=f"http://public-key@{sink_url.removeprefix('http://')}/1", traces_sample_rate=0.0)
        try:
            with OpenAI(base_url=f"{mock_url}/v1", api_key=KEY, max_retries=0, timeout=10) as sdk:
                yield sdk, sink_url
        finally:
            sentry_sdk.get_client().close()


def broken_answer(mock_url: str, sink_url: str) -> dict:
    sentry_sdk.flush(timeout=10)
    report = control.openai_resilience(mock_url, sink_url=sink_url, budget=0)
    return {line["check"]: line for line in report["lines"]}["broken_answer"]


def test_the_journal_notes_the_trace_of_each_call(traced_client, mock_url):
    sdk, _sink_url = traced_client
    with sentry_sdk.start_transaction(name="summary") as transaction:
        sdk.chat.completions.create(**ASK)
    [entry] = control.openai_journal(mock_url)
    assert entry["trace_id"] == transaction.trace_id


@pytest.mark.parametrize("reports,result", [(True, "passed"), (False, "failed")])
def test_a_broken_answer_is_judged_by_what_its_trace_reported(traced_client, mock_url, reports, result):
    sdk, sink_url = traced_client
    control.set_openai_faults(mock_url, sequence=["malformed"])
    with sentry_sdk.start_transaction(name="summary"):
        try:
            sdk.chat.completions.create(**ASK)
        except json.JSONDecodeError as exc:
            if reports:
                sentry_sdk.capture_exception(exc)
    assert broken_answer(mock_url, sink_url)["result"] == result
