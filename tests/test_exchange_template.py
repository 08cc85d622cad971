"""The spreadsheet template: generated for any grid, read back, and every malformed case refused
with its sheet and cell."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from assessment.exchange import ExchangeError, ImportRefused, read_template, template_xlsx
from assessment.exchange import template as layout
from assessment.french import typo
from assessment.grid import Grid
from assessment.gridfile import load_grid
from exchange_helpers import cell_of, edit, fill

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "guide" / "guide-bonnes-pratiques-ess.yaml"
MINI = ROOT / "tests" / "grids" / "mini-3-items.yaml"


@pytest.fixture(scope="module", params=["default", "mini"])
def grid(request: pytest.FixtureRequest) -> Grid:
    return load_grid(DEFAULT if request.param == "default" else MINI)


@pytest.fixture(scope="module")
def default_grid() -> Grid:
    return load_grid(DEFAULT)


def _refusal(grid: Grid, data: bytes) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        read_template(grid, data)
    return caught.value


def test_template_has_a_sheet_per_theme_horizons_as_columns_and_drop_downs(grid: Grid) -> None:
    workbook = load_workbook(io.BytesIO(template_xlsx(grid)))
    sections = layout.sections(grid)
    assert workbook.sheetnames == [
        layout.README_SHEET,
        *(s.sheet for s in sections),
        layout.LISTS_SHEET,
    ]
    assert workbook[layout.LISTS_SHEET].sheet_state == "hidden"
    readme = workbook[layout.README_SHEET]
    assert readme["B4"].value == grid.id and readme["B5"].value == grid.version
    first = workbook[sections[0].sheet]
    headers = [c.value for c in first[layout.HEADER_ROW]]
    for horizon in grid.horizons:
        assert str(horizon.label if isinstance(horizon.label, str) else horizon.label["fr"]) in (
            headers
        )
    assert first.column_dimensions["A"].hidden  # question ids, hidden
    assert first["A4"].value == sections[0].questions[0].id
    kinds = {dv.type for dv in first.data_validations.dataValidation}
    assert "list" in kinds  # the scale as a drop-down
    numbers = [
        dv for dv in first.data_validations.dataValidation if dv.type in ("decimal", "whole")
    ]
    assert numbers and all(dv.operator == "between" for dv in numbers)  # bounds checked
    lists = [c.value for row in workbook[layout.LISTS_SHEET].iter_rows() for c in row]
    assert layout.level_label(grid, grid.scale_min) in lists
    # level descriptors in the help column
    help_column = next(c for c in layout.columns(grid) if c.kind == "help")
    assert layout.level_label(grid, grid.scale_max) in str(first[f"{help_column.letter}4"].value)


def test_blank_template_reads_as_nothing(grid: Grid) -> None:
    incoming = read_template(grid, template_xlsx(grid))
    assert incoming.values == {} and incoming.comments == {} and incoming.marks == {}


def test_filled_template_reads_back_every_cell(grid: Grid) -> None:
    data, expected, notes = fill(grid, template_xlsx(grid))
    incoming = read_template(grid, data)
    assert incoming.values == expected
    assert incoming.comments == notes
    sheet, cell = cell_of(grid, next(iter(expected))[0], next(iter(expected))[1])
    assert incoming.where[next(iter(expected))] == f"{sheet}!{cell}"


def test_optional_theme_and_question_marks(default_grid: Grid) -> None:
    grid = default_grid
    optional_item = next(i for i in grid.items if i.optional)
    sheet_name = next(s.sheet for s in layout.sections(grid) if s.id == optional_item.id)

    def mark(workbook):  # type: ignore[no-untyped-def]
        workbook[sheet_name][layout.ADDRESSED_CELL] = "Non"

    incoming = read_template(grid, edit(template_xlsx(grid), mark))
    assert incoming.marks == {optional_item.id: True}


def test_value_off_the_scale_is_refused_with_its_cell(grid: Grid) -> None:
    level = next(q for _, q in grid.questions() if q.type == "level")
    sheet, cell = cell_of(grid, level.id, grid.current_horizon)
    data = edit(template_xlsx(grid), lambda wb: wb[sheet].__setitem__(cell, 99))
    refused = _refusal(grid, data)
    [problem] = refused.problems
    assert (problem.sheet, problem.cell) == (sheet, cell)
    assert "n’est pas un niveau de l’échelle" in str(problem)
    assert f"cellule {cell}" in refused.message


def test_text_in_an_indicator_is_refused_with_its_cell(grid: Grid) -> None:
    indicator = next(q for _, q in grid.questions() if q.type == "number")
    sheet, cell = cell_of(grid, indicator.id, grid.current_horizon)
    data = edit(template_xlsx(grid), lambda wb: wb[sheet].__setitem__(cell, "beaucoup"))
    [problem] = _refusal(grid, data).problems
    assert (problem.sheet, problem.cell) == (sheet, cell)
    assert "un nombre est attendu" in problem.message


def test_indicator_out_of_bounds_is_refused(default_grid: Grid) -> None:
    grid = default_grid
    bounded = next(q for _, q in grid.questions() if q.type == "number" and q.max is not None)
    sheet, cell = cell_of(grid, bounded.id, grid.current_horizon)
    data = edit(template_xlsx(grid), lambda wb: wb[sheet].__setitem__(cell, bounded.max + 1))
    [problem] = _refusal(grid, data).problems
    assert problem.cell == cell and "supérieur au maximum" in problem.message


def test_a_removed_row_is_refused_with_its_place(grid: Grid) -> None:
    section = layout.sections(grid)[0]
    row, question = list(layout.question_rows(section))[1]
    data = edit(template_xlsx(grid), lambda wb: wb[section.sheet].delete_rows(row))
    problems = _refusal(grid, data).problems
    assert any(
        p.sheet == section.sheet and p.cell == f"A{row}" and question.id in p.message
        for p in problems
    )


def test_a_renamed_sheet_is_refused(grid: Grid) -> None:
    section = layout.sections(grid)[0]

    def rename(workbook):  # type: ignore[no-untyped-def]
        workbook[section.sheet].title = "Ma feuille"

    problems = _refusal(grid, edit(template_xlsx(grid), rename)).problems
    assert any(p.sheet == section.sheet and "introuvable" in p.message for p in problems)
    assert any(p.sheet == "Ma feuille" and "inconnue" in p.message for p in problems)


def test_a_moved_column_is_refused_at_its_header(grid: Grid) -> None:
    section = layout.sections(grid)[0]
    data = edit(template_xlsx(grid), lambda wb: wb[section.sheet].delete_cols(4))
    problems = _refusal(grid, data).problems
    assert any(p.cell == f"D{layout.HEADER_ROW}" and "en-tête" in p.message for p in problems)


def test_a_template_of_another_grid_version_is_refused_with_its_cell(grid: Grid) -> None:
    other = grid.model_copy(update={"version": "1999.9"})
    with pytest.raises(ExchangeError) as caught:
        read_template(grid, template_xlsx(other))
    message = caught.value.message
    assert "cellule B5" in message and "version 1999.9" in message
    assert "rien n’a été importé" in message


def test_a_file_that_is_not_a_template_is_refused(grid: Grid) -> None:
    assert "pas un classeur XLSX" in _refusal(grid, b"PK\x03\x04 nope").message
    from openpyxl import Workbook

    from exchange_helpers import save

    problems = _refusal(grid, save(Workbook())).problems
    assert problems[0].sheet == layout.README_SHEET


def test_every_problem_is_listed_at_once(grid: Grid) -> None:
    level = next(q for _, q in grid.questions() if q.type == "level")
    indicator = next(q for _, q in grid.questions() if q.type == "number")
    a = cell_of(grid, level.id, grid.current_horizon)
    b = cell_of(grid, indicator.id, grid.current_horizon)

    def spoil(workbook):  # type: ignore[no-untyped-def]
        workbook[a[0]][a[1]] = "très bien"
        workbook[b[0]][b[1]] = "n/a"

    refused = _refusal(grid, edit(template_xlsx(grid), spoil))
    assert {(p.sheet, p.cell) for p in refused.problems} == {a, b}


def test_text_that_looks_like_a_formula_stays_text(grid: Grid) -> None:
    """Labels are written as strings: a grid text starting with « = » is no formula."""
    workbook = load_workbook(io.BytesIO(template_xlsx(grid)))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_answers_typed_in_the_template_come_back_the_same(data: st.DataObject) -> None:
    """Property: whatever valid answers a person types (as the lists show them, or
    as bare numbers), the import reads back exactly those answers."""
    from exchange_helpers import typed

    grid = load_grid(MINI)
    wanted: dict[tuple[str, str], object] = {}
    cells: dict[tuple[str, str], object] = {}
    for _, question in grid.questions():
        for horizon in grid.question_horizons(question):
            if question.show_if is not None or not data.draw(st.booleans()):
                continue
            index = data.draw(st.integers(min_value=0, max_value=20))
            shown, stored = typed(grid, question, index)
            if question.type == "level" and data.draw(st.booleans()):
                shown = stored  # the bare level value works too
            cells[(question.id, horizon)] = shown
            wanted[(question.id, horizon)] = stored

    def type_in(workbook):  # type: ignore[no-untyped-def]
        for (question_id, horizon), shown in cells.items():
            sheet, cell = cell_of(grid, question_id, horizon)
            workbook[sheet][cell] = shown

    assert read_template(grid, edit(template_xlsx(grid), type_in)).values == wanted


def _theme_sheets(grid: Grid) -> list[layout.Section]:
    return [s for s in layout.sections(grid) if s.item is not None]


def test_each_theme_sheet_has_a_reason_cell_read_back_cleaned(grid: Grid) -> None:
    workbook = load_workbook(io.BytesIO(template_xlsx(grid)))
    for section in layout.sections(grid):
        label = workbook[section.sheet][layout.REASON_LABEL_CELL].value
        assert label == (layout.REASON_LABEL if section.item is not None else None)
    first, second = _theme_sheets(grid)[:2]

    def reasons(workbook):  # type: ignore[no-untyped-def]
        workbook[first.sheet][layout.REASON_CELL] = "  Notre priorité de l'année  "
        workbook[second.sheet][layout.REASON_CELL] = "   "  # blank: nothing to say

    incoming = read_template(grid, edit(template_xlsx(grid), reasons))
    assert incoming.reasons == {first.id: "Notre priorité de l'année"}
    assert incoming.reason_where == {first.id: f"{first.sheet}!{layout.REASON_CELL}"}
    assert incoming.values == {} and incoming.marks == {}


def test_a_reason_that_does_not_fit_is_refused_with_its_sheet_and_cell(grid: Grid) -> None:
    first, second = _theme_sheets(grid)[:2]

    def reasons(workbook):  # type: ignore[no-untyped-def]
        workbook[first.sheet][layout.REASON_CELL] = "x" * 201
        workbook[second.sheet][layout.REASON_CELL] = "Texte \u202eà l'envers"

    refused = _refusal(grid, edit(template_xlsx(grid), reasons))
    places = {(p.sheet, p.cell) for p in refused.problems}
    assert places == {(first.sheet, layout.REASON_CELL), (second.sheet, layout.REASON_CELL)}
    long = next(p for p in refused.problems if p.sheet == first.sheet)
    assert str(long) == typo(
        f"Feuille « {first.sheet} », cellule {layout.REASON_CELL} : la raison du choix du "
        "thème ne convient pas — 200 caractères au plus (201 donnés)"
    )
