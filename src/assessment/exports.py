"""Downloads: results as CSV, XLSX and JSON, the action plan as CSV and XLSX.

Pure functions returning ``bytes`` (no I/O, no Streamlit), so pages only hand
them to ``st.download_button`` and tests read them back.

CSV files are meant to open correctly in a French spreadsheet: UTF-8 with a
byte-order mark, ``;`` as separator and a decimal comma.  JSON keeps raw,
unrounded numbers and ids for re-use by other tools.

No cell can become a formula (OWASP, « CSV Injection »): a CSV cell that
starts with ``=``, ``+``, ``-``, ``@``, ``|``, ``%``, a tab or a carriage
return (or their full-width forms, or any of them after leading spaces) gets
a leading ``'``, unless the whole cell is a plain number such as ``-12,5``;
every text cell of the XLSX file is written as a string with Excel's « quote
prefix », never as a formula.  Text that is not valid Unicode (stored before
the input rule of :mod:`assessment.text_input`) is replaced, never fatal.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Any

from assessment.action_plan import STATUSES, SYSTEMIC_ITEM
from assessment.french import typo
from assessment.grid import ChoiceQuestion, Grid, Question, text
from assessment.scoring import ScoreReport, coverage

CSV_DELIMITER = ";"
NOT_APPLICABLE = "Non applicable"
FORMULA_TRIGGERS = frozenset("=+-@|%\t\r\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's
list, plus ``|`` and ``%`` and full-width forms some spreadsheets accept)."""
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")
ACTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "N°"),
    ("item", "Thème"),
    ("horizon", "Objectif"),
    ("title", "Action"),
    ("owner", "Responsable"),
    ("due_on", "Échéance"),
    ("status", "Statut"),
    ("notes", "Notes"),
)


def format_number(value: float | None, decimals: int = 1) -> str:
    """A number with a decimal comma (``62,5``); blank for ``None``."""
    if value is None:
        return ""
    shown = f"{value:.{decimals}f}"
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return shown.replace(".", ",")


def safe_cell(value: Any) -> str:
    """One CSV cell that no spreadsheet reads as a formula (see the module's doc)."""
    shown = "" if value is None else str(value)
    if not shown or _PLAIN_NUMBER.match(shown):
        return shown
    if shown[0] in FORMULA_TRIGGERS or shown.lstrip(" \u00a0")[:1] in FORMULA_TRIGGERS:
        return "'" + shown
    return shown


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig", errors="replace")


def _answer_text(grid: Grid, question_id: str, value: Any) -> str:
    """A stored answer as a French, human-readable cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    question = grid.question(question_id)
    if isinstance(question, ChoiceQuestion):
        labels = {o.value: text(o.label, grid.language) for o in question.options}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in chosen)
    if question.type == "level" and isinstance(value, int):
        scale = {lv.value: text(lv.label, grid.language) for lv in grid.scale}
        return f"{value} – {scale.get(value, '')}".rstrip(" –")
    if isinstance(value, float):
        return format_number(value, 6)
    return str(value)


def _item_label(grid: Grid, item_id: str | None) -> str:
    if item_id is None:
        return text(grid.systemic.title, grid.language) if grid.systemic else ""
    item = grid.item(item_id)
    return text(item.short_title or item.title, grid.language)


def results_csv(
    grid: Grid,
    report: ScoreReport,
    answers: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    comments: Mapping[str, Mapping[str, str]] | None = None,
    choice_reasons: Mapping[str, str] | None = None,
) -> bytes:
    """Scores per item and horizon, then every answer, in one long table.

    Columns: ``Type`` (``Score``, ``Couverture``, ``Raison du choix``, ``Réponse``
    or ``Élément de preuve``), item id and label, question id and label (blank
    for scores), horizon id and label, value.  Scores are out of 100 with one
    decimal; items and questions marked "not addressed" say so; each overall
    score is followed by the themes it covers (« sur 3 thèmes traités sur 8 »);
    each chosen theme's reason follows its scores, each answer's evidence
    follows it; questions « non applicable » say so.
    """
    return _csv_bytes(
        *results_table(grid, report, answers, comments=comments, choice_reasons=choice_reasons)
    )


def results_xlsx(
    grid: Grid,
    report: ScoreReport,
    answers: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    comments: Mapping[str, Mapping[str, str]] | None = None,
    choice_reasons: Mapping[str, str] | None = None,
) -> bytes:
    """The table of :func:`results_csv` as an Excel workbook; every cell is text
    (never a formula, whatever an answer starts with)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    header, rows = results_table(
        grid, report, answers, comments=comments, choice_reasons=choice_reasons
    )
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Résultats"
    for row_index, values in enumerate([header, *rows], start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_index, column=column)
            cell.value = _xlsx_value(value, ILLEGAL_CHARACTERS_RE)
            cell.data_type = "s"  # never "f" (formula), whatever an answer starts with
            cell.quotePrefix = True
            if row_index == 1:
                cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (10, 22, 26, 24, 60, 12, 18, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


NOT_ADDRESSED = "Non traité cette année"
REASON_TYPE = "Raison du choix"
EVIDENCE_TYPE = "Élément de preuve"


def results_table(
    grid: Grid,
    report: ScoreReport,
    answers: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    comments: Mapping[str, Mapping[str, str]] | None = None,
    choice_reasons: Mapping[str, str] | None = None,
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the results exports (CSV, XLSX)."""
    lang = grid.language
    labels = {h.id: text(h.label, lang) for h in grid.horizons}
    header = [
        "Type",
        "Thème (id)",
        "Thème",
        "Question (id)",
        "Question",
        "Horizon (id)",
        "Horizon",
        "Valeur",
    ]
    rows: list[list[str]] = []
    for horizon in grid.horizon_ids:
        rows.append(
            [
                "Score",
                "",
                "Ensemble",
                "",
                "",
                horizon,
                labels[horizon],
                format_number(report.overall.get(horizon)),
            ]
        )
        rows.append(
            [
                "Couverture",
                "",
                "Ensemble",
                "",
                "",
                horizon,
                labels[horizon],
                typo(coverage(grid, report, horizon).text()),
            ]
        )
    for item in grid.items:
        not_addressed = item.id in report.not_addressed
        for horizon in grid.horizon_ids:
            value = report.items.get(item.id, {}).get(horizon)
            shown = "Non traité cette année" if not_addressed else format_number(value)
            rows.append(
                [
                    "Score",
                    item.id,
                    _item_label(grid, item.id),
                    "",
                    "",
                    horizon,
                    labels[horizon],
                    shown,
                ]
            )
        reason = (choice_reasons or {}).get(item.id)
        if reason and not not_addressed:
            rows.append([REASON_TYPE, item.id, _item_label(grid, item.id), "", "", "", "", reason])
    if grid.systemic is not None and report.systemic:
        for horizon in grid.horizon_ids:
            rows.append(
                [
                    "Score",
                    "",
                    _item_label(grid, None),
                    "",
                    "",
                    horizon,
                    labels[horizon],
                    format_number(report.systemic.get(horizon)),
                ]
            )

    def question_row(
        kind: str, item_id: str | None, question: Question, horizon: str, shown: str
    ) -> list[str]:
        return [
            kind,
            item_id or "",
            _item_label(grid, item_id),
            question.id,
            text(question.label, lang),
            horizon,
            labels[horizon] if horizon else "",
            shown,
        ]

    for owner, question in grid.questions():
        if question.id in report.not_applicable:
            item_id = owner.id if owner is not None else None
            rows.append(question_row("Réponse", item_id, question, "", NOT_APPLICABLE))
    if answers or comments:
        answers = answers or {}
        for owner, question in grid.questions():
            if question.id in report.not_applicable:
                continue
            item_id = owner.id if owner is not None else None
            if owner is not None and owner.id in report.not_addressed:
                continue
            if question.id in report.not_addressed:
                rows.append(question_row("Réponse", item_id, question, "", NOT_ADDRESSED))
                continue
            per_horizon = answers.get(question.id) or {}
            noted = (comments or {}).get(question.id) or {}
            for horizon in grid.question_horizons(question):
                value = per_horizon.get(horizon)
                if value is not None:
                    shown = _answer_text(grid, question.id, value)
                    rows.append(question_row("Réponse", item_id, question, horizon, shown))
                evidence = noted.get(horizon)
                if evidence:
                    rows.append(question_row(EVIDENCE_TYPE, item_id, question, horizon, evidence))
    return header, rows


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def results_json(
    grid: Grid,
    report: ScoreReport,
    answers: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    meta: Mapping[str, Any] | None = None,
    comments: Mapping[str, Mapping[str, str]] | None = None,
    choice_reasons: Mapping[str, str] | None = None,
) -> bytes:
    """Scores (unrounded), answers and context as UTF-8 JSON.

    ``{"grid": {"id", "version"}, "meta": {...}, "horizons": [{"id", "label"}],
    "items": [{"id", "title"}], "scores": ScoreReport.to_dict(), "coverage":
    {horizon: {"addressed", "count", "total"}}, "answers": {...},
    "comments": {question: {horizon: evidence}}, "choice_reasons": {item: reason}}``
    """
    lang = grid.language
    document = {
        "grid": {"id": grid.id, "version": grid.version},
        "meta": dict(meta or {}),
        "horizons": [{"id": h.id, "label": text(h.label, lang)} for h in grid.horizons],
        "items": [
            {"id": i.id, "title": text(i.title, lang), "short_title": _item_label(grid, i.id)}
            for i in grid.items
        ],
        "scores": report.to_dict(),
        "coverage": {h: coverage(grid, report, h).to_dict() for h in grid.horizon_ids},
        "answers": {q: dict(v) for q, v in (answers or {}).items()},
        "comments": {q: dict(v) for q, v in (comments or {}).items()},
        "choice_reasons": dict(choice_reasons or {}),
    }
    shown = json.dumps(document, ensure_ascii=False, indent=2, default=_json_default)
    return shown.encode("utf-8", errors="replace")


def _field(action: Any, name: str) -> Any:
    if isinstance(action, Mapping):
        return action.get(name)
    return getattr(action, name, None)


def _action_item_label(grid: Grid | None, item_id: str | None) -> str:
    if grid is None or not item_id:
        return item_id or ""
    try:
        return _item_label(grid, None if item_id == SYSTEMIC_ITEM else item_id)
    except KeyError:
        return item_id


def action_rows(grid: Grid | None, actions: Iterable[Any]) -> list[dict[str, Any]]:
    """Actions (dataclasses, objects or mappings) as display rows keyed by
    :data:`ACTION_COLUMNS` ids, with French item, horizon and status labels
    (:data:`assessment.action_plan.STATUSES`).  The one action-plan export:
    :func:`action_plan_csv` and :func:`action_plan_xlsx` write these rows.

    « N° » numbers the actions 1, 2, 3… in the order they were created (their
    database ids, which number every organisation's actions together, are
    kept under ``id`` but never shown)."""
    horizons = {h.id: text(h.label, grid.language) for h in grid.horizons} if grid else {}
    rows = []
    plain = [asdict(a) if is_dataclass(a) and not isinstance(a, type) else a for a in actions]
    ids = sorted(
        (i for i in (_field(a, "id") for a in plain) if isinstance(i, int)),
    )
    numbers = {action_id: index for index, action_id in enumerate(ids, start=1)}
    for position, action in enumerate(plain, start=1):
        item = _action_item_label(grid, _field(action, "item_id"))
        horizon_id = _field(action, "horizon_id")
        status = _field(action, "status") or ""
        rows.append(
            {
                "id": _field(action, "id"),
                "number": numbers.get(_field(action, "id"), position),
                "item": item or "",
                "horizon": horizons.get(horizon_id, horizon_id or ""),
                "title": _field(action, "title") or "",
                "owner": _field(action, "owner") or "",
                "due_on": _field(action, "due_on"),
                "status": STATUSES.get(status, status),
                "notes": _field(action, "notes") or "",
            }
        )
    return rows


def _french_date(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def action_plan_csv(grid: Grid | None, actions: Iterable[Any]) -> bytes:
    """The action plan as a French CSV (dates ``JJ/MM/AAAA``)."""
    rows = action_rows(grid, actions)
    return _csv_bytes(
        [label for _, label in ACTION_COLUMNS],
        (
            [_french_date(r[key]) if key == "due_on" else r[key] for key, _ in ACTION_COLUMNS]
            for r in rows
        ),
    )


def _xlsx_value(value: Any, illegal: re.Pattern[str]) -> Any:
    """Text without the characters XML cannot hold (legacy rows), line ends as LF (what an
    XML reader makes of a bare CR, with or without lxml); others as they are."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return illegal.sub("", value).encode("utf-8", errors="replace").decode("utf-8")


def action_plan_xlsx(
    grid: Grid | None, actions: Iterable[Any], *, title: str = "Plan d'action"
) -> bytes:
    """The action plan as an Excel workbook: one sheet, bold frozen header,
    real date cells, filters and sensible column widths.  Text cells are
    strings with Excel's quote prefix: never a formula, even after editing."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    rows = action_rows(grid, actions)
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one worksheet
    sheet.title = title[:31]
    sheet.append([label for _, label in ACTION_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_xlsx_value(row[key], ILLEGAL_CHARACTERS_RE) for key, _ in ACTION_COLUMNS])
    due_column = [key for key, _ in ACTION_COLUMNS].index("due_on") + 1
    for (cells,) in sheet.iter_rows(min_row=2, min_col=due_column, max_col=due_column):
        if cells.value is not None:
            cells.number_format = "DD/MM/YYYY"
    widths = {"number": 6, "item": 22, "horizon": 18, "title": 48, "owner": 20, "due_on": 12}
    widths |= {"status": 12, "notes": 48}
    for index, (key, _) in enumerate(ACTION_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths[key]
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f" (formula), whatever the text starts with
                cell.quotePrefix = True
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# dashboard tables (regional and national dashboards)
# ---------------------------------------------------------------------------


def _table_cell(value: Any) -> Any:
    if isinstance(value, float):
        return format_number(value, 1)
    return "" if value is None else value


def table_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A dashboard table as a French CSV (numbers with a decimal comma)."""
    return _csv_bytes(header, ([_table_cell(v) for v in row] for row in rows))


def tables_xlsx(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    notes: Sequence[str] = (),
) -> bytes:
    """Dashboard tables as one Excel workbook, one sheet per ``(title, header, rows)``
    (bold frozen header, filters), and a « Protection » sheet with ``notes``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    used: set[str] = set()
    for title, header, rows in sheets:
        name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Tableau"
        while name in used:
            name = name[:28] + f" {len(used)}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
        for index in range(1, len(header) + 1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = 28 if index == 1 else 16
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    if notes:
        sheet = workbook.create_sheet("Protection")
        sheet.column_dimensions["A"].width = 120
        for note in notes:
            sheet.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def answer_text(grid: Grid, question_id: str, value: Any) -> str:
    """A stored answer as French, human-readable text (as in :func:`results_csv`)."""
    return _answer_text(grid, question_id, value)
