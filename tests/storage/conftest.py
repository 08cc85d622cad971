"""Fixtures of the storage tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL is the server named by ``TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).  Each test session
creates its own schema ``t_<random>``, migrates it once, empties the tables
between tests, and drops the schema at the end.  An unreachable server skips
the PostgreSQL half, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text

from assessment import accounts, startup
from assessment.campaigns import close_campaign, create_campaign, list_campaigns
from assessment.db import create_database_engine, migrate
from assessment.grid_store import sync_grids_from_dir
from assessment.organisations import create_organisation
from assessment.permissions import Actor, Role
from assessment.tables import metadata

HERE = Path(__file__).parent
GRIDS_V1 = HERE / "grids"
GRIDS_V2 = HERE / "grids-v2"
GRID_ID = "petite-grille"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# valid SIRENs (Luhn) used across the tests
SIREN_A = "732829320"
SIREN_B = "552100554"
SIREN_C = "356000000"  # La Poste's SIREN (its Luhn key is right; only its SIRETs are special)


def _postgres_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """An engine on a fresh, migrated schema of the test PostgreSQL server."""
    url = _postgres_url()
    admin = create_database_engine(url)
    schema = f"t_{secrets.token_hex(6)}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # any connection failure
        admin.dispose()
        reason = f"PostgreSQL unreachable at {url}: {type(exc).__name__}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    # commits need not wait for the disk: a test database is disposable
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    engine = create_database_engine(url, connect_args={"options": options})
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _empty_postgres(engine: Engine) -> None:
    """Delete every row (faster than TRUNCATE on tables this small)."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def engine(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Engine]:
    """A migrated, empty database: SQLite file or PostgreSQL schema."""
    startup.clear_caches()
    if request.param == "sqlite":
        path = tmp_path / "assessment.sqlite3"
        shutil.copyfile(sqlite_template, path)
        db = create_database_engine(f"sqlite:///{path}")
        yield db
        db.dispose()
    else:
        db = request.getfixturevalue("postgres_engine")
        _empty_postgres(db)
        yield db


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny costs: the tests check behaviour, not hashing cost."""
    monkeypatch.setattr(
        accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    monkeypatch.setattr(accounts, "_dummy_hash", None)


SYSTEM = Actor.system()


def close_campaigns(engine: Engine) -> None:
    """Close every campaign still open: its score figures are then published to every
    role (:mod:`assessment.privacy` refuses them while it is open)."""
    for campaign in list_campaigns(engine):
        if campaign.closed_at is None:
            close_campaign(engine, SYSTEM, campaign.id)


def create_org_a(engine: Engine, **profile: str) -> int:
    """The small association of region 84 that most storage tests work with."""
    return create_organisation(
        engine,
        SYSTEM,
        name="Association Les Jardins de Bellevue",
        siren=SIREN_A,
        region="84",
        legal_family="association",
        size_band="1-9",
        **profile,
    )


@dataclass(frozen=True)
class World:
    """Two organisations of one region, one of another, an open campaign, one actor per role."""

    engine: Engine
    org_a: int
    org_b: int
    org_other_region: int
    campaign: int
    member: Actor
    admin: Actor
    regional_same: Actor
    regional_other: Actor
    national: Actor
    member_other_org: Actor


@pytest.fixture
def world(engine: Engine) -> World:
    sync_grids_from_dir(engine, GRIDS_V1)
    org_a = create_org_a(engine, sector="Q")
    org_b = create_organisation(
        engine,
        SYSTEM,
        name="SCOP Menuiserie du Forez",
        siren=SIREN_B,
        region="84",
        legal_family="cooperative",
        size_band="10-49",
    )
    org_c = create_organisation(
        engine,
        SYSTEM,
        name="Association du Quartier Nord",
        rna="W751234567",
        region="11",
        legal_family="association",
        size_band="0",
    )
    today = date.today()
    campaign = create_campaign(
        engine,
        SYSTEM,
        year=today.year,
        opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=60),
        grid_id=GRID_ID,
    )
    return World(
        engine=engine,
        org_a=org_a,
        org_b=org_b,
        org_other_region=org_c,
        campaign=campaign,
        member=Actor(user_id=None, email="membre@a.test", role=Role.MEMBER, organisation_id=org_a),
        admin=Actor(user_id=None, email="admin@a.test", role=Role.ORG_ADMIN, organisation_id=org_a),
        regional_same=Actor(user_id=None, email="cress84@test", role=Role.REGIONAL, region="84"),
        regional_other=Actor(user_id=None, email="cress11@test", role=Role.REGIONAL, region="11"),
        national=Actor(user_id=None, email="national@test", role=Role.NATIONAL),
        member_other_org=Actor(
            user_id=None, email="membre@b.test", role=Role.MEMBER, organisation_id=org_b
        ),
    )


COMPLETE_ANSWERS: dict[tuple[str, str], object] = {
    ("gouv-regles", "current"): 1,
    ("gouv-regles", "goal_1y"): 2,
    ("env-impacts", "current"): 0,
    ("env-impacts", "goal_1y"): 1,
}
"""Every required cell of the small grid."""


def database_url(engine: Engine) -> str:
    """A URL that reaches the same database (and PostgreSQL schema) as ``engine``."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)
