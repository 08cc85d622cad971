"""History across grid versions: which older ids a newer item or question continues.

A newer version says what it continues with ``replaces: [old-id]`` on its items
and questions (renamed, split or merged); an id kept as it was continues itself.
Following those links through every version at hand gives, for each id of the
latest version, the ids of any older version that are its history, so that
progress charts and goal attainment compare like with like across versions.

Pure functions; no database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import fsum
from typing import Any, Literal

from assessment.grid import ChoiceQuestion, Grid, LevelQuestion, Question, TextQuestion
from assessment.scoring import ScoreReport

Kind = Literal["item", "question"]


def _ids(grid: Grid, kind: Kind) -> list[str]:
    if kind == "item":
        return [item.id for item in grid.items]
    return [question.id for _, question in grid.questions()]


def _edges(grid: Grid, kind: Kind) -> dict[str, list[str]]:
    if kind == "item":
        return {item.id: list(item.replaces) for item in grid.items if item.replaces}
    return {q.id: list(q.replaces) for _, q in grid.questions() if q.replaces}


@dataclass(frozen=True)
class Lineage:
    """The ``replaces`` links of a set of versions of one grid."""

    items: dict[str, frozenset[str]]
    questions: dict[str, frozenset[str]]

    @classmethod
    def of(cls, grids: Iterable[Grid]) -> Lineage:
        edges: dict[Kind, dict[str, set[str]]] = {"item": {}, "question": {}}
        for grid in grids:
            kinds: tuple[Kind, ...] = ("item", "question")
            for kind in kinds:
                for new, olds in _edges(grid, kind).items():
                    edges[kind].setdefault(new, set()).update(olds)
        return cls(
            {k: frozenset(v) for k, v in edges["item"].items()},
            {k: frozenset(v) for k, v in edges["question"].items()},
        )

    def ancestors(self, ident: str, kind: Kind) -> set[str]:
        """``ident`` and every id it continues, through every version known."""
        links = self.items if kind == "item" else self.questions
        seen = {ident}
        todo = [ident]
        while todo:
            for older in links.get(todo.pop(), ()):
                if older not in seen:
                    seen.add(older)
                    todo.append(older)
        return seen

    def bridge(self, source: Grid, target: Grid, kind: Kind) -> dict[str, list[str]]:
        """For each id of ``target``, the ids of ``source`` linked to it, whichever of
        the two versions is the newer: those it continues, or those that continue it
        (in ``source``'s order).  An id kept as it was is linked to itself."""
        source_ids = _ids(source, kind)
        later = {s: self.ancestors(s, kind) for s in source_ids}
        out: dict[str, list[str]] = {}
        for ident in _ids(target, kind):
            mine = self.ancestors(ident, kind)
            out[ident] = [s for s in source_ids if s in mine or ident in later[s]]
        return out

    def links(self, source: Grid, target: Grid) -> bool:
        """Whether the versions say how one replaces the other: same grid, and at least
        one item or question of ``target`` linked to an id of ``source`` other than
        its own through ``replaces``."""
        if source.id != target.id:
            return False
        kinds: tuple[Kind, ...] = ("item", "question")
        return any(
            s != ident
            for kind in kinds
            for ident, found in self.bridge(source, target, kind).items()
            for s in found
        )

    def sources(self, current: Grid, older: Grid, kind: Kind) -> dict[str, list[str]]:
        """For each id of ``current``, the ids of ``older`` it continues (in ``older``'s
        order; empty when it has no history there).

        An id that ``older`` has too continues itself, first: the other ids it
        continues then count only if ``current`` no longer has them (a merge).  So a
        split that kept its old id (``b`` replaces ``a``, ``a`` kept), copied into a
        later version with its ``replaces``, does not take ``a``'s answers for ``b``.
        """
        older_ids = _ids(older, kind)
        current_ids = _ids(current, kind)
        still = set(current_ids)
        out: dict[str, list[str]] = {}
        for ident in current_ids:
            ancestors = self.ancestors(ident, kind)
            olds = [o for o in older_ids if o in ancestors]
            if ident in olds:
                olds = [ident, *(o for o in olds if o != ident and o not in still)]
            out[ident] = olds
        return out


def _mean(values: list[float]) -> float | None:
    return fsum(values) / len(values) if values else None


def carried_item_scores(
    lineage: Lineage, current: Grid, older: Grid, report: ScoreReport
) -> dict[str, dict[str, float | None]]:
    """An older report's item scores keyed by ``current``'s item ids: an item continuing
    several older items (a merge) gets their mean; a split shares the older score."""
    out: dict[str, dict[str, float | None]] = {}
    for ident, olds in lineage.sources(current, older, "item").items():
        scores: dict[str, float | None] = {}
        for horizon in older.horizon_ids:
            values = [
                v
                for o in olds
                if (v := report.items.get(o, {}).get(horizon)) is not None
                and o not in report.not_addressed
            ]
            scores[horizon] = _mean(values)
        out[ident] = scores
    return out


def carried_report(
    lineage: Lineage, current: Grid, older: Grid, report: ScoreReport
) -> ScoreReport:
    """``report`` (scored against ``older``) with its items renamed as in ``current``,
    for :func:`assessment.scoring.attainment` across versions."""
    items = carried_item_scores(lineage, current, older, report)
    skipped = {
        ident
        for ident, olds in lineage.sources(current, older, "item").items()
        if olds and all(o in report.not_addressed for o in olds)
    }
    return dataclasses.replace(report, items=items, not_addressed=frozenset(skipped))


def carried_answer(
    lineage: Lineage,
    current: Grid,
    older: Grid,
    answers: dict[str, dict[str, Any]],
    question_id: str,
    horizon: str,
) -> Any:
    """The older answer a question of ``current`` continues (first source answered)."""
    for old in lineage.sources(current, older, "question").get(question_id, []):
        value = answers.get(old, {}).get(horizon)
        if value is not None:
            return value
    return None


def version_breaks(keys: Sequence[tuple[str, str]]) -> list[int]:
    """Indexes where a sequence of ``(year label, grid key)`` changes grid version."""
    return [i for i in range(1, len(keys)) if keys[i][1] != keys[i - 1][1]]


# ---------------------------------------------------------------------------
# answers carried from one version to another (carry-over, imports)
# ---------------------------------------------------------------------------

Key = tuple[str, str]
"""``(question_id, horizon_id)``."""

MERGE_RULE_FR = (
    "Une question qui en regroupe plusieurs reprend leur réponse commune ; si elles "
    "diffèrent : le niveau le plus bas pour une question à niveaux, les textes mis bout à "
    "bout, toutes les options cochées pour un choix multiple ; sinon aucune réponse."
)
"""The rule of :func:`merge_values`, in French (shown where it applies)."""


class MergeConflict(ValueError):
    """Several older answers go into one question and cannot be combined."""


def merge_values(question: Question, values: Sequence[Any]) -> Any:
    """The answer a question continuing several older ones takes from their answers
    (``values``: the answered ones, in the older grid's order; ``None``: none).

    * all the same: that answer;
    * a level question: the lowest level (a practice that merges several is only as
      advanced as its least advanced part; the organisation reviews it anyway);
    * a text: the distinct texts, one paragraph each;
    * a multiple choice: every option chosen in any of them, in order;
    * otherwise (a number, yes/no, a single choice that differ): :class:`MergeConflict`.
    """
    kept = [v for v in values if v is not None]
    if not kept:
        return None
    distinct: list[Any] = []
    for value in kept:
        if value not in distinct:
            distinct.append(value)
    if len(distinct) == 1:
        return distinct[0]
    if isinstance(question, LevelQuestion) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in distinct
    ):
        return min(distinct)
    if isinstance(question, TextQuestion) and all(isinstance(v, str) for v in distinct):
        return "\n\n".join(v.strip() for v in distinct)
    if isinstance(question, ChoiceQuestion) and question.multiple:
        options: list[Any] = []
        for value in distinct:
            for option in value if isinstance(value, list) else [value]:
                if option not in options:
                    options.append(option)
        return options
    raise MergeConflict(question.id)


@dataclass
class CarriedAnswers:
    """Answers of one version re-keyed onto another's questions (not yet checked
    against the new questions: see :func:`assessment.answers.normalize_value`)."""

    values: dict[Key, Any] = dataclasses.field(default_factory=dict)
    comments: dict[Key, str] = dataclasses.field(default_factory=dict)
    origin: dict[Key, tuple[Key, ...]] = dataclasses.field(default_factory=dict)
    """Each carried value → the older cells it came from."""
    comment_origin: dict[Key, tuple[Key, ...]] = dataclasses.field(default_factory=dict)
    """Each carried comment → the older cells it came from."""
    conflicts: dict[Key, tuple[Key, ...]] = dataclasses.field(default_factory=dict)
    """Cells whose older answers differ and cannot be combined (left empty)."""
    orphans: list[Key] = dataclasses.field(default_factory=list)
    """Older cells answered, whose question has no continuation in the new version."""
    marks: dict[str, bool] = dataclasses.field(default_factory=dict)
    """New optional id → ``True`` not addressed, from the older marks (see :func:`carry`)."""


def carry(
    lineage: Lineage,
    source: Grid,
    target: Grid,
    values: dict[Key, Any],
    comments: dict[Key, str] | None = None,
    marks: dict[str, bool] | None = None,
) -> CarriedAnswers:
    """``values``, ``comments`` and « not addressed » ``marks`` given against ``source``,
    carried onto ``target``'s questions through ``replaces`` (either direction).

    A question linked to several older ones takes :func:`merge_values` of their
    answers at each horizon (same horizon id); comments are joined the same way as
    texts.  An item or question is marked not addressed when every older one linked
    to it that carries a mark is marked so, addressed when one of them is.
    """
    out = CarriedAnswers()
    links = lineage.bridge(source, target, "question")
    continued = {old for olds in links.values() for old in olds}
    for _, question in target.questions():
        olds = links.get(question.id, [])
        if not olds:
            continue
        horizons = dict.fromkeys(h for old in olds for (q, h) in values if q == old)
        horizons.update(dict.fromkeys(h for old in olds for (q, h) in (comments or {}) if q == old))
        for horizon in horizons:
            keys = tuple((old, horizon) for old in olds)
            answered = tuple(k for k in keys if values.get(k) is not None)
            if answered:
                try:
                    merged = merge_values(question, [values[k] for k in answered])
                except MergeConflict:
                    out.conflicts[(question.id, horizon)] = answered
                else:
                    out.values[(question.id, horizon)] = merged
                    out.origin[(question.id, horizon)] = answered
            said = [c for k in keys if (c := (comments or {}).get(k))]
            if said:
                out.comments[(question.id, horizon)] = "\n\n".join(dict.fromkeys(said))
                out.comment_origin[(question.id, horizon)] = tuple(
                    k for k in keys if (comments or {}).get(k)
                )
    out.orphans = [k for k, v in values.items() if v is not None and k[0] not in continued]
    if marks:
        kinds: tuple[Kind, ...] = ("item", "question")
        for kind in kinds:
            for ident, olds in lineage.bridge(source, target, kind).items():
                said_marks = [marks[o] for o in olds if o in marks]
                if said_marks:
                    out.marks[ident] = all(said_marks)
    return out
