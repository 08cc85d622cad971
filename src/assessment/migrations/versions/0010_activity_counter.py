"""The data-version row gains ``activity`` and ``roster``; assessments are stamped.

The regional chamber's live lists (the participation list, the shared answers)
show what no aggregate does: drafts and their last change, new organisations,
sharing choices, the administrators to remind.  Two counters of the
``data_version`` row, bumped in the same transaction as those changes, key them
in memory (:mod:`assessment.campaigns`):

* ``activity``: every write to an assessment (created, saved, submitted,
  reopened); the assessment is stamped with the new value
  (``assessments.activity``, indexed with its campaign), so that after a change
  only the assessments stamped since are read, not every organisation;
* ``roster``: an organisation created, imported or changing its sharing choice,
  an account created, invited, deactivated or reactivated (the list is read
  again in full).

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
        batch.add_column(sa.Column("roster", COUNTER, server_default="0", nullable=False))
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("activity", COUNTER, server_default="0", nullable=False))
        batch.create_index(
            batch.f("ix_assessments_campaign_activity"), ["campaign_id", "activity"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_index(batch.f("ix_assessments_campaign_activity"))
        batch.drop_column("activity")
    with op.batch_alter_table("data_version") as batch:
        batch.drop_column("roster")
        batch.drop_column("activity")
