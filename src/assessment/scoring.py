"""Scores of an answer set against a grid: pure functions, no I/O.

Rules, for each horizon (see also :func:`score`):

* a ``level`` answer scores ``(value - lowest) / (highest - lowest) * 100`` on
  the grid's scale;
* ``number``, ``yes_no`` and ``choice`` questions are scored only when the grid
  gives a score rule: a number linearly from ``score.worst`` (0) to
  ``score.best`` (100), clamped; yes/no with ``score.yes`` / ``score.no``; a
  choice with its option's score, only if *every* option of the question has
  one (a multiple choice scores the mean of the chosen options); ``text`` is
  never scored;
* an item scores the weighted mean (question weights) of its answered, visible,
  scored questions; with none, or a zero total weight, its score is ``None``
  (never 0);
* the overall score is the weighted mean (item weights) of the items that have
  a score, ``None`` if none or zero total weight;
* the systemic section is scored like an item, separately; it is not part of
  the overall score;
* unanswered, invalid, hidden (``show_if``), "not addressed this year" and
  « non applicable » (``not_applicable``: ``applies_to`` or the organisation's
  own choice) questions/items are left out, never counted as 0.

Nothing is rounded: rounding is for display.  Sums use :func:`math.fsum`, so a
score does not depend on the order of items or questions, not even in the last
bit.  A :class:`Scorer` precomputes everything it can for a grid; it is cached
per grid object, so ``score(grid, ...)`` in a loop over 100,000 answer sets
compiles the grid once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from math import fsum
from typing import Any

from assessment.answers import GridCache, QuestionPlan, plan_for
from assessment.french import plural, points_between
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    Question,
    YesNoQuestion,
)

__all__ = [
    "OVERALL",
    "Attainment",
    "Completion",
    "Coverage",
    "Priority",
    "ScoreReport",
    "Scorer",
    "SectionCompletion",
    "attainment",
    "coverage",
    "gaps",
    "goal_reached",
    "priorities",
    "score",
    "score_function",
]

Answers = Mapping[str, Mapping[str, Any]]
HorizonScores = dict[str, float | None]

OVERALL = "_overall"
"""Key of the overall row in :func:`attainment` (never a valid item id)."""


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Completion:
    """How much of the expected cells are answered.

    Expected cells are the visible (question, horizon) cells of questions and
    items not marked "not addressed" (see :func:`assessment.answers.expected_cells`);
    an answered cell holds a valid, non-blank value.  ``items`` maps each item id
    to ``(answered, expected)``; ``systemic`` is that pair for the systemic
    section, ``None`` when the grid has none.  ``ratio`` is ``answered /
    expected``, and 1.0 when nothing is expected.

    The ``required_*`` fields count the cells of *required* questions only
    (``question.is_required``), the ones that block submission: ``required_expected
    - required_answered == len(missing_required(...))``.  ``required_items`` and
    ``required_systemic`` are the per-section pairs.  The optional counts are the
    difference (:attr:`optional_answered`, :attr:`optional_expected`); use
    :meth:`section` for one section's four counts.
    """

    answered: int
    expected: int
    ratio: float
    items: dict[str, tuple[int, int]]
    systemic: tuple[int, int] | None
    required_answered: int = 0
    required_expected: int = 0
    required_items: dict[str, tuple[int, int]] = field(default_factory=dict)
    required_systemic: tuple[int, int] | None = None

    @property
    def optional_answered(self) -> int:
        return self.answered - self.required_answered

    @property
    def optional_expected(self) -> int:
        return self.expected - self.required_expected

    @property
    def required_ratio(self) -> float:
        """``required_answered / required_expected``; 1.0 when nothing is required."""
        if not self.required_expected:
            return 1.0
        return self.required_answered / self.required_expected

    @property
    def counts(self) -> SectionCompletion:
        """The whole assessment's counts, split into required and optional."""
        return SectionCompletion(
            self.required_answered,
            self.required_expected,
            self.optional_answered,
            self.optional_expected,
        )

    def section(self, item_id: str | None) -> SectionCompletion:
        """One item's counts (``None``: the systemic section); zeros if unknown."""
        if item_id is None:
            answered, expected = self.systemic or (0, 0)
            req_answered, req_expected = self.required_systemic or (0, 0)
        else:
            answered, expected = self.items.get(item_id, (0, 0))
            req_answered, req_expected = self.required_items.get(item_id, (0, 0))
        return SectionCompletion(
            req_answered, req_expected, answered - req_answered, expected - req_expected
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the ``required_*`` keys follow the original ones."""
        return {
            "answered": self.answered,
            "expected": self.expected,
            "ratio": self.ratio,
            "items": {k: {"answered": a, "expected": e} for k, (a, e) in self.items.items()},
            "systemic": (
                None
                if self.systemic is None
                else {"answered": self.systemic[0], "expected": self.systemic[1]}
            ),
            "required_answered": self.required_answered,
            "required_expected": self.required_expected,
            "required_items": {
                k: {"answered": a, "expected": e} for k, (a, e) in self.required_items.items()
            },
            "required_systemic": (
                None
                if self.required_systemic is None
                else {"answered": self.required_systemic[0], "expected": self.required_systemic[1]}
            ),
        }


def _plural(n: int, singular: str, plural: str) -> str:
    return singular if n <= 1 else plural


@dataclass(frozen=True, slots=True)
class SectionCompletion:
    """Answered / expected cells of one section (or of everything), required vs optional."""

    required_answered: int
    required_expected: int
    optional_answered: int
    optional_expected: int

    @property
    def complete(self) -> bool:
        """Every required cell is answered (optional ones may stay empty)."""
        return self.required_answered >= self.required_expected

    def summary(self, *, compact: bool = False) -> str:
        """French, e.g. ``114 / 114 réponses obligatoires · 0 / 87 facultatives``.

        ``compact`` drops « réponses » (``12 / 12 obligatoires · 0 / 9 facultatives``).
        A part with nothing expected is left out; ``Aucune réponse attendue`` if both are.
        """
        parts = []
        if self.required_expected:
            noun = _plural(self.required_expected, "obligatoire", "obligatoires")
            if not compact:
                noun = _plural(self.required_expected, "réponse ", "réponses ") + noun
            parts.append(f"{self.required_answered} / {self.required_expected} {noun}")
        if self.optional_expected:
            noun = _plural(self.optional_expected, "facultative", "facultatives")
            if not compact and not parts:
                noun = _plural(self.optional_expected, "réponse ", "réponses ") + noun
            parts.append(f"{self.optional_answered} / {self.optional_expected} {noun}")
        return " · ".join(parts) if parts else "Aucune réponse attendue"


@dataclass(frozen=True, slots=True)
class ScoreReport:
    """Scores (0-100, unrounded, ``None`` = no score) per horizon.

    ``overall`` and each entry of ``items`` map every horizon of the grid to a
    score; ``systemic`` likewise, or is empty when the grid has no systemic
    section.  ``not_addressed`` holds the ids actually left out (optional items
    and questions marked "not addressed this year"); ``not_applicable`` the
    question ids left out as « non applicable ».
    """

    overall: HorizonScores
    items: dict[str, HorizonScores]
    systemic: HorizonScores
    completion: Completion
    not_addressed: frozenset[str] = field(default_factory=frozenset)
    not_applicable: frozenset[str] = field(default_factory=frozenset)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"overall", "items", "systemic", "completion", "not_addressed",
        "not_applicable"}``."""
        return {
            "overall": dict(self.overall),
            "items": {k: dict(v) for k, v in self.items.items()},
            "systemic": dict(self.systemic),
            "completion": self.completion.to_dict(),
            "not_addressed": sorted(self.not_addressed),
            "not_applicable": sorted(self.not_applicable),
        }


# ---------------------------------------------------------------------------
# Scorer
# ---------------------------------------------------------------------------


def _clamp(value: float) -> float:
    return 0.0 if value < 0.0 else 100.0 if value > 100.0 else value


def score_function(grid: Grid, question: Question) -> Callable[[Any], float] | None:
    """How a *normalised* answer to ``question`` scores, or ``None`` if it is not scored."""
    if isinstance(question, LevelQuestion):
        low, high = grid.scale_min, grid.scale_max
        table = {v: (v - low) / (high - low) * 100.0 for v in grid.scale_values}
        return table.__getitem__
    if isinstance(question, NumberQuestion):
        if question.score is None:
            return None
        worst = question.score.worst
        span = question.score.best - worst

        def number_score(value: Any) -> float:
            return _clamp((value - worst) / span * 100.0)

        return number_score
    if isinstance(question, YesNoQuestion):
        if question.score is None:
            return None
        yes, no = float(question.score.yes), float(question.score.no)

        def yes_no_score(value: Any) -> float:
            return yes if value else no

        return yes_no_score
    if isinstance(question, ChoiceQuestion):
        if any(option.score is None for option in question.options):
            return None
        options = {option.value: float(option.score or 0.0) for option in question.options}
        if not question.multiple:
            return options.__getitem__

        def multiple_score(value: Any) -> float:
            return _clamp(fsum(options[v] for v in value) / len(value))

        return multiple_score
    return None  # text


@dataclass(frozen=True, slots=True)
class _ScoredQuestion:
    plan: QuestionPlan
    weight: float
    score: Callable[[Any], float] | None
    table: dict[int, float] | None
    """Level questions: scale value → score (validation and scoring in one lookup)."""
    horizons: tuple[tuple[str, int], ...]
    """(horizon id, index in the grid's horizons)."""


@dataclass(frozen=True, slots=True)
class _Group:
    id: str | None  # None: systemic section
    weight: float
    questions: tuple[_ScoredQuestion, ...]


class Scorer:
    """Scores answer sets against one grid; build once, reuse (see :meth:`for_grid`)."""

    __slots__ = ("_grid_ref", "_groups", "_horizons", "_plan", "_systemic")

    def __init__(self, grid: Grid) -> None:
        self._grid_ref = weakref.ref(grid)  # weak: cached per grid, must not keep it alive
        self._plan = plan = plan_for(grid)
        self._horizons: tuple[str, ...] = plan.horizon_ids
        index = {h: i for i, h in enumerate(self._horizons)}
        low, high = grid.scale_min, grid.scale_max
        level_table = {v: (v - low) / (high - low) * 100.0 for v in grid.scale_values}

        def group(ident: str | None, weight: float, questions: list[Question]) -> _Group:
            compiled = []
            for question in questions:
                qplan = plan.questions[question.id]
                compiled.append(
                    _ScoredQuestion(
                        plan=qplan,
                        weight=qplan.weight,
                        score=score_function(grid, question),
                        table=level_table if isinstance(question, LevelQuestion) else None,
                        horizons=tuple((h, index[h]) for h in qplan.horizons),
                    )
                )
            return _Group(ident, float(weight), tuple(compiled))

        self._groups = tuple(group(i.id, i.weight, i.questions) for i in grid.items)
        self._systemic = (
            group(None, 1.0, grid.systemic.questions) if grid.systemic is not None else None
        )

    @property
    def grid(self) -> Grid:
        grid = self._grid_ref()
        if grid is None:  # pragma: no cover - a scorer is only reached through its grid
            raise ReferenceError("the grid of this scorer no longer exists")
        return grid

    @classmethod
    def for_grid(cls, grid: Grid) -> Scorer:
        """The cached scorer of ``grid`` (built on first use)."""
        return _scorers.get(grid)

    def score(
        self,
        answers: Answers,
        not_addressed: Collection[str] = frozenset(),
        not_applicable: Collection[str] = frozenset(),
    ) -> ScoreReport:
        """Score ``answers``; see :func:`score`."""
        plan = self._plan
        horizons = self._horizons
        skipped = plan.effective_not_addressed(not_addressed)
        na: frozenset[str] = frozenset()
        if not_applicable:
            na = frozenset(not_applicable).intersection(plan.questions)
        visible = plan.visibility(answers, na) if plan.has_conditions else None
        n = len(horizons)

        items: dict[str, HorizonScores] = {}
        completion_items: dict[str, tuple[int, int]] = {}
        required_items: dict[str, tuple[int, int]] = {}
        overall_num: list[list[float]] = [[] for _ in range(n)]
        overall_den: list[list[float]] = [[] for _ in range(n)]
        total_answered = total_expected = required_answered = required_expected = 0

        for grp in self._groups:
            scores, answered, expected, required = self._score_group(
                grp, answers, skipped, na, visible, n
            )
            ident: str = grp.id  # type: ignore[assignment]
            items[ident] = dict(zip(horizons, scores, strict=True))
            completion_items[ident] = (answered, expected)
            required_items[ident] = required
            total_answered += answered
            total_expected += expected
            required_answered += required[0]
            required_expected += required[1]
            weight = grp.weight
            for i, value in enumerate(scores):
                if value is not None:
                    overall_num[i].append(weight * value)
                    overall_den[i].append(weight)

        overall: HorizonScores = {
            h: _mean(overall_num[i], overall_den[i]) for i, h in enumerate(horizons)
        }
        systemic: HorizonScores = {}
        completion_systemic: tuple[int, int] | None = None
        required_systemic: tuple[int, int] | None = None
        if self._systemic is not None:
            scores, answered, expected, required = self._score_group(
                self._systemic, answers, skipped, na, visible, n
            )
            systemic = dict(zip(horizons, scores, strict=True))
            completion_systemic = (answered, expected)
            required_systemic = required
            total_answered += answered
            total_expected += expected
            required_answered += required[0]
            required_expected += required[1]

        completion = Completion(
            answered=total_answered,
            expected=total_expected,
            ratio=total_answered / total_expected if total_expected else 1.0,
            items=completion_items,
            systemic=completion_systemic,
            required_answered=required_answered,
            required_expected=required_expected,
            required_items=required_items,
            required_systemic=required_systemic,
        )
        return ScoreReport(overall, items, systemic, completion, skipped, na)

    @staticmethod
    def _score_group(
        grp: _Group,
        answers: Answers,
        skipped: frozenset[str],
        not_applicable: frozenset[str],
        visible: Callable[[QuestionPlan, str], bool] | None,
        n: int,
    ) -> tuple[list[float | None], int, int, tuple[int, int]]:
        """Scores per horizon, answered and expected cells, and that pair for the
        required questions only."""
        if skipped and grp.id in skipped:
            return [None] * n, 0, 0, (0, 0)
        num: list[list[float]] = [[] for _ in range(n)]
        den: list[list[float]] = [[] for _ in range(n)]
        answered = expected = req_answered = req_expected = 0
        for sq in grp.questions:
            qplan = sq.plan
            if skipped and qplan.id in skipped:
                continue
            if not_applicable and qplan.id in not_applicable:
                continue
            if qplan.required:  # counted as the difference made by this question
                req_answered -= answered
                req_expected -= expected
            per_horizon = answers.get(qplan.id)
            if (
                per_horizon is not None
                and per_horizon.__class__ is not dict
                and not isinstance(per_horizon, Mapping)
            ):
                per_horizon = None
            conditional = visible is not None and qplan.condition is not None
            table = sq.table
            clean = qplan.clean
            scorefn = sq.score
            weight = sq.weight
            for horizon, i in sq.horizons:
                if conditional and not visible(qplan, horizon):  # type: ignore[misc]
                    continue
                expected += 1
                if per_horizon is None:
                    continue
                value = per_horizon.get(horizon)
                if value is None:
                    continue
                if table is not None:  # level: a lookup validates and scores at once
                    cls = value.__class__
                    points = table.get(value) if cls is int or cls is float else None
                    if points is None:
                        continue
                    answered += 1
                    num[i].append(weight * points)
                    den[i].append(weight)
                    continue
                value = clean(value)
                if value is None:
                    continue
                answered += 1
                if scorefn is not None:
                    num[i].append(weight * scorefn(value))
                    den[i].append(weight)
            if qplan.required:
                req_answered += answered
                req_expected += expected
        return (
            [_mean(num[i], den[i]) for i in range(n)],
            answered,
            expected,
            (req_answered, req_expected),
        )


def _mean(num: list[float], den: list[float]) -> float | None:
    if not den:
        return None
    total = fsum(den)
    if total <= 0.0:
        return None
    return _clamp(fsum(num) / total)


_scorers: GridCache[Scorer] = GridCache(Scorer)


def score(
    grid: Grid,
    answers: Answers,
    not_addressed: Collection[str] = frozenset(),
    not_applicable: Collection[str] = frozenset(),
) -> ScoreReport:
    """Score ``answers`` against ``grid`` for every horizon.

    See the module docstring for the rules.  ``answers`` should have been
    validated (:func:`assessment.answers.validate_answers`); invalid values are
    treated as unanswered here rather than raising, so that a dashboard scoring
    many stored assessments never stops on one of them.  Only the optional
    items/questions of ``not_addressed`` are left out (others are ignored; see
    :func:`assessment.answers.check_not_addressed`).  The questions of
    ``not_applicable`` (see :func:`assessment.answers.not_applicable_ids`) are
    left out too.
    """
    return _scorers.get(grid).score(answers, not_addressed, not_applicable)


# ---------------------------------------------------------------------------
# Coverage: which themes an overall score stands on
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coverage:
    """The themes (items) an overall score is the mean of, out of the grid's themes.

    ``addressed``: ids of the items that have a score at the horizon, in grid
    order; ``total``: how many items the grid has (themes marked "not addressed
    this year" or never rated count in ``total``, so that leaving a theme out
    always shows).
    """

    addressed: tuple[str, ...]
    total: int

    @property
    def count(self) -> int:
        return len(self.addressed)

    @property
    def complete(self) -> bool:
        return self.count == self.total

    def text(self) -> str:
        """« sur 3 thèmes traités sur 8 » (« sur 1 thème traité sur 8 »)."""
        return f"sur {plural(self.count, 'thème traité', 'thèmes traités')} sur {self.total}"

    def to_dict(self) -> dict[str, Any]:
        return {"addressed": list(self.addressed), "count": self.count, "total": self.total}


def coverage(grid: Grid, report: ScoreReport, horizon: str | None = None) -> Coverage:
    """Which themes the overall score at ``horizon`` (default: the current state) covers."""
    horizon = horizon or grid.current_horizon
    addressed = tuple(
        item.id for item in grid.items if report.items.get(item.id, {}).get(horizon) is not None
    )
    return Coverage(addressed, len(grid.items))


# ---------------------------------------------------------------------------
# Gaps, priorities, attainment
# ---------------------------------------------------------------------------


def gaps(grid: Grid, report: ScoreReport) -> dict[str, dict[str, float | None]]:
    """For each item and goal horizon: goal score minus current score (``None`` if either
    is missing).  Items in grid order; empty inner dicts for a one-horizon grid."""
    current = grid.current_horizon
    goals = grid.goal_horizons
    out: dict[str, dict[str, float | None]] = {}
    for item in grid.items:
        scores = report.items.get(item.id, {})
        now = scores.get(current)
        out[item.id] = {
            g: (None if now is None or scores.get(g) is None else scores[g] - now)  # type: ignore[operator]
            for g in goals
        }
    return out


@dataclass(frozen=True, slots=True)
class Priority:
    """An item ranked by how far its goal is from its current score."""

    rank: int
    item_id: str
    horizon: str
    current: float
    goal: float
    gap: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "item_id": self.item_id,
            "horizon": self.horizon,
            "current": self.current,
            "goal": self.goal,
            "gap": self.gap,
        }


def priorities(grid: Grid, report: ScoreReport, horizon: str | None = None) -> list[Priority]:
    """Items ranked by the gap between the goal at ``horizon`` and the current score.

    ``horizon`` defaults to the *first* goal horizon (e.g. 1 year): it is the
    working plan the organisation acts on this year, whereas later goals are
    strategic and would rank items by ambitions that are not yet actionable;
    pass ``grid.goal_horizons[-1]`` for the long-term view.

    Largest gap first; ties broken by the lower current score, then grid order.
    Items without both scores are left out; items whose gap is zero or negative
    are kept (at the end): filtering is the caller's choice.  Returns ``[]`` for
    a grid with a single horizon.  Raises ``ValueError`` if ``horizon`` is not a
    goal horizon of the grid.
    """
    goals = grid.goal_horizons
    if horizon is None:
        if not goals:
            return []
        horizon = goals[0]
    elif horizon not in goals:
        raise ValueError(f"{horizon!r} is not a goal horizon of grid {grid.key}: {goals}")
    current = grid.current_horizon
    rows: list[tuple[float, float, int, str, float]] = []
    for position, item in enumerate(grid.items):
        scores = report.items.get(item.id, {})
        now, goal = scores.get(current), scores.get(horizon)
        if now is None or goal is None:
            continue
        rows.append((-(goal - now), now, position, item.id, goal))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [
        Priority(rank=k, item_id=item_id, horizon=horizon, current=now, goal=goal, gap=goal - now)
        for k, (_neg, now, _pos, item_id, goal) in enumerate(rows, start=1)
    ]


def goal_reached(target: float, achieved: float) -> bool:
    """Is a goal reached, as the reader sees it?

    Decided on the two scores as every page and report shows them
    (:func:`assessment.french.whole`, halves up), never on their decimals:
    « objectif 63, atteint 63 » always reads « Atteint », even when the scores
    behind are 63.4 and 62.6, and « objectif 63, atteint 62 » never does.  The
    one rule of attainment: the results page, the report and the dashboards'
    shares of goals reached (:func:`assessment.privacy.goals_reached`, over arrays)
    all stand on it.
    """
    return points_between(target, achieved) >= 0


@dataclass(frozen=True, slots=True)
class Attainment:
    """A goal set in an earlier campaign against what a later campaign measured.

    ``target``: the earlier campaign's score at its first goal horizon;
    ``achieved``: the later campaign's current score; ``delta = achieved -
    target`` (unrounded) and ``reached`` (:func:`goal_reached`: on the scores as
    shown) are ``None`` when either score is missing; :attr:`gap` is the
    difference as shown.
    """

    target: float | None
    achieved: float | None
    delta: float | None
    reached: bool | None

    @property
    def gap(self) -> int | None:
        """The difference the reader sees (``whole(achieved) − whole(target)``):
        ``reached`` is exactly ``gap >= 0``."""
        if self.target is None or self.achieved is None:
            return None
        return points_between(self.target, self.achieved)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "achieved": self.achieved,
            "delta": self.delta,
            "reached": self.reached,
        }


def _attain(target: float | None, achieved: float | None) -> Attainment:
    if target is None or achieved is None:
        return Attainment(target, achieved, None, None)
    return Attainment(target, achieved, achieved - target, goal_reached(target, achieved))


def attainment(grid: Grid, earlier: ScoreReport, later: ScoreReport) -> dict[str, Attainment]:
    """Did a later campaign reach the goals set in an earlier one?

    For each item of ``grid`` (in order; matched by id, so the two reports may
    come from two versions of a grid), the later report's *current* score is
    compared with the earlier report's *first goal* score, as both are shown
    (:func:`goal_reached`).  The overall score
    is compared the same way and added last under the key :data:`OVERALL`.
    Returns ``{}`` for a grid with a single horizon (no goals).
    """
    if len(grid.horizons) < 2:
        return {}
    current, first_goal = grid.current_horizon, grid.goal_horizons[0]
    out: dict[str, Attainment] = {}
    for item in grid.items:
        out[item.id] = _attain(
            earlier.items.get(item.id, {}).get(first_goal),
            later.items.get(item.id, {}).get(current),
        )
    out[OVERALL] = _attain(earlier.overall.get(first_goal), later.overall.get(current))
    return out
