"""The data-version row gains ``activity``: every change a network list shows.

``data_version.activity`` is bumped in the same transaction as every change
that the regional chamber's live lists show and the aggregates do not: a draft
created or saved, an organisation created, imported or changing its sharing
choice, an account created, invited, deactivated or reactivated.  With the
row's other counters it keys the participation list and the shared answers in
memory (:mod:`assessment.campaigns`): a dashboard rerun whose data did not move
reads one row instead of every organisation of the region.

Revision ID: 0010_activity_counter
Revises: 0009_frozen_categories
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_activity_counter"
down_revision: str | None = "0009_frozen_categories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("data_version") as batch:
        batch.add_column(sa.Column("activity", COUNTER, server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("data_version") as batch:
        batch.drop_column("activity")
