"""One assessment per organisation and campaign: drafts, revisions, submit, reopen, audit.

Never lose work:

* every change (one answer, one comment, the "not addressed" list, submit,
  reopen) is one transaction through :func:`assessment.db.write_session`;
* optimistic concurrency: the caller says which ``revision`` it last saw, and
  the change applies only through
  ``UPDATE assessments SET revision = revision + 1 WHERE id = ? AND revision = ?``
  (row count checked), which holds across processes on SQLite and PostgreSQL;
  otherwise :class:`StaleRevision` tells the user to reload;
* a submitted assessment is read-only (:class:`ReadOnly`) until an admin
  reopens it, which keeps the submitted version in ``submissions``;
* submitting stores the assessment's scores (:mod:`assessment.score_store`)
  in the same transaction, so aggregates read them instead of re-scoring
  answers; reopening keeps them (aggregates count the last submission until
  the next one) and bumps the data version;
* every change is in the audit trail (who, when, what, old and new value).

An assessment keeps the grid version it was started on, even when a newer
version is published.  Editing, submitting and reopening stop when the
campaign is closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine, Row, ScalarResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment import action_plan, campaigns, db, score_store
from assessment.answers import (
    AnswerError,
    Cell,
    check_not_addressed,
    check_not_applicable,
    missing_required,
    not_applicable_ids,
)
from assessment.answers import normalize_value as _normalize_value
from assessment.db import NotFound, read_session, write_session
from assessment.errors import UserError
from assessment.french import plural, typo
from assessment.grid import Grid, TextQuestion, text
from assessment.grid_store import get_grid, published_grids
from assessment.gridtools import lineage
from assessment.gridtools.lineage import MERGE_RULE_FR
from assessment.organisations import load_organisation, organisation_target
from assessment.permissions import Action, Actor, Target, require
from assessment.profiles import UNKNOWN_PROFILE, Profile
from assessment.tables import (
    Answer,
    Assessment,
    AuditEvent,
    Campaign,
    Organisation,
    Submission,
    utcnow,
)
from assessment.text_input import COMMENT, SHORT_TEXT, clean_text

COMMENT_MAX_LENGTH = COMMENT.max_length
STALE_MESSAGE = (
    "Cette auto-évaluation a été modifiée par quelqu'un d'autre depuis votre dernier "
    "chargement : rechargez pour voir la version à jour."
)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


class StaleRevision(UserError):
    """The assessment changed since the caller loaded it (``current_revision``)."""

    def __init__(self, current_revision: int) -> None:
        super().__init__(STALE_MESSAGE)
        self.current_revision = current_revision


class ReadOnly(UserError):
    """The assessment cannot be changed now (submitted, or campaign closed)."""


class MissingAnswers(UserError):
    """Submission refused: required cells ``(item_id, question_id, horizon_id)`` are empty."""

    def __init__(self, missing: list[Cell]) -> None:
        count = len(missing)
        shown = ", ".join(f"{q} ({h})" for _, q, h in missing[:10])
        more = " …" if count > 10 else ""
        message = (
            f"Il manque {count} réponse{'s' if count > 1 else ''} obligatoire"
            f"{'s' if count > 1 else ''} avant de soumettre : {shown}{more}"
        )
        super().__init__(message)
        self.missing = missing


class AssessmentError(UserError, ValueError):
    """A request that does not make sense for this assessment (French message)."""


# ---------------------------------------------------------------------------
# read models
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DroppedAnswer:
    """An earlier answer that could not be carried into the new assessment."""

    section: str
    question: str
    """The new question's label (French)."""
    horizon: str
    value: str
    """The earlier answer as typed (or the answers, for a merge whose answers differ)."""
    reason: str
    """Why, in French."""

    def __str__(self) -> str:
        return typo(
            f"{self.section} — {self.question} ({self.horizon}) : {self.value} — {self.reason}"
        )


@dataclass(frozen=True, slots=True)
class CarryOver:
    """What starting from an earlier assessment carried, across grid versions too."""

    source_id: int
    source_version: str
    target_version: str
    copied: int
    """Cells (answers or comments) carried."""
    renamed: int
    """Of them, cells carried onto a question of another id (``replaces``)."""
    dropped: tuple[DroppedAnswer, ...]

    @property
    def across_versions(self) -> bool:
        return self.source_version != self.target_version

    def message(self, year: int | None = None) -> str | None:
        """French, for the page: which answers were left behind (``None``: nothing to say)."""
        if not self.across_versions and not self.dropped:
            return None
        of = f"de {year} " if year is not None else ""
        parts: list[str] = []
        if self.across_versions:
            parts.append(
                f"Vos réponses {of}ont été données sur la version {self.source_version} de la "
                f"grille ; cette campagne utilise la version {self.target_version}. Les "
                "questions renommées ou regroupées depuis reprennent vos anciennes réponses "
                f"({plural(self.renamed, 'réponse reportée', 'réponses reportées')}) : "
                "relisez-les. " + MERGE_RULE_FR
            )
        if self.dropped:
            one = len(self.dropped) == 1
            parts.append(
                f"{plural(len(self.dropped), 'réponse')} n'{'a' if one else 'ont'} pas pu être "
                f"{'reprise' if one else 'reprises'} :\n\n"
                + "\n".join(f"- {d}" for d in self.dropped)
            )
        return typo("\n\n".join(parts))


@dataclass(frozen=True)
class AssessmentState:
    id: int
    organisation_id: int
    campaign_id: int
    grid_id: str
    grid_version: str
    status: Literal["draft", "submitted"]
    revision: int
    answers: dict[str, dict[str, Any]]
    """``{question_id: {horizon_id: value}}`` (answered cells only)."""
    comments: dict[str, dict[str, str]]
    """``{question_id: {horizon_id: comment}}``"""
    not_addressed: frozenset[str]
    """Item and question ids marked "not addressed this year"."""
    updated_at: datetime | None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    carried: CarryOver | None = None
    """Set by :func:`open_assessment` when it started from an earlier assessment."""
    choice_reasons: dict[str, str] = field(default_factory=dict)
    """``{item_id: one line}``: why the organisation works on each theme it chose."""
    profile: Profile = UNKNOWN_PROFILE
    """The organisation's legal family and size band (what ``applies_to`` looks at)."""
    not_applicable: frozenset[str] = frozenset()
    """Question ids the organisation marked « non applicable » itself (``may_not_apply``)."""

    def not_applicable_ids(self, grid: Grid) -> frozenset[str]:
        """The questions « non applicable » here: by the grid's ``applies_to`` for the
        organisation's profile, and those it marked so."""
        return not_applicable_ids(grid, self.profile, self.not_applicable)


@dataclass(frozen=True, slots=True)
class AssessmentSummary:
    id: int
    organisation_id: int
    campaign_id: int
    year: int
    grid_id: str
    grid_version: str
    status: Literal["draft", "submitted"]
    revision: int
    updated_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class SubmissionInfo:
    id: int
    revision: int
    grid_id: str
    grid_version: str
    answers: dict[str, dict[str, Any]]
    comments: dict[str, dict[str, str]]
    not_addressed: frozenset[str]
    submitted_at: datetime
    submitted_by: int | None
    reopened_at: datetime | None
    reopened_by: int | None
    choice_reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    user_id: int | None
    user_email: str
    kind: str
    question_id: str | None
    horizon_id: str | None
    old_value: Any
    new_value: Any
    revision: int


# ---------------------------------------------------------------------------
# internals
# ---------------------------------------------------------------------------


def _context(session: Session, assessment_id: int) -> Any:
    """The assessment with what permission and state checks need."""
    found = session.execute(
        select(
            Assessment.id,
            Assessment.organisation_id,
            Assessment.campaign_id,
            Assessment.grid_id,
            Assessment.grid_version,
            Assessment.status,
            Assessment.revision,
            Assessment.not_addressed,
            Assessment.not_applicable,
            Organisation.region,
            Organisation.shared_with_region,
            Organisation.legal_family,
            Organisation.size_band,
            Campaign.label.label("campaign_label"),
            Campaign.closes_on,
            Campaign.closed_at,
        )
        .join(Organisation, Organisation.id == Assessment.organisation_id)
        .join(Campaign, Campaign.id == Assessment.campaign_id)
        .where(Assessment.id == assessment_id)
    ).first()
    if found is None:
        raise NotFound(f"Auto-évaluation n° {assessment_id} introuvable.")
    return found


def _profile(ctx: Row[Any]) -> Profile:
    return Profile(legal_family=ctx.legal_family, size_band=ctx.size_band)


def _target(ctx: Row[Any]) -> Target:
    return Target(
        organisation_id=ctx.organisation_id,
        organisation_region=ctx.region,
        shared_with_region=ctx.shared_with_region,
    )


def _campaign_closed(ctx: Row[Any], today: date | None = None) -> bool:
    return campaigns.is_over(ctx.closed_at, ctx.closes_on, today)


def _require_editable(ctx: Row[Any], expected_revision: int) -> None:
    if ctx.status == "submitted":
        raise ReadOnly(
            "Cette auto-évaluation est soumise : elle n'est plus modifiable. "
            "Un référent de l'auto-évaluation peut la rouvrir tant que la campagne est ouverte."
        )
    if _campaign_closed(ctx):
        raise ReadOnly(
            f"La campagne « {ctx.campaign_label} » est close : "
            "cette auto-évaluation n'est plus modifiable."
        )
    if ctx.revision != expected_revision:
        raise StaleRevision(ctx.revision)


def _bump(
    session: Session,
    assessment_id: int,
    expected_revision: int,
    **values: Any,
) -> int:
    """The compare-and-set at the heart of optimistic concurrency; returns the new revision."""
    now = utcnow()
    result = session.execute(
        update(Assessment)
        .where(Assessment.id == assessment_id, Assessment.revision == expected_revision)
        .values(revision=Assessment.revision + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalar(select(Assessment.revision).where(Assessment.id == assessment_id))
        raise StaleRevision(int(current) if current is not None else expected_revision)
    _stamp(session, assessment_id)
    return expected_revision + 1


def _stamp(session: Session, assessment_id: int) -> None:
    """Stamp the assessment with a new ``activity`` at the end of the transaction (the
    counter row is shared by every writer: held locked from then to the commit on
    PostgreSQL, as briefly as possible): the chamber's participation list reads the
    assessments stamped since it last looked (:mod:`assessment.roster`)."""
    db.at_commit(session, ("stamp", assessment_id), lambda s: score_store.stamp(s, assessment_id))


def _record_audit(
    session: Session,
    actor: Actor,
    assessment_id: int,
    kind: str,
    revision: int,
    *,
    question_id: str | None = None,
    horizon_id: str | None = None,
    old_value: Any = None,
    new_value: Any = None,
) -> None:
    session.add(
        AuditEvent(
            assessment_id=assessment_id,
            user_id=actor.user_id,
            user_email=actor.email,
            at=utcnow(),
            kind=kind,
            question_id=question_id,
            horizon_id=horizon_id,
            old_value=old_value,
            new_value=new_value,
            revision=revision,
        )
    )
    session.flush()


def _answers_of(
    session: Session, assessment_id: int
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    answers: dict[str, dict[str, Any]] = {}
    comments: dict[str, dict[str, str]] = {}
    rows = session.execute(
        select(Answer.question_id, Answer.horizon_id, Answer.value, Answer.comment).where(
            Answer.assessment_id == assessment_id
        )
    )
    for question_id, horizon_id, value, comment in rows:
        if value is not None:
            answers.setdefault(question_id, {})[horizon_id] = value
        if comment:
            comments.setdefault(question_id, {})[horizon_id] = comment
    return answers, comments


def _state(session: Session, assessment_id: int) -> AssessmentState:
    row = session.get(Assessment, assessment_id, populate_existing=True)
    if row is None:
        raise NotFound(f"Auto-évaluation n° {assessment_id} introuvable.")
    answers, comments = _answers_of(session, assessment_id)
    family, size = session.execute(
        select(Organisation.legal_family, Organisation.size_band).where(
            Organisation.id == row.organisation_id
        )
    ).one()
    return AssessmentState(
        id=row.id,
        organisation_id=row.organisation_id,
        campaign_id=row.campaign_id,
        grid_id=row.grid_id,
        grid_version=row.grid_version,
        status="submitted" if row.status == "submitted" else "draft",
        revision=row.revision,
        answers=answers,
        comments=comments,
        not_addressed=frozenset(row.not_addressed or ()),
        updated_at=row.updated_at,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        choice_reasons=dict(row.choice_reasons or {}),
        profile=Profile(legal_family=family, size_band=size),
        not_applicable=frozenset(row.not_applicable or ()),
    )


def _grid_of(engine: Engine, ctx: Row[Any]) -> Grid:
    return get_grid(engine, ctx.grid_id, ctx.grid_version)


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def get_assessment(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentState:
    with read_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.READ_ASSESSMENT, _target(ctx))
        return _state(session, assessment_id)


def find_assessment(
    engine: Engine, actor: Actor, organisation_id: int, campaign_id: int
) -> AssessmentState | None:
    """The organisation's assessment for a campaign, or ``None`` if not started."""
    with read_session(engine) as session:
        organisation = load_organisation(session, organisation_id)
        require(actor, Action.READ_ASSESSMENT, organisation_target(organisation))
        assessment_id = session.scalar(
            select(Assessment.id).where(
                Assessment.organisation_id == organisation_id,
                Assessment.campaign_id == campaign_id,
            )
        )
        return _state(session, assessment_id) if assessment_id is not None else None


def list_assessments(engine: Engine, actor: Actor, organisation_id: int) -> list[AssessmentSummary]:
    """The organisation's assessments, the most recent campaign first."""
    with read_session(engine) as session:
        organisation = load_organisation(session, organisation_id)
        require(actor, Action.READ_ASSESSMENT, organisation_target(organisation))
        rows = session.execute(
            select(Assessment, Campaign.year)
            .join(Campaign, Campaign.id == Assessment.campaign_id)
            .where(Assessment.organisation_id == organisation_id)
            .order_by(Campaign.year.desc())
        )
        return [
            AssessmentSummary(
                id=row.id,
                organisation_id=row.organisation_id,
                campaign_id=row.campaign_id,
                year=year,
                grid_id=row.grid_id,
                grid_version=row.grid_version,
                status="submitted" if row.status == "submitted" else "draft",
                revision=row.revision,
                updated_at=row.updated_at,
                submitted_at=row.submitted_at,
            )
            for row, year in rows
        ]


_Kept = TypeVar("_Kept", Submission, AuditEvent)


def _readable_rows(
    session: Session, actor: Actor, assessment_id: int, model: type[_Kept]
) -> ScalarResult[_Kept]:
    """An assessment's kept rows (submissions, audit events), oldest first, once the
    actor may read the assessment."""
    ctx = _context(session, assessment_id)
    require(actor, Action.READ_ASSESSMENT, _target(ctx))
    return session.scalars(
        select(model).where(model.assessment_id == assessment_id).order_by(model.id)
    )


def list_submissions(engine: Engine, actor: Actor, assessment_id: int) -> list[SubmissionInfo]:
    """Every submitted version of an assessment, oldest first (kept when reopened)."""
    with read_session(engine) as session:
        rows = _readable_rows(session, actor, assessment_id, Submission)
        return [
            SubmissionInfo(
                id=row.id,
                revision=row.revision,
                grid_id=row.grid_id,
                grid_version=row.grid_version,
                answers=dict(row.snapshot.get("answers", {})),
                comments=dict(row.snapshot.get("comments", {})),
                not_addressed=frozenset(row.snapshot.get("not_addressed", ())),
                submitted_at=row.submitted_at,
                submitted_by=row.submitted_by,
                reopened_at=row.reopened_at,
                reopened_by=row.reopened_by,
                choice_reasons=dict(row.snapshot.get("choice_reasons", {})),
            )
            for row in rows
        ]


def audit_trail(engine: Engine, actor: Actor, assessment_id: int) -> list[AuditEntry]:
    """Who changed what and when, oldest first."""
    with read_session(engine) as session:
        rows = _readable_rows(session, actor, assessment_id, AuditEvent)
        return [
            AuditEntry(
                at=row.at,
                user_id=row.user_id,
                user_email=row.user_email,
                kind=row.kind,
                question_id=row.question_id,
                horizon_id=row.horizon_id,
                old_value=row.old_value,
                new_value=row.new_value,
                revision=row.revision,
            )
            for row in rows
        ]


# ---------------------------------------------------------------------------
# starting an assessment
# ---------------------------------------------------------------------------


def open_assessment(
    engine: Engine,
    actor: Actor,
    organisation_id: int,
    campaign_id: int,
    *,
    start_from: int | None = None,
    choose_themes: bool = False,
) -> AssessmentState:
    """The organisation's assessment for a campaign, created on first use.

    A new assessment uses the campaign's grid version.  ``start_from`` (an
    earlier assessment of the same organisation) pre-fills the answers,
    comments, "not addressed" marks and reasons for the choice of themes that
    still fit the new grid.  With ``choose_themes`` (and no ``start_from``),
    every optional theme starts "not addressed": the organisation ticks the
    ones it works on (the form does so).
    """
    existing = find_assessment(engine, actor, organisation_id, campaign_id)
    if existing is not None:
        return existing
    try:
        with write_session(engine) as session:
            organisation = load_organisation(session, organisation_id)
            require(actor, Action.EDIT_ASSESSMENT, organisation_target(organisation))
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFound(f"Campagne n° {campaign_id} introuvable.")
            if campaigns.is_over(campaign.closed_at, campaign.closes_on):
                raise ReadOnly(f"La campagne « {campaign.label} » est close.")
            grid = get_grid(engine, campaign.grid_id, campaign.grid_version)
            now = utcnow()
            row = Assessment(
                organisation_id=organisation_id,
                campaign_id=campaign_id,
                grid_id=campaign.grid_id,
                grid_version=campaign.grid_version,
                status="draft",
                revision=0,
                not_addressed=(
                    sorted(i.id for i in grid.items if i.optional)
                    if choose_themes and start_from is None
                    else []
                ),
                choice_reasons={},
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            _stamp(session, row.id)  # a new draft in the participation list
            carried = None
            if start_from is not None:
                carried = _copy_from(session, engine, grid, row, start_from, actor)
            copied_from = carried.source_id if carried else None
            _record_audit(session, actor, row.id, "created", 0, new_value=copied_from)
            new_id = row.id
    except IntegrityError:  # created meanwhile by someone else
        found = find_assessment(engine, actor, organisation_id, campaign_id)
        if found is None:
            raise
        return found
    with read_session(engine) as session:
        created = _state(session, new_id)
    return replace(created, carried=carried) if carried else created


def _section_label(grid: Grid, question_id: str) -> str:
    item = grid.item_of(question_id)
    if item is None:
        return text(grid.systemic.title, grid.language) if grid.systemic else ""
    return text(item.short_title or item.title, grid.language)


def _dropped(
    grid: Grid, older: Grid, key: tuple[str, str], sources: Iterable[tuple[str, str]], reason: str
) -> DroppedAnswer:
    from assessment.exchange.importing import describe_value

    question_id, horizon_id = key
    labels = {h.id: text(h.label, grid.language) for h in grid.horizons}
    return DroppedAnswer(
        section=_section_label(grid, question_id),
        question=text(grid.question(question_id).label, grid.language),
        horizon=labels.get(horizon_id, horizon_id),
        value=" / ".join(describe_value(older, q, v) for q, v in sources),
        reason=reason,
    )


def _copy_from(
    session: Session, engine: Engine, grid: Grid, row: Assessment, source_id: int, actor: Actor
) -> CarryOver:
    """Copy an earlier assessment's answers, comments and marks into ``row``, through the
    ``replaces`` of the versions between the two grids (:func:`lineage.carry`)."""
    source = _context(session, source_id)
    if source.organisation_id != row.organisation_id:
        raise AssessmentError(
            "On ne peut repartir que d'une auto-évaluation de la même organisation."
        )
    require(actor, Action.READ_ASSESSMENT, _target(source))
    older = get_grid(engine, source.grid_id, source.grid_version)
    versions = published_grids(engine, grid.id) if older.id == grid.id else [grid]
    line = lineage.Lineage.of([*versions, older, grid])
    answers, comments = _answers_of(session, source_id)
    old_values = {(q, h): v for q, per in answers.items() for h, v in per.items()}
    old_comments = {(q, h): c for q, per in comments.items() for h, c in per.items() if c}
    skipped = set(source.not_addressed or ())
    optional = {i.id for i in older.items if i.optional} | {
        q.id for _, q in older.questions() if q.optional
    }
    carried = lineage.carry(
        line, older, grid, old_values, old_comments, {o: o in skipped for o in optional}
    )
    now = utcnow()
    dropped: list[DroppedAnswer] = []
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for key, value in carried.values.items():
        origin = carried.origin[key]
        try:
            clean = _normalize_value(grid, key[0], key[1], value)
        except AnswerError as error:
            reason = error.message.split(" : ", 1)[-1] if error.question_id else error.message
            given = [(q, old_values[(q, h)]) for q, h in origin]
            dropped.append(_dropped(grid, older, key, given, typo(f"ne convient plus : {reason}")))
            continue
        if clean is not None:
            cells[key] = {"value": clean, "comment": None, "origin": origin}
    for key, differing in carried.conflicts.items():
        dropped.append(
            _dropped(
                grid,
                older,
                key,
                [(q, old_values[(q, h)]) for q, h in differing],
                "ces réponses différentes vont dans une seule question : à choisir à nouveau",
            )
        )
    for key, comment in carried.comments.items():
        try:
            _normalize_value(grid, key[0], key[1], None)
        except AnswerError:
            continue
        cell = cells.setdefault(key, {"value": None, "origin": carried.comment_origin[key]})
        cell["comment"] = comment[:COMMENT_MAX_LENGTH]
    session.add_all(
        Answer(
            assessment_id=row.id,
            question_id=question_id,
            horizon_id=horizon_id,
            value=cell["value"],
            comment=cell["comment"],
            updated_at=now,
            updated_by=actor.user_id,
        )
        for (question_id, horizon_id), cell in cells.items()
    )
    session.flush()
    for (question_id, horizon_id), cell in cells.items():
        question = grid.question(question_id)
        if isinstance(question, TextQuestion) and question.action_plan and cell["value"]:
            item = grid.item_of(question_id)
            action_plan.sync_typed_actions(
                session,
                actor,
                organisation_id=row.organisation_id,
                campaign_id=row.campaign_id,
                item_id=item.id if item is not None else action_plan.SYSTEMIC_ITEM,
                question_id=question_id,
                horizon_id=horizon_id,
                text=cell["value"],
            )
    marks = [i for i, skip in carried.marks.items() if skip]
    row.not_addressed = sorted(i for i in marks if not check_not_addressed(grid, [i]))
    row.not_applicable = sorted(
        i for i in (source.not_applicable or ()) if not check_not_applicable(grid, [i])
    )
    earlier = session.get(Assessment, source_id)
    items = {item.id for item in grid.items}
    row.choice_reasons = {
        k: v for k, v in ((earlier.choice_reasons if earlier else None) or {}).items() if k in items
    }
    return CarryOver(
        source_id=source_id,
        source_version=older.version,
        target_version=grid.version,
        copied=len(cells),
        renamed=sum(1 for key, c in cells.items() if any(q != key[0] for q, _ in c["origin"])),
        dropped=tuple(dropped),
    )


# ---------------------------------------------------------------------------
# changing an assessment
# ---------------------------------------------------------------------------


def _upsert_cell(
    session: Session,
    actor: Actor,
    assessment_id: int,
    question_id: str,
    horizon_id: str,
    **values: Any,
) -> None:
    cell = session.get(Answer, (assessment_id, question_id, horizon_id))
    merged = {
        "value": cell.value if cell is not None else None,
        "comment": cell.comment if cell is not None else None,
    } | values
    if merged["value"] is None and not merged["comment"]:
        if cell is not None:
            session.delete(cell)
        return
    if cell is None:
        cell = Answer(assessment_id=assessment_id, question_id=question_id, horizon_id=horizon_id)
        session.add(cell)
    cell.value = merged["value"]
    cell.comment = merged["comment"]
    cell.updated_at = utcnow()
    cell.updated_by = actor.user_id


def save_answer(
    engine: Engine,
    actor: Actor,
    assessment_id: int,
    question_id: str,
    horizon_id: str,
    value: Any,
    *,
    expected_revision: int,
) -> int:
    """Store one answer (``None`` clears it); returns the new revision.

    Raises :class:`StaleRevision`, :class:`ReadOnly`,
    :class:`~assessment.answers.AnswerError` (a value that does not fit the
    grid) or :class:`~assessment.permissions.PermissionDenied`.  Saving the
    value already stored changes nothing and returns the same revision.
    """
    with write_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.EDIT_ASSESSMENT, _target(ctx))
        _require_editable(ctx, expected_revision)
        grid = _grid_of(engine, ctx)
        clean = _normalize_value(grid, question_id, horizon_id, value)
        cell = session.get(Answer, (assessment_id, question_id, horizon_id))
        old = cell.value if cell is not None else None
        if old == clean and type(old) is type(clean):
            return expected_revision
        revision = _bump(session, assessment_id, expected_revision)
        _upsert_cell(session, actor, assessment_id, question_id, horizon_id, value=clean)
        _sync_actions(session, actor, ctx, grid, question_id, horizon_id, clean)
        _record_audit(
            session,
            actor,
            assessment_id,
            "answer",
            revision,
            question_id=question_id,
            horizon_id=horizon_id,
            old_value=old,
            new_value=clean,
        )
        return revision


def save_comment(
    engine: Engine,
    actor: Actor,
    assessment_id: int,
    question_id: str,
    horizon_id: str,
    comment: str | None,
    *,
    expected_revision: int,
) -> int:
    """Store the comment on one question and horizon (blank clears it); the new revision."""
    text = clean_text(comment, "Commentaire", COMMENT, error=AssessmentError) or None
    with write_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.EDIT_ASSESSMENT, _target(ctx))
        _require_editable(ctx, expected_revision)
        _normalize_value(_grid_of(engine, ctx), question_id, horizon_id, None)  # cell exists
        cell = session.get(Answer, (assessment_id, question_id, horizon_id))
        old = cell.comment if cell is not None else None
        if old == text:
            return expected_revision
        revision = _bump(session, assessment_id, expected_revision)
        _upsert_cell(session, actor, assessment_id, question_id, horizon_id, comment=text)
        _record_audit(
            session,
            actor,
            assessment_id,
            "comment",
            revision,
            question_id=question_id,
            horizon_id=horizon_id,
            old_value=old,
            new_value=text,
        )
        return revision


_Update = Callable[[Session, Any, Grid], tuple[str, Any, Any, Any] | None]
"""What an assessment-level write changes, from the assessment's context and grid:
``(column, stored value, old, new)`` for the audit trail, ``None`` when unchanged;
raises when refused."""


def _write_assessment(
    engine: Engine,
    actor: Actor,
    assessment_id: int,
    kind: str,
    update: _Update,
    *,
    expected_revision: int,
    question_id: str | None = None,
) -> int:
    """The shape every assessment-level write shares: the permission and editability
    checks, ``update``, then the new revision and its audit event (``kind``); the same
    revision when nothing changes."""
    with write_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.EDIT_ASSESSMENT, _target(ctx))
        _require_editable(ctx, expected_revision)
        found = update(session, ctx, _grid_of(engine, ctx))
        if found is None:
            return expected_revision
        column, stored, old, new = found
        revision = _bump(session, assessment_id, expected_revision, **{column: stored})
        _record_audit(
            session,
            actor,
            assessment_id,
            kind,
            revision,
            question_id=question_id,
            old_value=old,
            new_value=new,
        )
        return revision


def _replace_ids(
    column: str, ids: Iterable[str], check: Callable[[Grid, list[str]], Sequence[Exception]]
) -> _Update:
    """Replace the id list ``column`` (``not_addressed``, ``not_applicable``) by ``ids``,
    refused with the first of ``check``'s errors."""
    wanted = sorted(set(ids))

    def update(_session: Session, ctx: Any, grid: Grid) -> tuple[str, Any, Any, Any] | None:
        errors = check(grid, wanted)
        if errors:
            raise errors[0]
        old = sorted(getattr(ctx, column) or ())
        return None if old == wanted else (column, wanted, old, wanted)

    return update


def set_not_addressed(
    engine: Engine,
    actor: Actor,
    assessment_id: int,
    ids: Iterable[str],
    *,
    expected_revision: int,
) -> int:
    """Replace the set of optional items/questions "not addressed this year"."""
    return _write_assessment(
        engine,
        actor,
        assessment_id,
        "not_addressed",
        _replace_ids("not_addressed", ids, check_not_addressed),
        expected_revision=expected_revision,
    )


CHOICE_REASON_LABEL = "Raison du choix"


def set_choice_reason(
    engine: Engine,
    actor: Actor,
    assessment_id: int,
    item_id: str,
    reason: str | None,
    *,
    expected_revision: int,
) -> int:
    """Store why the organisation works on theme ``item_id`` this year (one line, at most
    200 characters; blank clears it); returns the new revision (the same when unchanged)."""
    text = clean_text(reason, CHOICE_REASON_LABEL, SHORT_TEXT, error=AssessmentError) or None

    def update(session: Session, _ctx: Any, grid: Grid) -> tuple[str, Any, Any, Any] | None:
        if item_id not in {item.id for item in grid.items}:
            raise AssessmentError(f"« {item_id} » n'est pas un thème de la grille.")
        reasons = dict(
            session.scalar(select(Assessment.choice_reasons).where(Assessment.id == assessment_id))
            or {}
        )
        old = reasons.get(item_id)
        if old == text:
            return None
        if text is None:
            reasons.pop(item_id, None)
        else:
            reasons[item_id] = text
        return "choice_reasons", reasons, old, text

    return _write_assessment(
        engine,
        actor,
        assessment_id,
        "choice_reason",
        update,
        expected_revision=expected_revision,
        question_id=item_id,
    )


def set_not_applicable(
    engine: Engine,
    actor: Actor,
    assessment_id: int,
    ids: Iterable[str],
    *,
    expected_revision: int,
) -> int:
    """Replace the set of questions the organisation marks « non applicable » (they do
    not concern it; only questions with ``may_not_apply``); the new revision."""
    return _write_assessment(
        engine,
        actor,
        assessment_id,
        "not_applicable",
        _replace_ids("not_applicable", ids, check_not_applicable),
        expected_revision=expected_revision,
    )


def _sync_actions(
    session: Session,
    actor: Actor,
    ctx: Row[Any],
    grid: Grid,
    question_id: str,
    horizon_id: str,
    value: Any,
) -> None:
    """An « Actions prévues » answer (``action_plan: true``) is the plan's actions for its
    question and horizon: keep them in step, in the same transaction."""
    question = grid.question(question_id)
    if not isinstance(question, TextQuestion) or not question.action_plan:
        return
    item = grid.item_of(question_id)
    action_plan.sync_typed_actions(
        session,
        actor,
        organisation_id=ctx.organisation_id,
        campaign_id=ctx.campaign_id,
        item_id=item.id if item is not None else action_plan.SYSTEMIC_ITEM,
        question_id=question_id,
        horizon_id=horizon_id,
        text=value if isinstance(value, str) else "",
    )


@dataclass(frozen=True, slots=True)
class CellChange:
    """One cell of a batch write (:func:`save_cells`); ``None`` fields are left as they are."""

    question_id: str
    horizon_id: str
    value: Any = None
    comment: str | None = None


def save_cells(
    engine: Engine,
    actor: Actor,
    assessment_id: int,
    changes: Iterable[CellChange],
    *,
    not_addressed: Iterable[str] | None = None,
    not_applicable: Iterable[str] | None = None,
    choice_reasons: Mapping[str, str] | None = None,
    expected_revision: int,
    kind: str = "import",
) -> int:
    """Many answers and comments (and the "not addressed" and « non applicable » lists,
    and reasons for choosing themes: ``{item_id: reason}``, each replacing that theme's,
    the others kept) in ONE transaction.

    Used by imports (spreadsheet, JSON): every value is checked against the
    grid before anything is written, the revision moves by one, and every
    changed cell is in the audit trail (``kind``).  A value or comment of
    ``None`` leaves that part of the cell as stored.  Returns the new revision
    (the same one when nothing changes).
    """
    changes = list(changes)
    with write_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.EDIT_ASSESSMENT, _target(ctx))
        _require_editable(ctx, expected_revision)
        grid = _grid_of(engine, ctx)
        cleaned: list[tuple[CellChange, Any, str | None]] = []
        for change in changes:
            clean = _normalize_value(grid, change.question_id, change.horizon_id, change.value)
            comment = (change.comment or "").strip() or None
            if comment is not None and len(comment) > COMMENT_MAX_LENGTH:
                raise AssessmentError(
                    f"Le commentaire dépasse {COMMENT_MAX_LENGTH} caractères ({len(comment)})."
                )
            cleaned.append((change, clean, comment))
        wanted = None
        if not_addressed is not None:
            wanted = sorted(set(not_addressed))
            errors = check_not_addressed(grid, wanted)
            if errors:
                raise errors[0]
            if wanted == sorted(ctx.not_addressed or ()):
                wanted = None
        wanted_na = None
        if not_applicable is not None:
            wanted_na = sorted(set(not_applicable))
            refused = check_not_applicable(grid, wanted_na)
            if refused:
                raise refused[0]
            if wanted_na == sorted(ctx.not_applicable or ()):
                wanted_na = None
        reasons_before: dict[str, str] = dict(
            session.scalar(select(Assessment.choice_reasons).where(Assessment.id == assessment_id))
            or {}
        )
        reasons = dict(reasons_before)
        item_ids = {item.id for item in grid.items}
        for item_id, reason in (choice_reasons or {}).items():
            if item_id not in item_ids:
                raise AssessmentError(f"« {item_id} » n'est pas un thème de la grille.")
            cleaned_reason = clean_text(
                reason, CHOICE_REASON_LABEL, SHORT_TEXT, error=AssessmentError
            )
            if cleaned_reason:
                reasons[item_id] = cleaned_reason
        reason_edits = [i for i in reasons if reasons[i] != reasons_before.get(i)]
        edits: list[tuple[CellChange, dict[str, Any], Any, Any]] = []
        for change, clean, comment in cleaned:
            cell = session.get(Answer, (assessment_id, change.question_id, change.horizon_id))
            values: dict[str, Any] = {}
            old_value = cell.value if cell is not None else None
            old_comment = cell.comment if cell is not None else None
            if clean is not None and not (old_value == clean and type(old_value) is type(clean)):
                values["value"] = clean
            if comment is not None and comment != old_comment:
                values["comment"] = comment
            if values:
                edits.append((change, values, old_value, old_comment))
        if not edits and wanted is None and wanted_na is None and not reason_edits:
            return expected_revision
        extra: dict[str, Any] = {"not_addressed": wanted} if wanted is not None else {}
        if wanted_na is not None:
            extra["not_applicable"] = wanted_na
        if reason_edits:
            extra["choice_reasons"] = reasons
        revision = _bump(session, assessment_id, expected_revision, **extra)
        for item_id in reason_edits:
            _record_audit(
                session,
                actor,
                assessment_id,
                "choice_reason",
                revision,
                question_id=item_id,
                old_value=reasons_before.get(item_id),
                new_value=reasons[item_id],
            )
        if wanted_na is not None:
            _record_audit(
                session,
                actor,
                assessment_id,
                "not_applicable",
                revision,
                old_value=sorted(ctx.not_applicable or ()),
                new_value=wanted_na,
            )
        if wanted is not None:
            _record_audit(
                session,
                actor,
                assessment_id,
                "not_addressed",
                revision,
                old_value=sorted(ctx.not_addressed or ()),
                new_value=wanted,
            )
        for change, values, old_value, old_comment in edits:
            _upsert_cell(
                session, actor, assessment_id, change.question_id, change.horizon_id, **values
            )
            if "value" in values:
                _sync_actions(
                    session, actor, ctx, grid, change.question_id, change.horizon_id,
                    values["value"],
                )  # fmt: skip
            _record_audit(
                session,
                actor,
                assessment_id,
                kind,
                revision,
                question_id=change.question_id,
                horizon_id=change.horizon_id,
                old_value={"value": old_value, "comment": old_comment},
                new_value=values,
            )
        return revision


def submit(engine: Engine, actor: Actor, assessment_id: int, *, expected_revision: int) -> int:
    """Submit (organisation admins): every required answer must be given; new revision."""
    with write_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.SUBMIT_ASSESSMENT, _target(ctx))
        _require_editable(ctx, expected_revision)
        grid = _grid_of(engine, ctx)
        answers, comments = _answers_of(session, assessment_id)
        not_addressed = sorted(ctx.not_addressed or ())
        chosen = sorted(ctx.not_applicable or ())
        not_applicable = not_applicable_ids(grid, _profile(ctx), chosen)
        missing = missing_required(grid, answers, not_addressed, not_applicable)
        if missing:
            raise MissingAnswers(missing)
        now = utcnow()
        revision = _bump(
            session,
            assessment_id,
            expected_revision,
            status="submitted",
            submitted_at=now,
            submitted_by=actor.user_id,
        )
        session.add(
            Submission(
                assessment_id=assessment_id,
                revision=revision,
                grid_id=ctx.grid_id,
                grid_version=ctx.grid_version,
                snapshot={
                    "answers": answers,
                    "comments": comments,
                    "not_addressed": not_addressed,
                    "choice_reasons": dict(
                        session.scalar(
                            select(Assessment.choice_reasons).where(Assessment.id == assessment_id)
                        )
                        or {}
                    ),
                    "not_applicable": chosen,
                },
                submitted_at=now,
                submitted_by=actor.user_id,
            )
        )
        score_store.replace(
            session,
            [
                score_store.score_row(
                    assessment_id, revision, grid, answers, not_addressed, now, not_applicable
                )
            ],
        )
        _record_audit(session, actor, assessment_id, "submitted", revision)
        return revision


def reopen(engine: Engine, actor: Actor, assessment_id: int, *, expected_revision: int) -> int:
    """Back to draft (organisation admins, campaign still open); the submission is kept."""
    with write_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.REOPEN_ASSESSMENT, _target(ctx))
        if ctx.status != "submitted":
            raise AssessmentError("Cette auto-évaluation n'est pas soumise : rien à rouvrir.")
        if _campaign_closed(ctx):
            raise ReadOnly(
                f"La campagne « {ctx.campaign_label} » est close : "
                "cette auto-évaluation ne peut plus être rouverte."
            )
        if ctx.revision != expected_revision:
            raise StaleRevision(ctx.revision)
        now = utcnow()
        revision = _bump(
            session, assessment_id, expected_revision, status="draft", submitted_at=None
        )
        session.execute(
            update(Submission)
            .where(Submission.assessment_id == assessment_id, Submission.reopened_at.is_(None))
            .values(reopened_at=now, reopened_by=actor.user_id)
            .execution_options(synchronize_session=False)
        )
        score_store.bump_version(session)  # its last submission's scores stay counted
        _record_audit(session, actor, assessment_id, "reopened", revision)
        return revision
