"""Initial schema: developments, applicant sets, runs, allocation rows, run files, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# Declarative table definitions, kept as written: a migration is a record, never refactored.
def upgrade() -> None:
    op.create_table(
        "developments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("flats_filename", sa.String(255), nullable=False),
        sa.Column("flats_content", sa.LargeBinary, nullable=False),
        sa.Column("flats_sha256", sa.String(64), nullable=False),
        sa.Column("n_flats", sa.Integer, nullable=False),
        sa.Column("n_vacant", sa.Integer, nullable=False),
        sa.Column("n_blocks", sa.Integer, nullable=False),
        sa.Column("n_neighbourhoods", sa.Integer, nullable=False),
        sa.Column("occupant_groups", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "applicant_sets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("development_id", sa.Integer, sa.ForeignKey("developments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("households_filename", sa.String(255), nullable=False),
        sa.Column("households_content", sa.LargeBinary, nullable=False),
        sa.Column("households_sha256", sa.String(64), nullable=False),
        sa.Column("preferences_filename", sa.String(255), nullable=True),
        sa.Column("preferences_content", sa.LargeBinary, nullable=True),
        sa.Column("preferences_sha256", sa.String(64), nullable=True),
        sa.Column("n_households", sa.Integer, nullable=False),
        sa.Column("n_preferences", sa.Integer, nullable=False),
        sa.Column("groups", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("development_id", sa.Integer, sa.ForeignKey("developments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("applicants_id", sa.Integer, sa.ForeignKey("applicant_sets.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("policy_name", sa.Text, nullable=False),
        sa.Column("policy_toml", sa.Text, nullable=False),
        sa.Column("mechanism", sa.String(50), nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("code_version", sa.String(100), nullable=False),
        sa.Column("inputs_hash", sa.String(64), nullable=False),
        sa.Column("problem_fingerprint", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("worker", sa.String(300), nullable=True),
        sa.Column("n_households", sa.Integer, nullable=True),
        sa.Column("n_allocated", sa.Integer, nullable=True),
        sa.Column("summary_json", sa.Text, nullable=True),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "allocation_rows",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Text, nullable=False),
        sa.Column("flat_id", sa.Text, nullable=True),
        sa.Column("block_id", sa.Text, nullable=True),
        sa.Column("neighbourhood_id", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("queue_position", sa.Integer, nullable=True),
        sa.Column("utility", sa.Float, nullable=True),
    )
    op.create_index("ix_allocation_rows_household", "allocation_rows", ["run_id", "household_id"])
    op.create_table(
        "run_files",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(32), nullable=False, unique=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(128), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("development_id", sa.Integer, nullable=True),
        sa.Column("household_id", sa.Text, nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("api_tokens", "run_files", "allocation_rows", "runs", "applicant_sets", "developments"):
        op.drop_table(table)
