"""From checked answers to the draft assessment: what would change, then the write.

:func:`plan_import` compares :class:`IncomingAnswers` with what is stored and
says, cell by cell, what would change; a change to a cell already answered
online (a different value, a different comment, another "not addressed"
choice for a theme that holds answers) is a **conflict**.  Nothing is
written.  :func:`apply_import` then writes the plan in one transaction
(:func:`assessment.assessments.save_cells`), replacing conflicting cells only
when asked (``overwrite=True``), otherwise keeping what was answered online.
The plan carries the revision it was computed on: a change made online in
between makes the write fail (:class:`~assessment.assessments.StaleRevision`)
instead of overwriting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from assessment import assessments
from assessment.answers import format_value
from assessment.campaigns import CampaignInfo
from assessment.exchange.incoming import ExchangeError, IncomingAnswers, campaign_for_year
from assessment.exchange.template import level_label, option_label
from assessment.french import number, plural, typo
from assessment.grid import ChoiceQuestion, Grid, LevelQuestion, NumberQuestion, YesNoQuestion, text
from assessment.grid_store import get_grid, published_grids
from assessment.gridtools.lineage import MERGE_RULE_FR
from assessment.permissions import Actor


@dataclass(frozen=True, slots=True)
class Change:
    """One cell (or mark) the import would change, in words."""

    where: str
    """Where it is in the file (``Gouvernance!D7``, ``answers.gouv-regles.current``)."""
    section: str
    question: str
    horizon: str
    field: str
    """« réponse », « commentaire », « non traité cette année », « non applicable » or
    « raison du choix »."""
    old: str
    new: str
    conflict: bool


@dataclass(frozen=True)
class ImportPlan:
    organisation_id: int
    campaign_id: int
    campaign_year: int
    grid: Grid
    assessment_id: int | None
    """``None``: no assessment yet, created by :func:`apply_import`."""
    revision: int
    cells: tuple[tuple[assessments.CellChange, bool], ...]
    """Each cell to write, with whether it is a conflict."""
    marks: dict[str, tuple[bool, bool]]
    """Optional id → (conflict, not addressed) for each mark that changes."""
    stored_not_addressed: frozenset[str]
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()
    """French: the file was made for another grid version and carried over, and what
    of it the version no longer asks."""
    not_applicable: tuple[str, ...] | None = None
    """The questions « non applicable » after the import, when the file changes them."""
    reasons: dict[str, tuple[bool, str]] = field(default_factory=dict)
    """Theme id → (conflict, reason) for each reason for choosing a theme that changes;
    a conflict: the theme has another reason given online."""

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.conflict]

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def summary(self) -> str:
        """French: « 12 réponses à importer, dont 2 déjà saisies en ligne (différentes). »"""
        if not self.changes:
            return "Rien à importer : le fichier ne change rien à ce qui est saisi."
        conflicts = len(self.conflicts)
        head = plural(len(self.changes), "modification")
        if not conflicts:
            return typo(f"{head} à importer, sans toucher à aucune réponse déjà saisie en ligne.")
        return typo(
            f"{head} à importer, dont {plural(conflicts, 'cellule')} déjà "
            f"{'remplie' if conflicts == 1 else 'remplies'} en ligne autrement."
        )


def describe_value(grid: Grid, question_id: str, value: Any) -> str:
    """A stored value as the person typed it (``2 – Structuré``, ``Oui``, ``45,5 %``)."""
    if value is None:
        return "—"
    question = grid.question(question_id)
    if isinstance(question, LevelQuestion) and isinstance(value, int):
        return level_label(grid, value)
    if isinstance(question, YesNoQuestion) and isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(question, ChoiceQuestion):
        values = value if isinstance(value, list) else [value]
        return " ; ".join(option_label(grid, question, str(v)) for v in values)
    if isinstance(question, NumberQuestion) and isinstance(value, int | float):
        unit = text(question.unit, grid.language) if question.unit else ""
        return typo(f"{number(value, 6)} {unit}".strip())
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:79] + "…"
    return format_value(value)


def describe_reason(reason: str | None) -> str:
    """A theme's reason for the list of changes (``—`` when none)."""
    if not reason:
        return "—"
    return reason if len(reason) <= 80 else reason[:79] + "…"


def _section_of(grid: Grid, question_id: str) -> str:
    item = grid.item_of(question_id)
    if item is None:
        return text(grid.systemic.title, grid.language) if grid.systemic else ""
    return text(item.short_title or item.title, grid.language)


def _has_answers(state: assessments.AssessmentState | None, grid: Grid, ident: str) -> bool:
    if state is None:
        return False
    if ident in state.answers or ident in state.comments:
        return True
    try:
        item = grid.item(ident)
    except KeyError:
        return False
    return any(q.id in state.answers or q.id in state.comments for q in item.questions)


@dataclass(frozen=True)
class Target:
    """The draft an import goes into (``state`` ``None``: not started yet)."""

    organisation_id: int
    campaign: CampaignInfo
    state: assessments.AssessmentState | None
    grid: Grid


def import_target(engine: Engine, actor: Actor, organisation_id: int, year: int) -> Target:
    """The organisation's assessment of ``year`` and its grid; refused when submitted."""
    campaign = campaign_for_year(engine, year)
    state = assessments.find_assessment(engine, actor, organisation_id, campaign.id)
    if state is not None and state.status == "submitted":
        raise assessments.ReadOnly(
            typo(
                f"L'auto-évaluation {year} est soumise : un référent doit la rouvrir "
                "avant tout import."
            )
        )
    grid_id = state.grid_id if state else campaign.grid_id
    version = state.grid_version if state else campaign.grid_version
    return Target(organisation_id, campaign, state, get_grid(engine, grid_id, version))


def plan_file(
    engine: Engine, actor: Actor, organisation_id: int, year: int, data: bytes, *, kind: str
) -> ImportPlan:
    """Read a filled template (``kind="xlsx"``) or a JSON export (``"json"``: the
    organisation's admins only) and plan its import; every problem is an
    :class:`~assessment.exchange.problems.ImportRefused`, nothing is written."""
    from assessment.exchange.json_exchange import read_answers_json, require_exchange
    from assessment.exchange.spreadsheet import read_template

    if kind == "json":
        require_exchange(engine, actor, organisation_id)
    target = import_target(engine, actor, organisation_id, year)
    versions = published_grids(engine, target.grid.id)
    if kind == "json":
        incoming = read_answers_json(target.grid, data, versions)
    elif kind == "xlsx":
        incoming = read_template(target.grid, data, versions)
    else:
        raise ExchangeError(
            typo(f"Format « {kind} » inconnu : un fichier .xlsx ou .json est attendu.")
        )
    return plan_import(target, incoming)


def plan_import(target: Target, incoming: IncomingAnswers) -> ImportPlan:
    """What importing ``incoming`` into ``target`` would change (nothing is written)."""
    state, campaign, grid = target.state, target.campaign, target.grid
    organisation_id, year = target.organisation_id, campaign.year
    if (incoming.grid_id, incoming.grid_version) != (grid.id, grid.version):
        raise ExchangeError(  # callers check the grid first; this is a safety net
            "Ce fichier a été préparé pour une autre grille ou une autre version de la grille."
        )
    lang = grid.language
    horizon_labels = {h.id: text(h.label, lang) for h in grid.horizons}
    stored_answers = state.answers if state else {}
    stored_comments = state.comments if state else {}
    cells: list[tuple[assessments.CellChange, bool]] = []
    changes: list[Change] = []
    keys = list(dict.fromkeys([*incoming.values, *incoming.comments]))
    order = {q.id: i for i, (_, q) in enumerate(grid.questions())}
    keys.sort(key=lambda k: (order.get(k[0], 0), grid.horizon_ids.index(k[1])))
    for key in keys:
        question_id, horizon_id = key
        label = text(grid.question(question_id).label, lang)
        section = _section_of(grid, question_id)
        value = incoming.values.get(key)
        comment = incoming.comments.get(key)
        old_value = stored_answers.get(question_id, {}).get(horizon_id)
        old_comment = stored_comments.get(question_id, {}).get(horizon_id)
        new_value = value if value is not None and value != old_value else None
        new_comment = comment if comment is not None and comment != old_comment else None
        if new_value is None and new_comment is None:
            continue
        conflict = (new_value is not None and old_value is not None) or (
            new_comment is not None and bool(old_comment)
        )
        cells.append(
            (assessments.CellChange(question_id, horizon_id, new_value, new_comment), conflict)
        )
        where = incoming.where.get(key, "")
        if new_value is not None:
            changes.append(
                Change(
                    where, section, label, horizon_labels[horizon_id], "réponse",
                    describe_value(grid, question_id, old_value),
                    describe_value(grid, question_id, new_value),
                    old_value is not None,
                )
            )  # fmt: skip
        if new_comment is not None:
            changes.append(
                Change(
                    incoming.comment_where.get(key, where), section, label,
                    horizon_labels[horizon_id], "commentaire",
                    describe_value(grid, question_id, old_comment),
                    describe_value(grid, question_id, new_comment),
                    bool(old_comment),
                )
            )  # fmt: skip
    stored_marks = frozenset(state.not_addressed) if state else frozenset()
    marks: dict[str, tuple[bool, bool]] = {}
    for ident, skipped in incoming.marks.items():
        if (ident in stored_marks) == skipped:
            continue
        conflict = state is not None and state.revision > 0 and _has_answers(state, grid, ident)
        marks[ident] = (conflict, skipped)
        try:
            name = text(grid.item(ident).title, lang)
        except KeyError:
            name = text(grid.question(ident).label, lang)
        changes.append(
            Change(
                incoming.where.get(ident, ""), name, name, "", "non traité cette année",
                "Non traité" if not skipped else "Traité",
                "Non traité" if skipped else "Traité",
                conflict,
            )
        )  # fmt: skip
    notes: list[str] = []
    if incoming.bridged_from is not None:
        notes.append(
            typo(
                f"Ce fichier a été préparé avec la version {incoming.bridged_from} de la "
                f"grille ; cette auto-évaluation utilise la version {grid.version}. Ses "
                "réponses sont reportées sur les questions qui remplacent les anciennes "
                f"(renommées, regroupées ou scindées). {MERGE_RULE_FR}"
            )
        )
    if incoming.left_out:
        count = len(incoming.left_out)
        notes.append(
            typo(
                f"{plural(count, 'réponse')} du fichier "
                f"{'porte' if count == 1 else 'portent'} sur des questions que la version "
                f"{grid.version} ne pose plus et ne {'sera' if count == 1 else 'seront'} pas "
                "importée"
                + ("" if count == 1 else "s")
                + " : "
                + " ; ".join(incoming.left_out)
                + "."
            )
        )
    not_applicable: tuple[str, ...] | None = None
    stored_na = frozenset(state.not_applicable) if state else frozenset()
    if incoming.not_applicable is not None and incoming.not_applicable != stored_na:
        not_applicable = tuple(sorted(incoming.not_applicable))
        for question_id in sorted(incoming.not_applicable ^ stored_na, key=order.__getitem__):
            label = text(grid.question(question_id).label, lang)
            now_na = question_id in incoming.not_applicable
            changes.append(
                Change(
                    "not_applicable", _section_of(grid, question_id), label, "",
                    "non applicable", "Non applicable" if not now_na else "Applicable",
                    "Non applicable" if now_na else "Applicable", False,
                )
            )  # fmt: skip
    stored_reasons = state.choice_reasons if state else {}
    reasons: dict[str, tuple[bool, str]] = {}
    for item in grid.items:
        reason = incoming.reasons.get(item.id)
        old_reason = stored_reasons.get(item.id)
        if reason is None or reason == old_reason:
            continue
        reasons[item.id] = (bool(old_reason), reason)
        name = text(item.short_title or item.title, lang)
        changes.append(
            Change(
                incoming.reason_where.get(item.id, ""), name, assessments.CHOICE_REASON_LABEL,
                "", "raison du choix",
                describe_reason(old_reason), describe_reason(reason), bool(old_reason),
            )
        )  # fmt: skip
    return ImportPlan(
        organisation_id=organisation_id,
        campaign_id=campaign.id,
        campaign_year=year,
        grid=grid,
        assessment_id=state.id if state else None,
        revision=state.revision if state else 0,
        cells=tuple(cells),
        marks=marks,
        stored_not_addressed=stored_marks,
        changes=tuple(changes),
        notes=tuple(notes),
        not_applicable=not_applicable,
        reasons=reasons,
    )


def apply_import(engine: Engine, actor: Actor, plan: ImportPlan, *, overwrite: bool) -> int:
    """Write ``plan`` (one transaction); conflicting cells only when ``overwrite``.

    Returns the assessment's new revision.  Raises
    :class:`~assessment.assessments.StaleRevision` when the assessment changed
    since the plan was made.
    """
    assessment_id, revision = plan.assessment_id, plan.revision
    if assessment_id is None:
        state = assessments.open_assessment(engine, actor, plan.organisation_id, plan.campaign_id)
        if state.revision != plan.revision:
            raise assessments.StaleRevision(state.revision)
        assessment_id, revision = state.id, state.revision
    cells = [cell for cell, conflict in plan.cells if overwrite or not conflict]
    not_addressed = set(plan.stored_not_addressed)
    for ident, (conflict, skipped) in plan.marks.items():
        if conflict and not overwrite:
            continue
        if skipped:
            not_addressed.add(ident)
        else:
            not_addressed.discard(ident)
    return assessments.save_cells(
        engine,
        actor,
        assessment_id,
        cells,
        not_addressed=sorted(not_addressed) if plan.marks else None,
        not_applicable=plan.not_applicable,
        choice_reasons={
            item_id: reason
            for item_id, (conflict, reason) in plan.reasons.items()
            if overwrite or not conflict
        },
        expected_revision=revision,
    )


def conflict_lines(plan: ImportPlan) -> list[str]:
    """Each conflict in French, for the CLI's refusal."""
    return [
        typo(
            f"{c.where or c.section} — {c.question}"
            f"{f' ({c.horizon})' if c.horizon else ''}, {c.field} : en ligne {c.old}, "
            f"dans le fichier {c.new}"
        )
        for c in plan.conflicts
    ]
