"""The aggregate layer's data-version counter (h8-privacy).

Adds the one-row table ``data_version`` (bumped in the same transaction as
submit, reopen and organisation changes) and ``assessment_scores.data_version``
(the counter when a score row was written), so that
:mod:`assessment.privacy` checks for changes with one primary-key read and
then reads only the score rows written since.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", COUNTER, nullable=False),
        sa.Column("organisations", COUNTER, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(
        table, [{"id": 1, "version": 0, "organisations": 0, "token": secrets.token_hex(16)}]
    )
    with op.batch_alter_table("assessment_scores") as batch:
        batch.add_column(sa.Column("data_version", COUNTER, server_default="0", nullable=False))
        batch.create_index(
            batch.f("ix_assessment_scores_data_version"), ["data_version"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment_scores") as batch:
        batch.drop_index(batch.f("ix_assessment_scores_data_version"))
        batch.drop_column("data_version")
    op.drop_table("data_version")
