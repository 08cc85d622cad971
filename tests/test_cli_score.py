"""``assessment score GRID ANSWERS``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from assessment.cli import main
from assessment.cli import score_command as score_module
from assessment.gridfile import load_grid

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "grids" / "mini-3-items.yaml"
SINGLE = ROOT / "tests" / "grids" / "single-horizon.yaml"
DEFAULT = ROOT / "guide" / "guide-bonnes-pratiques-ess.yaml"
BROKEN = ROOT / "tests" / "grids" / "broken"

MINI_ANSWERS = """\
grid: federation-grille-allegee
version: "2025.2"
answers:
  gouv-ag: {now: 3, target_2y: 10}
  gouv-taux-ag: {now: 50}
  gouv-vote-distance: {now: yes}      # YAML 1.1 boolean
  emp-contrats: {now: contrats-courts}
  emp-contrats-explication: {now: "Activité saisonnière"}
not_addressed: [environnement]
"""


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["score", *map(str, args)])


def write(tmp_path: Path, content: str | bytes, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def ok_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def fails(result: Result) -> list[str]:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------


def test_scores_the_mini_grid(tmp_path: Path) -> None:
    data = ok_json(run(MINI, write(tmp_path, MINI_ANSWERS)))
    assert list(data) == [
        "overall", "items", "systemic", "completion", "not_addressed", "not_applicable"
    ]  # fmt: skip
    gouv_now = (2 * (2 / 9 * 100) + 1 * 50 + 0.5 * 100) / 3.5
    assert data["items"]["gouvernance"] == {"now": pytest.approx(gouv_now), "target_2y": 100.0}
    assert data["items"]["emploi"] == {"now": 0.0, "target_2y": None}
    assert data["items"]["environnement"] == {"now": None, "target_2y": None}
    assert data["overall"]["now"] == pytest.approx(2 * gouv_now / 3.5)
    assert data["overall"]["target_2y"] == 100.0
    assert data["systemic"] == {"now": None, "target_2y": None}
    assert data["completion"]["items"]["emploi"] == {"answered": 2, "expected": 5}
    assert data["completion"]["items"]["environnement"] == {"answered": 0, "expected": 0}
    assert data["completion"]["systemic"] == {"answered": 0, "expected": 1}
    assert (data["completion"]["answered"], data["completion"]["expected"]) == (6, 14)
    assert data["not_addressed"] == ["environnement"]


def test_json_answers_file(tmp_path: Path) -> None:
    document = yaml.safe_load(MINI_ANSWERS)
    path = write(tmp_path, json.dumps(document, indent="\t"), "answers.json")
    assert ok_json(run(MINI, path)) == ok_json(run(MINI, write(tmp_path, MINI_ANSWERS)))


def test_minimal_file_and_empty_answers(tmp_path: Path) -> None:
    data = ok_json(run(MINI, write(tmp_path, "grid: federation-grille-allegee\n")))
    assert data["overall"] == {"now": None, "target_2y": None}
    assert data["completion"]["answered"] == 0
    assert data["not_addressed"] == []


def test_single_horizon_grid_with_other_scale(tmp_path: Path) -> None:
    answers = """\
grid: autodiagnostic-express
answers:
  va-ag: {now: 2}
  va-bureau: {now: 1}
  ben-accueil: {now: 0}
  ben-nombre: {now: 12}
  va-remarques: {now: "RAS"}
"""
    data = ok_json(run(SINGLE, write(tmp_path, answers)))
    assert data["items"] == {"vie-associative": {"now": 75.0}, "benevolat": {"now": 0.0}}
    assert data["overall"] == {"now": 37.5}
    assert data["systemic"] == {}
    assert data["completion"]["systemic"] is None
    assert data["completion"]["answered"] == data["completion"]["expected"] == 5


def test_default_grid(tmp_path: Path) -> None:
    grid = load_grid(DEFAULT)
    now, y1, _ = grid.horizon_ids
    first, second = grid.items[0], grid.items[1]
    levels = [q.id for q in first.questions if q.type == "level"][:2]
    other = next(q.id for q in second.questions if q.type == "level")
    answers = {levels[0]: {now: 1, y1: 3}, levels[1]: {now: 2, y1: 3}, other: {now: 4}}
    document = {"grid": grid.id, "version": grid.version, "answers": answers}
    data = ok_json(run(DEFAULT, write(tmp_path, yaml.safe_dump(document))))
    assert data["items"][first.id][now] == 37.5
    assert data["items"][first.id][y1] == 75.0
    assert data["items"][second.id][now] == 100.0
    total = first.weight + second.weight
    assert data["overall"][now] == pytest.approx(
        (first.weight * 37.5 + second.weight * 100) / total
    )
    assert data["overall"][y1] == 75.0
    assert all(data["items"][i.id][now] is None for i in grid.items[2:])
    assert data["completion"]["answered"] == 5
    assert set(data["items"]) == {i.id for i in grid.items}


# ---------------------------------------------------------------------------
# Answers that do not fit the grid
# ---------------------------------------------------------------------------


def test_every_answer_error_is_reported(tmp_path: Path) -> None:
    answers = """\
grid: federation-grille-allegee
answers:
  gouv-ag: {now: 4, cible: 10}
  gouv-taux-ag: {now: 150}
  gouv-vote-distance: {now: "peut-être"}
  emp-contrats: {now: cdd}
  inconnue: {now: 1}
not_addressed: [emploi]
"""
    path = write(tmp_path, answers)
    lines = fails(run(MINI, path))
    assert lines == [
        f"{path}: gouv-ag (Aujourd’hui) : 4 n'est pas un niveau de l'échelle (1, 3, 5, 10)",
        f"{path}: gouv-ag (cible) : horizon inconnu (horizons de la grille : now, target_2y)",
        f"{path}: gouv-taux-ag (Aujourd’hui) : 150 est supérieur au maximum (100)",
        f"{path}: gouv-vote-distance (Aujourd’hui) : oui ou non (true / false) est attendu, "
        "pas « peut-être »",
        f"{path}: emp-contrats (Aujourd’hui) : « cdd » n'est pas une option de la question "
        "(cdi, mixte, contrats-courts)",
        f"{path}: inconnue : cette question n'existe pas dans la grille",
        f"{path}: « emploi » ne peut pas être marqué « non traité cette année » : "
        "il n'est pas facultatif",
        "7 erreurs : les réponses ne correspondent pas à la grille "
        "federation-grille-allegee@2025.2",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("grid: autre-grille\nanswers: {}\n", "pour la grille « autre-grille », pas"),
        ("answers: {}\n", "clé « grid » manquante"),
        (
            "grid: federation-grille-allegee\nversion: '1999'\n",
            "pour la version « 1999 » de la grille, pas « 2025.2 »",
        ),
        ("grid: federation-grille-allegee\nanwsers: {}\n", "clé inconnue « anwsers »"),
        ("grid: federation-grille-allegee\nanswers: [1, 2]\n", "« answers » doit être une table"),
        (
            "grid: federation-grille-allegee\nnot_addressed: emploi\n",
            "« not_addressed » doit être une liste",
        ),
        (
            "grid: federation-grille-allegee\nanswers:\n  gouv-ag: 3\n",
            "gouv-ag : les réponses d'une question doivent être un tableau",
        ),
    ],
)
def test_envelope_errors(tmp_path: Path, content: str, expected: str) -> None:
    lines = fails(run(MINI, write(tmp_path, content)))
    assert any(expected in line for line in lines), lines


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "le fichier est vide"),
        (b"- 1\n- 2\n", "le fichier doit contenir une table"),
        (b"grid: [unclosed\n", "erreur de syntaxe YAML (ligne"),
        (b"grid: \xff\xfe\n", "pas encodé en UTF-8"),
        (b"a: &x [1, 2]\nb: *x\n", "les alias YAML"),
        (b"grid: !!python/object:os.system x\n", "erreur de syntaxe YAML"),
    ],
)
def test_unreadable_answers_files(tmp_path: Path, content: bytes, expected: str) -> None:
    lines = fails(run(MINI, write(tmp_path, content)))
    assert expected in lines[0], lines
    assert lines[-1].endswith("fichier de réponses inutilisable")


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    content = (BROKEN / "billion-laughs.yaml").read_bytes()
    lines = fails(run(MINI, write(tmp_path, content)))
    assert "les alias YAML" in lines[0]


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score_module, "MAX_ANSWERS_BYTES", 100)
    path = write(tmp_path, MINI_ANSWERS)
    assert "fichier trop volumineux" in fails(run(MINI, path))[0]


def test_invalid_grid_reports_its_problems(tmp_path: Path) -> None:
    grid = BROKEN / "tabs.yaml"
    lines = fails(run(grid, write(tmp_path, MINI_ANSWERS)))
    assert lines[0].startswith(f"{grid}:")
    assert lines[-1].endswith("la grille n'est pas valide")


def test_missing_files_are_usage_errors(tmp_path: Path) -> None:
    assert run(MINI, tmp_path / "nope.yaml").exit_code == 2
    assert run(tmp_path / "nope.yaml", write(tmp_path, MINI_ANSWERS)).exit_code == 2


def test_listed_in_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "score" in result.output
    result = CliRunner().invoke(main, ["score", "--help"])
    assert result.exit_code == 0 and "GRID ANSWERS" in result.output


PROFILE_GRID = """\
id: profils
version: "1"
title: Grille
scale:
  - {value: 0, label: Non}
  - {value: 4, label: Oui}
horizons:
  - {id: now, label: État des lieux}
items:
  - id: social
    title: Social
    questions:
      - {id: dialogue, type: level, label: Dialogue, may_not_apply: true}
      - id: cse
        type: level
        label: CSE
        applies_to: {size_band: [10-49, 50-249, 250+]}
"""


def test_profile_and_not_applicable_leave_questions_out(tmp_path: Path) -> None:
    grid = write(tmp_path, PROFILE_GRID, "grid.yaml")
    answers = "grid: profils\nanswers:\n  dialogue: {now: 4}\n  cse: {now: 0}\n"
    everyone = ok_json(run(grid, write(tmp_path, answers)))
    assert everyone["items"]["social"]["now"] == 50.0
    small = ok_json(run(grid, write(tmp_path, answers + "profile: {size_band: 1-9}\n")))
    assert small["items"]["social"]["now"] == 100.0  # the CSE's 0 does not count
    assert small["not_applicable"] == ["cse"]
    chosen = answers + "profile: {size_band: 1-9}\nnot_applicable: [dialogue]\n"
    none_left = ok_json(run(grid, write(tmp_path, chosen)))
    assert none_left["items"]["social"]["now"] is None and none_left["completion"]["expected"] == 0
    bad = answers + "profile: {size_band: 10-50, taille: 3}\nnot_applicable: [cse]\n"
    lines = fails(run(grid, write(tmp_path, bad)))
    assert any("« 10-50 » n'est pas une valeur de « size_band »" in line for line in lines)
    assert any("clé inconnue « taille »" in line for line in lines)
    assert any("cse ne peut pas être marquée « non applicable »" in line.replace("« cse »", "cse")
               for line in lines)  # fmt: skip
