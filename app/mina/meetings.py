"""Meetings over the JSON API: create, list, show, delete, transcript segments."""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user, login_required
from sqlalchemy import bindparam, func, select

from .api import int_arg, json_body, pagination, read_rows, text_field
from .errors import ApiError
from .extensions import db
from .idempotency import commit_created, idempotent
from .models import Meeting, TranscriptSegment, meeting_json, segment_json

bp = Blueprint("meetings", __name__, url_prefix="/api/meetings")


def get_meeting(meeting_id: int, owner_id: int | None = None) -> Meeting:
    """Return the meeting if it belongs to the user; 404 otherwise, never a 403 that leaks."""
    owner_id = current_user.id if owner_id is None else owner_id
    meeting = db.session.scalar(
        select(Meeting).where(Meeting.id == meeting_id, Meeting.owner_id == owner_id))
    if meeting is None:
        raise ApiError(404, f"meeting {meeting_id} not found")
    return meeting


# Read statements built once: SQLAlchemy memoizes their cache keys, psycopg prepares them.
SHOW_ROW = select(*Meeting.__table__.c).where(
    Meeting.id == bindparam("meeting_id"), Meeting.owner_id == bindparam("owner_id"))
LIST_PAGE = (select(*Meeting.__table__.c, func.count().over().label("total"))
             .where(Meeting.owner_id == bindparam("owner_id"))
             .order_by(Meeting.created_at.desc(), Meeting.id.desc())
             .limit(bindparam("limit")).offset(bindparam("offset")))
SEGMENTS_AFTER = (select(*TranscriptSegment.__table__.c)
                  .where(TranscriptSegment.meeting_id == bindparam("meeting_id"),
                         TranscriptSegment.seq > bindparam("after"))
                  .order_by(TranscriptSegment.seq).limit(bindparam("limit")))


def find_meeting_row(meeting_id: int):
    """Read-only twin of get_meeting: a plain row (no ORM object), 404 if not the user's."""
    rows = read_rows(SHOW_ROW, {"meeting_id": meeting_id, "owner_id": current_user.id})
    row = rows[0] if rows else None
    if row is None:
        raise ApiError(404, f"meeting {meeting_id} not found")
    return row


def list_meetings(owner_id: int, page: int, per_page: int) -> tuple[list, int]:
    """Return one page of the owner's meetings, newest first, and the total count.

    One round trip: the total rides along as a window count; only a page past the end
    needs a separate count.
    """
    rows = read_rows(LIST_PAGE, {"owner_id": owner_id, "limit": per_page,
                                 "offset": (page - 1) * per_page})
    if rows:
        return rows, rows[0].total
    if page == 1:
        return [], 0
    total = db.session.scalar(
        select(func.count()).select_from(Meeting).where(Meeting.owner_id == owner_id))
    return [], total or 0


@bp.get("")
@login_required
def index():
    page, per_page = pagination()
    rows, total = list_meetings(current_user.id, page, per_page)
    return jsonify({"items": [meeting_json(m) for m in rows], "page": page,
                    "per_page": per_page, "total": total,
                    "pages": (total + per_page - 1) // per_page})


@bp.post("")
@login_required
@idempotent
def create():
    data = json_body()
    meeting = Meeting(owner_id=current_user.id, title=text_field(data, "title"),
                      description=text_field(data, "description", required=False,
                                             max_len=5000))
    db.session.add(meeting)
    db.session.flush()  # id and server defaults come back with the INSERT
    return commit_created(meeting.to_dict())


@bp.get("/<id:meeting_id>")
@login_required
def show(meeting_id: int):
    return jsonify(meeting_json(find_meeting_row(meeting_id)))


@bp.delete("/<id:meeting_id>")
@login_required
def delete(meeting_id: int):
    db.session.delete(get_meeting(meeting_id))
    db.session.commit()
    return "", 204


@bp.get("/<id:meeting_id>/segments")
@login_required
def segments(meeting_id: int):
    find_meeting_row(meeting_id)
    after = int_arg("after_seq", -1, low=-1, high=2**31 - 1)
    limit = int_arg("limit", 500, low=1, high=1000)
    rows = read_rows(SEGMENTS_AFTER, {"meeting_id": meeting_id, "after": after, "limit": limit})
    return jsonify({"meeting_id": meeting_id, "items": [segment_json(s) for s in rows]})
