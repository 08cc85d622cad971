"""``assessment grids diff`` and ``assessment grids dry-run``: the same core as the page."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from assessment.cli import main

from .conftest import GRIDS_V1, GRIDS_V2, World
from .test_cli_and_demo import cli_env  # noqa: F401  (the CLI's settings on the test database)
from .test_national import _draft_v2, _submitted_org

V1 = GRIDS_V1 / "small-v1.yaml"
V2 = GRIDS_V2 / "small-v2.yaml"


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_diff_prints_the_changes_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["grids", "diff", str(V1), str(V2)])
    assert result.exit_code == 0, result.output
    out = _plain(result.output)
    assert (
        out.splitlines()[0] == "petite-grille@1 → petite-grille@2 : 3 changements : "
        "1 changement de titre, 2 ajouts"
    )
    assert "Question terr-emplois (territoire) : ajouté" in out
    as_json = json.loads(runner.invoke(main, ["grids", "diff", str(V1), str(V2), "--json"]).output)
    assert {(c["kind"], c["change"], c["id"]) for c in as_json["changes"]} >= {
        ("item", "added", "territoire"),
        ("question", "added", "terr-emplois"),
    }


def test_diff_checks_replaces_against_the_old_file(tmp_path: Path) -> None:
    new = tmp_path / "v2.yaml"
    new.write_text(
        _draft_v2().replace(
            "      - id: gouv-regles\n", "      - id: gouv-a\n        replaces: [x]\n"
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["grids", "diff", str(V1), str(new)])
    assert result.exit_code == 1
    assert "« replaces » désigne « x »" in result.output


@pytest.mark.usefixtures("cli_env")
def test_dry_run_on_a_campaign(world: World, tmp_path: Path) -> None:
    for region in ["84"] * 5 + ["11"] * 5:
        _submitted_org(world, region)
    draft = tmp_path / "draft.yaml"
    draft.write_text(_draft_v2("weight"), encoding="utf-8")
    year = str(date.today().year)
    runner = CliRunner()
    result = runner.invoke(main, ["grids", "dry-run", str(draft), "--campaign", year, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["assessments"] == 10
    assert data["overall"]["changed"] == 10
    assert [r["region"] for r in data["regions"]] == ["11", "84"]
    assert [q["question_id"] for q in data["lost_history"]] == ["env-actions"]
    text = runner.invoke(main, ["grids", "dry-run", str(draft), "--campaign", year])
    assert text.exit_code == 0, text.output
    out = _plain(text.output)
    assert "10 organisations sur 10 changeraient" in out
    assert "Questions qui perdent leur historique" in out
    missing = runner.invoke(main, ["grids", "dry-run", str(draft), "--campaign", "1999"])
    assert missing.exit_code == 1
    assert "Aucune campagne 1999" in missing.output
