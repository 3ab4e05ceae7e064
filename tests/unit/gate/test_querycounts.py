"""The N+1 check against the real app (served on loopback, on the throwaway PostgreSQL)."""
import threading

import psycopg
import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from mina import meetings, querycount
from mina.extensions import db
from mina.models import TranscriptSegment
from replica.data.fakes import STAGING_PASSWORD_HASH
from replica.gate import fixture_users, hubblock, querycounts
from replica.gate.checklist import ItemFailed

KINDS = {"list": "/api/meetings?page=1&per_page=20", "show": "/api/meetings/{meeting}",
         "segments": "/api/meetings/{meeting}/segments"}


@pytest.fixture
def serve(make_db_app):
    """Serve an app on a free loopback port; return its base URL."""
    servers = []

    def start(wrap=lambda app: app, **overrides) -> str:
        server = make_server("127.0.0.1", 0, wrap(make_db_app(**overrides)), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"
    yield start
    for server in servers:
        server.shutdown()


def one_count_per_listed_meeting(monkeypatch):
    def with_segment_count(row):
        n = db.session.scalar(select(func.count()).select_from(TranscriptSegment)
                              .where(TranscriptSegment.meeting_id == row.id))
        return {"id": row.id, "segments": n}
    monkeypatch.setattr(meetings, "meeting_json", with_segment_count)


def test_the_unmodified_app_is_flat_in_the_users_data(serve):
    evidence = querycounts.check(serve(), KINDS, None)
    assert evidence.startswith("queries per request do not grow with the user's data: list ")
    assert "page-show" in evidence and "21 fresh meetings" in evidence


def test_an_n_plus_one_list_is_red_with_the_endpoint_and_both_counts(serve, monkeypatch):
    one_count_per_listed_meeting(monkeypatch)
    with pytest.raises(ItemFailed) as failed:
        querycounts.check(serve(), KINDS, None)
    message = str(failed.value)
    assert message.startswith("queries per request grow with the user's data (N+1): "
                              "/api/meetings?page=1&per_page=20 (list): 21 statements as queries_")
    assert "(20 rows) vs 2 as queries_" in message and "(1 rows)" in message
    assert "(show)" not in message and "(page-list)" not in message


def test_an_app_that_sends_no_count_cannot_pass(serve, monkeypatch):
    monkeypatch.setattr(querycount, "enabled", lambda flask_env: False)
    with pytest.raises(ItemFailed, match="sent no X-Query-Count header .* the N\\+1 check cannot run"):
        querycounts.check(serve(), KINDS, None)


def add_fixture_user(url: str, name: str, meetings: int, segments: int) -> None:
    """A user as the fixtures write them: the fixtures' password hash, meetings, one with segments."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        uid = connection.execute(
            "INSERT INTO users (email, username, password_hash) VALUES (%s, %s, %s) RETURNING id",
            (f"{name}@fixtures.test", name, STAGING_PASSWORD_HASH)).fetchone()[0]
        ids = [connection.execute("INSERT INTO meetings (owner_id, title) VALUES (%s, %s) RETURNING id",
                                  (uid, f"{name} {n}")).fetchone()[0] for n in range(meetings)]
        for seq in range(segments):
            connection.execute("INSERT INTO transcript_segments (meeting_id, seq, speaker, text) "
                               "VALUES (%s, %s, 'A', 'said')", (ids[-1], seq))


def test_fixture_users_are_found_by_their_password_and_log_in(serve, migrated_url, monkeypatch):
    base_url = serve()
    add_fixture_user(migrated_url, "light_one", 1, 2)
    add_fixture_user(migrated_url, "heavy_one", 25, 30)
    heavy, light = fixture_users.heaviest(migrated_url, 1)[0], fixture_users.lightest(migrated_url)
    assert (heavy.login, heavy.meetings, heavy.segments) == ("heavy_one", 25, 30)
    assert (light.login, light.meetings, light.segments) == ("light_one", 1, 2)
    one_count_per_listed_meeting(monkeypatch)
    with pytest.raises(ItemFailed, match=r"\(list\): 21 statements as heavy_one \(20 rows\) vs 2 as "
                                         r"light_one \(1 rows\).*heavy heavy_one: 25 meetings"):
        querycounts.check(base_url, KINDS, migrated_url)


def test_registered_accounts_are_not_fixture_users(migrated_url):
    assert fixture_users.heaviest(migrated_url, 3) == [] and fixture_users.lightest(migrated_url) is None


@pytest.fixture
def drops_first_request():
    """A server that closes the connection without a response on each path's first request (as a
    keep-alive close racing the next request does), then answers 200 with a count."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path not in seen:
                seen.add(self.path)
                self.close_connection = True
                return
            body = b'{"items": []}'
            self.send_response(200)
            for name, value in (("Content-Type", "application/json"), (querycount.HEADER, "3"),
                                ("Content-Length", str(len(body)))):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_dropped_keep_alive_connection_is_asked_again(drops_first_request):
    user = querycounts.User("u", 1, "", querycounts.new_session())
    assert querycounts.ask(drops_first_request, "/api/meetings", user) == querycounts.Asked(3, 0)


def test_the_latency_probe_sends_a_dropped_request_again(drops_first_request):
    import requests

    from replica.gate.probe import Probe
    from replica.gate.ratios import Rule

    rule = Rule(calibration="/health", kinds={"list": "/api/meetings"})
    probe = Probe(drops_first_request, rule, requests.Session(), meeting=1, user="u")
    assert probe._timed("list") > 0 and probe._timed(None) > 0


def blocks_the_hub_on(app, kind_path: str, milliseconds: str):
    """The app as an eventlet worker would answer with a blocking call on one endpoint."""
    from flask import request

    @app.after_request
    def send(response):
        blocked = milliseconds if request.path.startswith(kind_path) else "0.1"
        response.headers[hubblock.HEADER] = blocked
        return response
    return app


def test_an_endpoint_that_blocks_the_hub_is_red_by_name_and_the_others_are_not(serve):
    base_url = serve(wrap=lambda app: blocks_the_hub_on(app, "/api/meetings/", "31.4"))
    with pytest.raises(ItemFailed) as failed:
        querycounts.check(base_url, KINDS, None)
    message = str(failed.value)
    assert "/api/meetings/{meeting} (show) blocks the eventlet hub 31.4 ms per request (median of 8" in message
    assert "(segments) blocks" in message  # the same prefix: both are blocked in this fake
    assert "(list) blocks" not in message and "N+1" not in message


def test_a_green_app_s_evidence_says_it_blocks_nothing(serve):
    base_url = serve(wrap=lambda app: blocks_the_hub_on(app, "/nowhere", "0"))
    assert "no endpoint blocks the eventlet hub (median ms per request, worst" in querycounts.check(
        base_url, KINDS, None)


def test_an_app_that_does_not_measure_blocking_says_so_in_the_evidence(serve):
    assert "hub blocking not measured: the app sent no X-Hub-Blocked-Ms header" in querycounts.check(
        serve(), KINDS, None)


def test_one_stray_block_is_not_a_regression():
    asked = querycounts.Asked(2, 1, (0.0, 0.1, 45.0, 0.0))
    grown = [querycounts.Growth("show", "/api/meetings/1", asked, asked)]
    failures, note = hubblock.judge(grown)
    assert failures == [] and "worst show 0.1" in note
