"""The data commands (click CliRunner) and the demo data."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from assessment import assessments as svc
from assessment import startup
from assessment.accounts import authenticate
from assessment.answers import missing_required
from assessment.campaigns import current_campaign, list_campaigns
from assessment.cli import main
from assessment.db import read_session, write_session
from assessment.demo import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_REGION,
    AnswerGenerator,
    OrganisationHistory,
    SeedError,
    create_demo_accounts,
    generate_organisations,
    seed_demo,
)
from assessment.demo_mark import DemoDatabaseError
from assessment.grid_store import DEFAULT_GRID_ID, get_grid, latest_version, sync_grids_from_dir
from assessment.organisations import create_organisation, is_valid_rna, is_valid_siren
from assessment.permissions import Role
from assessment.settings import get_settings
from assessment.tables import Answer, Assessment, Organisation, User

from .conftest import GRIDS_V1, SYSTEM, database_url

REPO = Path(__file__).parents[2]
DEFAULT_GRIDS = REPO / "guide"


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """The CLI's settings point at the test database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url(engine))
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GRIDS_V1))
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    monkeypatch.delenv("ASSESSMENT_MODE", raising=False)
    monkeypatch.delenv("ASSESSMENT_PASSWORD", raising=False)
    startup.clear_caches()
    yield engine
    startup.clear_caches()


def _count(engine: Engine, table: type) -> int:
    with read_session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def test_db_upgrade_is_idempotent(cli_env: Engine) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "Grille petite-grille 1 (small-v1.yaml) : publiée" in first.output
    second = runner.invoke(main, ["db", "upgrade"])
    assert second.exit_code == 0, second.output
    assert "déjà à jour" in second.output


def test_users_add_with_prompt_and_with_env(
    cli_env: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["users", "add", "--email", "National@Test.fr", "--role", "national"],
        input="un mot de passe solide\nun mot de passe solide\n",
    )
    assert result.exit_code == 0, result.output
    assert "national@test.fr" in result.output
    assert authenticate(cli_env, "national@test.fr", "un mot de passe solide").role is Role.NATIONAL

    monkeypatch.setenv("ASSESSMENT_PASSWORD", "mot de passe du script")
    result = runner.invoke(
        main, ["users", "add", "--email", "cress@test.fr", "--role", "regional", "--region", "53"]
    )
    assert result.exit_code == 0, result.output
    assert authenticate(cli_env, "cress@test.fr", "mot de passe du script").region == "53"

    refused = runner.invoke(main, ["users", "add", "--email", "m@test.fr", "--role", "member"])
    assert refused.exit_code == 1
    assert "rattaché à une organisation" in refused.output
    duplicate = runner.invoke(
        main, ["users", "add", "--email", "CRESS@test.fr", "--role", "regional", "--region", "53"]
    )
    assert duplicate.exit_code == 1 and "existe déjà" in duplicate.output


def test_users_add_password_confirmation_must_match(cli_env: Engine) -> None:
    result = CliRunner().invoke(
        main,
        ["users", "add", "--email", "n@test.fr", "--role", "national"],
        input="un mot de passe solide\nun autre mot de passe\nun mot de passe solide\n"
        "un mot de passe solide\n",
    )
    assert result.exit_code == 0, result.output
    assert (
        "Error: The two entered values do not match." in result.output or "match" in result.output
    )


def test_orgs_import(cli_env: Engine, tmp_path: Path) -> None:
    good = tmp_path / "orgs.csv"
    good.write_bytes(
        "\ufeffname;siren;rna;region;legal_family;size_band;sector\n"
        "Mutuelle de Lyon;542051180;;84;mutual;50-249;K\n"
        "Association du Port;;W291234567;53;association;0;R\n".encode()
    )
    result = CliRunner().invoke(main, ["orgs", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 organisations importées" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,siren,rna,region,legal_family,size_band,sector\n"
        "Nouvelle,552100554,,84,association,1-9,\n"
        "Déjà là,542051180,,84,mutual,50-249,K\n"
        "Fausse,123456789,,84,association,1-9,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["orgs", "import", str(bad)])
    assert result.exit_code == 1
    assert "ligne 4, siren : 123456789 n'est pas un SIREN valide (clé de contrôle)" in result.output
    assert "aucune organisation importée" in result.output
    assert _count(cli_env, Organisation) == 2


def test_seed_demo_command(cli_env: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(DEFAULT_GRIDS))
    get_settings.cache_clear()
    result = CliRunner().invoke(
        main, ["seed-demo", "--orgs", "30", "--campaigns", "2", "--seed", "4"]
    )
    assert result.exit_code == 0, result.output
    assert "30 organisations, 2 campagnes" in result.output
    assert DEMO_PASSWORD in result.output
    again = CliRunner().invoke(main, ["seed-demo", "--orgs", "30"])
    assert again.exit_code == 1 and "base vide" in again.output

    monkeypatch.setenv("ASSESSMENT_MODE", "production")
    get_settings.cache_clear()
    refused = CliRunner().invoke(main, ["seed-demo"])
    assert refused.exit_code == 1 and "production" in refused.output


# ---------------------------------------------------------------------------
# demo data: pure generation
# ---------------------------------------------------------------------------


def test_generation_is_deterministic() -> None:
    first = generate_organisations(300, random.Random(7))
    assert first == generate_organisations(300, random.Random(7))
    assert first != generate_organisations(300, random.Random(8))


def test_organisations_look_like_the_ess() -> None:
    orgs = generate_organisations(20_000, random.Random(1))
    families = Counter(o.legal_family for o in orgs)
    share = {family: count / len(orgs) for family, count in families.items()}
    assert 0.76 < share["association"] < 0.80
    assert 0.135 < share["cooperative"] < 0.165
    assert 0.04 < share["mutual"] < 0.06
    assert 0.002 < share["foundation"] < 0.009
    regions = Counter(o.region for o in orgs)
    assert len(regions) == 18 and regions.most_common(1)[0][0] == DEMO_REGION
    sizes = Counter(o.size_band for o in orgs)
    assert (sizes["0"] + sizes["1-9"]) / len(orgs) > 0.6
    assert 0 < sizes["250+"] / len(orgs) < 0.005  # "a few hundred per 155,000"
    sirens = [o.siren for o in orgs if o.siren]
    assert len(set(sirens)) == len(sirens) and all(is_valid_siren(s) for s in sirens)
    assert all(is_valid_rna(o.rna) for o in orgs if o.rna)
    assert all(o.siren or o.rna for o in orgs)
    prefixes = (
        "Association",
        "Les Amis",
        "Comité",
        "SCOP",
        "SCIC",
        "Coopérative",
        "Mutuelle",
        "Fondation",
    )
    assert sum(o.name.startswith(prefixes) for o in orgs) / len(orgs) > 0.95


def test_answers_progress_towards_goals(engine: Engine) -> None:
    sync_grids_from_dir(engine, DEFAULT_GRIDS)
    grid = get_grid(engine, DEFAULT_GRID_ID, latest_version(engine))
    generator = AnswerGenerator(grid)
    rng = random.Random(3)
    org = generate_organisations(5, rng)[1]
    history = OrganisationHistory()
    years = [generator.assessment(org, i, history, rng, submitted=True) for i in range(3)]
    goal = grid.horizon_ids[1]
    for generated in years:
        cells = {(q, h): v for q, h, v, _ in generated.cells}
        answers: dict[str, dict[str, object]] = {}
        for (q, h), v in cells.items():
            answers.setdefault(q, {})[h] = v
        na = generated.not_applicable  # applies_to leaves these out for the org's profile
        assert missing_required(grid, answers, generated.not_addressed, na) == []
        assert not {q for q, _ in cells} & na
        for (q, h), v in cells.items():
            if h == goal and grid.question(q).type == "level":
                assert v >= cells[(q, grid.current_horizon)]  # goals above current


# ---------------------------------------------------------------------------
# demo data in the database
# ---------------------------------------------------------------------------


def test_seed_demo_small(engine: Engine) -> None:
    sync_grids_from_dir(engine, DEFAULT_GRIDS)
    report = seed_demo(engine, orgs=50, campaigns=3, seed=11)
    assert (report.organisations, report.campaigns) == (50, 3)
    assert report.assessments == _count(engine, Assessment) > 50
    assert report.answers == _count(engine, Answer) > 50 * 50
    campaigns = list_campaigns(engine)
    assert [c.year for c in campaigns] == [date.today().year - i for i in range(3)]
    assert current_campaign(engine).year == date.today().year  # type: ignore[union-attr]
    grid = get_grid(engine, DEFAULT_GRID_ID, latest_version(engine))
    with read_session(engine) as session:
        statuses = Counter(session.scalars(select(Assessment.status)))
        assert statuses["submitted"] and statuses["draft"]
        submitted_ids = session.scalars(
            select(Assessment.id).where(Assessment.status == "submitted")
        ).all()
        skipped = session.scalars(select(Assessment.not_addressed)).all()
        assert any(skipped)
    for assessment_id in submitted_ids[:20]:
        state = svc.get_assessment(engine, SYSTEM, assessment_id)
        # what submission checks: « non applicable » questions (applies_to) are not expected
        na = state.not_applicable_ids(grid)
        assert missing_required(grid, state.answers, state.not_addressed, na) == []

    created = create_demo_accounts(engine)
    assert [a.email for a in created] == [a.email for a in DEMO_ACCOUNTS]
    assert create_demo_accounts(engine) == []  # idempotent
    member = authenticate(engine, "membre@demo.test", DEMO_PASSWORD)
    cress = authenticate(engine, "cress@demo.test", DEMO_PASSWORD)
    assert cress.region == DEMO_REGION
    # the demo organisation has a draft in the open campaign that the services can edit
    current = current_campaign(engine)
    assert current is not None and member.organisation_id is not None
    state = svc.open_assessment(engine, member, member.organisation_id, current.id)
    assert state.status == "draft"
    svc.save_answer(
        engine, member, state.id, "gouv-regles", "current", 4, expected_revision=state.revision
    )
    history = svc.list_assessments(engine, cress, member.organisation_id)  # shared with its CRESS
    assert len(history) == 3
    # a demo database takes no real organisation...
    with pytest.raises(DemoDatabaseError, match="reset-demo"):
        create_organisation(
            engine,
            SYSTEM,
            name="Nouvelle",
            siren="542051180",
            region="84",
            legal_family="association",
            size_band="0",
        )
    # ...and its id sequences continue after the explicit ids of the seed (PostgreSQL)
    with write_session(engine) as session:
        row = Organisation(
            name="Fictive",
            region="84",
            legal_family="association",
            size_band="0",
            siren="542051180",
        )
        session.add(row)
        session.flush()
        assert row.id == 51
    with pytest.raises(SeedError, match="base vide"):
        seed_demo(engine, orgs=5, campaigns=1)


def test_seed_is_deterministic(engine: Engine, tmp_path: Path) -> None:
    from assessment.db import create_database_engine, migrate

    sync_grids_from_dir(engine, DEFAULT_GRIDS)
    today = date(2026, 6, 1)
    seed_demo(engine, orgs=20, campaigns=2, seed=5, today=today)
    other = create_database_engine(f"sqlite:///{tmp_path}/other.sqlite3")
    try:
        migrate(other)
        sync_grids_from_dir(other, DEFAULT_GRIDS)
        seed_demo(other, orgs=20, campaigns=2, seed=5, today=today)

        def snapshot(db: Engine) -> list[tuple[object, ...]]:
            with read_session(db) as session:
                return [
                    tuple(row)
                    for row in session.execute(
                        select(
                            Answer.assessment_id,
                            Answer.question_id,
                            Answer.horizon_id,
                            Answer.value,
                        ).order_by(Answer.assessment_id, Answer.question_id, Answer.horizon_id)
                    )
                ]

        assert snapshot(engine) == snapshot(other)
    finally:
        other.dispose()


def test_demo_accounts_without_seed(engine: Engine) -> None:
    create_demo_accounts(engine)
    with read_session(engine) as session:
        roles = Counter(session.scalars(select(User.role)))
        assert _count(engine, Organisation) == 1
    assert roles == Counter({"member": 1, "org_admin": 1, "regional": 1, "national": 1})
