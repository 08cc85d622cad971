"""Exports are pure bytes: read them back and check what a user would open."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from openpyxl import load_workbook

from assessment import exports
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
ANSWERS = {
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


def test_action_plan_xlsx_is_a_real_workbook() -> None:
    data = exports.action_plan_xlsx(GRID, ACTIONS)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Plan d'action"
    assert [c.value for c in sheet[1]][:4] == ["N°", "Thème", "Objectif", "Action"]
    assert sheet["F2"].value.date() == date(2026, 6, 30)
    assert sheet["F2"].number_format == "DD/MM/YYYY"
    assert sheet["G3"].value == "En cours"
    assert sheet.freeze_panes == "A2"


def test_empty_action_plan_exports_header_only() -> None:
    assert len(_read_csv(exports.action_plan_csv(GRID, []))) == 1
    sheet = load_workbook(io.BytesIO(exports.action_plan_xlsx(None, []))).active
    assert sheet.max_row == 1


def test_format_number() -> None:
    assert exports.format_number(62.0) == "62"
    assert exports.format_number(62.46) == "62,5"
    assert exports.format_number(None) == ""


def test_results_xlsx_has_the_csv_rows_as_text_cells() -> None:
    answers = {**ANSWERS, "g3": {"now": '=HYPERLINK("http://x";"clic")'}}
    report = score(GRID, answers)
    sheet = load_workbook(io.BytesIO(exports.results_xlsx(GRID, report, answers))).active
    assert sheet is not None
    rows = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    assert rows == _read_csv(exports.results_csv(GRID, report, answers))
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)
