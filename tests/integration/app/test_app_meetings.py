import pytest


@pytest.fixture
def alice(client, register):
    register(client, "alice")
    return client


def create(client, title="Standup"):
    response = client.post("/api/meetings", json={"title": title, "description": "daily"})
    assert response.status_code == 201
    return response.json


def test_create_show_delete(alice):
    meeting = create(alice)
    assert alice.get(f"/api/meetings/{meeting['id']}").json["title"] == "Standup"
    assert alice.delete(f"/api/meetings/{meeting['id']}").status_code == 204
    assert alice.get(f"/api/meetings/{meeting['id']}").status_code == 404


def test_list_is_paginated_newest_first(alice):
    for i in range(5):
        create(alice, f"m{i}")
    page = alice.get("/api/meetings?page=2&per_page=2").json
    assert [m["title"] for m in page["items"]] == ["m2", "m1"]
    assert (page["total"], page["pages"]) == (5, 3)


@pytest.mark.parametrize("query", ["page=0", "per_page=1000", "page=x", "per_page=-1"])
def test_bad_pagination_is_400(alice, query):
    assert alice.get(f"/api/meetings?{query}").status_code == 400


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": 5}, {"title": "x" * 201}])
def test_bad_meeting_is_400(alice, body):
    assert alice.post("/api/meetings", json=body).status_code == 400


def test_another_users_meeting_is_404(app, alice, register):
    meeting = create(alice)
    bob = app.test_client()
    register(bob, "bob")
    for method in ("get", "delete"):
        assert getattr(bob, method)(f"/api/meetings/{meeting['id']}").status_code == 404
    assert bob.get(f"/api/meetings/{meeting['id']}/segments").status_code == 404
    assert bob.get("/api/meetings").json["total"] == 0


def test_unknown_meeting_is_404(alice):
    assert alice.get("/api/meetings/999999").status_code == 404


def test_segments_in_order(app, alice):
    from mina.extensions import db
    from mina.models import TranscriptSegment
    meeting = create(alice)
    with app.app_context():
        db.session.add_all([TranscriptSegment(meeting_id=meeting["id"], seq=s, text=f"t{s}")
                            for s in (2, 0, 1)])
        db.session.commit()
    items = alice.get(f"/api/meetings/{meeting['id']}/segments?after_seq=0").json["items"]
    assert [s["seq"] for s in items] == [1, 2]


def test_delete_cascades_segments(app, alice):
    from mina.extensions import db
    from mina.models import TranscriptSegment
    meeting = create(alice)
    with app.app_context():
        db.session.add(TranscriptSegment(meeting_id=meeting["id"], seq=0, text="hi"))
        db.session.commit()
    alice.delete(f"/api/meetings/{meeting['id']}")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(TranscriptSegment.id))) == 0


def test_page_past_the_end_is_empty_with_total(alice):
    for i in range(3):
        create(alice, f"m{i}")
    page = alice.get("/api/meetings?page=5&per_page=2").json
    assert page["items"] == [] and page["total"] == 3
