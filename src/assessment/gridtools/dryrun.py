"""A draft grid tried on a campaign's submitted answers, before it is published.

Every submitted assessment of the campaign is scored twice: against the
version it was answered on, and against the draft, its answers carried over
through ``replaces`` (an answer the draft no longer accepts is dropped).  What
comes out are protected aggregates only -- the national body never sees one
organisation's figures:

* **counts**: how many organisations' overall and theme scores (état des lieux)
  would change, bucketed by how much;
* **means** over at least ``k`` organisations (``min_group_size``): the mean
  change overall and per theme, and each region's mean before and after, with
  the complementary suppression of :func:`assessment.privacy.protect.suppressed_cells`
  (no small region can be derived by subtraction);
* which questions lose their history (no question of the draft continues them),
  and which start without any.

Reading raw answers happens here, under ``Action.MANAGE_GRIDS`` and the
national ``Action.READ_AGGREGATES``; nothing per organisation leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from math import fsum
from typing import Any

from sqlalchemy import Engine, select

from assessment import answers as answers_mod
from assessment.campaigns import CampaignInfo, list_campaigns
from assessment.db import NotFound, read_session
from assessment.errors import UserError
from assessment.french import agree, number, plural, typo
from assessment.grid import Grid, text
from assessment.grid_store import get_grid, published_grids
from assessment.gridtools.lineage import Lineage, carried_item_scores
from assessment.permissions import Action, Actor, Target, require
from assessment.privacy.protect import suppressed_cells
from assessment.regions import region_name
from assessment.scoring import Scorer
from assessment.settings import get_settings
from assessment.tables import Answer, Assessment, Organisation

CHANGED = 0.05
"""Smallest score change (points out of 100) counted as a change."""
BUCKETS: tuple[tuple[float, float, str], ...] = (
    (CHANGED, 1.0, "moins de 1 point"),
    (1.0, 5.0, "de 1 à 5 points"),
    (5.0, 10.0, "de 5 à 10 points"),
    (10.0, float("inf"), "10 points ou plus"),
)
_CHUNK = 500


class DryRunError(UserError, ValueError):
    """A dry run that cannot be done (French message)."""


@dataclass(frozen=True, slots=True)
class ScoreShift:
    """How one score (overall, or one theme) would move across the organisations."""

    id: str
    label: str
    scored: int
    """Organisations with a score before or after."""
    changed: int
    """Organisations whose score would move by at least :data:`CHANGED` points (or appear
    or disappear)."""
    up: int
    down: int
    appeared: int
    disappeared: int
    buckets: dict[str, int]
    mean_change: float | None
    """Mean change in points over the organisations scored both ways (≥ k, else None)."""


@dataclass(frozen=True, slots=True)
class RegionShift:
    region: str
    name: str
    n: int
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class LostHistory:
    question_id: str
    label: str
    item: str | None
    answered: int
    """How many of the assessments answered it (a count)."""


@dataclass(frozen=True)
class DryRun:
    campaign_year: int
    campaign_label: str
    old: str
    new: str
    assessments: int
    min_group_size: int
    overall: ScoreShift
    items: list[ScoreShift]
    regions: list[RegionShift]
    regions_hidden: int
    """Regions with submitted assessments left out (fewer than k, or to protect one)."""
    lost_history: list[LostHistory]
    new_without_history: list[str]
    dropped_answers: int
    """Answers carried over that the draft no longer accepts (off scale, options gone…)."""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for region, data in zip(self.regions, out["regions"], strict=True):
            data["change"] = region.change
        return out


def campaign_by_year(engine: Engine, year: int) -> CampaignInfo:
    for campaign in list_campaigns(engine):
        if campaign.year == year:
            return campaign
    raise NotFound(f"Aucune campagne {year}.")


def last_campaign_for(engine: Engine, grid_id: str) -> CampaignInfo | None:
    """The latest campaign on a version of ``grid_id`` (the dry run's default)."""
    return next((c for c in list_campaigns(engine) if c.grid_id == grid_id), None)


def _versions_of(engine: Engine, grid_id: str) -> list[Grid]:
    return published_grids(engine, grid_id)


@dataclass
class _Submitted:
    region: str
    grid_key: tuple[str, str]
    not_addressed: list[str]
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)


def _submitted(engine: Engine, campaign_id: int) -> dict[int, _Submitted]:
    found: dict[int, _Submitted] = {}
    with read_session(engine) as session:
        for row in session.execute(
            select(
                Assessment.id,
                Organisation.region,
                Assessment.grid_id,
                Assessment.grid_version,
                Assessment.not_addressed,
            )
            .join(Organisation, Organisation.id == Assessment.organisation_id)
            .where(Assessment.campaign_id == campaign_id, Assessment.status == "submitted")
        ):
            found[row[0]] = _Submitted(row[1], (row[2], row[3]), list(row[4] or []))
        ids = list(found)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for a_id, question, horizon, value in session.execute(
                select(Answer.assessment_id, Answer.question_id, Answer.horizon_id, Answer.value)
                .where(Answer.assessment_id.in_(chunk))
                .where(Answer.value.is_not(None))
            ):
                found[a_id].answers.setdefault(question, {})[horizon] = value
    return found


def _carry(
    lineage: Lineage, draft: Grid, older: Grid, submitted: _Submitted
) -> tuple[dict[str, dict[str, Any]], set[str], int]:
    """The answers and « not addressed » marks of ``submitted`` as the draft would read
    them, and how many answers it would drop."""
    answers: dict[str, dict[str, Any]] = {}
    dropped = 0
    question_sources = lineage.sources(draft, older, "question")
    for _, question in draft.questions():
        for horizon in draft.question_horizons(question):
            value = next(
                (
                    v
                    for old in question_sources[question.id]
                    if (v := submitted.answers.get(old, {}).get(horizon)) is not None
                ),
                None,
            )
            if value is None:
                continue
            try:
                value = answers_mod.normalize_value(draft, question.id, horizon, value)
            except answers_mod.AnswerError:
                dropped += 1
                continue
            if value is not None:
                answers.setdefault(question.id, {})[horizon] = value
    skipped = set(submitted.not_addressed)
    marks: set[str] = set()
    for item in draft.items:
        olds = lineage.sources(draft, older, "item")[item.id]
        if item.optional and olds and all(o in skipped for o in olds):
            marks.add(item.id)
    for _, question in draft.questions():
        olds = question_sources[question.id]
        if question.optional and olds and all(o in skipped for o in olds):
            marks.add(question.id)
    return answers, marks, dropped


class _Shift:
    def __init__(self, ident: str, label: str) -> None:
        self.ident, self.label = ident, label
        self.scored = self.changed = self.up = self.down = self.appeared = self.gone = 0
        self.buckets = {label: 0 for _, _, label in BUCKETS}
        self.deltas: list[float] = []

    def add(self, before: float | None, after: float | None) -> None:
        if before is None and after is None:
            return
        self.scored += 1
        if before is None or after is None:
            self.changed += 1
            if before is None:
                self.appeared += 1
            else:
                self.gone += 1
            return
        delta = after - before
        self.deltas.append(delta)
        if abs(delta) < CHANGED:
            return
        self.changed += 1
        if delta > 0:
            self.up += 1
        else:
            self.down += 1
        for low, high, name in BUCKETS:
            if low <= abs(delta) < high:
                self.buckets[name] += 1

    def done(self, k: int) -> ScoreShift:
        mean = fsum(self.deltas) / len(self.deltas) if len(self.deltas) >= max(k, 1) else None
        return ScoreShift(
            self.ident,
            self.label,
            self.scored,
            self.changed,
            self.up,
            self.down,
            self.appeared,
            self.gone,
            dict(self.buckets),
            mean,
        )


def dry_run(
    engine: Engine,
    actor: Actor,
    draft: Grid,
    campaign: CampaignInfo,
    *,
    min_group_size: int | None = None,
) -> DryRun:
    """What publishing ``draft`` would change for ``campaign``'s submitted assessments."""
    require(actor, Action.MANAGE_GRIDS)
    require(actor, Action.READ_AGGREGATES, Target(region=None))
    k = max(get_settings().min_group_size, min_group_size or 0)
    if campaign.grid_id != draft.id:
        raise DryRunError(
            f"La campagne {campaign.year} porte sur la grille « {campaign.grid_id} », "
            f"pas sur « {draft.id} » : choisissez une campagne de cette grille."
        )
    older_versions = _versions_of(engine, draft.id)
    lineage = Lineage.of([*older_versions, draft])
    submitted = _submitted(engine, campaign.id)
    grids: dict[tuple[str, str], Grid] = {}
    lang = draft.language
    overall = _Shift("overall", "Ensemble")
    items = {item.id: _Shift(item.id, text(item.title, lang)) for item in draft.items}
    by_region: dict[str, tuple[list[float], list[float]]] = {}
    answered: dict[str, int] = {}
    dropped = 0
    draft_scorer = Scorer.for_grid(draft)
    for one in submitted.values():
        older = grids.get(one.grid_key)
        if older is None:
            older = grids[one.grid_key] = get_grid(engine, *one.grid_key)
        now_old = older.current_horizon
        before = Scorer.for_grid(older).score(one.answers, one.not_addressed)
        carried, marks, lost = _carry(lineage, draft, older, one)
        dropped += lost
        after = draft_scorer.score(carried, marks)
        now = draft.current_horizon
        overall.add(before.overall.get(now_old), after.overall.get(now))
        old_items = carried_item_scores(lineage, draft, older, before)
        for item in draft.items:
            items[item.id].add(old_items[item.id].get(now_old), after.items[item.id].get(now))
        b, a = before.overall.get(now_old), after.overall.get(now)
        if b is not None and a is not None:
            olds, news = by_region.setdefault(one.region, ([], []))
            olds.append(b)
            news.append(a)
        for question_id in one.answers:
            answered[question_id] = answered.get(question_id, 0) + 1
    counts: dict[tuple[str, ...], int] = {
        (region,): len(values[0]) for region, values in by_region.items()
    }
    hidden = suppressed_cells(counts, k)
    regions = [
        RegionShift(
            region,
            region_name(region),
            len(olds),
            fsum(olds) / len(olds),
            fsum(news) / len(news),
        )
        for region, (olds, news) in sorted(by_region.items())
        if (region,) not in hidden
    ]
    campaign_grid = get_grid(engine, campaign.grid_id, campaign.grid_version)
    continued = {
        old for olds in lineage.sources(draft, campaign_grid, "question").values() for old in olds
    }
    lost_history = [
        LostHistory(
            question.id,
            text(question.label, campaign_grid.language),
            item.id if item is not None else None,
            answered.get(question.id, 0),
        )
        for item, question in campaign_grid.questions()
        if question.id not in continued
    ]
    new_without = [
        qid for qid, olds in lineage.sources(draft, campaign_grid, "question").items() if not olds
    ]
    notes = []
    if len(submitted) < k:
        notes.append(f"Moins de {k} auto-évaluations soumises : les moyennes ne sont pas montrées.")
    return DryRun(
        campaign_year=campaign.year,
        campaign_label=campaign.label,
        old=f"{campaign.grid_id}@{campaign.grid_version}",
        new=draft.key,
        assessments=len(submitted),
        min_group_size=k,
        overall=overall.done(k),
        items=[shift.done(k) for shift in items.values()],
        regions=regions if len(submitted) >= k else [],
        regions_hidden=len(by_region) - (len(regions) if len(submitted) >= k else 0),
        lost_history=lost_history,
        new_without_history=new_without,
        dropped_answers=dropped,
        notes=notes,
    )


def signed_points(value: float | None) -> str:
    """``+3,2``, ``-1``, ``0``; ``—`` when there is no figure (fewer than k)."""
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + number(value, 1)


def summary_lines(result: DryRun) -> Sequence[str]:
    """The dry run in French lines (the CLI prints them; the page shows tables)."""
    signed = signed_points

    o = result.overall
    lines = [
        f"Essai de {result.new} sur la campagne {result.campaign_year} ({result.old}) : "
        f"{plural(result.assessments, 'auto-évaluation soumise', 'auto-évaluations soumises')}.",
        f"Score d'ensemble : {plural(o.changed, 'organisation')} sur {number(o.scored, 0)} "
        f"{agree(o.changed, 'changerait', 'changeraient')} "
        f"({o.up} en hausse, {o.down} en baisse) ; variation moyenne {signed(o.mean_change)} "
        f"{agree(o.mean_change or 0, 'point')}.",
    ]
    lines += [f"  {name} : {count}" for name, count in o.buckets.items() if count]
    lines.append("Par thème :")
    lines += [
        f"  {s.label} : {s.changed} sur {s.scored} changeraient, "
        f"variation moyenne {signed(s.mean_change)}"
        for s in result.items
    ]
    if result.regions:
        lines.append("Moyennes régionales (état des lieux, ensemble) :")
        lines += [
            f"  {r.name} ({r.n}) : {number(r.before, 1)} → {number(r.after, 1)} "
            f"({signed(r.change)})"
            for r in result.regions
        ]
    if result.regions_hidden:
        lines.append(
            f"  {plural(result.regions_hidden, 'région masquée', 'régions masquées')} "
            f"(moins de {result.min_group_size} organisations, ou pour en protéger une)."
        )
    if result.lost_history:
        lines.append("Questions qui perdent leur historique :")
        lines += [
            f"  {q.question_id} — {q.label} ({plural(q.answered, 'réponse')})"
            for q in result.lost_history
        ]
    if result.new_without_history:
        lines.append(
            "Nouvelles questions sans historique : " + ", ".join(result.new_without_history)
        )
    if result.dropped_answers == 1:
        lines.append("1 réponse ne conviendrait plus à la nouvelle version et serait ignorée.")
    elif result.dropped_answers:
        lines.append(
            f"{number(result.dropped_answers)} réponses ne conviendraient plus à la nouvelle "
            "version et seraient ignorées."
        )
    lines += result.notes
    return [typo(line) for line in lines]
