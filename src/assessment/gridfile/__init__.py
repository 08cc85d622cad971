"""Read grid YAML files into :class:`~assessment.grid.Grid`, with author-friendly errors.

The core is :func:`load_grid_text`, a pure conversion (no file I/O): text in,
:class:`GridLoadResult` out, with *every* problem of the file located as
``FILE:LINE:COL`` and explained in French (see :mod:`assessment.messages`).
It chains the package's two parts:

* :mod:`~assessment.gridfile.reader` — the bounded YAML reader (size, depth,
  number of values and alias expansions bounded; safe tags only; duplicate
  keys refused), giving plain data and where each value was written;
* :mod:`~assessment.gridfile.locate` — pydantic validates the data; each
  error and semantic issue is mapped back to the YAML node it comes from.

Thin I/O wrappers: :func:`load_grid_file`, :func:`load_grid`,
:func:`check_grid_dir`, :func:`load_grid_dir`; :func:`grid_json_schema`
serves the ``schema`` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assessment.grid import Grid, SemanticIssue
from assessment.gridfile import reader
from assessment.gridfile.locate import Locator
from assessment.gridfile.problems import (
    MAX_PROBLEMS,
    GridDirResult,
    GridError,
    GridLoadResult,
    GridProblem,
    Pos,
    Report,
)
from assessment.gridfile.reader import MAX_BYTES, MAX_DEPTH, MAX_EVENTS, MAX_VALUES
from assessment.messages import render

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EVENTS",
    "MAX_PROBLEMS",
    "MAX_VALUES",
    "GridDirResult",
    "GridError",
    "GridLoadResult",
    "GridProblem",
    "check_grid_dir",
    "grid_files",
    "grid_json_schema",
    "load_grid",
    "load_grid_dir",
    "load_grid_file",
    "load_grid_text",
]


def load_grid_text(text: str | bytes, source: str = "<grid>") -> GridLoadResult:
    """Read a grid from YAML text (no file I/O) and report every problem found."""
    report = Report(source)
    root: Pos | None = None
    try:
        content = reader.as_text(text)
        node = reader.parse(report, content)
        if node is None:
            return report.result(None, None)
        builder = reader.Builder(report)
        builder.text = content
        data, root = builder.build(node)
    except reader.Stop as stop:
        report.add(stop.code, (stop.line, stop.column), stop.path, **stop.params)
        return report.result(None, root)
    grid = _validate(report, data, root, builder)
    return report.result(grid, root)


def _validate(report: Report, data: Any, root: Pos, builder: reader.Builder) -> Grid | None:
    locator = Locator(report, data, root, builder)
    sink: list[SemanticIssue] = []
    grid: Grid | None = None
    try:
        grid = Grid.model_validate(data, context={"semantic_issues": sink})
    except ValidationError as exc:
        locator.pydantic(exc.errors(include_url=False))
    except (RecursionError, MemoryError, TypeError) as exc:  # never a traceback for authors
        report.add("internal_error", (0, 0), detail=type(exc).__name__)
    if grid is not None and sink:
        locator.semantic(sink, grid)
    locator.warnings()
    return grid


def load_grid_file(path: str | Path) -> GridLoadResult:
    """Read and check one grid file; the size limit is enforced before reading it all."""
    path = Path(path)
    source = str(path)
    try:
        data = reader.read_file(path)
    except reader.Stop as stop:
        report = Report(source)
        report.add(stop.code, (0, 0), **stop.params)
        return report.result(None, None)
    except OSError as exc:
        report = Report(source)
        report.add("file_unreadable", (0, 0), reason=exc.strerror or type(exc).__name__)
        return report.result(None, None)
    return load_grid_text(data, source)


def load_grid(path: str | Path) -> Grid:
    """The grid in ``path``; raises :class:`GridError` listing every problem."""
    result = load_grid_file(path)
    if result.grid is None or result.problems:
        raise GridError(result.problems)
    return result.grid


def grid_files(folder: str | Path) -> list[Path]:
    """The ``*.yaml`` and ``*.yml`` files directly in ``folder``, sorted by name."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def check_grid_dir(folder: str | Path) -> GridDirResult:
    """Read every grid of ``folder``; a second grid with the same id and version is an error."""
    outcome = GridDirResult(source=str(folder))
    files = grid_files(folder)
    if not files:
        report = Report(str(folder))
        report.add("no_grid_files", (0, 0))
        outcome.folder_problems.extend(report.problems)
    first_file: dict[tuple[str, str], str] = {}
    for path in files:
        result = load_grid_file(path)
        outcome.results.append(result)
        if result.grid is None or result.problems:
            continue
        key = (result.grid.id, result.grid.version)
        if key in first_file:
            report = Report(result.source)
            where = result.locate(("id",))
            report.add(
                "duplicate_grid",
                (where[0] - 1, where[1] - 1),
                id=key[0],
                version=key[1],
                other=first_file[key],
            )
            result.problems.extend(report.problems)
            continue
        first_file[key] = result.source
        outcome.grids[key] = result.grid
    return outcome


def load_grid_dir(folder: str | Path) -> dict[tuple[str, str], Grid]:
    """Every grid of ``folder`` keyed by ``(id, version)``; raises :class:`GridError`."""
    outcome = check_grid_dir(folder)
    if outcome.problems:
        raise GridError(outcome.problems)
    return outcome.grids


def grid_json_schema() -> dict[str, Any]:
    """JSON Schema of the grid format, usable by editors (yaml-language-server)."""
    schema = Grid.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": render("schema_title"),
        "description": render("schema_description"),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }
