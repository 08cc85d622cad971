"""The national body in the app: retired grid versions, drafts' base version, audit.

``grid_versions`` gains ``based_on`` (the version a draft was made from),
``updated_by`` and ``retired_at`` / ``retired_by`` (a retired version keeps the
status ``published``);
``national_audit_events`` records every action of the national body on grid
versions and campaigns.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

UTC_TIMESTAMP = sa.DateTime(timezone=True)
JSON_VALUE = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMNs: rebuilding grid_versions (SQLite's way to change a constraint)
    # would fail, campaigns and assessments refer to it
    op.add_column("grid_versions", sa.Column("based_on", sa.String(length=40), nullable=True))
    op.add_column("grid_versions", sa.Column("updated_by", sa.Integer(), nullable=True))
    op.add_column("grid_versions", sa.Column("retired_at", UTC_TIMESTAMP, nullable=True))
    op.add_column("grid_versions", sa.Column("retired_by", sa.Integer(), nullable=True))
    op.create_table(
        "national_audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("detail", JSON_VALUE, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_national_audit_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_audit_events")),
    )
    op.create_index(
        "ix_national_audit_events_subject",
        "national_audit_events",
        ["subject_kind", "subject"],
    )


def downgrade() -> None:
    op.drop_index("ix_national_audit_events_subject", table_name="national_audit_events")
    op.drop_table("national_audit_events")
    for column in ("retired_by", "retired_at", "updated_by", "based_on"):
        op.drop_column("grid_versions", column)
