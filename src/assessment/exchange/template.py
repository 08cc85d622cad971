"""The spreadsheet template of a grid (XLSX), to prepare answers in a meeting.

Pure: a :class:`~assessment.grid.Grid` in, ``bytes`` out.  Works for any grid
(any scale, any horizons, any question types).  Layout, shared with
:mod:`assessment.exchange.spreadsheet` which reads a filled template back:

* sheet « À lire » first: how to fill it, and the grid id, version and
  template format in column B (:data:`META_CELLS`), which the import checks;
* one sheet per theme (item), then one for the systemic view.  In each:
  row 1 the theme's title; row 2 the theme id (hidden column A) and, for an
  optional theme, « Thème traité cette année ? » with Oui / Non in C2; row 3
  the headers; from row 4 one row per question:

  ========  =========  ================  ===========================  ===========  =======
  A (id)    B          C                 per horizon: value, comment  non traité   aide
  ========  =========  ================  ===========================  ===========  =======

  Cells of a horizon a question is not asked for are greyed.
* a hidden sheet « Listes » holds the drop-down lists (scale levels, Oui /
  Non, each choice question's options): list validation refers to it, so that
  labels with commas or long lists work in Excel and LibreOffice.

Validation in the file is a help for whoever types; the import checks every
cell again (:mod:`assessment.exchange.spreadsheet`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from assessment.french import number, typo
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    Item,
    LevelQuestion,
    NumberQuestion,
    Question,
    TextQuestion,
    YesNoQuestion,
    text,
)

TEMPLATE_FORMAT = "ess-modele-tableur-1"
"""Written in the « À lire » sheet; a file without it is not one of our templates."""
README_SHEET = "À lire"
LISTS_SHEET = "Listes"
SYSTEMIC_SHEET = "Approche systémique"
"""Sheet of the systemic view when its title does not fit in a sheet name."""
META_CELLS = {"grid_id": "B4", "grid_version": "B5", "format": "B6"}
TITLE_ROW = 1
THEME_ROW = 2
HEADER_ROW = 3
FIRST_ROW = 4
ID_COLUMN = 1
LABEL_COLUMN = 2
EXPECTED_COLUMN = 3
FIRST_HORIZON_COLUMN = 4
ADDRESSED_CELL = "C2"
REASON_LABEL_CELL = "D2"
REASON_CELL = "E2"
"""Why the organisation works on this theme this year (one line, every theme's sheet)."""
YES, NO = "Oui", "Non"
NOT_ADDRESSED_MARK = "Non traité"
HEADER_ID = "Identifiant"
HEADER_QUESTION = "Question"
HEADER_EXPECTED = "Réponse attendue"
HEADER_NOT_ADDRESSED = "Non traité cette année"
HEADER_HELP = "Aide (niveaux, consignes)"
COMMENT_HEADER = "Commentaire, justificatif ({horizon})"
THEME_ADDRESSED_LABEL = "Thème traité cette année ?"
THEME_REQUIRED_LABEL = "Thème obligatoire"
REASON_LABEL = "Raison du choix de ce thème (une ligne)"
SECTION_SYSTEMIC = "_systemic"
"""Section id of the systemic view (never an item id)."""

_GREY = PatternFill("solid", fgColor="D9D9D9")
_INPUT = PatternFill("solid", fgColor="FFF9E5")
_HEADER = PatternFill("solid", fgColor="DDEBF7")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_NAME = 31


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a theme sheet: ``kind`` is value, comment, not_addressed or help."""

    index: int
    kind: str
    header: str
    horizon_id: str | None = None

    @property
    def letter(self) -> str:
        return get_column_letter(self.index)


@dataclass(frozen=True, slots=True)
class Section:
    """A theme sheet: the item (``None`` for the systemic view) and its questions."""

    id: str
    sheet: str
    title: str
    item: Item | None
    questions: tuple[Question, ...]


def columns(grid: Grid) -> list[Column]:
    """The columns of every theme sheet, after id, question and expected answer."""
    out: list[Column] = []
    index = FIRST_HORIZON_COLUMN
    for horizon in grid.horizons:
        label = text(horizon.label, grid.language)
        out.append(Column(index, "value", label, horizon.id))
        out.append(
            Column(index + 1, "comment", COMMENT_HEADER.format(horizon=label.lower()), horizon.id)
        )
        index += 2
    out.append(Column(index, "not_addressed", HEADER_NOT_ADDRESSED))
    out.append(Column(index + 1, "help", HEADER_HELP))
    return out


def header_row(grid: Grid) -> list[str]:
    """Row 3 of a theme sheet, as the import expects it."""
    return [HEADER_ID, HEADER_QUESTION, HEADER_EXPECTED, *(c.header for c in columns(grid))]


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("-", title).strip().strip("'") or "Thème"
    base = base[:MAX_SHEET_NAME].rstrip()
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        n += 1
    taken.add(name.lower())
    return name


def sections(grid: Grid) -> list[Section]:
    """The theme sheets of ``grid``, in order (sheet names unique, at most 31 characters)."""
    lang = grid.language
    taken = {README_SHEET.lower(), LISTS_SHEET.lower()}
    out = []
    for item in grid.items:
        short = text(item.short_title or item.title, lang)
        out.append(
            Section(
                item.id, _sheet_name(short, taken), text(item.title, lang), item,
                tuple(item.questions),
            )
        )  # fmt: skip
    if grid.systemic is not None:
        title = text(grid.systemic.title, lang)
        name = title if len(title) <= MAX_SHEET_NAME else SYSTEMIC_SHEET
        out.append(
            Section(
                SECTION_SYSTEMIC, _sheet_name(name, taken), title, None,
                tuple(grid.systemic.questions),
            )
        )  # fmt: skip
    return out


def level_label(grid: Grid, value: int) -> str:
    """``2 – Structuré``: how a level is shown in the drop-down list."""
    for level in grid.scale:
        if level.value == value:
            return f"{level.value} – {text(level.label, grid.language)}"
    return str(value)


def option_label(grid: Grid, question: ChoiceQuestion, value: str) -> str:
    for option in question.options:
        if option.value == value:
            return text(option.label, grid.language)
    return value


def expected_text(grid: Grid, question: Question) -> str:
    """What to type, in French (column C)."""
    if isinstance(question, LevelQuestion):
        return typo(
            f"Niveau de {level_label(grid, grid.scale_min)} à {level_label(grid, grid.scale_max)}"
            " (liste)"
        )
    if isinstance(question, NumberQuestion):
        kind = "Nombre entier" if question.integer else "Nombre"
        unit = text(question.unit, grid.language) if question.unit else ""
        shown = f"{kind} ({unit})" if unit else kind
        if question.min is not None and question.max is not None:
            shown += f", de {number(question.min)} à {number(question.max)}"
        elif question.min is not None:
            shown += f", au moins {number(question.min)}"
        elif question.max is not None:
            shown += f", au plus {number(question.max)}"
        return typo(shown)
    if isinstance(question, YesNoQuestion):
        return "Oui / Non (liste)"
    if isinstance(question, ChoiceQuestion):
        if question.multiple:
            return typo("Une ou plusieurs options, séparées par « ; »")
        return "Une option (liste)"
    if isinstance(question, TextQuestion):
        return typo(f"Texte libre (au plus {number(question.max_length)} caractères)")
    return ""  # pragma: no cover - exhaustive over question types


def help_text(grid: Grid, question: Question) -> str:
    """Level descriptors (or the scale's), options of a multiple choice, and the guidance."""
    lang = grid.language
    lines: list[str] = []
    if question.help:
        lines.append(text(question.help, lang))
    if isinstance(question, LevelQuestion):
        for level in grid.scale:
            described = (question.levels or {}).get(level.value) or level.description
            line = level_label(grid, level.value)
            if described:
                line += f" : {text(described, lang)}"
            lines.append(line)
    if isinstance(question, ChoiceQuestion) and question.multiple:
        lines.append("Options : " + " ; ".join(text(o.label, lang) for o in question.options))
    return typo("\n".join(lines))


def asked(grid: Grid, question: Question) -> set[str]:
    return set(grid.question_horizons(question))


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def string_cell(sheet: Worksheet, row: int, column: int, value: str) -> Cell:
    """A cell that holds ``value`` as text, never as a formula (even ``=…``)."""
    cell = sheet.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # a new sheet has no merged cells
    cell.value = value
    cell.data_type = "s"
    return cell


class _Lists:
    """The hidden « Listes » sheet: one column per drop-down list, reused."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.ranges: dict[tuple[str, ...], str] = {}

    def range_for(self, values: tuple[str, ...]) -> str:
        if values not in self.ranges:
            column = len(self.ranges) + 1
            for row, value in enumerate(values, start=1):
                string_cell(self.sheet, row, column, value)
            letter = get_column_letter(column)
            self.ranges[values] = (
                f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(values)}"
            )
        return self.ranges[values]


def _validation(grid: Grid, question: Question, lists: _Lists) -> DataValidation | None:
    """The drop-down list or bounds check of a question's value cells."""
    lang = grid.language
    if isinstance(question, LevelQuestion):
        labels = tuple(level_label(grid, v) for v in grid.scale_values)
        dv = DataValidation(type="list", formula1="=" + lists.range_for(labels))
        dv.error = "Choisissez un niveau de l’échelle dans la liste."
    elif isinstance(question, YesNoQuestion):
        dv = DataValidation(type="list", formula1="=" + lists.range_for((YES, NO)))
        dv.error = "Répondez Oui ou Non."
    elif isinstance(question, ChoiceQuestion):
        if question.multiple:
            return None
        labels = tuple(text(o.label, lang) for o in question.options)
        dv = DataValidation(type="list", formula1="=" + lists.range_for(labels))
        dv.error = "Choisissez une option de la liste."
    elif isinstance(question, NumberQuestion):
        low = question.min if question.min is not None else -1e15
        high = question.max if question.max is not None else 1e15
        kind: Literal["whole", "decimal"] = "whole" if question.integer else "decimal"
        dv = DataValidation(type=kind, operator="between", formula1=_num(low), formula2=_num(high))
        dv.error = typo(expected_text(grid, question) + ".")
    elif isinstance(question, TextQuestion):
        dv = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(question.max_length)
        )
        dv.error = typo(f"Au plus {number(question.max_length)} caractères.")
    else:  # pragma: no cover - exhaustive over question types
        return None
    dv.errorTitle = "Réponse refusée"
    dv.showErrorMessage = True
    dv.allow_blank = True
    return dv


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _write_readme(sheet: Worksheet, grid: Grid) -> None:
    lang = grid.language
    sheet.title = README_SHEET
    string_cell(sheet, 1, 1, "Modèle de tableur de l’auto-évaluation").font = Font(
        bold=True, size=14
    )
    string_cell(sheet, 3, 1, "Grille")
    string_cell(sheet, 3, 2, text(grid.title, lang))
    string_cell(sheet, 4, 1, "Identifiant de la grille")
    string_cell(sheet, 4, 2, grid.id)
    string_cell(sheet, 5, 1, "Version de la grille")
    string_cell(sheet, 5, 2, grid.version)
    string_cell(sheet, 6, 1, "Format du modèle")
    string_cell(sheet, 6, 2, TEMPLATE_FORMAT)
    steps = [
        "Comment le remplir",
        "Une feuille par thème : une ligne par question, une colonne par horizon "
        f"({', '.join(text(h.label, lang) for h in grid.horizons)}).",
        "Les cellules jaunes sont à remplir ; les cellules grises ne sont pas demandées.",
        "Les niveaux, Oui / Non et les options se choisissent dans la liste de la cellule ; "
        "la colonne « Aide » décrit chaque niveau.",
        "En haut de chaque feuille de thème, dites en une ligne pourquoi vous le "
        "travaillez cette année (« Raison du choix »).",
        "La colonne « Commentaire, justificatif » garde les éléments qui fondent la "
        "réponse (documents, faits) : ils figureront dans le rapport.",
        "Une cellule vide ne change rien à ce qui est déjà saisi en ligne.",
        "Ne renommez pas les feuilles, ne supprimez ni ligne ni colonne, ne touchez pas à "
        "cette feuille : l’import vérifie tout et indique chaque cellule qui ne convient pas.",
    ]
    for offset, line in enumerate(steps):
        cell = string_cell(sheet, 8 + offset, 1, typo(line))
        if offset == 0:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 70
    for row_cells in sheet.iter_rows():
        for any_cell in row_cells:
            any_cell.alignment = Alignment(wrap_text=False, vertical="top")


def _write_section(sheet: Worksheet, grid: Grid, section: Section, lists: _Lists) -> None:
    lang = grid.language
    cols = columns(grid)
    string_cell(sheet, TITLE_ROW, LABEL_COLUMN, section.title).font = Font(bold=True, size=14)
    string_cell(sheet, THEME_ROW, ID_COLUMN, section.id)
    item = section.item
    if item is not None and item.optional:
        string_cell(sheet, THEME_ROW, LABEL_COLUMN, THEME_ADDRESSED_LABEL).font = Font(bold=True)
        cell = sheet[ADDRESSED_CELL]
        cell.fill = _INPUT
        dv: DataValidation | None = DataValidation(
            type="list", formula1="=" + lists.range_for((YES, NO))
        )
        assert dv is not None
        dv.error = "Répondez Oui ou Non."
        dv.errorTitle = "Réponse refusée"
        dv.showErrorMessage = True
        sheet.add_data_validation(dv)
        dv.add(cell)
    elif item is not None:
        string_cell(sheet, THEME_ROW, LABEL_COLUMN, THEME_REQUIRED_LABEL)
    if item is not None:
        label_cell = sheet[REASON_LABEL_CELL]
        string_cell(sheet, label_cell.row, label_cell.column, REASON_LABEL).font = Font(bold=True)
        sheet[REASON_CELL].fill = _INPUT
    for index, header in enumerate(header_row(grid), start=1):
        cell = string_cell(sheet, HEADER_ROW, index, header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    validations: dict[str, DataValidation] = {}
    mark_dv: DataValidation | None = None
    for offset, question in enumerate(section.questions):
        row = FIRST_ROW + offset
        string_cell(sheet, row, ID_COLUMN, question.id)
        label = text(question.label, lang)
        if question.is_required:
            label += " *"
        string_cell(sheet, row, LABEL_COLUMN, label)
        string_cell(sheet, row, EXPECTED_COLUMN, expected_text(grid, question))
        horizons = asked(grid, question)
        found = validations.get(question.id)
        dv = found if found is not None else _validation(grid, question, lists)
        for column in cols:
            cell = sheet.cell(row=row, column=column.index)
            if column.kind in ("value", "comment"):
                if column.horizon_id in horizons:
                    cell.fill = _INPUT
                    if column.kind == "value" and dv is not None:
                        dv.add(cell)
                else:
                    cell.fill = _GREY
            elif column.kind == "not_addressed":
                if question.optional:
                    cell.fill = _INPUT
                    if mark_dv is None:
                        mark_dv = DataValidation(
                            type="list",
                            formula1="=" + lists.range_for((NOT_ADDRESSED_MARK,)),
                        )
                        mark_dv.allow_blank = True
                        sheet.add_data_validation(mark_dv)
                    mark_dv.add(cell)
                else:
                    cell.fill = _GREY
            elif column.kind == "help":
                string_cell(sheet, row, column.index, help_text(grid, question))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if dv is not None and question.id not in validations:
            validations[question.id] = dv
            sheet.add_data_validation(dv)
    sheet.column_dimensions["A"].hidden = True
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 52
    sheet.column_dimensions["C"].width = 24
    for column in cols:
        width = {"value": 18, "comment": 30, "not_addressed": 14, "help": 70}[column.kind]
        sheet.column_dimensions[column.letter].width = width
    for row_cells in sheet.iter_rows(min_row=FIRST_ROW, max_col=EXPECTED_COLUMN):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=FIRST_HORIZON_COLUMN).coordinate


def template_xlsx(grid: Grid) -> bytes:
    """The XLSX template of ``grid`` (see the module docstring for its layout)."""
    workbook = Workbook()
    readme = workbook.active
    assert isinstance(readme, Worksheet)
    _write_readme(readme, grid)
    lists_sheet = workbook.create_sheet(LISTS_SHEET)
    lists = _Lists(lists_sheet)
    for section in sections(grid):
        _write_section(workbook.create_sheet(section.sheet), grid, section, lists)
    lists_sheet.sheet_state = "hidden"
    workbook.move_sheet(lists_sheet, offset=len(workbook.sheetnames) - 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_file_name(grid: Grid) -> str:
    return f"modele-{grid.id}-{grid.version}.xlsx"


def question_rows(section: Section) -> Iterator[tuple[int, Question]]:
    """Where each question of a section is written: ``(row, question)``."""
    for offset, question in enumerate(section.questions):
        yield FIRST_ROW + offset, question
