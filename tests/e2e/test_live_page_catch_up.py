"""The live page catches up after it missed segments: it re-joins with its last seq on reconnect.

Playwright stands between the page and the app (`route_web_socket`): it drops the `segment`
broadcasts the app sends while a participant speaks, as a lost message-queue broadcast or a dead
connection would, then cuts the page's socket. socket.io-client reconnects by itself; the page
must ask for what it missed (`join {last_seq}`) and show it, in seq order.
"""
from __future__ import annotations

import pytest

from tests.e2e.browser import MeetingPage, log_in
from tests.e2e.clients import Api, Participant

SEGMENT_FRAME = '42["segment"'  # Engine.IO message (4) carrying a Socket.IO event (2)


class Interposer:
    """Forwards the page's Socket.IO frames both ways, dropping segments while told to."""

    def __init__(self):
        self.dropping = False
        self.dropped = 0
        self.routes = []

    def __call__(self, route):
        server = route.connect_to_server()
        route.on_message(server.send)
        server.on_message(lambda frame: self._to_page(route, frame))
        self.routes.append(route)

    def _to_page(self, route, frame):
        if self.dropping and isinstance(frame, str) and frame.startswith(SEGMENT_FRAME):
            self.dropped += 1
            return
        route.send(frame)

    def cut(self):
        """Close the page's current socket (the client reconnects after its retry delay)."""
        self.routes[-1].close()


@pytest.mark.destructive
def test_a_page_that_missed_segments_shows_them_after_it_reconnects(base_url, new_context, expects):
    if expects.transcription != "stored":
        pytest.skip("the replica's profiles fault transcription: no segments to miss")
    api = Api(base_url)
    api.register()
    meeting = api.create_meeting("Smoke catch-up")
    interposer = Interposer()
    context = new_context(permissions=["microphone"])
    log_in(context, base_url, api.http.cookies)
    page = context.new_page()
    page.route_web_socket("**/socket.io/**", interposer)
    live = MeetingPage(page, f"{base_url}/meetings/{meeting['id']}")
    live.worker_pid()

    interposer.dropping = True
    speaker = Participant(base_url, api.cookie_header())
    try:
        speaker.join(meeting["id"])
        for seq in (0, 1):
            speaker.send_chunk(meeting["id"], seq)
        assert not speaker.wait_for({0, 1}), "the speaker's own segments never came back"
    finally:
        speaker.close()
    assert live.segments() == [], "the page showed segments the interposer dropped"

    interposer.dropping = False
    interposer.cut()
    live.wait_for_segments(2)
    stored = api.call("GET", f"/api/meetings/{meeting['id']}/segments").json()["items"]
    assert live.segments() == [(s["seq"], f"{s['speaker']}: {s['text']}") for s in stored]
    assert interposer.dropped >= 2 and len(interposer.routes) >= 2  # dropped, then reconnected
