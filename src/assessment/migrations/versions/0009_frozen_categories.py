"""Score rows keep the organisation's categories as they were when it submitted.

``assessment_scores`` gains ``region``, ``legal_family``, ``size_band`` and
``sector`` (``-`` for none), copied from the organisation when the row is
written, and here from each organisation's current categories for the rows
already stored.  A campaign's figures, published from its close, are computed
from them: an organisation that changes its region or family afterwards moves
no published figure (two readings a move apart would differ by that
organisation alone).

Revision ID: 0009_frozen_categories
Revises: 0008_question_choice
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_frozen_categories"
down_revision: str | None = "0008_question_choice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("region", 2), ("legal_family", 20), ("size_band", 10), ("sector", 1))


def upgrade() -> None:
    with op.batch_alter_table("assessment_scores") as batch:
        for name, length in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    sources = {name: f"o.{name}" for name, _length in _COLUMNS}
    sources["sector"] = "COALESCE(o.sector, '-')"
    values = ", ".join(
        f"{name} = (SELECT {source} "
        "FROM assessments a JOIN organisations o ON o.id = a.organisation_id "
        "WHERE a.id = assessment_scores.assessment_id)"
        for name, source in sources.items()
    )
    op.execute(f"UPDATE assessment_scores SET {values}")


def downgrade() -> None:
    with op.batch_alter_table("assessment_scores") as batch:
        for name, _length in reversed(_COLUMNS):
            batch.drop_column(name)
