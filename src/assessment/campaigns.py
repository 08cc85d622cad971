"""Yearly campaigns: which grid version organisations answer, and when.

A campaign is open from ``opens_on`` to ``closes_on`` included, unless the
national council closed it early (``closed_at``).  Reading campaigns needs no
actor (they are public); creating and closing them is
``Action.MANAGE_CAMPAIGNS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from assessment.db import NotFound, read_session, write_session
from assessment.errors import UserError
from assessment.grid_store import DEFAULT_GRID_ID, PUBLISHED, latest_version
from assessment.permissions import Action, Actor, require
from assessment.tables import Campaign, GridVersion, utcnow
from assessment.text_input import CODE, SHORT_TEXT, clean_text


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
    label = clean_text(label, "Libellé", SHORT_TEXT, error=CampaignError)
    grid_id = clean_text(grid_id, "Grille", CODE, error=CampaignError) or DEFAULT_GRID_ID
    grid_version = clean_text(grid_version, "Version", CODE, error=CampaignError) or None
    if closes_on < opens_on:
        raise CampaignError("La date de clôture doit suivre la date d'ouverture.")
    if not 2000 <= year <= 2200:
        raise CampaignError(f"{year} n'est pas une année de campagne plausible.")
    version = grid_version or latest_version(engine, grid_id)
    try:
        with write_session(engine) as session:
            status = session.scalar(
                select(GridVersion.status).where(
                    GridVersion.grid_id == grid_id, GridVersion.version == version
                )
            )
            if status != PUBLISHED:
                raise CampaignError(
                    f"La grille {grid_id} version {version} n'est pas publiée : "
                    "une campagne ne peut porter que sur une version publiée."
                )
            if session.scalar(select(Campaign.id).where(Campaign.year == year)) is not None:
                raise CampaignError(f"Une campagne {year} existe déjà.")
            row = Campaign(
                year=year,
                label=label or f"Campagne {year}",
                grid_id=grid_id,
                grid_version=version,
                opens_on=opens_on,
                closes_on=closes_on,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError as exc:
        raise CampaignError(f"Une campagne {year} vient d'être créée.") from exc


def close_campaign(engine: Engine, actor: Actor, campaign_id: int) -> CampaignInfo:
    """Close a campaign now: its assessments can no longer be edited or reopened."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    with write_session(engine) as session:
        row = session.get(Campaign, campaign_id)
        if row is None:
            raise NotFound(f"Campagne n° {campaign_id} introuvable.")
        if row.closed_at is None:
            row.closed_at = utcnow()
        return _info(row)


def reopen_campaign(engine: Engine, actor: Actor, campaign_id: int) -> CampaignInfo:
    """Undo an early close (the planned dates still apply)."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    with write_session(engine) as session:
        row = session.get(Campaign, campaign_id)
        if row is None:
            raise NotFound(f"Campagne n° {campaign_id} introuvable.")
        row.closed_at = None
        return _info(row)
