"""A team's own tests against the replica, with the mina-staging pytest plugin (replica/pytest_plugin.py).

    pytest examples/                          # reuses the running replica, else brings one up
    pytest examples/ --staging-name feature-x

Each test gets the database reset to the fixtures (staging_db), the mock OpenAI scripted for it
(openai_faults) and the error sink emptied (sink_events).
"""
import requests


def logged_in(base_url: str, user: dict) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{base_url}/api/auth/login",
                          json={"login": user["login"], "password": user["password"]}, timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    return session


def test_a_fixture_user_sees_the_transcript_of_their_meeting(staging, staging_db):
    user = staging_db.fixture_user()
    session = logged_in(staging.base_url, user)
    segments = session.get(f"{staging.base_url}/api/meetings/{user['meeting']}/segments",
                           timeout=30).json()["items"]
    assert segments, "the fixture user's fullest meeting has transcript segments"


def test_a_rate_limited_summary_tells_the_user_to_retry(staging, staging_db, openai_faults,
                                                         sink_events):
    user = staging_db.fixture_user()
    session = logged_in(staging.base_url, user)
    openai_faults.set(profile="ratelimit", paths=["/v1/chat/completions"])
    answer = session.post(f"{staging.base_url}/api/meetings/{user['meeting']}/summary", json={},
                          timeout=120)
    assert answer.status_code == 429 and answer.json()["retryable"] is True, answer.text[:300]
    assert answer.headers["Retry-After"].isdigit()
    assert openai_faults.journal("/v1/chat/completions"), "the app asked OpenAI for the summary"
    reported = {event.get("exception_type") for event in sink_events.wait(level="error")}
    assert reported == {"RateLimitError"}, f"the app reports the upstream 429, and nothing else: {reported}"
