"""X-Query-Count: the SQL statements a request issued, so the gate can tell an N+1 from noise."""
import pytest

from mina import meetings, querycount
from mina.extensions import db
from mina.models import TranscriptSegment
from sqlalchemy import func, select


def counts(client, path: str, times: int = 3) -> int:
    """The fewest statements path took over a few requests (the session user's cache warm)."""
    answers = [client.get(path) for _ in range(times)]
    assert all(a.status_code == 200 for a in answers), answers[-1].data[:200]
    return min(int(a.headers[querycount.HEADER]) for a in answers)


def owner_of(make_db_app, register, name: str, meetings_count: int):
    client = make_db_app().test_client()
    register(client, name)
    ids = [client.post("/api/meetings", json={"title": f"m{n}"}).json["id"] for n in range(meetings_count)]
    return client, ids


def test_every_response_says_how_many_statements_it_ran(make_db_app, register):
    client, ids = owner_of(make_db_app, register, "alice", 2)
    assert counts(client, "/api/meetings") >= 1  # the hot read path's driver-level read counts
    assert counts(client, f"/api/meetings/{ids[0]}/segments") >= 2
    assert client.get("/health").headers[querycount.HEADER] == "0"


def test_the_list_costs_the_same_statements_for_one_meeting_and_for_twenty(make_db_app, register):
    few, _ = owner_of(make_db_app, register, "few", 1)
    many, _ = owner_of(make_db_app, register, "many", 20)
    assert counts(few, "/api/meetings") == counts(many, "/api/meetings")


def test_a_query_per_listed_meeting_shows_in_the_count(make_db_app, register, monkeypatch):
    def with_segment_count(row):  # the N+1 the gate must catch: one COUNT per listed meeting
        n = db.session.scalar(select(func.count()).select_from(TranscriptSegment)
                              .where(TranscriptSegment.meeting_id == row.id))
        return {"id": row.id, "segments": n}
    few, _ = owner_of(make_db_app, register, "few", 1)
    many, _ = owner_of(make_db_app, register, "many", 20)
    monkeypatch.setattr(meetings, "meeting_json", with_segment_count)
    assert counts(many, "/api/meetings") - counts(few, "/api/meetings") == 19


@pytest.mark.parametrize("flask_env,sent", [("development", True), ("test", True), ("staging", True),
                                            ("production", False)])
def test_never_counted_in_production(flask_env, sent):
    assert querycount.enabled(flask_env) is sent
