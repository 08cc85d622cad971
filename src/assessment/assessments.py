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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Engine, Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment import score_store
from assessment.answers import AnswerError, Cell, check_not_addressed, missing_required
from assessment.answers import normalize_value as _normalize_value
from assessment.db import NotFound, read_session, write_session
from assessment.errors import UserError
from assessment.grid import Grid
from assessment.grid_store import get_grid
from assessment.organisations import load_organisation, organisation_target
from assessment.permissions import Action, Actor, Target, require
from assessment.tables import (
    Answer,
    Assessment,
    AuditEvent,
    Campaign,
    Organisation,
    Submission,
    utcnow,
)
from assessment.text_input import COMMENT, clean_text

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
            Organisation.region,
            Organisation.shared_with_region,
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


def _target(ctx: Row[Any]) -> Target:
    return Target(
        organisation_id=ctx.organisation_id,
        organisation_region=ctx.region,
        shared_with_region=ctx.shared_with_region,
    )


def _campaign_closed(ctx: Row[Any], today: date | None = None) -> bool:
    today = today or date.today()
    return ctx.closed_at is not None or today > ctx.closes_on


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
    return expected_revision + 1


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


def list_submissions(engine: Engine, actor: Actor, assessment_id: int) -> list[SubmissionInfo]:
    """Every submitted version of an assessment, oldest first (kept when reopened)."""
    with read_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.READ_ASSESSMENT, _target(ctx))
        rows = session.scalars(
            select(Submission)
            .where(Submission.assessment_id == assessment_id)
            .order_by(Submission.id)
        )
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
            )
            for row in rows
        ]


def audit_trail(engine: Engine, actor: Actor, assessment_id: int) -> list[AuditEntry]:
    """Who changed what and when, oldest first."""
    with read_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.READ_ASSESSMENT, _target(ctx))
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.assessment_id == assessment_id)
            .order_by(AuditEvent.id)
        )
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
) -> AssessmentState:
    """The organisation's assessment for a campaign, created on first use.

    A new assessment uses the campaign's grid version.  ``start_from`` (an
    earlier assessment of the same organisation) pre-fills the answers,
    comments and "not addressed" marks that still fit the new grid.
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
            if campaign.closed_at is not None or date.today() > campaign.closes_on:
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
                not_addressed=[],
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            copied_from = None
            if start_from is not None:
                copied_from = _copy_from(session, engine, grid, row, start_from, actor)
            _record_audit(session, actor, row.id, "created", 0, new_value=copied_from)
            new_id = row.id
    except IntegrityError:  # created meanwhile by someone else
        found = find_assessment(engine, actor, organisation_id, campaign_id)
        if found is None:
            raise
        return found
    with read_session(engine) as session:
        return _state(session, new_id)


def _copy_from(
    session: Session, engine: Engine, grid: Grid, row: Assessment, source_id: int, actor: Actor
) -> int:
    source = _context(session, source_id)
    if source.organisation_id != row.organisation_id:
        raise AssessmentError(
            "On ne peut repartir que d'une auto-évaluation de la même organisation."
        )
    require(actor, Action.READ_ASSESSMENT, _target(source))
    answers, comments = _answers_of(session, source_id)
    now = utcnow()
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for question_id, per_horizon in answers.items():
        for horizon_id, value in per_horizon.items():
            try:
                clean = _normalize_value(grid, question_id, horizon_id, value)
            except AnswerError:
                continue
            if clean is not None:
                cells[(question_id, horizon_id)] = {"value": clean, "comment": None}
    for question_id, per_horizon in comments.items():
        for horizon_id, comment in per_horizon.items():
            try:
                _normalize_value(grid, question_id, horizon_id, None)
            except AnswerError:
                continue
            cells.setdefault((question_id, horizon_id), {"value": None})["comment"] = comment
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
    kept = [i for i in (source.not_addressed or ()) if not check_not_addressed(grid, [i])]
    row.not_addressed = sorted(kept)
    return source_id


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
        clean = _normalize_value(_grid_of(engine, ctx), question_id, horizon_id, value)
        cell = session.get(Answer, (assessment_id, question_id, horizon_id))
        old = cell.value if cell is not None else None
        if old == clean and type(old) is type(clean):
            return expected_revision
        revision = _bump(session, assessment_id, expected_revision)
        _upsert_cell(session, actor, assessment_id, question_id, horizon_id, value=clean)
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


def set_not_addressed(
    engine: Engine,
    actor: Actor,
    assessment_id: int,
    ids: Iterable[str],
    *,
    expected_revision: int,
) -> int:
    """Replace the set of optional items/questions "not addressed this year"."""
    wanted = sorted(set(ids))
    with write_session(engine) as session:
        ctx = _context(session, assessment_id)
        require(actor, Action.EDIT_ASSESSMENT, _target(ctx))
        _require_editable(ctx, expected_revision)
        errors = check_not_addressed(_grid_of(engine, ctx), wanted)
        if errors:
            raise errors[0]
        old = sorted(ctx.not_addressed or ())
        if old == wanted:
            return expected_revision
        revision = _bump(session, assessment_id, expected_revision, not_addressed=wanted)
        _record_audit(
            session,
            actor,
            assessment_id,
            "not_addressed",
            revision,
            old_value=old,
            new_value=wanted,
        )
        return revision


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
    expected_revision: int,
    kind: str = "import",
) -> int:
    """Many answers and comments (and the "not addressed" list) in ONE transaction.

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
        if not edits and wanted is None:
            return expected_revision
        extra = {"not_addressed": wanted} if wanted is not None else {}
        revision = _bump(session, assessment_id, expected_revision, **extra)
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
        missing = missing_required(grid, answers, not_addressed)
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
                },
                submitted_at=now,
                submitted_by=actor.user_id,
            )
        )
        score_store.replace(
            session,
            [score_store.score_row(assessment_id, revision, grid, answers, not_addressed, now)],
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
