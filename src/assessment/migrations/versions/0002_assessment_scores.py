"""Stored scores of submitted assessments (``assessment_scores``).

The table is created here; the scores of assessments submitted before this
revision are filled right after the upgrade by :func:`assessment.db.migrate`
(:func:`assessment.score_store.backfill`: batched, idempotent, with the scoring
code of the running version), not by a data step here, so that this migration
never depends on how scores are computed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Types spelled out, as in 0001.
UTC_TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_scores",
        sa.Column("assessment_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.String(length=63), nullable=False),
        sa.Column("grid_version", sa.String(length=40), nullable=False),
        sa.Column("computed_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("scores", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_scores_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_assessment_scores")),
    )


def downgrade() -> None:
    op.drop_table("assessment_scores")
