"""Staging smoke suite: the runbook's validation checklist against --base-url (or the local replica).

    pytest tests/e2e/test_01_smoke_tests.py -v --base-url=http://127.0.0.1:5000

Tests marked `variant` show what a configuration variant changes (Redis off, the pooled endpoint):
the gate runs them against each variant app with `-m variant`. Tests marked `destructive` write data (accounts, meetings); against a --base-url that is not this
machine they are skipped unless --destructive is given.
"""
from __future__ import annotations

import time

import pytest
import requests

from tests.e2e.browser import (MeetingPage, describe, log_in, pages_on_two_workers, violations,
                               with_axe)
from tests.e2e.clients import Api, Participant


PER_PAGE = 20
SEGMENTS = 500  # asked for at once (the endpoint's ?limit=)


@pytest.fixture
def user(base_url) -> Api:
    api = Api(base_url)
    api.register()
    return api


@pytest.mark.variant
@pytest.mark.checklist("starts", "migrations")
def test_app_is_live_and_ready(base_url):
    assert requests.get(f"{base_url}/health", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{base_url}/health/ready", timeout=10)
    body = ready.json()
    assert ready.status_code == 200, f"/health/ready {ready.status_code}: {body}"
    assert body["database"]["status"] == "ok"
    assert body["migrations"]["status"] == "ok", f"migrations not at head: {body['migrations']}"
    assert body["redis"]["status"] in ("ok", "disabled")
    assert isinstance(body["worker_pid"], int)
    assert requests.get(f"{base_url}/version", timeout=10).json()["git_sha"]


@pytest.mark.destructive
@pytest.mark.variant
@pytest.mark.checklist("auth")
def test_register_log_out_and_log_in(base_url):
    api = Api(base_url)
    user = api.register()
    assert api.call("GET", "/api/auth/me").json()["user"]["username"] == user["username"]
    assert api.call("POST", "/api/auth/logout", {}).status_code == 200
    assert api.call("GET", "/api/auth/me").status_code == 401
    wrong = api.call("POST", "/api/auth/login", {"email": user["email"], "password": "not-it-at-all"})
    assert wrong.status_code == 401
    login = api.call("POST", "/api/auth/login", {"email": user["email"], "password": user["password"]})
    assert login.status_code == 200, login.text[:300]
    assert api.call("GET", "/api/auth/me").json()["user"]["email"] == user["email"]


@pytest.mark.destructive
@pytest.mark.variant
@pytest.mark.checklist("api")
def test_create_list_show_and_delete_meetings(user):
    first, second = user.create_meeting("Smoke planning"), user.create_meeting("Smoke retro")
    page = user.call("GET", "/api/meetings", page=1, per_page=1).json()
    assert page["total"] == 2 and page["pages"] == 2 and page["items"][0]["id"] == second["id"]
    assert user.call("GET", f"/api/meetings/{first['id']}").json()["title"] == "Smoke planning"
    assert user.call("GET", f"/api/meetings/{first['id']}/segments").json()["items"] == []
    assert user.call("DELETE", f"/api/meetings/{first['id']}").status_code == 204
    assert user.call("GET", f"/api/meetings/{first['id']}").status_code == 404
    assert Api(user.base_url).call("GET", "/api/meetings").status_code == 401


@pytest.mark.destructive  # a login records last_login_at
@pytest.mark.checklist("api")
@pytest.mark.parametrize("which", ["heaviest", "lightest"])
def test_fixture_users_read_their_own_data(base_url, fixture_users, which):
    from replica.gate.fixture_users import PASSWORD

    user, api = fixture_users[which], Api(base_url)
    api.log_in(user.login, PASSWORD)
    listed = api.call("GET", "/api/meetings", page=1, per_page=PER_PAGE).json()
    assert listed["total"] >= user.meetings and len(listed["items"]) == min(PER_PAGE, user.meetings)
    assert api.call("GET", f"/api/meetings/{user.meeting}").json()["id"] == user.meeting
    segments = api.call("GET", f"/api/meetings/{user.meeting}/segments", limit=SEGMENTS).json()["items"]
    assert len(segments) == min(user.segments, SEGMENTS), f"{user.login}'s meeting {user.meeting}"
    assert [s["seq"] for s in segments] == sorted(s["seq"] for s in segments)
    for page in ("/meetings", f"/meetings/{user.meeting}"):
        shown = api.call("GET", page)
        assert shown.status_code == 200, f"{page} as {user.login}: {shown.status_code}"


@pytest.mark.destructive
@pytest.mark.variant
@pytest.mark.checklist("websocket", "transcription")
def test_live_transcription_reaches_pages_on_both_workers(user, new_context, expects):
    meeting = user.create_meeting("Smoke live")
    url = f"{user.base_url}/meetings/{meeting['id']}"

    def open_page() -> MeetingPage:
        context = new_context(permissions=["microphone"])
        log_in(context, user.base_url, user.http.cookies)
        return MeetingPage(context.new_page(), url)

    pages = pages_on_two_workers(open_page, hold=user.holding_worker)
    sender = pages[0]
    sender.record_a_chunk()
    if expects.transcription == "refused":  # the AI service is down: a clear, retryable refusal
        sender.wait_for_status("resend the chunk")
        assert user.call("GET", f"/api/meetings/{meeting['id']}/segments").json()["items"] == []
        assert [page.segments() for page in pages] == [[], []]
        return
    for page in pages:  # the segment fans out from the sender's worker to the other's page
        page.wait_for_segments(1)
    stored = user.call("GET", f"/api/meetings/{meeting['id']}/segments").json()["items"]
    assert stored, "no segment stored"
    expected = sorted((s["seq"], f"{s['speaker']}: {s['text']}") for s in stored)
    for page in pages:
        page.wait_for_segments(len(stored))
        assert sorted(page.segments()) == expected, f"page on worker {page.worker_pid()}"


@pytest.mark.destructive
@pytest.mark.variant
@pytest.mark.checklist("summary")
def test_ai_summary_of_a_transcribed_meeting(user, expects):
    meeting = user.create_meeting("Smoke summary")
    participant = Participant(user.base_url, user.cookie_header())
    try:
        participant.join(meeting["id"])
        chunk = participant.try_chunk(meeting["id"], 0)
    finally:
        participant.close()
    created = user.call("POST", f"/api/meetings/{meeting['id']}/summary", {})
    if expects.transcription == "refused":  # nothing was transcribed, so nothing to summarise
        assert not chunk["ok"] and chunk["retryable"] and chunk["code"] == "transcription_failed", chunk
        assert created.status_code == 409, f"summary: {created.status_code} {created.text[:300]}"
        return
    assert chunk["ok"], f"audio_chunk 0 refused: {chunk}"
    if expects.summary_status != 201:  # the AI service faults: a retryable answer saying when
        assert created.status_code == expects.summary_status, \
            f"summary: {created.status_code} {created.text[:300]}"
        assert created.json()["retryable"] is True, created.text[:300]
        assert created.headers.get("Retry-After", "").isdigit(), dict(created.headers)
        return
    assert created.status_code == 201, f"summary: {created.status_code} {created.text[:300]}"
    assert created.json()["content"].strip()
    latest = user.call("GET", f"/api/meetings/{meeting['id']}/summary").json()
    assert latest["content"] == created.json()["content"]


SENTRY_SETTLE_S = 1.5
PRIVATE = pytest.mark.destructive  # needs an account and a meeting
PUBLIC_PAGES = ["/", "/login", "/register"]
PAGES = [*PUBLIC_PAGES, pytest.param("/meetings", marks=PRIVATE),
         pytest.param("/meetings/{id}", marks=PRIVATE)]


@pytest.fixture(scope="module")
def page_owner(base_url) -> tuple[Api, dict]:
    api = Api(base_url)
    api.register()
    return api, api.create_meeting("Smoke accessibility")


@pytest.fixture(scope="module")
def axe_tab(browser, browser_context_args):
    """One tab that every page's check navigates (a context and a tab per page cost ~0.3 s each)."""
    context = with_axe(browser.new_context(**browser_context_args))
    yield context.new_page()
    context.close()


@pytest.mark.checklist("accessibility")
@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_accessibility_violations(path, base_url, axe_tab, request):
    axe_tab.context.clear_cookies()  # each page as its visitor sees it: the public ones logged out
    meeting_id = None
    if path not in PUBLIC_PAGES:
        api, meeting = request.getfixturevalue("page_owner")
        log_in(axe_tab.context, base_url, api.http.cookies)
        meeting_id = meeting["id"]
    found = violations(axe_tab, base_url + path.format(id=meeting_id))
    assert not found, f"{path}: {describe(found)}"


@pytest.mark.checklist("sentry")
def test_no_errors_captured_during_the_run(target, base_url, run_started_at, expects, sink_ignored_hosts):
    if not target.sink_url:
        pytest.skip("no error sink to read for this target (pass --sink-url)")
    from mocks import control

    time.sleep(SENTRY_SETTLE_S)  # the SDK sends from a background thread
    events = [e for e in control.sink_events(target.sink_url, min_level="error")
              if (e.get("received_at") or 0) >= run_started_at and not expects.reported_on_purpose(e)
              and e.get("server_name") not in sink_ignored_hosts]  # the variant apps' are their own
    assert not events, "errors captured: " + "; ".join(
        f"{e.get('exception_type') or ''} {e.get('exception_value') or e.get('message')}"
        for e in events[:5])

