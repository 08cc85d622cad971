"""Questions an organisation marks « non applicable » (they do not concern it).

``assessments`` gains ``not_applicable``: a JSON list of question ids (questions
the grid lets an organisation mark so, ``may_not_apply``), left out of
completion and scores like "not addressed this year", but meaning « this does
not concern us » rather than « not this year ».  Existing assessments get an
empty list.

Revision ID: 0007_not_applicable
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_VALUE = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)

revision: str = "0007_not_applicable"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "assessments",
        sa.Column("not_applicable", JSON_VALUE, nullable=False, server_default="[]"),
    )


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("not_applicable")
