"""The four tables other parts of the replica (fixtures, sanitizer) build against."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Index,
                        Integer, PrimaryKeyConstraint, Text, UniqueConstraint, func)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

MEETING_STATUSES = ("scheduled", "live", "ended")


def _pk() -> Mapped[int]:
    return mapped_column(BigInteger, Identity(always=False), primary_key=True)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = _pk()
    email: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    username: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    display_name: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def to_dict(self) -> dict:
        return {"id": self.id, "email": self.email, "username": self.username,
                "display_name": self.display_name}


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint(f"status IN {MEETING_STATUSES}", name="meetings_status_check"),
        Index("ix_meetings_owner_created", "owner_id", "created_at", "id"),
    )
    id: Mapped[int] = _pk()
    owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="scheduled")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()

    segments = relationship("TranscriptSegment", passive_deletes=True,
                            order_by="TranscriptSegment.seq", lazy="dynamic")

    def to_dict(self) -> dict:
        return meeting_json(self)


def meeting_json(m) -> dict:
    """Serialise a Meeting object or a row of meetings' columns."""
    return {"id": m.id, "owner_id": m.owner_id, "title": m.title,
            "description": m.description, "status": m.status,
            "started_at": _iso(m.started_at), "ended_at": _iso(m.ended_at),
            "created_at": _iso(m.created_at)}


class TranscriptSegment(db.Model):
    __tablename__ = "transcript_segments"
    __table_args__ = (UniqueConstraint("meeting_id", "seq", name="uq_segments_meeting_seq"),)
    id: Mapped[int] = _pk()
    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    speaker: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    start_ms: Mapped[int | None] = mapped_column(Integer)
    end_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _created()

    def to_dict(self) -> dict:
        return segment_json(self)


class Summary(db.Model):
    __tablename__ = "summaries"
    __table_args__ = (Index("ix_summaries_meeting_created", "meeting_id", "created_at"),)
    id: Mapped[int] = _pk()
    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    model: Mapped[str] = mapped_column(Text, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _created()

    def to_dict(self) -> dict:
        return {"id": self.id, "meeting_id": self.meeting_id, "model": self.model,
                "content": self.content, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "created_at": _iso(self.created_at)}


class IdempotencyKey(db.Model):
    """The first response to a create request sent with an Idempotency-Key (mina/idempotency.py)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (PrimaryKeyConstraint("user_id", "key", name="idempotency_keys_pkey"),
                      Index("ix_idempotency_keys_created", "created_at"))
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False)
    request_hash: Mapped[str] = mapped_column(Text, nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _created()


def segment_json(s) -> dict:
    """Serialise a TranscriptSegment object or a row of its columns."""
    return {"id": s.id, "meeting_id": s.meeting_id, "seq": s.seq, "speaker": s.speaker,
            "text": s.text, "start_ms": s.start_ms, "end_ms": s.end_ms,
            "created_at": _iso(s.created_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
