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

from assessment.grid import Grid
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
