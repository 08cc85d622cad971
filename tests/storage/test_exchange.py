"""Imports into the draft assessment (spreadsheet and JSON), on SQLite and PostgreSQL.

Round trips on the default grid and on a grid with another scale and other
horizons; cells answered online never replaced silently; JSON export then
import into a fresh database gives the same scores; only the right people.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from assessment import assessments, exchange
from assessment.campaigns import create_campaign
from assessment.cli import main
from assessment.db import NotFound, create_database_engine, dispose_engines, migrate
from assessment.exchange import template as layout
from assessment.french import typo
from assessment.grid import Grid
from assessment.grid_store import (
    DEFAULT_GRID_ID,
    get_grid,
    latest_version,
    publish,
    save_draft,
    sync_grids_from_dir,
)
from assessment.organisations import create_organisation, set_shared_with_region
from assessment.permissions import Actor, PermissionDenied, Role
from assessment.scoring import score
from assessment.settings import get_settings
from exchange_helpers import cell_of, edit, fill

from .conftest import SIREN_A, SIREN_B, SYSTEM, database_url

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "guide"
MINI = ROOT / "tests" / "grids" / "mini-3-items.yaml"
YEAR = date.today().year


def _setup(engine: Engine, grid_name: str) -> tuple[int, Grid]:
    """An organisation and an open campaign of ``YEAR`` on the default or the mini grid."""
    if grid_name == "mini":
        draft = save_draft(engine, SYSTEM, MINI.read_text(encoding="utf-8"))
        assert draft.ok and draft.grid is not None, draft.problems
        grid = publish(engine, SYSTEM, draft.grid.id, draft.grid.version)
    else:
        sync_grids_from_dir(engine, GUIDE)
        grid = get_grid(engine, DEFAULT_GRID_ID, latest_version(engine))
    org = create_organisation(
        engine, SYSTEM, name="Association Test", siren=SIREN_A, region="84",
        legal_family="association", size_band="1-9",
    )  # fmt: skip
    today = date.today()
    create_campaign(
        engine, SYSTEM, year=YEAR, opens_on=today - timedelta(days=5),
        closes_on=today + timedelta(days=30), grid_id=grid.id, grid_version=grid.version,
    )  # fmt: skip
    return org, grid


def _stored(engine: Engine, org: int) -> assessments.AssessmentState:
    campaign = exchange.import_target(engine, SYSTEM, org, YEAR).campaign
    state = assessments.find_assessment(engine, SYSTEM, org, campaign.id)
    assert state is not None
    return state


@pytest.mark.parametrize("grid_name", ["default", "mini"])
def test_template_round_trip_into_the_draft(engine: Engine, grid_name: str) -> None:
    org, grid = _setup(engine, grid_name)
    data, expected, notes = fill(grid, exchange.template_xlsx(grid))
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="xlsx")
    assert plan.assessment_id is None and not plan.conflicts
    assert len(plan.changes) == len(expected) + len(notes)
    exchange.apply_import(engine, SYSTEM, plan, overwrite=False)
    state = _stored(engine, org)
    stored = {(q, h): v for q, per in state.answers.items() for h, v in per.items()}
    assert stored == expected
    assert {(q, h): c for q, per in state.comments.items() for h, c in per.items()} == notes
    assert state.revision == 1  # one transaction
    trail = assessments.audit_trail(engine, SYSTEM, state.id)
    assert sum(1 for e in trail if e.kind == "import") == len(set(expected) | set(notes))


def test_nothing_is_imported_while_a_cell_does_not_fit(engine: Engine) -> None:
    org, grid = _setup(engine, "mini")
    data, _, _ = fill(grid, exchange.template_xlsx(grid))
    sheet, cell = cell_of(grid, "gouv-taux-ag", "now")
    bad = edit(data, lambda wb: wb[sheet].__setitem__(cell, "la moitié"))
    with pytest.raises(exchange.ImportRefused) as refused:
        exchange.plan_file(engine, SYSTEM, org, YEAR, bad, kind="xlsx")
    assert f"cellule {cell}" in refused.value.message
    campaign = exchange.import_target(engine, SYSTEM, org, YEAR).campaign
    assert assessments.find_assessment(engine, SYSTEM, org, campaign.id) is None


def test_cells_answered_online_are_conflicts_never_overwritten_silently(engine: Engine) -> None:
    org, grid = _setup(engine, "mini")
    campaign = exchange.import_target(engine, SYSTEM, org, YEAR).campaign
    state = assessments.open_assessment(engine, SYSTEM, org, campaign.id)
    assessments.save_answer(engine, SYSTEM, state.id, "gouv-ag", "now", 3, expected_revision=0)
    sheet, cell = cell_of(grid, "gouv-ag", "now")
    other, other_cell = cell_of(grid, "gouv-ca", "now")

    def answer(workbook):  # type: ignore[no-untyped-def]
        workbook[sheet][cell] = "10 – Référence"
        workbook[other][other_cell] = "5 – Acquis"

    data = edit(exchange.template_xlsx(grid), answer)
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="xlsx")
    [conflict] = plan.conflicts
    assert conflict.where == f"{sheet}!{cell}"
    assert (conflict.old, conflict.new) == ("3 – En cours", "10 – Référence")
    exchange.apply_import(engine, SYSTEM, plan, overwrite=False)  # keep what is online
    kept = _stored(engine, org)
    assert kept.answers["gouv-ag"]["now"] == 3 and kept.answers["gouv-ca"]["now"] == 5
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="xlsx")
    exchange.apply_import(engine, SYSTEM, plan, overwrite=True)
    assert _stored(engine, org).answers["gouv-ag"]["now"] == 10


def test_a_change_online_after_the_check_stops_the_import(engine: Engine) -> None:
    org, grid = _setup(engine, "mini")
    campaign = exchange.import_target(engine, SYSTEM, org, YEAR).campaign
    state = assessments.open_assessment(engine, SYSTEM, org, campaign.id)
    data, _, _ = fill(grid, exchange.template_xlsx(grid))
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="xlsx")
    assessments.save_answer(engine, SYSTEM, state.id, "gouv-ag", "now", 1, expected_revision=0)
    with pytest.raises(assessments.StaleRevision):
        exchange.apply_import(engine, SYSTEM, plan, overwrite=True)
    assert _stored(engine, org).answers == {"gouv-ag": {"now": 1}}


def test_json_export_then_import_into_a_fresh_database_gives_the_same_scores(
    engine: Engine, tmp_path: Path
) -> None:
    org, grid = _setup(engine, "default")
    data, _, _ = fill(grid, exchange.template_xlsx(grid))
    exchange.apply_import(
        engine, SYSTEM, exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="xlsx"),
        overwrite=False,
    )  # fmt: skip
    optional = next(i.id for i in grid.items if i.optional)
    state = _stored(engine, org)
    assessments.set_not_addressed(
        engine, SYSTEM, state.id, [optional], expected_revision=state.revision
    )
    source = _stored(engine, org)
    exported = exchange.export_answers(engine, SYSTEM, org, YEAR)
    document = json.loads(exported)
    assert document["grid"] == {"id": grid.id, "version": grid.version}
    assert document["not_addressed"] == [optional] and document["comments"]

    fresh = create_database_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        migrate(fresh)
        other_org, _ = _setup(fresh, "default")
        plan = exchange.plan_file(fresh, SYSTEM, other_org, YEAR, exported, kind="json")
        exchange.apply_import(fresh, SYSTEM, plan, overwrite=False)
        copy = _stored(fresh, other_org)
    finally:
        fresh.dispose()
    assert copy.answers == source.answers and copy.comments == source.comments
    assert copy.not_addressed == source.not_addressed
    assert score(grid, copy.answers, copy.not_addressed) == score(
        grid, source.answers, source.not_addressed
    )


def test_json_of_another_grid_version_or_with_bad_values_is_refused(engine: Engine) -> None:
    org, grid = _setup(engine, "mini")
    document = {
        "format": "ess-assessment-answers",
        "format_version": 1,
        "grid": {"id": grid.id, "version": "2020.1"},
        "answers": {},
    }
    with pytest.raises(exchange.ExchangeError, match=r"version 2020\.1"):
        exchange.plan_file(engine, SYSTEM, org, YEAR, json.dumps(document).encode(), kind="json")
    document["grid"]["version"] = grid.version  # type: ignore[index]
    document["answers"] = {"gouv-ag": {"now": 7}, "inconnue": {"now": 1}}
    with pytest.raises(exchange.ImportRefused) as refused:
        exchange.plan_file(engine, SYSTEM, org, YEAR, json.dumps(document).encode(), kind="json")
    assert {p.cell for p in refused.value.problems} == {
        "answers.gouv-ag.now",
        "answers.inconnue.now",
    }


def test_only_the_organisation_moves_its_answers(engine: Engine) -> None:
    org, grid = _setup(engine, "mini")
    other = create_organisation(
        engine, SYSTEM, name="SCOP Voisine", siren=SIREN_B, region="84",
        legal_family="cooperative", size_band="10-49",
    )  # fmt: skip
    set_shared_with_region(engine, SYSTEM, org, True)
    member = Actor(None, "m@a.test", Role.MEMBER, organisation_id=org)
    admin = Actor(None, "a@a.test", Role.ORG_ADMIN, organisation_id=org)
    outsider = Actor(None, "m@b.test", Role.MEMBER, organisation_id=other)
    regional = Actor(None, "cress@test", Role.REGIONAL, region="84")
    national = Actor(None, "n@test", Role.NATIONAL)
    data, _, _ = fill(grid, exchange.template_xlsx(grid))
    plan = exchange.plan_file(engine, member, org, YEAR, data, kind="xlsx")  # members fill in
    exchange.apply_import(engine, member, plan, overwrite=False)
    exported = exchange.export_answers(engine, admin, org, YEAR)
    for actor in (member, outsider, regional, national):
        with pytest.raises((PermissionDenied, NotFound)):
            exchange.export_answers(engine, actor, org, YEAR)
        with pytest.raises((PermissionDenied, NotFound)):
            exchange.plan_file(engine, actor, org, YEAR, exported, kind="json")
    for actor in (outsider, regional, national):
        with pytest.raises((PermissionDenied, NotFound)):
            plan = exchange.plan_file(engine, actor, org, YEAR, data, kind="xlsx")
            exchange.apply_import(engine, actor, plan, overwrite=True)


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


@pytest.fixture
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url(engine))
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GUIDE))
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    dispose_engines()


def test_cli_template_import_dry_run_conflicts_overwrite_and_export(
    engine: Engine, cli: CliRunner, tmp_path: Path
) -> None:
    org, grid = _setup(engine, "default")
    result = cli.invoke(main, ["template", str(GUIDE / "guide-bonnes-pratiques-ess.yaml"),
                               "--out", "modele.xlsx"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data, expected, _ = fill(grid, (tmp_path / "modele.xlsx").read_bytes())
    (tmp_path / "rempli.xlsx").write_bytes(data)
    base = ["answers", "import", "rempli.xlsx", "--org", str(org), "--campaign", str(YEAR)]
    result = cli.invoke(main, [*base, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "rien n’a été écrit" in result.output
    campaign = exchange.import_target(engine, SYSTEM, org, YEAR).campaign
    assert assessments.find_assessment(engine, SYSTEM, org, campaign.id) is None
    assert cli.invoke(main, base).exit_code == 0
    question, horizon = next(iter(expected))
    state = _stored(engine, org)
    level = next(q for _, q in grid.questions() if q.type == "level").id
    current = state.answers[level][grid.current_horizon]
    assessments.save_answer(
        engine, SYSTEM, state.id, level, grid.current_horizon, (current + 1) % 5,
        expected_revision=state.revision,
    )  # fmt: skip
    refused = cli.invoke(main, base)
    assert refused.exit_code == 1
    assert "--overwrite" in refused.output and "rien n’a été importé" in refused.output
    assert _stored(engine, org).answers[level][grid.current_horizon] == (current + 1) % 5
    assert cli.invoke(main, [*base, "--overwrite"]).exit_code == 0
    assert _stored(engine, org).answers[level][grid.current_horizon] == current
    result = cli.invoke(
        main, ["answers", "export", "--org", str(org), "--campaign", str(YEAR), "--out", "a.json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "a.json").read_text())["answers"][question][horizon] is not None


def test_cli_refuses_a_malformed_template_listing_every_cell(
    engine: Engine, cli: CliRunner, tmp_path: Path
) -> None:
    org, grid = _setup(engine, "mini")
    sheet, cell = cell_of(grid, "gouv-ag", "now")
    data = edit(exchange.template_xlsx(grid), lambda wb: wb[sheet].__setitem__(cell, 42))
    (tmp_path / "faux.xlsx").write_bytes(data)
    result = cli.invoke(
        main, ["answers", "import", "faux.xlsx", "--org", str(org), "--campaign", str(YEAR)]
    )
    assert result.exit_code == 1
    assert typo(f"Feuille « {sheet} », cellule {cell} :") in result.output
    assert "rien n’a été importé" in result.output


def test_reasons_for_choosing_themes_import_like_answers(engine: Engine) -> None:
    """A reason given online and another in the file: a conflict, kept unless asked;
    a theme without a reason online gets the file's; a blank cell clears nothing."""
    org, grid = _setup(engine, "mini")
    campaign = exchange.import_target(engine, SYSTEM, org, YEAR).campaign
    state = assessments.open_assessment(engine, SYSTEM, org, campaign.id)
    assessments.set_choice_reason(
        engine, SYSTEM, state.id, "gouvernance", "Choisi en ligne", expected_revision=0
    )
    sheets = {s.id: s.sheet for s in layout.sections(grid)}

    def reasons(workbook):  # type: ignore[no-untyped-def]
        workbook[sheets["gouvernance"]][layout.REASON_CELL] = "Choisi dans le fichier"
        workbook[sheets["emploi"]][layout.REASON_CELL] = "  Nos salariés d'abord "

    data = edit(exchange.template_xlsx(grid), reasons)
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="xlsx")
    changes = {c.where: c for c in plan.changes}
    conflict = changes[f"{sheets['gouvernance']}!{layout.REASON_CELL}"]
    assert (conflict.field, conflict.question, conflict.conflict) == (
        "raison du choix",
        "Raison du choix",
        True,
    )
    assert (conflict.old, conflict.new) == ("Choisi en ligne", "Choisi dans le fichier")
    added = changes[f"{sheets['emploi']}!{layout.REASON_CELL}"]
    assert (added.old, added.new, added.conflict) == ("—", "Nos salariés d'abord", False)
    assert plan.conflicts == [conflict]
    exchange.apply_import(engine, SYSTEM, plan, overwrite=False)  # keep what is online
    kept = _stored(engine, org)
    assert kept.choice_reasons == {
        "gouvernance": "Choisi en ligne",
        "emploi": "Nos salariés d'abord",
    }
    assert kept.revision == 2  # one transaction
    trail = assessments.audit_trail(engine, SYSTEM, state.id)
    assert [(e.kind, e.question_id) for e in trail if e.revision == 2] == [
        ("choice_reason", "emploi")
    ]
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="xlsx")
    assert [c.field for c in plan.changes] == ["raison du choix"]
    exchange.apply_import(engine, SYSTEM, plan, overwrite=True)
    assert _stored(engine, org).choice_reasons["gouvernance"] == "Choisi dans le fichier"
    blank = exchange.plan_file(engine, SYSTEM, org, YEAR, exchange.template_xlsx(grid), kind="xlsx")
    assert blank.is_empty


def test_json_carries_the_reasons_and_refuses_those_that_do_not_fit(
    engine: Engine, tmp_path: Path
) -> None:
    org, _ = _setup(engine, "mini")
    campaign = exchange.import_target(engine, SYSTEM, org, YEAR).campaign
    state = assessments.open_assessment(engine, SYSTEM, org, campaign.id)
    assessments.set_choice_reason(
        engine, SYSTEM, state.id, "emploi", "Nos salariés d'abord", expected_revision=0
    )
    exported = exchange.export_answers(engine, SYSTEM, org, YEAR)
    fresh = create_database_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        migrate(fresh)
        other_org, _ = _setup(fresh, "mini")
        plan = exchange.plan_file(fresh, SYSTEM, other_org, YEAR, exported, kind="json")
        [change] = plan.changes
        assert (change.where, change.field) == ("choice_reasons.emploi", "raison du choix")
        exchange.apply_import(fresh, SYSTEM, plan, overwrite=False)
        assert _stored(fresh, other_org).choice_reasons == {"emploi": "Nos salariés d'abord"}
    finally:
        fresh.dispose()
    document = json.loads(exported)
    document["choice_reasons"] = {
        "emploi": "x" * 201,
        "inconnu": "Pourquoi pas",
        "gouvernance": 3,
        "environnement": "Texte \u202eà l'envers",
    }
    with pytest.raises(exchange.ImportRefused) as refused:
        exchange.plan_file(engine, SYSTEM, org, YEAR, json.dumps(document).encode(), kind="json")
    assert {p.cell for p in refused.value.problems} == {
        f"choice_reasons.{item}" for item in ("emploi", "inconnu", "gouvernance", "environnement")
    }
    assert any("200 caractères au plus" in p.message for p in refused.value.problems)
