"""Yearly campaigns: which grid version organisations answer, and when.

A campaign is open from ``opens_on`` to ``closes_on`` included, unless the
national council closed it early (``closed_at``).  Reading campaigns needs no
actor (they are public); creating, opening early, closing and reopening them is
``Action.MANAGE_CAMPAIGNS``, and each is recorded in
:mod:`assessment.national_audit`.  Closing makes its assessments read-only
(:mod:`assessment.assessments` checks the campaign on every write); reopening
keeps everything as it was.

Running a campaign: :func:`participation` lists, for a region (a chamber's
own) or every region (national council), each organisation with its status in
the campaign (not started, draft, submitted) and its administrators' e-mail
addresses for reminders, never its answers (``Action.READ_PARTICIPATION``);
:func:`participation_counts` sums it by legal family, size band or region.
:func:`shared_assessments` lists the submitted assessments a chamber may read
because their organisation shares them with it (``Action.READ_ASSESSMENT``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment import national_audit, roster, score_store
from assessment.db import read_session, write_session
from assessment.errors import UserError
from assessment.grid_store import DEFAULT_GRID_ID, PUBLISHED, latest_version
from assessment.permissions import Action, Actor, Role, Target, require
from assessment.tables import Assessment, Campaign, GridVersion, Organisation, utcnow
from assessment.text_input import CODE, SHORT_TEXT, clean_text


class CampaignError(UserError, ValueError):
    """A campaign that cannot be created or changed (French message)."""


def is_over(closed_at: datetime | None, closes_on: date, today: date | None = None) -> bool:
    """The one rule of a campaign's end: closed early, or past ``closes_on``.

    From then on its assessments are read-only and its score figures are
    published (:mod:`assessment.privacy`); it never opens again."""
    return closed_at is not None or (today or date.today()) > closes_on


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
        return is_over(self.closed_at, self.closes_on, today)


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
    """Every campaign, the most recent first (read once per page run, inside
    :func:`assessment.score_store.one_version`)."""
    return list(score_store.once_per_run(engine, "campaigns", lambda: _read_campaigns(engine)))


def _read_campaigns(engine: Engine) -> tuple[CampaignInfo, ...]:
    with read_session(engine) as session:
        rows = session.scalars(select(Campaign).order_by(Campaign.year.desc()))
        return tuple(_info(row) for row in rows)


def get_campaign(engine: Engine, campaign_id: int) -> CampaignInfo:
    with read_session(engine) as session:
        row = session.get(Campaign, campaign_id)
        if row is None:
            raise roster.no_campaign(campaign_id)
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
                label=label or f"Campagne {year}",
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
        raise roster.no_campaign(campaign_id)
    return row


def open_early(
    engine: Engine, actor: Actor, campaign_id: int, today: date | None = None
) -> CampaignInfo:
    """Open a campaign that has not started yet, today (its closing date stays)."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    today = today or date.today()
    with write_session(engine) as session:
        row = _row(session, campaign_id)
        if is_over(row.closed_at, row.closes_on, today):
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


def extend_campaign(
    engine: Engine,
    actor: Actor,
    campaign_id: int,
    *,
    closes_on: date | None = None,
    today: date | None = None,
) -> CampaignInfo:
    """Move the closing date of a campaign still open (a deadline extension).

    A campaign that is over never opens again: its score figures are published
    from its close, and a second state of them, after more submissions, would
    let anyone who read both subtract one organisation (``docs/privacy.md``).
    """
    require(actor, Action.MANAGE_CAMPAIGNS)
    today = today or date.today()
    with write_session(engine) as session:
        row = _row(session, campaign_id)
        if is_over(row.closed_at, row.closes_on, today):
            raise CampaignError(
                f"La campagne « {row.label} » est close : ses résultats sont publiés et "
                "elle ne rouvre pas, car de nouveaux dépôts changeraient des chiffres déjà "
                "lus et trahiraient les organisations qui les auraient faits. Pour laisser "
                "plus de temps, reportez la date de clôture avant qu'elle ne passe, ou "
                "ouvrez une nouvelle campagne."
            )
        if closes_on is None or closes_on == row.closes_on:
            return _info(row)
        if closes_on < max(row.opens_on, today):
            raise CampaignError(
                "La nouvelle date de clôture doit être aujourd'hui ou plus tard, "
                "et suivre la date d'ouverture."
            )
        row.closes_on = closes_on
        national_audit.record(
            session,
            actor,
            "campaign_extended",
            "campaign",
            str(row.id),
            closes_on=row.closes_on.isoformat(),
        )
        return _info(row)


# ---------------------------------------------------------------------------
# running a campaign: participation and shared answers
# ---------------------------------------------------------------------------

Status = roster.Status
STATUSES = roster.STATUSES
STATUS_LABELS_FR: dict[str, str] = {
    "not_started": "Non commencée",
    "draft": "En cours (brouillon)",
    "submitted": "Soumise",
}
ParticipationRow = roster.ParticipationRow


def _participation_scope(actor: Actor, region: str | None) -> str | None:
    region = region or (actor.region if actor.role is Role.REGIONAL else None)
    require(actor, Action.READ_PARTICIPATION, Target(region=region))
    return region


def participation(
    engine: Engine, actor: Actor, campaign_id: int, region: str | None = None
) -> list[ParticipationRow]:
    """Every organisation of ``region`` (a chamber: its own; ``None`` for the national
    council: every region) with its status in the campaign, by name: live, from the
    campaign's roster in memory (:mod:`assessment.roster`)."""
    region = _participation_scope(actor, region)
    return list(roster.roster(engine, campaign_id, region).rows)


participation_counts = roster.participation_counts


PARTICIPATION_GROUPS: tuple[str, ...] = ("region", "legal_family", "size_band")


def count_participation(
    engine: Engine, actor: Actor, campaign_id: int, by: str, region: str | None = None
) -> dict[str, Counter[str]]:
    """:func:`participation_counts` of :func:`participation`, counted once per state of
    the roster: what a page that shows counts only, such as the national overview by
    region, needs."""
    if by not in PARTICIPATION_GROUPS:
        raise CampaignError(f"Regroupement inconnu : « {by} ».")
    region = _participation_scope(actor, region)
    return roster.roster(engine, campaign_id, region).counts(by)


@dataclass(frozen=True, slots=True)
class SharedAssessment:
    """A submitted assessment whose organisation shares its answers with its chamber."""

    assessment_id: int
    organisation_id: int
    name: str
    legal_family: str
    size_band: str
    submitted_at: datetime | None


def shared_assessments(engine: Engine, actor: Actor, campaign_id: int) -> list[SharedAssessment]:
    """The submitted assessments of the campaign that ``actor`` may read because their
    organisation shares them with its regional chamber: for a chamber, those of its
    region; refused to every other role (they read their own through
    :mod:`assessment.assessments`)."""
    if actor.role is not Role.REGIONAL:
        require(actor, Action.READ_ASSESSMENT, Target())
    found = []
    for row in roster.roster(engine, campaign_id, actor.region).shared:
        require(
            actor,
            Action.READ_ASSESSMENT,
            Target(
                organisation_id=row.organisation_id,
                organisation_region=row.region,
                shared_with_region=row.shared_with_region,
            ),
        )
        assert row.assessment_id is not None  # submitted
        found.append(
            SharedAssessment(
                row.assessment_id,
                row.organisation_id,
                row.name,
                row.legal_family,
                row.size_band,
                row.submitted_at,
            )
        )
    return found


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
