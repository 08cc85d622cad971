"""Initial schema: organisations, accounts, grids, campaigns, assessments, action plans.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Types are spelled out here (not imported from assessment.tables) so that this
# migration keeps creating the same schema whatever the models become.
UTC_TIMESTAMP = sa.DateTime(timezone=True)
JSON_VALUE = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_secrets")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("rna", sa.String(length=10), nullable=True),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("legal_family", sa.String(length=20), nullable=False),
        sa.Column("size_band", sa.String(length=10), nullable=False),
        sa.Column("sector", sa.String(length=1), nullable=True),
        sa.Column("shared_with_region", sa.Boolean(), nullable=False),
        sa.Column("shared_changed_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "siren IS NOT NULL OR rna IS NOT NULL", name=op.f("ck_organisations_has_identifier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("rna", name=op.f("uq_organisations_rna")),
        sa.UniqueConstraint("siren", name=op.f("uq_organisations_siren")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_organisations_region_family", ["region", "legal_family"], unique=False
        )

    op.create_table(
        "sign_in_throttle",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("blocked_until", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_sign_in_throttle")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_sign_in_at", UTC_TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_users_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "grid_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_name", sa.String(length=500), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("published_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published')", name=op.f("ck_grid_versions_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_grid_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["users.id"],
            name=op.f("fk_grid_versions_published_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_versions")),
        sa.UniqueConstraint("grid_id", "version", name=op.f("uq_grid_versions_grid_id_version")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("revoked_at", UTC_TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("grid_id", sa.String(length=63), nullable=False),
        sa.Column("grid_version", sa.String(length=40), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("closed_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("closes_on >= opens_on", name=op.f("ck_campaigns_dates_in_order")),
        sa.ForeignKeyConstraint(
            ["grid_id", "grid_version"],
            ["grid_versions.grid_id", "grid_versions.version"],
            name=op.f("fk_campaigns_grid_id_grid_version_grid_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("year", name=op.f("uq_campaigns_year")),
    )
    op.create_table(
        "action_plan_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.String(length=63), nullable=False),
        sa.Column("horizon_id", sa.String(length=63), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('todo', 'in_progress', 'done', 'dropped')",
            name=op.f("ck_action_plan_actions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_action_plan_actions_campaign_id_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_action_plan_actions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_action_plan_actions_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan_actions")),
    )
    with op.batch_alter_table("action_plan_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_action_plan_actions_org_campaign", ["organisation_id", "campaign_id"], unique=False
        )

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.String(length=63), nullable=False),
        sa.Column("grid_version", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("not_addressed", JSON_VALUE, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("submitted_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f("ck_assessments_status")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_assessments_campaign_id_campaigns"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["grid_id", "grid_version"],
            ["grid_versions.grid_id", "grid_versions.version"],
            name=op.f("fk_assessments_grid_id_grid_version_grid_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessments_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["users.id"],
            name=op.f("fk_assessments_submitted_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint(
            "organisation_id",
            "campaign_id",
            name=op.f("uq_assessments_organisation_id_campaign_id"),
        ),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessments_campaign_status", ["campaign_id", "status"], unique=False
        )

    op.create_table(
        "answers",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=63), nullable=False),
        sa.Column("horizon_id", sa.String(length=63), nullable=False),
        sa.Column("value", JSON_VALUE, nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_answers_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_answers_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint(
            "assessment_id", "question_id", "horizon_id", name=op.f("pk_answers")
        ),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("question_id", sa.String(length=63), nullable=True),
        sa.Column("horizon_id", sa.String(length=63), nullable=True),
        sa.Column("old_value", JSON_VALUE, nullable=True),
        sa.Column("new_value", JSON_VALUE, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_audit_events_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_events_assessment_id"), ["assessment_id"], unique=False
        )

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.String(length=63), nullable=False),
        sa.Column("grid_version", sa.String(length=40), nullable=False),
        sa.Column("snapshot", JSON_VALUE, nullable=False),
        sa.Column("submitted_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("reopened_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("reopened_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_submissions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by"],
            ["users.id"],
            name=op.f("fk_submissions_reopened_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["users.id"],
            name=op.f("fk_submissions_submitted_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submissions_assessment_id"), ["assessment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_assessment_id"))

    op.drop_table("submissions")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_assessment_id"))

    op.drop_table("audit_events")
    op.drop_table("answers")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_assessments_campaign_status")

    op.drop_table("assessments")
    with op.batch_alter_table("action_plan_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_action_plan_actions_org_campaign")

    op.drop_table("action_plan_actions")
    op.drop_table("campaigns")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    op.drop_table("grid_versions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organisation_id"))

    op.drop_table("users")
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index("ix_organisations_region_family")

    op.drop_table("organisations")
    op.drop_table("app_secrets")
