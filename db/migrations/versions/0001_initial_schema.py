"""Initial schema: users, meetings, transcript_segments, summaries.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _pk():
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), primary_key=True)


def _created():
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                     server_default=sa.text("now()"))


def upgrade():
    op.create_table(
        "users", _pk(),
        sa.Column("email", sa.Text(), nullable=False, unique=True),
        sa.Column("username", sa.Text(), nullable=False, unique=True),
        sa.Column("display_name", sa.Text()),
        sa.Column("password_hash", sa.Text(), nullable=False),
        _created(),
        sa.Column("last_login_at", sa.DateTime(timezone=True)))
    op.create_table(
        "meetings", _pk(),
        sa.Column("owner_id", sa.BigInteger(),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False, server_default="scheduled"),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        _created(),
        sa.CheckConstraint("status IN ('scheduled', 'live', 'ended')",
                           name="meetings_status_check"))
    op.create_index("ix_meetings_owner_created", "meetings", ["owner_id", "created_at", "id"])
    op.create_table(
        "transcript_segments", _pk(),
        sa.Column("meeting_id", sa.BigInteger(),
                  sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.Text()),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start_ms", sa.Integer()),
        sa.Column("end_ms", sa.Integer()),
        _created(),
        sa.UniqueConstraint("meeting_id", "seq", name="uq_segments_meeting_seq"))
    op.create_table(
        "summaries", _pk(),
        sa.Column("meeting_id", sa.BigInteger(),
                  sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer()),
        sa.Column("completion_tokens", sa.Integer()),
        _created())
    op.create_index("ix_summaries_meeting_created", "summaries", ["meeting_id", "created_at"])


def downgrade():
    op.drop_index("ix_summaries_meeting_created", table_name="summaries")
    op.drop_table("summaries")
    op.drop_table("transcript_segments")
    op.drop_index("ix_meetings_owner_created", table_name="meetings")
    op.drop_table("meetings")
    op.drop_table("users")
