"""Yearly campaigns: which grid version organisations answer, and when.

A campaign is open from ``opens_on`` to ``closes_on`` included, unless the
national council closed it early (``closed_at``).  Reading campaigns needs no
actor (they are public); creating, opening early, closing and reopening them is
``Action.MANAGE_CAMPAIGNS``, and each is recorded in
:mod:`assessment.national_audit`.  Closing makes its assessments read-only
(:mod:`assessment.assessments` checks the campaign on every write); reopening
keeps everything as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment import national_audit
from assessment.db import NotFound, read_session, write_session
from assessment.errors import UserError
from assessment.grid_store import DEFAULT_GRID_ID, PUBLISHED, latest_version
from assessment.permissions import Action, Actor, require
from assessment.tables import Assessment, Campaign, GridVersion, Organisation, utcnow


class CampaignError(UserError, ValueError):
    """A campaign that cannot be created or changed (French message)."""


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    id: int
    year: int
    label: str
    grid_id: str
    grid_version: str
    opens_on: date
    closes_on: date
    closed_at: datetime | None

    def is_open(self, today: date | None = None) -> bool:
        """Whether organisations may still edit, submit and reopen in this campaign."""
        today = today or date.today()
        return self.closed_at is None and self.opens_on <= today <= self.closes_on

    def is_closed(self, today: date | None = None) -> bool:
        """Whether the campaign is over (closed early, or past ``closes_on``)."""
        today = today or date.today()
        return self.closed_at is not None or today > self.closes_on


def _info(row: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=row.id,
        year=row.year,
        label=row.label,
        grid_id=row.grid_id,
        grid_version=row.grid_version,
        opens_on=row.opens_on,
        closes_on=row.closes_on,
        closed_at=row.closed_at,
    )


def list_campaigns(engine: Engine) -> list[CampaignInfo]:
    """Every campaign, the most recent first."""
    with read_session(engine) as session:
        rows = session.scalars(select(Campaign).order_by(Campaign.year.desc()))
        return [_info(row) for row in rows]


def get_campaign(engine: Engine, campaign_id: int) -> CampaignInfo:
    with read_session(engine) as session:
        row = session.get(Campaign, campaign_id)
        if row is None:
            raise NotFound(f"Campagne n° {campaign_id} introuvable.")
        return _info(row)


def current_campaign(engine: Engine, today: date | None = None) -> CampaignInfo | None:
    """The campaign open today (the latest opened if several), else ``None``."""
    today = today or date.today()
    with read_session(engine) as session:
        row = session.scalar(
            select(Campaign)
            .where(
                Campaign.opens_on <= today,
                Campaign.closes_on >= today,
                Campaign.closed_at.is_(None),
            )
            .order_by(Campaign.opens_on.desc(), Campaign.id.desc())
            .limit(1)
        )
        return _info(row) if row is not None else None


def create_campaign(
    engine: Engine,
    actor: Actor,
    *,
    year: int,
    opens_on: date,
    closes_on: date,
    grid_id: str = DEFAULT_GRID_ID,
    grid_version: str | None = None,
    label: str | None = None,
) -> int:
    """Open a yearly campaign on a published grid version (default: its latest)."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    if closes_on < opens_on:
        raise CampaignError("La date de clôture doit suivre la date d'ouverture.")
    if not 2000 <= year <= 2200:
        raise CampaignError(f"{year} n'est pas une année de campagne plausible.")
    version = grid_version or latest_version(engine, grid_id)
    try:
        with write_session(engine) as session:
            found = session.execute(
                select(GridVersion.status, GridVersion.retired_at).where(
                    GridVersion.grid_id == grid_id, GridVersion.version == version
                )
            ).first()
            if found is None or found.status != PUBLISHED or found.retired_at is not None:
                raise CampaignError(
                    f"La grille {grid_id} version {version} n'est pas publiée (ou a été "
                    "retirée) : une campagne ne peut porter que sur une version publiée."
                )
            if session.scalar(select(Campaign.id).where(Campaign.year == year)) is not None:
                raise CampaignError(f"Une campagne {year} existe déjà.")
            row = Campaign(
                year=year,
                label=(label or f"Campagne {year}").strip(),
                grid_id=grid_id,
                grid_version=version,
                opens_on=opens_on,
                closes_on=closes_on,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            national_audit.record(
                session,
                actor,
                "campaign_created",
                "campaign",
                str(row.id),
                year=year,
                grid=f"{grid_id}@{version}",
                opens_on=opens_on.isoformat(),
                closes_on=closes_on.isoformat(),
            )
            return row.id
    except IntegrityError as exc:
        raise CampaignError(f"Une campagne {year} vient d'être créée.") from exc


def _row(session: Session, campaign_id: int) -> Campaign:
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise NotFound(f"Campagne n° {campaign_id} introuvable.")
    return row


def open_early(
    engine: Engine, actor: Actor, campaign_id: int, today: date | None = None
) -> CampaignInfo:
    """Open a campaign that has not started yet, today (its closing date stays)."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    today = today or date.today()
    with write_session(engine) as session:
        row = _row(session, campaign_id)
        if row.closed_at is not None or today > row.closes_on:
            raise CampaignError(
                f"La campagne « {row.label} » est close : rouvrez-la plutôt que de l'ouvrir."
            )
        if row.opens_on > today:
            national_audit.record(
                session,
                actor,
                "campaign_opened",
                "campaign",
                str(row.id),
                planned=row.opens_on.isoformat(),
                opened=today.isoformat(),
            )
            row.opens_on = today
        return _info(row)


def close_campaign(engine: Engine, actor: Actor, campaign_id: int) -> CampaignInfo:
    """Close a campaign now: its assessments can no longer be edited or reopened."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    with write_session(engine) as session:
        row = _row(session, campaign_id)
        if row.closed_at is None:
            row.closed_at = utcnow()
            national_audit.record(session, actor, "campaign_closed", "campaign", str(row.id))
        return _info(row)


def reopen_campaign(
    engine: Engine,
    actor: Actor,
    campaign_id: int,
    *,
    closes_on: date | None = None,
    today: date | None = None,
) -> CampaignInfo:
    """Undo a close: every answer, submission and score is kept as it was.

    A campaign past its closing date needs a new ``closes_on`` (today or later)
    to be open again; otherwise the planned dates still apply.
    """
    require(actor, Action.MANAGE_CAMPAIGNS)
    today = today or date.today()
    with write_session(engine) as session:
        row = _row(session, campaign_id)
        if closes_on is not None:
            if closes_on < max(row.opens_on, today):
                raise CampaignError(
                    "La nouvelle date de clôture doit être aujourd'hui ou plus tard, "
                    "et suivre la date d'ouverture."
                )
            row.closes_on = closes_on
        changed = row.closed_at is not None or closes_on is not None
        row.closed_at = None
        if changed:
            national_audit.record(
                session,
                actor,
                "campaign_reopened",
                "campaign",
                str(row.id),
                closes_on=row.closes_on.isoformat(),
            )
        return _info(row)


@dataclass(frozen=True, slots=True)
class Participation:
    """How far a campaign has gone, nationally (counts only)."""

    organisations: int
    started: int
    submitted: int

    @property
    def submitted_ratio(self) -> float:
        return self.submitted / self.organisations if self.organisations else 0.0


def participation_by_campaign(engine: Engine, actor: Actor) -> dict[int, Participation]:
    """Assessments started and submitted in each campaign, out of every organisation."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    with read_session(engine) as session:
        organisations = session.scalar(select(func.count(Organisation.id))) or 0
        rows = session.execute(
            select(
                Assessment.campaign_id,
                func.count(Assessment.id),
                func.count(Assessment.submitted_at).filter(Assessment.status == "submitted"),
            ).group_by(Assessment.campaign_id)
        )
        counts = {campaign_id: (started, submitted) for campaign_id, started, submitted in rows}
        return {
            campaign_id: Participation(organisations, *counts.get(campaign_id, (0, 0)))
            for campaign_id in session.scalars(select(Campaign.id))
        }
