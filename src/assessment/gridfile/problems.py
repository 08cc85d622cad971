"""What reading a grid file gives: located problems, results, and the position tree.

:class:`Pos` mirrors the data read from the YAML (where each value was
written); :class:`Report` collects the problems of one source, each located
as ``FILE:LINE:COL`` and worded by :mod:`assessment.messages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import Node

from assessment.grid import Grid, format_path
from assessment.messages import render

MAX_PROBLEMS = 200
"""Most problems listed for one file; the rest are counted."""


# ---------------------------------------------------------------------------
# public results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GridProblem:
    """One error (or warning) located in a grid file.

    ``line`` and ``column`` are 1-based; ``path`` is the data path such as
    ``items[3].questions[1].label`` (empty for file-level problems) and
    ``message`` starts with it.
    """

    code: str
    message: str
    source: str
    line: int
    column: int
    path: str = ""

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.message}"


@dataclass
class GridLoadResult:
    """What reading one grid gave: the grid when valid, and every problem found."""

    source: str
    grid: Grid | None = None
    problems: list[GridProblem] = field(default_factory=list)
    warnings: list[GridProblem] = field(default_factory=list)
    _root: Pos | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.grid is not None and not self.problems

    def locate(self, path: Sequence[str | int]) -> tuple[int, int]:
        """1-based ``(line, column)`` of the value at ``path`` (or its closest parent)."""
        if self._root is None:
            return 1, 1
        pos = walk_positions(self._root, path)
        return pos.line + 1, pos.column + 1


class GridError(Exception):
    """A grid could not be loaded; ``problems`` lists why, one line each."""

    def __init__(self, problems: Sequence[GridProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class GridDirResult:
    """Every grid file of a folder, and the valid grids keyed by ``(id, version)``."""

    source: str
    grids: dict[tuple[str, str], Grid] = field(default_factory=dict)
    results: list[GridLoadResult] = field(default_factory=list)
    folder_problems: list[GridProblem] = field(default_factory=list)

    @property
    def problems(self) -> list[GridProblem]:
        return [*self.folder_problems, *(p for r in self.results for p in r.problems)]

    @property
    def warnings(self) -> list[GridProblem]:
        return [w for r in self.results for w in r.warnings]

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------------------
# internals: positions and reporting
# ---------------------------------------------------------------------------
@dataclass(slots=True)
class Pos:
    """Where a value was written (0-based), mirroring the data's shape."""

    line: int
    column: int
    key_line: int = -1
    key_column: int = -1
    raw: str | None = None
    """Source text of a plain scalar that YAML turned into a non-string."""
    children: dict[Any, Pos] | list[Pos] | None = None

    @classmethod
    def of(cls, node: Node) -> Pos:
        mark = node.start_mark
        return cls(mark.line, mark.column) if mark is not None else cls(0, 0)

    def child(self, key: Any) -> Pos | None:
        if isinstance(self.children, dict):
            return self.children.get(key)
        if isinstance(self.children, list) and isinstance(key, int):
            return self.children[key] if 0 <= key < len(self.children) else None
        return None

    @property
    def key_or_value(self) -> tuple[int, int]:
        if self.key_line >= 0:
            return self.key_line, self.key_column
        return self.line, self.column


class Report:
    """Collects problems and warnings for one source."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[GridProblem] = []
        self.warnings: list[GridProblem] = []

    def add(
        self,
        code: str,
        where: tuple[int, int],
        path: Sequence[str | int] = (),
        *,
        warning: bool = False,
        **params: Any,
    ) -> None:
        """Record ``code`` at 0-based ``where`` for data ``path``."""
        path_str = format_path(tuple(path))
        detail = render(code, **params)
        message = f"{path_str} : {detail}" if path_str else detail
        problem = GridProblem(code, message, self.source, where[0] + 1, where[1] + 1, path_str)
        (self.warnings if warning else self.problems).append(problem)

    def result(self, grid: Grid | None, root: Pos | None) -> GridLoadResult:
        problems = sorted_unique(self.problems)
        return GridLoadResult(
            source=self.source,
            grid=grid if not problems else None,
            problems=capped(problems),
            warnings=capped(sorted_unique(self.warnings)),
            _root=root,
        )


def capped(problems: list[GridProblem]) -> list[GridProblem]:
    """At most :data:`MAX_PROBLEMS`, then one line counting the others."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    shown, last = problems[:MAX_PROBLEMS], problems[MAX_PROBLEMS - 1]
    more = render("too_many_problems", count=len(problems) - MAX_PROBLEMS)
    return [*shown, GridProblem("too_many_problems", more, last.source, last.line, last.column)]


def sorted_unique(problems: list[GridProblem]) -> list[GridProblem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line, p.column))


def walk_positions(root: Pos, path: Sequence[Any]) -> Pos:
    pos = root
    for part in path:
        nxt = pos.child(part)
        if nxt is None:
            nxt = pos.child(str(part)) if not isinstance(part, str) else None
        if nxt is None:
            break
        pos = nxt
    return pos
