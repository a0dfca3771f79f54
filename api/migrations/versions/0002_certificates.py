"""certificates, their append-only event log, and number counters per prefix

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_APPEND_ONLY = ("certificates", "certificate_events")


def upgrade() -> None:
    op.create_table(
        "certificate_counters",
        sa.Column("prefix", sa.String(40), primary_key=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "certificates",
        sa.Column("number", sa.String(60), primary_key=True),
        sa.Column("prefix", sa.String(40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("holder_name", sa.String(300), nullable=False),
        sa.Column("manufacturer", sa.String(300), nullable=True),
        sa.Column("production_sites", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("evaluation_id", sa.String(36), sa.ForeignKey("decisions.id"), nullable=False),
        sa.Column("api_key_id", sa.String(40), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.UniqueConstraint("prefix", "sequence", name="uq_certificates_prefix_sequence"),
        sa.UniqueConstraint("organisation", "idempotency_key", name="uq_certificates_organisation_idempotency_key"),
    )
    op.create_index("ix_certificates_organisation", "certificates", ["organisation"])
    op.create_index("ix_certificates_holder", "certificates", ["holder"])
    op.create_table(
        "certificate_events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("certificate_number", sa.String(60), sa.ForeignKey("certificates.number"), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("evaluation_id", sa.String(36), sa.ForeignKey("decisions.id"), nullable=True),
        sa.Column("ruleset_version", sa.String(100), nullable=True),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("api_key_id", sa.String(40), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.UniqueConstraint("certificate_number", "sequence", name="uq_certificate_events_certificate_sequence"),
        sa.UniqueConstraint("organisation", "idempotency_key",
                            name="uq_certificate_events_organisation_idempotency_key"),
    )
    # Certificates and their events are never changed: the database refuses it, as it does for decisions
    # (0001 made the PostgreSQL trigger function).
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION greencert_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION greencert_append_only()")
    else:
        for table in _APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    else:
        for table in _APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    op.drop_table("certificate_events")
    op.drop_index("ix_certificates_holder", table_name="certificates")
    op.drop_index("ix_certificates_organisation", table_name="certificates")
    op.drop_table("certificates")
    op.drop_table("certificate_counters")
