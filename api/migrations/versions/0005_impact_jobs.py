"""edition impact as a job: the jobs (status, progress, summary) and their per-certificate results

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # operational state, updated as a job runs (not append-only, unlike the registry's tables)
    op.create_table(
        "impact_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("api_key_id", sa.String(40), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("edition", sa.String(100), nullable=False),
        sa.Column("ruleset_id", sa.String(200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("overlay", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("diagnostics", sa.JSON(), nullable=True),
        sa.Column("active_for", sa.String(200), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("active_for", name="uq_impact_jobs_active_for"),
    )
    op.create_index("ix_impact_jobs_organisation", "impact_jobs", ["organisation"])
    op.create_index("ix_impact_jobs_status", "impact_jobs", ["status"])
    op.create_table(
        "impact_results",
        sa.Column("job_id", sa.String(36), sa.ForeignKey("impact_jobs.id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("ruleset_id", sa.String(200), nullable=True),
        sa.Column("failing", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("diagnostics", sa.JSON(), nullable=False),
    )
    op.create_index("ix_impact_results_job_verdict", "impact_results", ["job_id", "verdict", "position"])


def downgrade() -> None:
    op.drop_index("ix_impact_results_job_verdict", table_name="impact_results")
    op.drop_table("impact_results")
    op.drop_index("ix_impact_jobs_status", table_name="impact_jobs")
    op.drop_index("ix_impact_jobs_organisation", table_name="impact_jobs")
    op.drop_table("impact_jobs")
