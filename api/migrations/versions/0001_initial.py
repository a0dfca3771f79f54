"""api keys, rule-set snapshots and append-only decisions

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY = ("decisions", "ruleset_snapshots")


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_keys_organisation", "api_keys", ["organisation"])
    op.create_table(
        "ruleset_snapshots",
        sa.Column("version", sa.String(100), primary_key=True),
        sa.Column("ruleset_id", sa.String(200), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("binding", sa.Boolean(), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("api_key_id", sa.String(40), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("application_id", sa.String(200), nullable=True),
        sa.Column("product_model", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("ruleset_id", sa.String(200), nullable=False),
        sa.Column("ruleset_version", sa.String(100), sa.ForeignKey("ruleset_snapshots.version"), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("application", sa.JSON(), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supersedes", sa.String(36), sa.ForeignKey("decisions.id"), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.UniqueConstraint("organisation", "idempotency_key", name="uq_decisions_organisation_idempotency_key"),
    )
    op.create_index("ix_decisions_organisation_binding_created", "decisions", ["organisation", "binding", "created_at"])
    op.create_index("ix_decisions_supersedes", "decisions", ["supersedes"])

    # Recorded decisions and the rule-set content they rest on are never changed: the database refuses it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION greencert_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME; END $$")
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
        op.execute("DROP FUNCTION IF EXISTS greencert_append_only()")
    else:
        for table in _APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    op.drop_table("decisions")
    op.drop_table("ruleset_snapshots")
    op.drop_index("ix_api_keys_organisation", table_name="api_keys")
    op.drop_table("api_keys")
