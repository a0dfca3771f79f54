"""the registry at scale: a certificate's region, indexes for the public procurement queries, random draws

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a nullable column added to an append-only table: existing rows keep NULL (no region recorded), no row changes
    op.add_column("certificates", sa.Column("region", sa.String(100), nullable=True))
    op.create_index("ix_certificates_category_number", "certificates", ["category", "number"])
    op.create_index("ix_certificates_region", "certificates", ["region"])
    op.create_index("ix_certificates_holder_name", "certificates", ["holder_name"])
    op.create_index("ix_certificates_evaluation", "certificates", ["evaluation_id"])
    op.create_index("ix_decisions_product_model", "decisions", ["product_model"])
    op.create_index("ix_certificate_events_evaluation", "certificate_events", ["evaluation_id"])
    op.create_table(
        "draws",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seed", sa.String(100), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("api_key_id", sa.String(40), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER draws_append_only BEFORE UPDATE OR DELETE ON draws "
                   "FOR EACH ROW EXECUTE FUNCTION greencert_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER draws_no_{verb.lower()} BEFORE {verb} ON draws "
                       "BEGIN SELECT RAISE(ABORT, 'table draws is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS draws_append_only ON draws")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS draws_no_{verb}")
    op.drop_table("draws")
    op.drop_index("ix_certificate_events_evaluation", table_name="certificate_events")
    op.drop_index("ix_decisions_product_model", table_name="decisions")
    op.drop_index("ix_certificates_evaluation", table_name="certificates")
    op.drop_index("ix_certificates_holder_name", table_name="certificates")
    op.drop_index("ix_certificates_region", table_name="certificates")
    op.drop_index("ix_certificates_category_number", table_name="certificates")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("region")
