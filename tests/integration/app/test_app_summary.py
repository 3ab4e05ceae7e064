import pytest

from mocks import control


@pytest.fixture
def alice(make_app, ai, register):
    app = make_app(OPENAI_BASE_URL=ai.base_url, OPENAI_API_KEY="sk-test",
                   OPENAI_TIMEOUT_SECONDS=0.5)
    client = app.test_client()
    register(client)
    return app, client


def meeting_with_transcript(app, client):
    from mina.extensions import db
    from mina.models import TranscriptSegment
    meeting = client.post("/api/meetings", json={"title": "Planning"}).json
    with app.app_context():
        db.session.add(TranscriptSegment(meeting_id=meeting["id"], seq=0, speaker="alice",
                                         text="we ship on friday"))
        db.session.commit()
    return meeting["id"]


def test_summary_is_stored(alice, ai):
    app, client = alice
    meeting_id = meeting_with_transcript(app, client)
    response = client.post(f"/api/meetings/{meeting_id}/summary", json={})
    assert response.status_code == 201, response.json  # the mock accepts only the key sk-test
    [call] = ai.journal("/v1/chat/completions")
    assert response.json["content"] == call["response"]["choices"][0]["message"]["content"]
    assert response.json["prompt_tokens"] == call["response"]["usage"]["prompt_tokens"] > 0
    assert "we ship on friday" in str(call["body"]["messages"])
    assert client.get(f"/api/meetings/{meeting_id}/summary").json["id"] == response.json["id"]


def test_a_broken_answer_is_a_retryable_502_not_a_500(alice, ai):
    app, client = alice
    meeting_id = meeting_with_transcript(app, client)
    control.set_openai_faults(ai.url, sequence=["malformed"], paths=["/v1/chat/completions"])
    response = client.post(f"/api/meetings/{meeting_id}/summary", json={})
    assert response.status_code == 502 and response.json["retryable"] is True, response.json
    assert response.headers["Retry-After"] == "1"


def test_a_key_the_ai_service_refuses_is_a_502_not_a_500(make_app, ai, register):
    app = make_app(OPENAI_BASE_URL=ai.base_url, OPENAI_API_KEY="sk-wrong")
    client = app.test_client()
    register(client)
    response = client.post(f"/api/meetings/{meeting_with_transcript(app, client)}/summary", json={})
    assert [c["status"] for c in ai.journal("/v1/chat/completions")] == [401]
    assert response.status_code == 502 and response.json["retryable"] is False


@pytest.mark.parametrize("upstream,status", [(429, 429), (500, 503), (503, 503)])
def test_upstream_errors_are_retryable_not_500(alice, ai, upstream, status):
    app, client = alice
    meeting_id = meeting_with_transcript(app, client)
    control.set_openai_faults(ai.url, sequence=[str(upstream)])
    response = client.post(f"/api/meetings/{meeting_id}/summary", json={})
    assert response.status_code == status
    assert response.json["retryable"] is True and response.json["error"]


def test_timeout_is_503(alice, ai):
    app, client = alice
    meeting_id = meeting_with_transcript(app, client)
    control.set_openai_faults(ai.url, sequence=["timeout:2"])  # holds 2 s; the app waits 0.5
    response = client.post(f"/api/meetings/{meeting_id}/summary", json={})
    assert response.status_code == 503 and "timed out" in response.json["error"]


def test_no_transcript_is_409(alice):
    _, client = alice
    meeting = client.post("/api/meetings", json={"title": "Empty"}).json
    assert client.post(f"/api/meetings/{meeting['id']}/summary", json={}).status_code == 409


def test_errors_are_reported_to_sentry(alice, ai, monkeypatch):
    import sentry_sdk
    reported = []
    monkeypatch.setattr(sentry_sdk, "capture_exception", lambda exc: reported.append(exc))
    app, client = alice
    control.set_openai_faults(ai.url, sequence=["429"])
    client.post(f"/api/meetings/{meeting_with_transcript(app, client)}/summary", json={})
    assert [type(e).__name__ for e in reported] == ["RateLimitError"]
