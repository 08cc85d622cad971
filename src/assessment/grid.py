"""The shape of an evaluation grid: pydantic models, the single source of truth.

A grid is data (a YAML file under ``guide/``).  These models say what a grid may
contain; :mod:`assessment.gridfile` reads a file into them with precise error
locations, and :mod:`assessment.scoring` scores answers given against them.

Conventions that the rest of the code relies on:

* the **first horizon** is the current state (état des lieux); the following
  ones are goals, in order (1 year, 3 years, ...);
* question ids are unique across the whole grid (items and systemic view);
* answers are always ``{question_id: {horizon_id: value}}``; a question asked
  once has a single horizon (``horizons: [current]``);
* ``applies_to`` (on a question or a variant) selects organisations by their
  profile (:mod:`assessment.profiles`): a question that does not apply to an
  organisation is « non applicable » there, neither expected nor scored, and
  ``variants`` give a question another label, help or level descriptors for
  some profiles (``question.wording(profile)``).

Semantic rules that need the whole grid (duplicate ids, references between
questions, level descriptors on the scale...) live in :func:`semantic_issues`;
the ``Grid`` validator raises them, or hands them to the loader through the
validation context so that each can be reported at its own location.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from assessment.profiles import PROFILE_FIELDS, Profile

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
    Field(description="Identifier: lower-case letters, digits, '-' and '_', 1 to 63 characters"),
]
LangCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Text = NonEmpty | dict[LangCode, NonEmpty]
"""A label: a plain string (French), or a map of language code to string."""

DEFAULT_LANGUAGE = "fr"


def text(value: Text | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Render a label in ``lang``, falling back to French, then any language."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get(DEFAULT_LANGUAGE) or next(iter(value.values()), "")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScaleLevel(_Model):
    value: int = Field(
        description="Numeric value of the level; strictly increasing along the scale"
    )
    label: Text
    description: Text | None = None


class Horizon(_Model):
    id: Id
    label: Text
    description: Text | None = None


class Condition(_Model):
    """Show a question only when another answer has some value.

    Exactly one of ``equals``, ``in`` or ``answered`` is given.  ``horizon``
    says which horizon of the other question is looked at; by default the same
    horizon as the one being shown when the other question has it, else its
    first horizon.
    """

    question: Id
    horizon: Id | None = None
    equals: str | int | float | bool | None = None
    in_: list[str | int | float | bool] | None = Field(default=None, alias="in")
    answered: bool | None = None

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Condition:
        given = [k for k in ("equals", "in_", "answered") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("condition_needs_one_test")
        return self


class AppliesTo(_Model):
    """Which organisations something applies to, by profile.

    Each key given lists the values that apply (``size_band: ["10-49", "50-249",
    "250+"]``); with both keys, both must match.  A profile field that is not
    known applies.
    """

    size_band: list[str] | None = Field(
        default=None,
        description="Size bands it applies to: " + ", ".join(PROFILE_FIELDS["size_band"]),
    )
    legal_family: list[str] | None = Field(
        default=None,
        description="Legal families it applies to: " + ", ".join(PROFILE_FIELDS["legal_family"]),
    )

    def matches(self, profile: Profile) -> bool:
        for key in PROFILE_FIELDS:
            allowed: list[str] | None = getattr(self, key)
            value: str | None = getattr(profile, key)
            if allowed is not None and value is not None and value not in allowed:
                return False
        return True


class Variant(_Model):
    """Another wording of a question for some profiles: what it gives replaces the
    question's own (level descriptors level by level)."""

    applies_to: AppliesTo
    label: Text | None = None
    help: Text | None = None
    levels: dict[int, Text] | None = Field(
        default=None, description="Level descriptors for these organisations (level questions)"
    )


class _QuestionBase(_Model):
    id: Id
    label: Text
    description: Text | None = None
    help: Text | None = Field(default=None, description="Guidance shown beside the question")
    required: bool | None = Field(
        default=None,
        description="Must be answered before submission (default: true for level questions, "
        "false otherwise)",
    )
    optional: bool = Field(
        default=False,
        description="The organisation may mark the question 'not addressed this year'",
    )
    weight: float = Field(default=1.0, ge=0, description="Weight in the item score")
    horizons: list[Id] | None = Field(
        default=None, description="Horizons the question is asked for (default: all, in order)"
    )
    show_if: Condition | None = None
    applies_to: AppliesTo | None = Field(
        default=None,
        description="Organisations the question concerns (by size band, legal family); "
        "elsewhere it is 'non applicable', neither expected nor scored",
    )
    may_not_apply: bool = Field(
        default=False,
        description="The organisation may mark the question 'non applicable' (it does not "
        "concern it): neither expected nor scored",
    )
    variants: list[Variant] = Field(
        default_factory=list,
        description="Other label, help or level descriptors for some profiles; every "
        "variant that applies is used, in order (a later one wins)",
    )
    replaces: list[Id] = Field(
        default_factory=list,
        description="Ids of questions of the previous version this question replaces "
        "(renamed, split or merged): their answers count as this question's history",
    )

    @property
    def is_required(self) -> bool:
        return self.required if self.required is not None else self.type == "level"  # type: ignore[attr-defined]

    def applies(self, profile: Profile) -> bool:
        """Whether the question concerns an organisation of ``profile``."""
        return self.applies_to is None or self.applies_to.matches(profile)

    def wording(self, profile: Profile) -> Wording:
        """Label, help and level descriptors for ``profile`` (variants applied in order)."""
        label, help_ = self.label, self.help
        levels = dict(getattr(self, "levels", None) or {})
        for variant in self.variants:
            if not variant.applies_to.matches(profile):
                continue
            label = variant.label if variant.label is not None else label
            help_ = variant.help if variant.help is not None else help_
            levels.update(variant.levels or {})
        return Wording(label, help_, levels)


@dataclass(frozen=True)
class Wording:
    """What a question says to one organisation (see :meth:`_QuestionBase.wording`)."""

    label: Text
    help: Text | None
    levels: dict[int, Text]


class LevelQuestion(_QuestionBase):
    """Rated on the grid's maturity scale at each horizon."""

    type: Literal["level"]
    levels: dict[int, Text] | None = Field(
        default=None, description="What each scale level looks like for this question"
    )


class NumberScore(_Model):
    """Linear scoring of an indicator: ``worst`` scores 0, ``best`` scores 100, clamped."""

    worst: float
    best: float

    @model_validator(mode="after")
    def _distinct(self) -> NumberScore:
        if self.worst == self.best:
            raise ValueError("number_score_flat")
        return self


class NumberQuestion(_QuestionBase):
    """An indicator: a current value and targets at each goal horizon."""

    type: Literal["number"]
    unit: Text | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    better: Literal["higher", "lower", "neither"] = "higher"
    score: NumberScore | None = None

    @model_validator(mode="after")
    def _bounds(self) -> NumberQuestion:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("number_bounds_reversed")
        return self


class TextQuestion(_QuestionBase):
    type: Literal["text"]
    max_length: int = Field(default=5000, ge=1, le=100_000)
    multiline: bool = True


class YesNoScore(_Model):
    yes: float = Field(ge=0, le=100)
    no: float = Field(ge=0, le=100)

    @model_validator(mode="before")
    @classmethod
    def _yaml11_booleans(cls, data: Any) -> Any:
        """YAML 1.1 reads the keys ``yes:``/``no:`` as booleans: accept them."""
        if isinstance(data, dict):
            return {
                ({True: "yes", False: "no"}.get(k, k) if isinstance(k, bool) else k): v
                for k, v in data.items()
            }
        return data


class YesNoQuestion(_QuestionBase):
    type: Literal["yes_no"]
    score: YesNoScore | None = None


class ChoiceOption(_Model):
    value: Id
    label: Text
    score: float | None = Field(default=None, ge=0, le=100)


class ChoiceQuestion(_QuestionBase):
    type: Literal["choice"]
    options: list[ChoiceOption] = Field(min_length=2)
    multiple: bool = False


Question = Annotated[
    LevelQuestion | NumberQuestion | TextQuestion | YesNoQuestion | ChoiceQuestion,
    Field(discriminator="type"),
]
QUESTION_TYPES = ("level", "number", "text", "yes_no", "choice")


class Item(_Model):
    id: Id
    title: Text
    short_title: Text | None = Field(default=None, description="Short label for charts and tables")
    description: Text | None = None
    help: Text | None = None
    weight: float = Field(default=1.0, ge=0)
    optional: bool = Field(
        default=False, description="The organisation may leave this item out this year"
    )
    replaces: list[Id] = Field(
        default_factory=list,
        description="Ids of items of the previous version this item replaces "
        "(renamed, split or merged): their scores count as this item's history",
    )
    questions: list[Question] = Field(min_length=1)


class Systemic(_Model):
    """The cross-item section: how the items interact in the overall approach."""

    title: Text
    description: Text | None = None
    help: Text | None = None
    questions: list[Question] = Field(min_length=1)


class Grid(_Model):
    id: Id
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    title: Text
    description: Text | None = None
    language: LangCode = DEFAULT_LANGUAGE
    scale: list[ScaleLevel] = Field(min_length=2)
    horizons: list[Horizon] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    systemic: Systemic | None = None

    _qindex: dict[str, Question] | None = PrivateAttr(default=None)

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_string(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("version_not_string")
        return value

    @model_validator(mode="after")
    def _semantics(self, info: ValidationInfo) -> Grid:
        self._qindex = {q.id: q for _, q in self.questions()}
        issues = semantic_issues(self)
        sink = info.context.get("semantic_issues") if isinstance(info.context, dict) else None
        if sink is not None:
            sink.extend(issues)
        elif issues:
            raise ValueError("; ".join(f"{i.path_str}: {i.code}" for i in issues))
        return self

    # ---- navigation helpers used by every other module -------------------
    @property
    def horizon_ids(self) -> list[str]:
        return [h.id for h in self.horizons]

    @property
    def current_horizon(self) -> str:
        return self.horizons[0].id

    @property
    def goal_horizons(self) -> list[str]:
        return [h.id for h in self.horizons[1:]]

    @property
    def scale_min(self) -> int:
        return self.scale[0].value

    @property
    def scale_max(self) -> int:
        return self.scale[-1].value

    @property
    def scale_values(self) -> list[int]:
        return [level.value for level in self.scale]

    def questions(self) -> Iterator[tuple[Item | None, Question]]:
        """Every question with its item (``None`` for the systemic view)."""
        for item in self.items:
            for question in item.questions:
                yield item, question
        if self.systemic is not None:
            for question in self.systemic.questions:
                yield None, question

    def question(self, question_id: str) -> Question:
        return self._question_index()[question_id]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def item_of(self, question_id: str) -> Item | None:
        for item, question in self.questions():
            if question.id == question_id:
                return item
        raise KeyError(question_id)

    def question_horizons(self, question: Question) -> list[str]:
        return list(question.horizons) if question.horizons is not None else self.horizon_ids

    def _question_index(self) -> dict[str, Question]:
        if self._qindex is None:
            self._qindex = {q.id: q for _, q in self.questions()}
        return self._qindex

    @property
    def key(self) -> str:
        """``id@version``: what an answer set is stored against."""
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class SemanticIssue:
    """A rule broken across the grid, located by its path in the data."""

    code: str
    path: tuple[str | int, ...]
    params: dict[str, Any]

    @property
    def path_str(self) -> str:
        return format_path(self.path)


def format_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def semantic_issues(grid: Grid) -> list[SemanticIssue]:
    """Rules that need the whole grid.  Codes are keys of :mod:`assessment.messages`."""
    issues: list[SemanticIssue] = []

    def add(code: str, path: tuple[str | int, ...], **params: Any) -> None:
        issues.append(SemanticIssue(code, path, params))

    values = grid.scale_values
    for i in range(1, len(values)):
        if values[i] <= values[i - 1]:
            add(
                "scale_not_increasing",
                ("scale", i, "value"),
                value=values[i],
                previous=values[i - 1],
            )

    horizon_ids: set[str] = set()
    for i, horizon in enumerate(grid.horizons):
        if horizon.id in horizon_ids:
            add("duplicate_id", ("horizons", i, "id"), id=horizon.id, kind="horizon")
        horizon_ids.add(horizon.id)

    item_ids: set[str] = set()
    for i, item in enumerate(grid.items):
        if item.id in item_ids:
            add("duplicate_id", ("items", i, "id"), id=item.id, kind="item")
        item_ids.add(item.id)

    located: list[tuple[tuple[str | int, ...], Question]] = []
    for i, item in enumerate(grid.items):
        for j, question in enumerate(item.questions):
            located.append((("items", i, "questions", j), question))
    if grid.systemic is not None:
        for j, question in enumerate(grid.systemic.questions):
            located.append((("systemic", "questions", j), question))

    question_ids: dict[str, Question] = {}
    for path, question in located:
        if question.id in question_ids or question.id in item_ids:
            add("duplicate_id", (*path, "id"), id=question.id, kind="question")
        question_ids.setdefault(question.id, question)

    scale_set = set(values)
    for path, question in located:
        if question.horizons is not None:
            seen: set[str] = set()
            for k, hid in enumerate(question.horizons):
                if hid not in horizon_ids:
                    add("unknown_horizon", (*path, "horizons", k), horizon=hid)
                elif hid in seen:
                    add("duplicate_id", (*path, "horizons", k), id=hid, kind="horizon")
                seen.add(hid)
            if not question.horizons:
                add("no_horizon", (*path, "horizons"))
        if isinstance(question, LevelQuestion) and question.levels:
            for value in question.levels:
                if value not in scale_set:
                    add(
                        "level_not_on_scale",
                        (*path, "levels", value),
                        value=value,
                        scale=", ".join(map(str, values)),
                    )
        if isinstance(question, ChoiceQuestion):
            seen_options: set[str] = set()
            for k, option in enumerate(question.options):
                if option.value in seen_options:
                    add(
                        "duplicate_id",
                        (*path, "options", k, "value"),
                        id=option.value,
                        kind="option",
                    )
                seen_options.add(option.value)
        if question.applies_to is not None:
            _applies_to_issues(add, (*path, "applies_to"), question.applies_to)
        for k, variant in enumerate(question.variants):
            vpath = (*path, "variants", k)
            _applies_to_issues(add, (*vpath, "applies_to"), variant.applies_to)
            if variant.label is None and variant.help is None and not variant.levels:
                add("variant_empty", vpath)
            if variant.levels:
                if not isinstance(question, LevelQuestion):
                    add("variant_levels_not_level", (*vpath, "levels"), type=question.type)
                else:
                    for value in variant.levels:
                        if value not in scale_set:
                            add(
                                "level_not_on_scale",
                                (*vpath, "levels", value),
                                value=value,
                                scale=", ".join(map(str, values)),
                            )
        condition = question.show_if
        if condition is not None:
            target = question_ids.get(condition.question)
            cpath = (*path, "show_if")
            if target is None:
                add("condition_unknown_question", (*cpath, "question"), question=condition.question)
            elif target.id == question.id:
                add("condition_self", (*cpath, "question"), question=condition.question)
            else:
                target_horizons = grid.question_horizons(target)
                if condition.horizon is not None and condition.horizon not in target_horizons:
                    add(
                        "condition_unknown_horizon",
                        (*cpath, "horizon"),
                        horizon=condition.horizon,
                        question=target.id,
                    )
                if isinstance(target, ChoiceQuestion):
                    allowed = {o.value for o in target.options}
                    tested = (
                        [condition.equals]
                        if condition.equals is not None
                        else (condition.in_ or [])
                    )
                    for option_value in tested:
                        if option_value not in allowed:
                            add(
                                "condition_unknown_option",
                                cpath,
                                value=option_value,
                                question=target.id,
                            )
                if isinstance(target, LevelQuestion):
                    tested = (
                        [condition.equals]
                        if condition.equals is not None
                        else (condition.in_ or [])
                    )
                    for level_value in tested:
                        if level_value not in scale_set:
                            add(
                                "condition_value_off_scale",
                                cpath,
                                value=level_value,
                                question=target.id,
                            )
    # cycles in show_if (linear time: a long chain of conditions must not hang the loader)
    deps = {q.id: q.show_if.question for _, q in located if q.show_if is not None}
    on_cycle = _cycle_members(deps)
    reported: set[str] = set()
    for path, question in located:
        if question.id in on_cycle and question.id not in reported:
            seen_chain = [question.id]
            current = deps[question.id]
            while current != question.id:
                seen_chain.append(current)
                current = deps[current]
            reported.update(seen_chain)
            add("condition_cycle", (*path, "show_if"), chain=" → ".join([*seen_chain, current]))
    return issues


def _applies_to_issues(add: Any, path: tuple[str | int, ...], applies_to: AppliesTo) -> None:
    """Unknown profile values, empty lists and an ``applies_to`` with no key."""
    given = 0
    for key, allowed in PROFILE_FIELDS.items():
        wanted: list[str] | None = getattr(applies_to, key)
        if wanted is None:
            continue
        given += 1
        if not wanted:
            add("applies_to_empty", (*path, key), field=key)
        seen: set[str] = set()
        for k, value in enumerate(wanted):
            if value not in allowed:
                add(
                    "applies_to_unknown_value",
                    (*path, key, k),
                    value=value,
                    field=key,
                    known=list(allowed),
                )
            elif value in seen:
                add("duplicate_id", (*path, key, k), id=value, kind="profile")
            seen.add(value)
    if not given:
        add("applies_to_no_key", path, keys=list(PROFILE_FIELDS))


def lineage_issues(grid: Grid, previous: Grid) -> list[SemanticIssue]:
    """``replaces`` references of ``grid`` that are not in ``previous`` (its former version).

    Every id a question replaces must be a question of ``previous``, and every
    id an item replaces an item of ``previous``.  Codes are keys of
    :mod:`assessment.messages`.
    """
    issues: list[SemanticIssue] = []
    old_items = {item.id for item in previous.items}
    old_questions = {question.id for _, question in previous.questions()}

    def check(path: tuple[str | int, ...], replaces: list[str], known: set[str], code: str) -> None:
        for k, old_id in enumerate(replaces):
            if old_id not in known:
                issues.append(
                    SemanticIssue(
                        code,
                        (*path, "replaces", k),
                        {"id": old_id, "version": previous.version, "known": sorted(known)},
                    )
                )

    for i, item in enumerate(grid.items):
        check(("items", i), item.replaces, old_items, "replaces_unknown_item")
        for j, question in enumerate(item.questions):
            check(
                ("items", i, "questions", j),
                question.replaces,
                old_questions,
                "replaces_unknown_question",
            )
    if grid.systemic is not None:
        for j, question in enumerate(grid.systemic.questions):
            check(
                ("systemic", "questions", j),
                question.replaces,
                old_questions,
                "replaces_unknown_question",
            )
    return issues


def _cycle_members(deps: dict[str, str]) -> set[str]:
    """Ids lying on a cycle of ``deps`` (each id depends on at most one other)."""
    on_cycle: set[str] = set()
    done: set[str] = set()
    for start in deps:
        walk: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in walk:
            walk[node] = len(walk)
            node = deps.get(node)
        if node is not None and node in walk:
            on_cycle.update(n for n, index in walk.items() if index >= walk[node])
        done.update(walk)
    return on_cycle
