"""The app's own AI client, judged by mock-openai's resilience verdict: under a persistent 429 or 503
the summary call honours retry-after (or backs off), stops at the app's one retry, and the app then
answers its user with a retryable status."""
import pytest

from mocks import control
from tests.integration.app.test_app_summary import meeting_with_transcript


@pytest.fixture
def staging_client(make_app, ai, register):
    """The app as staging configures its AI client (the default OPENAI_MAX_RETRIES of 1)."""
    app = make_app(OPENAI_BASE_URL=ai.base_url, OPENAI_API_KEY="sk-test", OPENAI_MAX_RETRIES=1)
    client = app.test_client()
    register(client)
    return app, client


@pytest.mark.parametrize("fault,answer,judged", [("429:0.2", 429, "retry_after"), ("503", 503, "backoff")])
def test_the_summary_call_under_a_persistent_fault(staging_client, ai, fault, answer, judged):
    app, client = staging_client
    meeting_id = meeting_with_transcript(app, client)
    control.set_openai_faults(ai.url, cycle=[fault], paths=["/v1/chat/completions"])
    response = client.post(f"/api/meetings/{meeting_id}/summary", json={})
    assert response.status_code == answer and response.json["retryable"] is True
    report = control.openai_resilience(ai.url, path="/v1/chat/completions", budget=1)
    results = {line["check"]: line["result"] for line in report["lines"]}
    assert report["verdict"] == "passed" and report["retries"] == 1
    assert results[judged] == "passed" and results["budget"] == "passed"
