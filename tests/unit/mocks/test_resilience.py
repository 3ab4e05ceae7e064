"""The resilience verdict, one journal fixture per verdict line: what a client did under its faults."""

import pytest
import requests
from openai import OpenAI, RateLimitError

from mocks import control
from mocks.openai_mock.resilience import FAILED, PASSED, UNSEEN, group, verdict

TRACE = "5b8efff798038103d269b633813fc60c"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Summarise the budget."}]}


def sent(seq, at, status=200, fault=None, retry=None, body=BODY, trace=None, ms=2.0):
    """A journal entry as the mock writes it: answered at `at` seconds after `ms` of work."""
    headers = {"content-type": "application/json"}
    if retry is not None:
        headers["x-stainless-retry-count"] = str(retry)
    if trace:
        headers["sentry-trace"] = f"{trace}-a1b2c3d4e5f60718-0"
    return {"seq": seq, "time": at, "duration_ms": ms, "method": "POST", "path": "/v1/chat/completions",
            "headers": headers, "body": body, "status": status, "fault": fault}


def line(entries, check, **kwargs):
    found = {item["check"]: item for item in verdict(entries, **kwargs)["lines"]}[check]
    return found["result"], found["evidence"]


# retry_after ---------------------------------------------------------------------------------------

def test_a_retry_after_the_asked_wait_honours_retry_after():
    journal = [sent(1, 100.0, 429, "429:1", retry=0), sent(2, 101.05, 200, retry=1)]
    assert line(journal, "retry_after")[0] == PASSED


def test_a_retry_sooner_than_retry_after_ms_fails_naming_both_requests():
    journal = [sent(1, 100.0, 429, "429:1", retry=0), sent(2, 100.2, 200, retry=1)]
    result, evidence = line(journal, "retry_after")
    assert result == FAILED and "#2" in evidence and "#1" in evidence and "asked 1000 ms" in evidence


def test_retry_after_ms_is_what_is_asked_not_the_rounded_up_seconds():
    # 429:0.3 sends retry-after: 1 and retry-after-ms: 300; the SDKs read the milliseconds first
    journal = [sent(1, 100.0, 429, "429:0.3", retry=0), sent(2, 100.31, 200, retry=1)]
    assert line(journal, "retry_after")[0] == PASSED


def test_no_retry_after_in_the_journal_is_unseen():
    assert line([sent(1, 100.0)], "retry_after")[0] == UNSEEN


# backoff -------------------------------------------------------------------------------------------

def test_growing_waits_after_503s_are_a_backoff():
    journal = [sent(1, 100.0, 503, "503", retry=0), sent(2, 100.45, 503, "503", retry=1),
               sent(3, 101.35, 200, retry=2)]
    assert line(journal, "backoff")[0] == PASSED


def test_a_retry_at_once_after_a_503_is_no_backoff():
    journal = [sent(1, 100.0, 503, "503", retry=0), sent(2, 100.01, 200, retry=1)]
    result, evidence = line(journal, "backoff")
    assert result == FAILED and "without a wait" in evidence and "#2" in evidence


def test_waits_that_shrink_are_no_backoff():
    journal = [sent(1, 100.0, 503, "503", retry=0), sent(2, 101.0, 503, "503", retry=1),
               sent(3, 101.3, 200, retry=2)]
    result, evidence = line(journal, "backoff")
    assert result == FAILED and "shrank" in evidence


# budget --------------------------------------------------------------------------------------------

def test_a_call_that_gives_up_within_the_budget_stopped():
    journal = [sent(1, 100.0, 503, "503", retry=0), sent(2, 100.5, 503, "503", retry=1)]
    result, evidence = line(journal, "budget", budget=2)
    assert result == PASSED and "at most 1 retry" in evidence


def test_a_call_retried_past_the_budget_fails():
    journal = [sent(n + 1, 100.0 + n, 503, "503", retry=n) for n in range(5)]
    result, evidence = line(journal, "budget", budget=2)
    assert result == FAILED and "4 times" in evidence


def test_calls_that_all_recovered_leave_the_budget_unseen():
    journal = [sent(1, 100.0, 503, "503", retry=0), sent(2, 100.5, 200, retry=1)]
    assert line(journal, "budget")[0] == UNSEEN


def test_a_cut_stream_is_no_retryable_error_for_the_budget():
    assert line([sent(1, 100.0, 200, "cut", retry=0)], "budget")[0] == UNSEEN


# non_retryable -------------------------------------------------------------------------------------

def test_a_retry_after_x_should_retry_false_fails():
    journal = [sent(1, 100.0, 503, "503+noretry", retry=0), sent(2, 100.6, 200, retry=1)]
    result, evidence = line(journal, "non_retryable")
    assert result == FAILED and "x-should-retry: false" in evidence


def test_a_retried_400_fails():
    journal = [sent(1, 100.0, 400, retry=0), sent(2, 100.6, 400, retry=1)]
    assert line(journal, "non_retryable")[0] == FAILED


def test_a_401_not_retried_passes():
    journal = [sent(1, 100.0, 401, retry=0), sent(2, 105.0, 200, body={"model": "other"}, retry=0)]
    assert line(journal, "non_retryable")[0] == PASSED


# broken_answer -------------------------------------------------------------------------------------

def test_a_cut_stream_asked_again_was_treated_as_an_error():
    journal = [sent(1, 100.0, 200, "cut", retry=0), sent(2, 101.0, 200, retry=0)]
    assert line(journal, "broken_answer")[0] == PASSED


def test_a_cut_stream_reported_in_its_trace_was_treated_as_an_error():
    journal = [sent(1, 100.0, 200, "cut", retry=0, trace=TRACE)]
    assert line(journal, "broken_answer", reported={TRACE})[0] == PASSED


def test_a_cut_stream_neither_asked_again_nor_reported_fails_naming_its_trace():
    journal = [sent(1, 100.0, 200, "cut:3", retry=0, trace=TRACE)]
    result, evidence = line(journal, "broken_answer", reported=set())
    assert result == FAILED and TRACE in evidence and "cut:3" in evidence


def test_without_the_sink_an_unrepeated_cut_stream_is_unseen():
    journal = [sent(1, 100.0, 200, "malformed", retry=0, trace=TRACE)]
    assert line(journal, "broken_answer")[0] == UNSEEN


# grouping and the overall verdict ------------------------------------------------------------------

def test_without_the_sdk_header_an_identical_request_soon_after_a_failure_is_a_retry():
    journal = [sent(1, 100.0, 503, "503"), sent(2, 100.5, 200), sent(3, 500.0, 503, "503"), sent(4, 900.0)]
    assert [call.retries for call in group(journal)] == [1, 0, 0]


def test_concurrent_identical_calls_are_told_apart_by_the_retry_count():
    journal = [sent(1, 100.0, 429, "429:1", retry=0), sent(2, 100.1, 429, "429:1", retry=0),
               sent(3, 101.1, 200, retry=1), sent(4, 101.2, 200, retry=1)]
    assert [[step.seq for step in call.attempts] for call in group(journal)] == [[1, 3], [2, 4]]


def test_one_failed_line_makes_the_verdict_failed():
    journal = [sent(1, 100.0, 429, "429:1", retry=0), sent(2, 100.01, 200, retry=1)]
    report = verdict(journal)
    assert report["verdict"] == FAILED and report["retries"] == 1 and report["faulted_calls"] == 1


def test_a_journal_without_faults_has_nothing_to_judge():
    assert verdict([sent(1, 100.0), sent(2, 101.0, body={"model": "x"})])["verdict"] == UNSEEN


# over the control API, driven by the SDK's own retries -----------------------------------------------

def test_the_sdk_under_429s_honours_retry_after_and_stops_at_its_budget(openai_url):
    control.set_openai_faults(openai_url, cycle=["429:0.2"])
    with OpenAI(base_url=f"{openai_url}/v1", api_key="sk-staging-local", max_retries=1, timeout=10) as sdk:
        with pytest.raises(RateLimitError):
            sdk.chat.completions.create(**BODY)
    report = control.openai_resilience(openai_url, budget=1)
    results = {item["check"]: item["result"] for item in report["lines"]}
    assert report["verdict"] == PASSED and report["retries"] == 1
    assert results["retry_after"] == PASSED and results["budget"] == PASSED


def test_the_window_and_path_filters(openai_url):
    requests.get(f"{openai_url}/v1/models", headers={"Authorization": "Bearer sk-staging-local"})
    assert control.openai_resilience(openai_url, since=2**40)["calls"] == 0
    assert control.openai_resilience(openai_url, path="/v1/chat")["calls"] == 0
    assert control.openai_resilience(openai_url)["calls"] == 1


@pytest.mark.parametrize("query", ["since=yesterday", "since=-1", "since=nan", "budget=1.5", "budget=-2"])
def test_a_bad_query_is_the_apis_400_naming_it(openai_url, query):
    response = requests.get(f"{openai_url}/_mock/resilience?{query}", timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == query.split("=")[0]
