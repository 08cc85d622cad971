"""The SQL schema, as SQLAlchemy 2 typed ORM classes.

The same schema runs on SQLite and PostgreSQL; the Alembic migrations in
``assessment/migrations/versions`` create it, and a test checks that these
classes and the migrated database agree.  Services read and write these tables
through :func:`assessment.db.write_session` / :func:`assessment.db.read_session`;
bulk loads (demo seed, CSV import) use the Core ``Table`` objects
(``Organisation.__table__`` ...) with executemany.

Timestamps are timezone-aware UTC in Python (:class:`UTCDateTime`); identifiers
of grid items, questions and horizons are strings from the grid.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    PostgreSQL keeps ``timestamptz``; SQLite stores naive UTC text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONValue = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
"""JSON data (JSONB on PostgreSQL); Python ``None`` is SQL NULL."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONValue,
    }


# ---------------------------------------------------------------------------
# organisations and accounts
# ---------------------------------------------------------------------------


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("siren IS NOT NULL OR rna IS NOT NULL", name="has_identifier"),
        Index("ix_organisations_region_family", "region", "legal_family"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    siren: Mapped[str | None] = mapped_column(String(9), unique=True)
    rna: Mapped[str | None] = mapped_column(String(10), unique=True)
    region: Mapped[str] = mapped_column(String(2))
    legal_family: Mapped[str] = mapped_column(String(20))
    size_band: Mapped[str] = mapped_column(String(10))
    sector: Mapped[str | None] = mapped_column(String(1))
    shared_with_region: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    """Stored trimmed and lower-cased, hence unique case-insensitively."""
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    region: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    """The password is temporary (invitation or reset): the user may only replace it."""


class SignInThrottle(Base):
    """Sign-in attempts per counter (see :mod:`assessment.accounts`, « sign-in »).

    ``key`` names the counter: one address from one client, one address from
    any client, one client on any address, or every attempt (``*``).  Known
    addresses or not, so both look alike.
    """

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    window_start: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Password checks that failed (or are under way) since ``window_start``."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Every attempt since ``window_start``, refused ones included."""
    blocked_until: Mapped[datetime | None]
    trusted_until: Mapped[datetime | None]
    """(address, client) counters: this client signed in to this address before."""


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 hex of the token handed to the browser; the token itself is never stored."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class AppSecret(Base):
    """Secrets shared by every app process (e.g. a cookie-signing key)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------
# grids and campaigns
# ---------------------------------------------------------------------------


class GridVersion(Base):
    __tablename__ = "grid_versions"
    __table_args__ = (
        UniqueConstraint("grid_id", "version"),
        CheckConstraint("status IN ('draft', 'published')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(63))
    version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(500), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # h9-national (migration 0006)
    based_on: Mapped[str | None] = mapped_column(String(40))
    """The version of the same grid a draft was made from (its diff and ``replaces`` base)."""
    updated_by: Mapped[int | None] = mapped_column(Integer)
    """A user id (no foreign key: added to a table others refer to, without rebuilding it)."""
    retired_at: Mapped[datetime | None]
    """Set when a published version is retired: no new campaign may use it; its
    assessments stay readable and scorable (its ``status`` stays ``published``)."""
    retired_by: Mapped[int | None] = mapped_column(Integer)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="dates_in_order"),
        ForeignKeyConstraint(
            ["grid_id", "grid_version"], ["grid_versions.grid_id", "grid_versions.version"]
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    label: Mapped[str] = mapped_column(String(200))
    grid_id: Mapped[str] = mapped_column(String(63))
    grid_version: Mapped[str] = mapped_column(String(40))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    """Set when the national council closes the campaign before ``closes_on``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------
# assessments
# ---------------------------------------------------------------------------


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("organisation_id", "campaign_id"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        ForeignKeyConstraint(
            ["grid_id", "grid_version"], ["grid_versions.grid_id", "grid_versions.version"]
        ),
        Index("ix_assessments_campaign_status", "campaign_id", "status"),
        Index("ix_assessments_campaign_activity", "campaign_id", "activity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    grid_id: Mapped[str] = mapped_column(String(63))
    grid_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    not_addressed: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    choice_reasons: Mapped[dict[str, str] | None] = mapped_column(JSONValue, server_default="{}")
    """``{item_id: one line}``: why the organisation works on that theme this year."""
    not_applicable: Mapped[list[str]] = mapped_column(JSONValue, server_default="[]")
    """Question ids the organisation marked « non applicable » (``may_not_apply``); the
    database's default only, so that a row written without it stays valid."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    activity: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), server_default="0"
    )
    """``data_version.activity`` when it was last written (0: before migration 0010, or
    written in bulk by the demo seed): the live lists read the rows stamped since."""


class Answer(Base):
    __tablename__ = "answers"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    horizon_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[Any | None] = mapped_column(JSONValue)
    comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Submission(Base):
    """Each submitted version of an assessment, kept when it is reopened."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[str] = mapped_column(String(63))
    grid_version: Mapped[str] = mapped_column(String(40))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    """``{"answers": {...}, "comments": {...}, "not_addressed": [...], "not_applicable": [...]}``"""
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reopened_at: Mapped[datetime | None]
    reopened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AssessmentScore(Base):
    """The scores of a submitted assessment, stored when it is submitted.

    One row per *submitted* assessment (deleted when it is reopened), computed
    at ``revision`` with its own grid version; read by
    :mod:`assessment.privacy` instead of re-scoring answers.  Written by
    :mod:`assessment.score_store` (see there for the representation).
    """

    __tablename__ = "assessment_scores"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    revision: Mapped[int] = mapped_column(Integer)
    """The assessment's revision the scores were computed at (its submitted revision)."""
    grid_id: Mapped[str] = mapped_column(String(63))
    grid_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    scores: Mapped[bytes] = mapped_column(LargeBinary)
    """Packed float64 vector (NaN: no score) in the order of
    :func:`assessment.score_store.layout` for the grid version."""
    data_version: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0, server_default="0", index=True
    )
    """The :class:`DataVersion` counter when the row was written (0: bulk loads), so
    that :mod:`assessment.privacy` reads only the rows written since its last read."""
    region: Mapped[str | None] = mapped_column(String(2))
    """The organisation's categories when it submitted (``region``, ``legal_family``,
    ``size_band``, ``sector``: ``-`` for none), written with the row
    (:func:`assessment.score_store.freeze_categories`): a campaign's published
    figures do not move when an organisation changes its categories afterwards.
    ``NULL`` only on a row not frozen yet (read as the organisation's current ones)."""
    legal_family: Mapped[str | None] = mapped_column(String(20))
    size_band: Mapped[str | None] = mapped_column(String(10))
    sector: Mapped[str | None] = mapped_column(String(1))


class AuditEvent(Base):
    """Who changed what in an assessment, and when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_email: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    """``created``, ``answer``, ``comment``, ``not_addressed``, ``not_applicable``,
    ``submitted``, ``reopened``."""
    question_id: Mapped[str | None] = mapped_column(String(63))
    horizon_id: Mapped[str | None] = mapped_column(String(63))
    old_value: Mapped[Any | None] = mapped_column(JSONValue)
    new_value: Mapped[Any | None] = mapped_column(JSONValue)
    revision: Mapped[int] = mapped_column(Integer)


class ActionPlanAction(Base):
    __tablename__ = "action_plan_actions"
    __table_args__ = (
        CheckConstraint("status IN ('todo', 'in_progress', 'done', 'dropped')", name="status"),
        Index("ix_action_plan_actions_org_campaign", "organisation_id", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    item_id: Mapped[str] = mapped_column(String(63))
    horizon_id: Mapped[str | None] = mapped_column(String(63))
    question_id: Mapped[str | None] = mapped_column(String(63))
    """The « Actions prévues » question (``action_plan: true``) the action was typed at."""
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="todo")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# ---------------------------------------------------------------------------
# h7-accounts: the administrative trail and reviewed profile changes
# ---------------------------------------------------------------------------


class AdminEvent(Base):
    """An account or profile action, in the trail of the organisation it touches.

    ``organisation_id`` is ``None`` for the staff's accounts (chambers, national
    body).  Written by :mod:`assessment.admin_audit` in the action's transaction.
    """

    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(320))
    actor_role: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_email: Mapped[str | None] = mapped_column(String(320))
    details: Mapped[Any | None] = mapped_column(JSONValue)


class OrganisationContact(Base):
    """An organisation's contact details (its admins edit them), when it gave some."""

    __tablename__ = "organisation_contacts"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    postal_address: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrganisationChangeRequest(Base):
    """An admin's request to change the organisation's region or categories.

    Applied only when the organisation's chamber or the national body accepts it.
    """

    __tablename__ = "organisation_change_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'refused')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    changes: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_by_email: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_email: Mapped[str | None] = mapped_column(String(320))


# h7-sessions: what kind of database this is (a demo database is marked)
# ---------------------------------------------------------------------------


class DatabaseMark(Base):
    """Facts about the database itself, e.g. ``kind = demo`` once demo data is seeded."""

    __tablename__ = "database_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# h8-privacy: the data-version counter of the aggregate layer
# ---------------------------------------------------------------------------


class DataVersion(Base):
    """One row (``id`` 1): a counter bumped in the same transaction as every change
    that can change an aggregate (submit, reopen, organisation changes).

    :func:`assessment.privacy.data_version` reads it by primary key, O(1), where
    the old layer scanned the assessments and organisations on every rerun.
    ``organisations`` counts organisation changes alone (they move organisations
    between groups: the aggregate layer reloads a campaign instead of reading the
    new score rows); ``token`` is drawn when the row is created, so a database
    emptied or restored never looks like the one a process had cached.
    ``activity`` and ``roster`` (see below) key the participation list and the
    shared answers.
    """

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    organisations: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0
    )
    token: Mapped[str] = mapped_column(String(32))
    activity: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0, server_default="0"
    )
    """Bumped by every write to an assessment, which is stamped with it (migration 0010)."""
    roster: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0, server_default="0"
    )
    """Bumped when an organisation is created, imported or changes its sharing choice,
    and when an account is created, invited, deactivated or reactivated."""


# h9-national: what the national body did (grid versions, campaigns)
# ---------------------------------------------------------------------------


class NationalAuditEvent(Base):
    """One action of the national body (or the operator) on a grid version or a campaign."""

    __tablename__ = "national_audit_events"
    __table_args__ = (Index("ix_national_audit_events_subject", "subject_kind", "subject"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    """``draft_saved``, ``draft_deleted``, ``published``, ``retired``, ``campaign_created``,
    ``campaign_opened``, ``campaign_closed``, ``campaign_extended`` (``campaign_reopened``:
    before campaigns stopped reopening)."""
    subject_kind: Mapped[str] = mapped_column(String(20))
    """``grid`` (subject ``grid-id@version``) or ``campaign`` (subject: its id)."""
    subject: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONValue, default=dict)


metadata = Base.metadata
