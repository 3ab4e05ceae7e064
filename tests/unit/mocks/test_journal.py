"""The journal: what the app sent and what it got back, readable over the control plane."""

import pytest
import requests

from mocks import control


def test_the_journal_shows_what_was_sent_and_answered(client, openai_url):
    reply = client.chat.completions.create(model="gpt-4o-mini",
                                           messages=[{"role": "user", "content": "Budget on Monday."}])
    [entry] = control.openai_journal(openai_url)
    assert entry["method"] == "POST" and entry["path"] == "/v1/chat/completions"
    assert entry["body"]["messages"] == [{"role": "user", "content": "Budget on Monday."}]
    assert entry["response"]["choices"][0]["message"]["content"] == reply.choices[0].message.content
    assert entry["status"] == 200 and entry["fault"] is None
    assert entry["request_id"] == reply._request_id


def test_the_api_key_is_never_journaled(client, openai_url):
    client.models.list()
    [entry] = control.openai_journal(openai_url)
    assert "authorization" not in entry["headers"]
    assert "sk-staging-local" not in str(entry)


def test_streams_are_journaled_as_their_text(client, openai_url):
    list(client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                        messages=[{"role": "user", "content": "Budget on Monday."}]))
    [entry] = control.openai_journal(openai_url)
    assert entry["response"]["stream"] is True and entry["response"]["content"].startswith("Summary")


def test_uploads_are_journaled_by_name_and_size(client, openai_url):
    client.audio.transcriptions.create(model="whisper-1", file=("part-7.mp3", bytes(4000)))
    [entry] = control.openai_journal(openai_url)
    assert entry["body"]["file"] == {"filename": "part-7.mp3", "size": 4000, "content_type": "audio/mpeg"}
    assert entry["body"]["model"] == "whisper-1"


def test_rejected_requests_are_journaled_too(openai_url):
    requests.post(f"{openai_url}/v1/embeddings", json={})
    [entry] = control.openai_journal(openai_url)
    assert entry["status"] == 401 and entry["response"]["error"]["type"] == "invalid_request_error"


def test_filters_and_clearing(client, openai_url):
    client.models.list()
    client.embeddings.create(model="text-embedding-3-small", input="x")
    client.models.list()
    assert [e["path"] for e in control.openai_journal(openai_url, path="/v1/models")] == ["/v1/models"] * 2
    assert control.openai_journal(openai_url, limit=1)[0]["path"] == "/v1/models"
    assert control.clear_openai_journal(openai_url) == 3
    assert control.openai_journal(openai_url) == []


def test_the_journal_is_bounded(start_mock):
    url = start_mock(journal_size=3)
    for _ in range(5):
        requests.get(f"{url}/v1/models", headers={"Authorization": "Bearer sk-staging-local"})
    assert [e["seq"] for e in control.openai_journal(url)] == [3, 4, 5]


def test_a_bad_limit_is_a_400(openai_url):
    response = requests.get(f"{openai_url}/_mock/journal", params={"limit": "many"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "limit"


def test_embeddings_are_journaled_without_their_vectors(client, openai_url):
    client.embeddings.create(model="text-embedding-3-large", input=["a", "b"], encoding_format="float")
    [entry] = control.openai_journal(openai_url)
    assert entry["response"]["data"] == [{"index": 0, "dimensions": 3072, "encoding_format": "float"},
                                         {"index": 1, "dimensions": 3072, "encoding_format": "float"}]
    assert entry["body"]["input"] == ["a", "b"]


TRACE = "5b8efff798038103d269b633813fc60c"


@pytest.mark.parametrize("headers,noted", [
    ({"sentry-trace": f"{TRACE}-eee19b7ec3c1b174-0", "baggage": f"sentry-trace_id={TRACE}"}, TRACE),
    ({"sentry-trace": f"{TRACE.upper()}-eee19b7ec3c1b174"}, TRACE),
    ({"traceparent": f"00-{TRACE}-eee19b7ec3c1b174-01"}, TRACE),
    ({"traceparent": f"00-{'0' * 32}-eee19b7ec3c1b174-01"}, None),  # W3C's invalid trace id
    ({"sentry-trace": "not-a-trace"}, None),
    ({}, None),
])
def test_each_entry_notes_the_trace_its_client_propagated(client, openai_url, headers, noted):
    client.models.list(extra_headers=headers)
    [entry] = control.openai_journal(openai_url)
    assert entry["trace_id"] == noted


def test_the_verdict_reads_the_noted_trace():
    from mocks.openai_mock.resilience import attempt

    assert attempt({"trace_id": TRACE, "headers": {}}).trace_id == TRACE
    assert attempt({"headers": {"traceparent": f"00-{TRACE}-eee19b7ec3c1b174-01"}}).trace_id == TRACE
