"""Filling a spreadsheet template the way a person would (openpyxl), for the tests."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook, load_workbook

from assessment.exchange import template as layout
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    Question,
    TextQuestion,
    YesNoQuestion,
    text,
)

Expected = dict[tuple[str, str], Any]


def typed(grid: Grid, question: Question, index: int) -> tuple[Any, Any]:
    """What a person types in a value cell (as the drop-down shows it) and what is stored."""
    if isinstance(question, LevelQuestion):
        value = grid.scale_values[index % len(grid.scale_values)]
        return layout.level_label(grid, value), value
    if isinstance(question, NumberQuestion):
        low = question.min if question.min is not None else 0
        value = int(low) + 5 + index
        if question.max is not None:
            value = min(value, int(question.max))
        return value, value
    if isinstance(question, YesNoQuestion):
        return ("Oui", True) if index % 2 == 0 else ("Non", False)
    if isinstance(question, ChoiceQuestion):
        option = question.options[index % len(question.options)]
        label = text(option.label, grid.language)
        return label, [option.value] if question.multiple else option.value
    assert isinstance(question, TextQuestion)
    return f"Réponse écrite n° {index}", f"Réponse écrite n° {index}"


def fill(
    grid: Grid,
    data: bytes,
    *,
    comments: bool = True,
    skip: Callable[[Question], bool] = lambda q: q.show_if is not None,
) -> tuple[bytes, Expected, dict[tuple[str, str], str]]:
    """Every asked cell of every question filled; ``(file, expected values, comments)``."""
    workbook = load_workbook(io.BytesIO(data))
    expected: Expected = {}
    notes: dict[tuple[str, str], str] = {}
    columns = layout.columns(grid)
    for section in layout.sections(grid):
        sheet = workbook[section.sheet]
        for row, question in layout.question_rows(section):
            if skip(question):
                continue
            asked = layout.asked(grid, question)
            for index, column in enumerate(columns):
                if column.horizon_id not in asked:
                    continue
                cell = sheet.cell(row=row, column=column.index)
                if column.kind == "value":
                    shown, stored = typed(grid, question, row + index)
                    cell.value = shown
                    expected[(question.id, column.horizon_id)] = stored
                elif (
                    column.kind == "comment"
                    and comments
                    and column.horizon_id == asked_first(grid, question)
                ):
                    note = f"Justificatif de {question.id}"
                    cell.value = note
                    notes[(question.id, column.horizon_id)] = note
    return save(workbook), expected, notes


def asked_first(grid: Grid, question: Question) -> str:
    return grid.question_horizons(question)[0]


def save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def edit(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    change(workbook)
    return save(workbook)


def cell_of(grid: Grid, question_id: str, horizon_id: str, kind: str = "value") -> tuple[str, str]:
    """``(sheet, coordinate)`` of a question's cell in the template."""
    for section in layout.sections(grid):
        for row, question in layout.question_rows(section):
            if question.id == question_id:
                for column in layout.columns(grid):
                    if column.kind == kind and column.horizon_id == horizon_id:
                        return section.sheet, f"{column.letter}{row}"
    raise KeyError(question_id)
