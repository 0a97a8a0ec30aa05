"""Security review (issue 15): fast token hashes, tokens bound to an applicant set and expiring, server-side
web sessions, and worker heartbeats for runs left by a dead server.

* ``api_tokens``: ``scheme`` (existing rows keep their salted scrypt hash: ``"scrypt"``), ``salt`` nullable,
  ``applicants_id`` (NULL for household tokens issued before: they see no household row until re-issued),
  ``expires_at`` (NULL: never, for tokens issued before).
* ``web_sessions`` and ``workers``: new tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as t:
        t.add_column(sa.Column("scheme", sa.String(20), nullable=False, server_default="scrypt"))
        t.add_column(sa.Column("applicants_id", sa.Integer, nullable=True))
        t.add_column(sa.Column("expires_at", sa.DateTime, nullable=True))
        t.alter_column("salt", existing_type=sa.String(64), nullable=True)
    with op.batch_alter_table("api_tokens") as t:
        t.alter_column("scheme", existing_type=sa.String(20), server_default=None)
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("token_id", sa.Integer, sa.ForeignKey("api_tokens.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "workers",
        sa.Column("worker", sa.String(300), primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("heartbeat_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_table("web_sessions")
    op.execute("DELETE FROM api_tokens WHERE salt IS NULL")  # sha256 tokens cannot be kept under revision 0001
    with op.batch_alter_table("api_tokens") as t:
        t.alter_column("salt", existing_type=sa.String(64), nullable=False)
        t.drop_column("expires_at")
        t.drop_column("applicants_id")
        t.drop_column("scheme")
