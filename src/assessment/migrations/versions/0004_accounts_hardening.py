"""Accounts hardening: temporary passwords, sign-in counters per client, the
administrative trail, reviewed profile changes, organisation contact details.

* ``users.must_change_password``: an invited or reset account may only replace
  its temporary password;
* ``sign_in_throttle`` is rebuilt keyed by counter (address and client,
  address, client, everything): its rows only ever hold the last hour's
  failures, so nothing worth keeping is dropped;
* ``organisation_contacts``: contact details an organisation's admins edit
  (a table of their own: ``organisations`` is unchanged);
* ``admin_events``: every account or profile action, in the trail of the
  organisation it touches;
* ``organisation_change_requests``: a change of region, legal family, size
  band or sector waits for the chamber's or the national body's review.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Types spelled out, as in 0001.
UTC_TIMESTAMP = sa.DateTime(timezone=True)
JSON_VALUE = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("must_change_password", server_default=None)

    op.create_table(
        "organisation_contacts",
        sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("postal_address", sa.String(length=500), nullable=True),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_contacts_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_organisation_contacts")),
    )

    op.drop_table("sign_in_throttle")
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("window_start", UTC_TIMESTAMP, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("blocked_until", UTC_TIMESTAMP, nullable=True),
        sa.Column("trusted_until", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )

    op.create_table(
        "admin_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("subject_email", sa.String(length=320), nullable=True),
        sa.Column("details", JSON_VALUE, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_admin_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_admin_events_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"],
            ["users.id"],
            name=op.f("fk_admin_events_subject_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_events")),
    )
    with op.batch_alter_table("admin_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_admin_events_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "organisation_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("changes", JSON_VALUE, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_by_email", sa.String(length=320), nullable=False),
        sa.Column("decided_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_by_email", sa.String(length=320), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'refused')",
            name=op.f("ck_organisation_change_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_organisation_change_requests_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_change_requests_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_organisation_change_requests_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_change_requests")),
    )
    with op.batch_alter_table("organisation_change_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_change_requests_organisation_id"),
            ["organisation_id"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("organisation_change_requests")
    op.drop_table("admin_events")
    op.drop_table("sign_in_throttle")
    op.create_table(
        "sign_in_throttle",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("blocked_until", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_sign_in_throttle")),
    )
    op.drop_table("organisation_contacts")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
