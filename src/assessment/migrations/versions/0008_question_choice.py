"""Choosing themes and questions; actions entered once.

``assessments`` gains ``choice_reasons`` (``{item_id: reason}``: why the
organisation works on each theme it chose this year);
``action_plan_actions`` gains ``question_id``: the « Actions prévues » question
an action was typed at (``NULL`` for an action added on the plan page).

Revision ID: 0008_question_choice
Revises: 0007_not_applicable
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

revision: str = "0008_question_choice"
down_revision: str | None = "0007_not_applicable"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "assessments", sa.Column("choice_reasons", JSON_VALUE, nullable=True, server_default="{}")
    )
    op.add_column(
        "action_plan_actions", sa.Column("question_id", sa.String(length=63), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("action_plan_actions", "question_id")
    op.drop_column("assessments", "choice_reasons")
