"""Demo mode never opens a real database (both engines).

Measured on the old code: on a database with real organisations but no
account yet, the demo button created ``national@demo.test`` with the published
password, which then listed the real organisations.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from assessment import demo_mark
from assessment.cli import main
from assessment.db import dispose_engines, read_session
from assessment.demo import SeedError, create_demo_accounts, prepare_demo_database, seed_demo
from assessment.grid_store import sync_grids_from_dir
from assessment.organisations import create_organisation, import_organisations_csv
from assessment.permissions import Role
from assessment.settings import get_settings
from assessment.tables import GridVersion, Organisation, User, metadata

from .conftest import SYSTEM, database_url

REPO = Path(__file__).parents[2]
GUIDE = REPO / "guide"
CSV = (
    "name;siren;rna;region;legal_family;size_band;sector\n"
    "Mutuelle de Lyon;542051180;;84;mutual;50-249;K\n"
    "Association du Port;;W291234567;53;association;0;R\n"
)


def _count(engine: Engine, table: type) -> int:
    with read_session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _real_organisation(engine: Engine) -> int:
    return create_organisation(
        engine,
        SYSTEM,
        name="Mutuelle réelle",
        siren="552100554",
        region="84",
        legal_family="mutual",
        size_band="50-249",
    )


@pytest.fixture
def guide(engine: Engine) -> Engine:
    sync_grids_from_dir(engine, GUIDE)
    return engine


def test_real_organisations_without_accounts_get_no_demo_accounts(guide: Engine) -> None:
    _real_organisation(guide)
    assert not demo_mark.can_hold_demo(guide)
    with pytest.raises(SeedError, match="base vide"):
        prepare_demo_database(guide, orgs=5, campaigns=1)
    with pytest.raises(SeedError, match="vraies données"):
        create_demo_accounts(guide)
    with pytest.raises(SeedError):
        seed_demo(guide, orgs=5, campaigns=1)
    assert _count(guide, User) == 0
    assert not demo_mark.is_demo(guide)


def test_an_account_alone_makes_a_database_not_empty(guide: Engine) -> None:
    from assessment.accounts import create_user

    create_user(guide, SYSTEM, email="cn@example.org", password="a-long-password", role="national")
    assert not demo_mark.is_empty(guide)
    with pytest.raises(SeedError):
        prepare_demo_database(guide, orgs=5, campaigns=1)


def test_the_seed_marks_the_database_and_refuses_real_organisations(guide: Engine) -> None:
    assert demo_mark.is_empty(guide) and not demo_mark.is_demo(guide)
    prepare_demo_database(guide, orgs=5, campaigns=1)
    assert demo_mark.is_demo(guide)
    assert prepare_demo_database(guide, orgs=5, campaigns=1) is None  # idempotent
    with pytest.raises(demo_mark.DemoDatabaseError, match="reset-demo"):
        _real_organisation(guide)
    with pytest.raises(demo_mark.DemoDatabaseError, match="reset-demo"):
        import_organisations_csv(guide, SYSTEM, CSV)
    assert _count(guide, Organisation) == 5


def test_production_mode_refuses_a_demo_database(guide: Engine) -> None:
    demo_mark.check_mode(guide, "production")  # an empty database is fine
    create_demo_accounts(guide)
    demo_mark.check_mode(guide, "demo")
    with pytest.raises(demo_mark.DemoDatabaseError, match="Mode production"):
        demo_mark.check_mode(guide, "production")


def test_reset_wipes_a_demo_database_but_keeps_the_grids(guide: Engine) -> None:
    prepare_demo_database(guide, orgs=5, campaigns=2)
    grids = _count(guide, GridVersion)
    assert demo_mark.reset(guide) > 0
    assert not demo_mark.is_demo(guide) and demo_mark.is_empty(guide)
    assert _count(guide, GridVersion) == grids > 0
    kept = {GridVersion.__tablename__}
    with read_session(guide) as session:
        for table in metadata.sorted_tables:
            if table.name not in kept:
                assert session.scalar(select(func.count()).select_from(table)) == 0, table.name
    assert import_organisations_csv(guide, SYSTEM, CSV).imported == 2  # real data now


def test_reset_refuses_a_real_database(guide: Engine) -> None:
    _real_organisation(guide)
    with pytest.raises(demo_mark.DemoDatabaseError, match="rien n'a été effacé"):
        demo_mark.reset(guide)
    assert _count(guide, Organisation) == 1


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------


@pytest.fixture
def cli(guide: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url(guide))
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GUIDE))
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    monkeypatch.delenv("ASSESSMENT_MODE", raising=False)
    monkeypatch.setenv("ASSESSMENT_PASSWORD", "un mot de passe solide")
    get_settings.cache_clear()
    yield guide
    get_settings.cache_clear()
    dispose_engines()


def test_cli_import_into_a_demo_database_is_refused_until_reset(
    cli: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_demo_database(cli, orgs=5, campaigns=1)
    path = tmp_path / "orgs.csv"
    path.write_text(CSV, encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(main, ["orgs", "import", str(path)])
    assert refused.exit_code == 1
    assert "base de démonstration" in refused.output and "reset-demo" in refused.output
    assert "Traceback" not in refused.output

    monkeypatch.setenv("ASSESSMENT_MODE", "production")
    get_settings.cache_clear()
    production = runner.invoke(
        main, ["users", "add", "--email", "cn@example.org", "--role", Role.NATIONAL.value]
    )
    assert production.exit_code == 1 and "Mode production" in production.output

    kept = runner.invoke(main, ["db", "reset-demo"], input="n\n")
    assert kept.exit_code == 1 and demo_mark.is_demo(cli)
    wiped = runner.invoke(main, ["db", "reset-demo", "--yes"])
    assert wiped.exit_code == 0, wiped.output
    assert "vidée" in wiped.output
    imported = runner.invoke(main, ["orgs", "import", str(path)])
    assert imported.exit_code == 0, imported.output
    assert _count(cli, Organisation) == 2
    again = runner.invoke(main, ["db", "reset-demo", "--yes"])
    assert again.exit_code == 1 and "pas une base de démonstration" in again.output
    assert _count(cli, Organisation) == 2
