"""Alembic migrations the stack tests write into a checkout: one table, created and dropped."""
from __future__ import annotations

from pathlib import Path

TEMPLATE = '''"""{purpose}"""
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("{table}")
'''


def table_migration(revision: str, down_revision: str, table: str, purpose: str) -> str:
    """The text of a migration that adds one table (with an `id` column) on top of down_revision."""
    return TEMPLATE.format(purpose=purpose, revision=revision, down_revision=down_revision,
                           table=table)


def write_table_migration(checkout: Path, filename: str, revision: str, down_revision: str,
                          table: str, purpose: str) -> Path:
    """Write that migration into checkout's db/migrations/versions; return its path."""
    path = checkout / "db" / "migrations" / "versions" / filename
    path.write_text(table_migration(revision, down_revision, table, purpose))
    return path
