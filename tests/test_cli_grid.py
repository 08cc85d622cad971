"""``assessment validate``, ``assessment schema`` and ``assessment show``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from assessment.cli import main

BROKEN = Path(__file__).parent / "grids" / "broken"
LOCATED = re.compile(r"^.+:\d+:\d+: .+$")

VALID = """\
id: cli-grid
version: "1"
title: Grille CLI
scale:
  - {value: 0, label: Absent}
  - {value: 1, label: Présent}
horizons:
  - {id: now, label: Aujourd'hui}
  - {id: y2, label: Dans deux ans}
items:
  - id: gouvernance
    title: Gouvernance
    questions:
      - id: q1
        type: level
        label: Question de niveau
      - id: q2
        type: yes_no
        label: Question oui/non
        horizons: [now]
systemic:
  title: Vue d'ensemble
  questions:
    - id: s1
      type: text
      label: Synthèse
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    path = tmp_path / "valid.yaml"
    path.write_text(VALID, encoding="utf-8")
    return path


def test_commands_are_registered() -> None:
    result = run("--help")
    for name in ("validate", "schema", "show"):
        assert name in result.stdout


# ---- validate ------------------------------------------------------------------
def test_validate_valid_file(valid_file: Path) -> None:
    result = run("validate", str(valid_file))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"OK  {valid_file} : « Grille CLI » (cli-grid@1), 1\u00a0thème, 3\u00a0questions",
        "OK : 1\u00a0grille valide",
    ]


def test_validate_broken_file_prints_every_problem_located() -> None:
    path = BROKEN / "many-errors.yaml"
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1] == "8\u00a0erreurs dans 1\u00a0fichier"
    assert len(lines[:-1]) == 8
    assert all(LOCATED.match(line) for line in lines[:-1])
    assert f"{path}:23:9: items[0].questions[2].id : champ obligatoire manquant" in lines


def test_validate_folder_and_files_together(tmp_path: Path, valid_file: Path) -> None:
    folder = tmp_path / "grids"
    folder.mkdir()
    (folder / "a.yaml").write_text(VALID.replace('"1"', '"2"'), encoding="utf-8")
    (folder / "b.yml").write_text("id: x: y\n", encoding="utf-8")
    result = run("validate", str(folder), str(valid_file), str(valid_file))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{folder / 'b.yml'}:1:6: deux-points « : » inattendu : si la valeur contient « : », "
        "mettez-la entre guillemets ; sinon vérifiez l'indentation",
        "1\u00a0erreur dans 1\u00a0fichier",
    ]


def test_validate_folder_with_duplicate_grid(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(VALID, encoding="utf-8")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1
    first_line = result.stderr.splitlines()[0]
    assert first_line.startswith(f"{tmp_path / 'b.yaml'}:1:5: la grille « cli-grid » version « 1 »")


def test_validate_all_valid_folder(tmp_path: Path) -> None:
    for version in ("1", "2", "3"):
        text = VALID.replace('version: "1"', f'version: "{version}"')
        (tmp_path / f"g{version}.yaml").write_text(text, encoding="utf-8")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "OK : 3\u00a0grilles valides"


def test_validate_empty_folder_fails(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1
    assert "aucun fichier de grille" in result.stderr


def test_validate_warnings_and_strict(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(VALID.replace("horizons: [now]", "horizons: [now]\n        optional: on"))
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}:21:19: items[0].questions[1].optional : attention : « on » est compris comme "
        'true ; écrivez true (ou "on" entre guillemets si c\'est un texte)',
        "1\u00a0avertissement",
    ]
    strict = run("validate", "--strict", str(path))
    assert strict.exit_code == 1
    assert strict.stderr.splitlines()[-1] == "1\u00a0erreur dans 1\u00a0fichier"


def test_validate_hostile_file_fails_cleanly() -> None:
    result = run("validate", str(BROKEN / "billion-laughs.yaml"))
    assert result.exit_code == 1
    assert "alias" in result.stderr


def test_validate_needs_existing_paths(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2


# ---- schema ---------------------------------------------------------------------
def test_schema_is_pretty_json_for_editors() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["title"] == "Grille d'auto-évaluation ESS"
    assert "items" in schema["properties"]
    assert result.stdout.startswith("{\n  ")
    assert "évaluation" in result.stdout  # not \u-escaped


# ---- show -----------------------------------------------------------------------
def test_show_outline(valid_file: Path) -> None:
    result = run("show", str(valid_file))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Grille « Grille CLI » — id : cli-grid, version : 1, langue : fr"
    assert "  1 = Présent" in lines
    assert "  y2 — Dans deux ans" in lines
    assert "  1. gouvernance — Gouvernance" in lines
    assert "     - q2 [yes_no] Question oui/non" in lines
    assert "       (facultative ; horizons : now)" in lines
    assert "Approche systémique — Vue d'ensemble" in lines


def test_show_broken_file() -> None:
    result = run("show", str(BROKEN / "unknown-type.yaml"))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "type de question inconnu « levle »" in result.stderr
