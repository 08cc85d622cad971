"""Answers to a grid: validation, normalisation and visibility.

An answer set is ``{question_id: {horizon_id: value}}`` (see :mod:`assessment.grid`).
Value types by question type:

* ``level``: an ``int`` on the grid's scale (an int-valued ``float`` such as
  ``3.0`` is accepted and normalised to ``3``; strings such as ``"3"`` are not);
* ``number``: an ``int`` or ``float`` within ``min``/``max`` (an ``int`` when the
  question is ``integer``; ``2.0`` is then normalised to ``2``);
* ``text``: a ``str`` of at most ``max_length`` characters once stripped; blank
  text is unanswered (normalised to ``None``);
* ``yes_no``: a ``bool``;
* ``choice``: an option value (``str``); with ``multiple``, a list of option values
  (a single string is accepted too), normalised to the grid's option order without
  duplicates; an empty list is unanswered;
* ``None`` is always "unanswered".

An organisation may also mark *optional* items and questions "not addressed this
year" (``not_addressed``: a collection of item ids and question ids).  Those are
neither expected nor scored; ids that are not optional are ignored by the
computations and reported by :func:`check_not_addressed`.

Questions « non applicable » (``not_applicable``: question ids, see
:func:`not_applicable_ids`) are those whose ``applies_to`` leaves out the
organisation's profile, and those the organisation itself says do not concern
it.  They are neither expected nor scored (never counted as 0), and a question
whose ``show_if`` looks at one of them is hidden.

Everything here is pure (no I/O).  Per-grid structures are compiled once into a
:class:`GridPlan` and cached for as long as the grid object lives (see
:class:`GridCache`), so that :func:`normalize_value`, called by the storage layer
before every write, stays cheap.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from assessment.errors import UserError
from assessment.grid import (
    ChoiceQuestion,
    Condition,
    Grid,
    Item,
    LevelQuestion,
    NumberQuestion,
    Question,
    TextQuestion,
    YesNoQuestion,
    text,
)
from assessment.messages import ANSWER_MESSAGES
from assessment.profiles import Profile
from assessment.text_input import ANSWER as ANSWER_TEXT
from assessment.text_input import TextInputError, clean_text

__all__ = [
    "AnswerError",
    "Cell",
    "GoalWarning",
    "GridCache",
    "GridPlan",
    "QuestionPlan",
    "check_not_addressed",
    "check_not_applicable",
    "effective_not_addressed",
    "expected_cells",
    "format_value",
    "goal_warnings",
    "is_answered",
    "is_visible",
    "missing_required",
    "normalize_value",
    "not_applicable_ids",
    "plan_for",
    "validate_answers",
]

Answers = Mapping[str, Mapping[str, Any]]
Cell = tuple[str | None, str, str]
"""``(item_id or None for the systemic view, question_id, horizon_id)``."""

T = TypeVar("T")


# ---------------------------------------------------------------------------
# Errors and French messages
# ---------------------------------------------------------------------------


class AnswerError(UserError, ValueError):
    """An answer that does not fit the grid.

    ``code`` is a stable key (see ``messages.ANSWER_MESSAGES``), ``params`` its parameters, and
    ``str(error)`` (also ``error.message``) a French, user-facing sentence that
    names the question and the horizon, e.g.
    ``"gouv-ag (État des lieux) : 7 n'est pas un niveau de l'échelle (0, 1, 2, 3, 4)"``.
    """

    def __init__(
        self,
        question_id: str | None,
        horizon_id: str | None,
        code: str,
        message: str,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.question_id = question_id
        self.horizon_id = horizon_id
        self.code = code
        self.params: dict[str, Any] = dict(params or {})

    def __repr__(self) -> str:
        return (
            f"AnswerError(question_id={self.question_id!r}, horizon_id={self.horizon_id!r}, "
            f"code={self.code!r}, message={self.message!r})"
        )


class _Invalid(Exception):
    """Raised by compiled normalisers; turned into :class:`AnswerError` by the caller."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def format_value(value: Any, limit: int = 40, *, nested: bool = False) -> str:
    """Render a value for a French message: numbers with a decimal comma, text quoted.

    Bounded whatever the input: long text is cut, lists show their first ten
    elements, and containers inside a list are not expanded.
    """
    if value is None:
        return "rien"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}".replace(".", ",")
    if isinstance(value, str):
        shown = value if len(value) <= limit else value[: limit - 1] + "…"
        return f"« {shown} »"
    if isinstance(value, list | tuple):
        if nested:
            return "une liste"
        inner = ", ".join(format_value(v, limit, nested=True) for v in value[:10])
        return f"[{inner}{', …' if len(value) > 10 else ''}]"
    if isinstance(value, Mapping):
        return "un tableau"
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Per-grid cache
# ---------------------------------------------------------------------------


class GridCache(Generic[T]):
    """Compute something once per grid object and keep it while the grid lives.

    Grids are unhashable pydantic models, so this keys entries by ``id(grid)`` and
    keeps a weak reference to check identity; the entry is dropped when the grid
    is garbage-collected, so a recycled ``id`` can never return a stale value.
    Grids are frozen, hence the computed value stays valid.

    The cached value should not hold a strong reference to its grid (keep a
    ``weakref.ref`` if needed), or the grid would stay alive as long as its
    entry; as a safety net, at most ``maxsize`` entries are kept (the oldest
    computed is evicted first).
    """

    def __init__(self, factory: Callable[[Grid], T], maxsize: int = 64) -> None:
        self._factory = factory
        self._maxsize = maxsize
        self._entries: dict[int, tuple[weakref.ref[Grid], T]] = {}

    def get(self, grid: Grid) -> T:
        key = id(grid)
        entry = self._entries.get(key)
        if entry is not None and entry[0]() is grid:
            return entry[1]
        value = self._factory(grid)
        entries = self._entries

        def _drop(ref: weakref.ref[Grid], key: int = key) -> None:
            current = entries.get(key)
            if current is not None and current[0] is ref:
                del entries[key]

        while len(entries) >= self._maxsize:
            try:
                del entries[next(iter(entries))]
            except (KeyError, RuntimeError, StopIteration):  # raced with another thread
                break
        entries[key] = (weakref.ref(grid, _drop), value)
        return value

    def __len__(self) -> int:
        return len(self._entries)


# ---------------------------------------------------------------------------
# Compiled grid plan
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CompiledCondition:
    target: str
    target_horizon: dict[str, str]
    """Horizon of the shown question → horizon of the target that is looked at."""
    test: Callable[[Any], bool]
    """Applied to the target's *clean* value (``None`` when unanswered or invalid)."""


@dataclass(frozen=True, slots=True)
class QuestionPlan:
    """What the engine needs to know about one question, precomputed."""

    question: Question
    id: str
    item_id: str | None
    kind: str
    horizons: tuple[str, ...]
    horizon_set: frozenset[str]
    required: bool
    optional: bool
    weight: float
    normalize: Callable[[Any], Any]
    """Raise :class:`_Invalid` or return the normalised value (``None`` = unanswered)."""
    condition: _CompiledCondition | None

    def clean(self, value: Any) -> Any:
        """The normalised value, or ``None`` when unanswered *or invalid*."""
        if value is None:
            return None
        try:
            return self.normalize(value)
        except _Invalid:
            return None


class GridPlan:
    """Per-grid lookup tables, built once (use :func:`plan_for`).

    Holds the grid only weakly, so that a :class:`GridCache` entry never keeps
    its grid alive.
    """

    def __init__(self, grid: Grid) -> None:
        self._grid_ref = weakref.ref(grid)
        self.horizon_ids: tuple[str, ...] = tuple(grid.horizon_ids)
        self.horizon_labels: dict[str, str] = {
            h.id: text(h.label, grid.language) for h in grid.horizons
        }
        self.item_ids: frozenset[str] = frozenset(item.id for item in grid.items)
        questions: dict[str, QuestionPlan] = {}
        pending: list[tuple[Item | None, Question]] = list(grid.questions())
        for item, question in pending:
            horizons = tuple(grid.question_horizons(question))
            questions[question.id] = QuestionPlan(
                question=question,
                id=question.id,
                item_id=item.id if item is not None else None,
                kind=question.type,
                horizons=horizons,
                horizon_set=frozenset(horizons),
                required=question.is_required,
                optional=question.optional,
                weight=float(question.weight),
                normalize=_compile_normalizer(grid, question),
                condition=None,
            )
        # conditions need every target compiled first
        for qid, qplan in list(questions.items()):
            cond = qplan.question.show_if
            if cond is not None and cond.question in questions:
                target = questions[cond.question]
                questions[qid] = replace(qplan, condition=_compile_condition(cond, qplan, target))
        self.questions: dict[str, QuestionPlan] = questions
        self.ordered: tuple[QuestionPlan, ...] = tuple(questions[q.id] for _, q in pending)
        self.has_conditions = any(q.condition is not None for q in self.ordered)
        self.optional_ids: frozenset[str] = frozenset(
            [item.id for item in grid.items if item.optional]
            + [q.id for q in self.ordered if q.optional]
        )
        self.has_applies_to = any(q.question.applies_to is not None for q in self.ordered)
        self.may_not_apply_ids: frozenset[str] = frozenset(
            q.id for q in self.ordered if q.question.may_not_apply
        )
        self._by_profile: dict[Profile, frozenset[str]] = {}

    # -- applicability --------------------------------------------------------
    def not_applicable(self, profile: Profile) -> frozenset[str]:
        """Ids of the questions whose ``applies_to`` leaves out ``profile`` (memoised)."""
        if not self.has_applies_to:
            return frozenset()
        known = self._by_profile.get(profile)
        if known is None:
            known = frozenset(q.id for q in self.ordered if not q.question.applies(profile))
            self._by_profile[profile] = known
        return known

    @property
    def grid(self) -> Grid:
        grid = self._grid_ref()
        if grid is None:  # pragma: no cover - a plan is only reached through its grid
            raise ReferenceError("the grid of this plan no longer exists")
        return grid

    # -- not addressed --------------------------------------------------------
    def effective_not_addressed(self, not_addressed: Collection[str] | None) -> frozenset[str]:
        """The ids of ``not_addressed`` that may be left out: optional items and questions."""
        if not not_addressed:
            return frozenset()
        return self.optional_ids.intersection(not_addressed)

    # -- visibility -----------------------------------------------------------
    def visibility(
        self, answers: Answers, not_applicable: Collection[str] = frozenset()
    ) -> Callable[[QuestionPlan, str], bool]:
        """A memoised ``visible(question_plan, horizon_id)`` for one answer set.

        A question is visible at a horizon when it has no condition, or when the
        question its condition looks at is itself visible (at the horizon looked
        at), applies (not in ``not_applicable``) and its answer passes the test.
        A cycle (rejected by grid validation anyway) makes the questions
        involved hidden.
        """
        memo: dict[tuple[str, str], bool] = {}
        questions = self.questions

        def visible(qplan: QuestionPlan, horizon: str) -> bool:
            cond = qplan.condition
            if cond is None:
                return True
            key = (qplan.id, horizon)
            known = memo.get(key)
            if known is not None:
                return known
            memo[key] = False  # guards against cycles
            target = questions[cond.target]
            thorizon = cond.target_horizon.get(horizon, target.horizons[0])
            result = False
            if target.id not in not_applicable and visible(target, thorizon):
                raw = _get(answers, target.id, thorizon)
                result = cond.test(target.clean(raw))
            memo[key] = result
            return result

        return visible


def _get(answers: Answers, question_id: str, horizon_id: str) -> Any:
    """``answers[question_id][horizon_id]`` or ``None``, tolerant of malformed data."""
    per_question = answers.get(question_id)
    if per_question is None:
        return None
    try:
        return per_question.get(horizon_id)
    except AttributeError:
        return None


_plans: GridCache[GridPlan] = GridCache(GridPlan)


def plan_for(grid: Grid) -> GridPlan:
    """The cached :class:`GridPlan` of ``grid``."""
    return _plans.get(grid)


# ---------------------------------------------------------------------------
# Normalisers (one closure per question)
# ---------------------------------------------------------------------------


def _compile_normalizer(grid: Grid, question: Question) -> Callable[[Any], Any]:
    if isinstance(question, LevelQuestion):
        return _level_normalizer(grid.scale_values)
    if isinstance(question, NumberQuestion):
        return _number_normalizer(question)
    if isinstance(question, TextQuestion):
        return _text_normalizer(question.max_length)
    if isinstance(question, YesNoQuestion):
        return _yes_no_normalizer()
    if isinstance(question, ChoiceQuestion):
        return _choice_normalizer(question)
    raise TypeError(f"unsupported question type: {type(question).__name__}")  # pragma: no cover


def _level_normalizer(scale: list[int]) -> Callable[[Any], Any]:
    scale_set = frozenset(scale)
    scale_text = ", ".join(map(str, scale))

    def normalize(value: Any) -> Any:
        if value is None:
            return None
        cls = value.__class__
        if cls is int:
            if value in scale_set:
                return value
            raise _Invalid("level_off_scale", value=value, scale=scale_text)
        if cls is not bool and isinstance(value, int | float):
            if isinstance(value, float) and not value.is_integer():
                raise _Invalid("level_off_scale", value=value, scale=scale_text)
            as_int = int(value)
            if as_int in scale_set:
                return as_int
            raise _Invalid("level_off_scale", value=value, scale=scale_text)
        raise _Invalid("level_wrong_type", value=value, scale=scale_text)

    return normalize


def _number_normalizer(question: NumberQuestion) -> Callable[[Any], Any]:
    low, high, integer = question.min, question.max, question.integer

    def normalize(value: Any) -> Any:
        if value is None:
            return None
        if value.__class__ is bool or not isinstance(value, int | float):
            raise _Invalid("number_wrong_type", value=value)
        try:
            as_float = float(value)
        except OverflowError:
            raise _Invalid("number_not_finite", value=value) from None
        if not math.isfinite(as_float):
            raise _Invalid("number_not_finite", value=value)
        if integer:
            if isinstance(value, float) and not value.is_integer():
                raise _Invalid("number_not_integer", value=value)
            value = int(value)
        elif value.__class__ is not int and value.__class__ is not float:
            value = as_float if isinstance(value, float) else int(value)  # drop subclasses
        if low is not None and as_float < low:
            raise _Invalid("number_below_min", value=value, min=low)
        if high is not None and as_float > high:
            raise _Invalid("number_above_max", value=value, max=high)
        return value

    return normalize


def _text_normalizer(max_length: int) -> Callable[[Any], Any]:
    def normalize(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise _Invalid("text_wrong_type", value=value)
        try:
            value = clean_text(value, "texte", ANSWER_TEXT, max_length=max_length)
        except TextInputError as refused:
            if refused.code == "too_long":
                raise _Invalid("text_too_long", length=len(value.strip()), max=max_length) from None
            raise _Invalid("text_refused_character", problem=refused.problem) from None
        return value or None

    return normalize


def _yes_no_normalizer() -> Callable[[Any], Any]:
    def normalize(value: Any) -> Any:
        if value is None or value is True or value is False:
            return value
        raise _Invalid("yes_no_wrong_type", value=value)

    return normalize


def _choice_normalizer(question: ChoiceQuestion) -> Callable[[Any], Any]:
    order = {option.value: i for i, option in enumerate(question.options)}
    options_text = ", ".join(order)

    if not question.multiple:

        def normalize_single(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, str):
                raise _Invalid("choice_wrong_type", value=value, options=options_text)
            if value in order:
                return str(value)
            raise _Invalid("choice_unknown_option", value=value, options=options_text)

        return normalize_single

    def normalize_multiple(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        elif not isinstance(value, list | tuple):
            raise _Invalid("choice_multiple_wrong_type", value=value, options=options_text)
        chosen: set[str] = set()
        for element in value:
            if not isinstance(element, str):
                raise _Invalid("choice_multiple_wrong_type", value=value, options=options_text)
            if element not in order:
                raise _Invalid("choice_unknown_option", value=element, options=options_text)
            chosen.add(str(element))
        if not chosen:
            return None
        return sorted(chosen, key=order.__getitem__)

    return normalize_multiple


# ---------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------


def _same(value: Any, expected: Any) -> bool:
    """Equality that does not confuse ``True`` with ``1``."""
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    return bool(value == expected)


def _compile_condition(
    cond: Condition, shown: QuestionPlan, target: QuestionPlan
) -> _CompiledCondition:
    target_horizon: dict[str, str] = {}
    for horizon in shown.horizons:
        if cond.horizon is not None:
            target_horizon[horizon] = cond.horizon
        elif horizon in target.horizon_set:
            target_horizon[horizon] = horizon
        else:
            target_horizon[horizon] = target.horizons[0]

    test: Callable[[Any], bool]
    if cond.answered is not None:
        wanted = cond.answered

        def test(value: Any) -> bool:
            return (value is not None) is wanted

    else:
        accepted: list[Any] = [cond.equals] if cond.equals is not None else list(cond.in_ or [])
        if not any(isinstance(a, bool) for a in accepted):
            accepted_set = frozenset(accepted)

            def test_set(value: Any) -> bool:
                # bools must not match 1/0; clean values are bool, int, float, str or list
                if value is None or value.__class__ is bool:
                    return False
                if value.__class__ is list:  # multiple choice: any chosen option
                    return not accepted_set.isdisjoint(value)
                return value in accepted_set

            return _CompiledCondition(target.id, target_horizon, test_set)

        def test(value: Any) -> bool:
            if value is None:
                return False
            if isinstance(value, list):  # multiple choice: any chosen option
                return any(_same(v, a) for v in value for a in accepted)
            return any(_same(value, a) for a in accepted)

    return _CompiledCondition(target=target.id, target_horizon=target_horizon, test=test)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _error(
    plan: GridPlan, question_id: Any, horizon_id: Any, code: str, params: Mapping[str, Any]
) -> AnswerError:
    shown = {k: _param_text(k, v) for k, v in params.items()}
    body = ANSWER_MESSAGES[code].format(**shown)
    if question_id is None:
        message = body[0].upper() + body[1:]
    elif horizon_id is None:
        message = f"{question_id} : {body}"
    else:
        label = plan.horizon_labels.get(horizon_id, str(horizon_id))
        message = f"{question_id} ({label}) : {body}"
    qid = question_id if question_id is None or isinstance(question_id, str) else str(question_id)
    hid = horizon_id if horizon_id is None or isinstance(horizon_id, str) else str(horizon_id)
    return AnswerError(qid, hid, code, message, params)


def _param_text(key: str, value: Any) -> str:
    if key in ("value", "min", "max"):
        return format_value(value)
    return str(value)


def normalize_value(grid: Grid, question_id: str, horizon_id: str, value: Any) -> Any:
    """Validate one answer and return it normalised (``None`` = unanswered).

    Raises :class:`AnswerError` for an unknown question, a horizon the question
    is not asked for, a value of the wrong type, a level off the scale, a number
    out of bounds (or not an integer when one is expected, or not finite), an
    unknown choice option, or a text that is too long.
    """
    plan = _plans.get(grid)
    qplan = plan.questions.get(question_id)
    if qplan is None:
        raise _error(plan, question_id, None, "unknown_question", {})
    if horizon_id not in qplan.horizon_set:
        raise _horizon_error(plan, qplan, horizon_id)
    try:
        return qplan.normalize(value)
    except _Invalid as invalid:
        raise _error(plan, question_id, horizon_id, invalid.code, invalid.params) from None


def _horizon_error(plan: GridPlan, qplan: QuestionPlan, horizon_id: Any) -> AnswerError:
    if horizon_id in plan.horizon_labels:
        return _error(
            plan, qplan.id, horizon_id, "horizon_not_asked",
            {"horizons": ", ".join(plan.horizon_labels[h] for h in qplan.horizons)},
        )  # fmt: skip
    return _error(
        plan, qplan.id, horizon_id, "unknown_horizon", {"horizons": ", ".join(plan.horizon_ids)}
    )


def check_not_addressed(grid: Grid, not_addressed: Iterable[Any]) -> list[AnswerError]:
    """Errors for ids marked "not addressed this year" that are unknown or not optional."""
    plan = _plans.get(grid)
    errors: list[AnswerError] = []
    for ident in not_addressed:
        if ident in plan.optional_ids:
            continue
        known = isinstance(ident, str) and (ident in plan.item_ids or ident in plan.questions)
        code = "not_addressed_not_optional" if known else "not_addressed_unknown"
        errors.append(_error(plan, None, None, code, {"value": ident}))
    return errors


def not_applicable_ids(
    grid: Grid, profile: Profile | None = None, chosen: Iterable[str] = ()
) -> frozenset[str]:
    """The questions « non applicable » to an organisation: those whose ``applies_to``
    leaves out its ``profile``, and those it ``chosen`` itself among the questions
    the grid lets it mark so (``may_not_apply``; other ids are ignored, see
    :func:`check_not_applicable`)."""
    plan = _plans.get(grid)
    by_profile = plan.not_applicable(profile) if profile is not None else frozenset()
    if not chosen:
        return by_profile
    return by_profile | plan.may_not_apply_ids.intersection(chosen)


def check_not_applicable(grid: Grid, ids: Iterable[Any]) -> list[AnswerError]:
    """Errors for ids marked « non applicable » by the organisation that are unknown or
    not open to that choice (``may_not_apply``)."""
    plan = _plans.get(grid)
    errors: list[AnswerError] = []
    for ident in ids:
        if isinstance(ident, str) and ident in plan.may_not_apply_ids:
            continue
        known = isinstance(ident, str) and ident in plan.questions
        code = "not_applicable_not_allowed" if known else "not_applicable_unknown"
        errors.append(_error(plan, None, None, code, {"value": ident}))
    return errors


def effective_not_addressed(grid: Grid, not_addressed: Collection[str] | None) -> frozenset[str]:
    """The ids of ``not_addressed`` that are honoured: optional items and questions only."""
    return _plans.get(grid).effective_not_addressed(not_addressed)


def validate_answers(
    grid: Grid, answers: Any, not_addressed: Iterable[Any] | None = None
) -> tuple[dict[str, dict[str, Any]], list[AnswerError]]:
    """Validate a whole answer set: its normalised copy and *all* the errors.

    The copy holds only the valid, answered cells (``None``, blank text and empty
    choice lists are dropped, and so are invalid values, which are reported);
    questions left with no answered cell are dropped.  Answers to questions that
    are currently hidden (``show_if``) are kept: they are simply not scored.
    ``not_addressed``, when given, is checked with :func:`check_not_addressed`.
    """
    plan = _plans.get(grid)
    errors: list[AnswerError] = []
    clean: dict[str, dict[str, Any]] = {}
    if not isinstance(answers, Mapping):
        errors.append(_error(plan, None, None, "answers_not_a_mapping", {}))
        return clean, errors
    for question_id, per_horizon in answers.items():
        qplan = plan.questions.get(question_id) if isinstance(question_id, str) else None
        if qplan is None:
            errors.append(_error(plan, question_id, None, "unknown_question", {}))
            continue
        if per_horizon is None:
            continue
        if not isinstance(per_horizon, Mapping):
            errors.append(_error(plan, question_id, None, "not_a_mapping", {"value": per_horizon}))
            continue
        cells: dict[str, Any] = {}
        for horizon_id, value in per_horizon.items():
            if horizon_id not in qplan.horizon_set:
                errors.append(_horizon_error(plan, qplan, horizon_id))
                continue
            try:
                normalized = qplan.normalize(value)
            except _Invalid as invalid:
                errors.append(_error(plan, question_id, horizon_id, invalid.code, invalid.params))
                continue
            if normalized is not None:
                cells[horizon_id] = normalized
        if cells:
            clean[question_id] = cells
    if not_addressed is not None:
        errors.extend(check_not_addressed(grid, not_addressed))
    return clean, errors


def is_answered(grid: Grid, question_id: str, horizon_id: str, answers: Answers) -> bool:
    """Whether the cell holds a valid, non-blank answer."""
    qplan = _plans.get(grid).questions[question_id]
    return qplan.clean(_get(answers, question_id, horizon_id)) is not None


def is_visible(
    grid: Grid,
    question: Question | str,
    horizon_id: str,
    answers: Answers,
    not_applicable: Collection[str] = frozenset(),
) -> bool:
    """Whether ``question`` is shown at ``horizon_id`` given ``answers``.

    A question without ``show_if`` is always visible.  Otherwise the condition
    looks at the other question's answer at ``condition.horizon`` or, by
    default, at the same horizon when that question is asked for it, else at
    its first horizon.  An unanswered or invalid answer passes only
    ``answered: false``; for a multiple-choice question, ``equals``/``in`` pass
    when any chosen option matches.  When the other question is itself hidden,
    so is this one, and when it is « non applicable » (``not_applicable``).
    Hidden questions are neither expected nor scored.
    """
    plan = _plans.get(grid)
    qid = question if isinstance(question, str) else question.id
    return plan.visibility(answers, not_applicable)(plan.questions[qid], horizon_id)


def _cells(
    plan: GridPlan,
    answers: Answers,
    not_addressed: Collection[str] | None,
    not_applicable: Collection[str] = frozenset(),
) -> Iterable[tuple[QuestionPlan, str]]:
    skipped = plan.effective_not_addressed(not_addressed)
    visible = plan.visibility(answers, not_applicable) if plan.has_conditions else None
    for qplan in plan.ordered:
        if skipped and (qplan.id in skipped or qplan.item_id in skipped):
            continue
        if not_applicable and qplan.id in not_applicable:
            continue
        for horizon in qplan.horizons:
            if visible is not None and not visible(qplan, horizon):
                continue
            yield qplan, horizon


def expected_cells(
    grid: Grid,
    answers: Answers,
    not_addressed: Collection[str] | None = None,
    not_applicable: Collection[str] = frozenset(),
) -> list[Cell]:
    """Every cell the organisation is asked to fill, in grid order.

    That is every (question, horizon) pair the question is asked for, except
    hidden ones (``show_if``), those of optional items/questions marked
    "not addressed this year" and those of questions « non applicable ».
    Required or not, every such cell is expected: completion counts them all;
    :func:`missing_required` filters the required.
    """
    plan = _plans.get(grid)
    return [(q.item_id, q.id, h) for q, h in _cells(plan, answers, not_addressed, not_applicable)]


def missing_required(
    grid: Grid,
    answers: Answers,
    not_addressed: Collection[str] | None = None,
    not_applicable: Collection[str] = frozenset(),
) -> list[Cell]:
    """Expected cells of required questions that have no valid answer (blocks submission)."""
    plan = _plans.get(grid)
    return [
        (q.item_id, q.id, h)
        for q, h in _cells(plan, answers, not_addressed, not_applicable)
        if q.required and q.clean(_get(answers, q.id, h)) is None
    ]


# ---------------------------------------------------------------------------
# Goal consistency warnings
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoalWarning:
    """A goal that looks inconsistent: flagged for the user, never blocking.

    ``code`` is ``goal_below_current`` (the goal is worse than the current state)
    or ``goal_below_earlier_goal`` (worse than an earlier goal).
    """

    item_id: str | None
    question_id: str
    horizon_id: str
    code: str
    value: float
    reference_horizon: str
    reference_value: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "question_id": self.question_id,
            "horizon_id": self.horizon_id,
            "code": self.code,
            "value": self.value,
            "reference_horizon": self.reference_horizon,
            "reference_value": self.reference_value,
            "message": self.message,
        }


def goal_warnings(grid: Grid, answers: Answers) -> list[GoalWarning]:
    """Gentle checks on level and number questions asked at several horizons.

    For each visible goal cell, in horizon order: a goal worse than the current
    state is flagged ``goal_below_current``; otherwise a goal worse than the
    nearest earlier answered goal is flagged ``goal_below_earlier_goal`` (one
    warning per cell at most).  "Worse" means lower, except for number questions
    with ``better: lower`` (higher is worse); numbers with ``better: neither``
    are not checked.  Unanswered and invalid cells are skipped.
    """
    plan = _plans.get(grid)
    current = grid.current_horizon
    visible = plan.visibility(answers) if plan.has_conditions else None
    warnings: list[GoalWarning] = []
    for qplan in plan.ordered:
        question = qplan.question
        if isinstance(question, LevelQuestion):
            sign, lower_is_better = 1.0, False
        elif isinstance(question, NumberQuestion) and question.better != "neither":
            lower_is_better = question.better == "lower"
            sign = -1.0 if lower_is_better else 1.0
        else:
            continue
        if len(qplan.horizons) < 2 or qplan.id not in answers:
            continue
        values: list[tuple[str, Any]] = []
        for horizon in qplan.horizons:
            if visible is not None and not visible(qplan, horizon):
                continue
            value = qplan.clean(_get(answers, qplan.id, horizon))
            if value is not None:
                values.append((horizon, value))
        base = values[0] if values and values[0][0] == current else None
        previous_goal: tuple[str, Any] | None = None
        for horizon, value in values:
            if horizon == current:
                continue
            reference: tuple[str, Any] | None = None
            code = ""
            if base is not None and sign * value < sign * base[1]:
                reference, code = base, "goal_below_current"
            elif previous_goal is not None and sign * value < sign * previous_goal[1]:
                reference, code = previous_goal, "goal_below_earlier_goal"
            if reference is not None:
                warnings.append(
                    GoalWarning(
                        item_id=qplan.item_id,
                        question_id=qplan.id,
                        horizon_id=horizon,
                        code=code,
                        value=value,
                        reference_horizon=reference[0],
                        reference_value=reference[1],
                        message=_goal_message(
                            plan, qplan.id, horizon, code, value, reference, lower_is_better
                        ),
                    )
                )
            previous_goal = (horizon, value)
    return warnings


def _goal_message(
    plan: GridPlan,
    question_id: str,
    horizon: str,
    code: str,
    value: Any,
    reference: tuple[str, Any],
    lower_is_better: bool,
) -> str:
    label = plan.horizon_labels[horizon]
    ref_label = plan.horizon_labels[reference[0]]
    what = "la situation" if code == "goal_below_current" else "l'objectif"
    if lower_is_better:
        body = (
            f"l'objectif ({format_value(value)}) est moins ambitieux que {what} "
            f"« {ref_label} » ({format_value(reference[1])}) alors que, pour cet indicateur, "
            "plus bas est mieux — est-ce voulu ?"
        )
    else:
        body = (
            f"l'objectif ({format_value(value)}) est en dessous de {what} "
            f"« {ref_label} » ({format_value(reference[1])}) — est-ce voulu ?"
        )
    return f"{question_id} ({label}) : {body}"
