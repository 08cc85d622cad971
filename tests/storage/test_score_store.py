"""Stored scores of submitted assessments (``assessment_scores``): submit, reopen,
backfill, migration 0002 from a database at 0001, seed-demo."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Engine, delete, func, insert, select, text, update

from assessment import assessments as svc
from assessment import grid_store, privacy, score_store, scoring
from assessment.cli import main
from assessment.db import (
    alembic_config,
    create_database_engine,
    current_revision,
    dispose_engines,
    head_revision,
    read_session,
    write_session,
)
from assessment.demo import seed_demo
from assessment.grid_store import DEFAULT_GRID_ID, get_grid, latest_version, sync_grids_from_dir
from assessment.organisations import create_organisation, siren_with_key
from assessment.settings import get_settings
from assessment.startup import prepare_database
from assessment.tables import (
    Answer,
    Assessment,
    AssessmentScore,
    Campaign,
    Organisation,
    Submission,
    metadata,
    utcnow,
)

from .conftest import (
    COMPLETE_ANSWERS,
    GRID_ID,
    GRIDS_V1,
    SYSTEM,
    World,
    database_url,
)

DEFAULT_GRIDS = Path(__file__).parents[2] / "guide"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    privacy.clear_caches()
    yield
    privacy.clear_caches()


def _stored(engine: Engine) -> dict[int, dict[str, Any]]:
    """The stored rows, their vectors decoded, by assessment id."""
    with read_session(engine) as session:
        rows = session.scalars(select(AssessmentScore)).all()
    out = {}
    for row in rows:
        scores = score_store.decode(get_grid(engine, row.grid_id, row.grid_version), row.scores)
        out[row.assessment_id] = {
            "revision": row.revision,
            "grid": (row.grid_id, row.grid_version),
            "overall": scores.overall,
            "items": scores.items,
            "systemic": scores.systemic,
            "computed_at": row.computed_at,
        }
    return out


def _expected(engine: Engine, assessment_id: int) -> dict[str, Any]:
    """The scores of the assessment's current answers, computed by the scoring module."""
    state = svc.get_assessment(engine, SYSTEM, assessment_id)
    grid = get_grid(engine, state.grid_id, state.grid_version)
    report = scoring.score(grid, state.answers, state.not_addressed)
    return {
        "revision": state.revision,
        "grid": (state.grid_id, state.grid_version),
        "overall": report.overall,
        "items": report.items,
        "systemic": report.systemic,
    }


def _as_stored(entry: dict[str, Any]) -> dict[str, Any]:
    """What :func:`_expected` gives, from a :func:`_stored` entry."""
    return {key: value for key, value in entry.items() if key != "computed_at"}


def _org(engine: Engine, n: int, region: str = "53") -> int:
    return create_organisation(
        engine,
        SYSTEM,
        name=f"Organisation {n}",
        siren=siren_with_key(f"8{n:07d}"),
        region=region,
        legal_family="association",
        size_band="1-9",
    )


def _draft(
    engine: Engine, organisation_id: int, campaign_id: int, level: int, *, skip_env: bool = False
) -> tuple[int, int]:
    """A complete draft (gouv-regles at ``level``); returns (id, revision)."""
    state = svc.open_assessment(engine, SYSTEM, organisation_id, campaign_id)
    rev = state.revision
    cells = dict(COMPLETE_ANSWERS)
    cells[("gouv-regles", "current")] = level
    cells[("gouv-taux", "current")] = 12.5 * level
    if skip_env:
        rev = svc.set_not_addressed(
            engine, SYSTEM, state.id, ["environnement"], expected_revision=rev
        )
        cells = {key: v for key, v in cells.items() if not key[0].startswith("env")}
    for (question, horizon), value in cells.items():
        rev = svc.save_answer(
            engine, SYSTEM, state.id, question, horizon, value, expected_revision=rev
        )
    return state.id, rev


def _submitted(world: World, count: int, first: int = 0) -> list[int]:
    ids = []
    for n in range(first, first + count):
        assessment_id, rev = _draft(
            world.engine, _org(world.engine, n), world.campaign, n % 4, skip_env=n % 3 == 0
        )
        svc.submit(world.engine, SYSTEM, assessment_id, expected_revision=rev)
        ids.append(assessment_id)
    return ids


# ---------------------------------------------------------------------------
# submit, reopen
# ---------------------------------------------------------------------------


def test_submit_stores_the_scores_of_the_submitted_answers(world: World) -> None:
    ids = _submitted(world, 3)
    stored = _stored(world.engine)
    assert sorted(stored) == ids
    for assessment_id in ids:
        assert _as_stored(stored[assessment_id]) == _expected(world.engine, assessment_id)
    row = stored[ids[1]]
    assert row["grid"] == (GRID_ID, "1")
    assert row["systemic"] == {}  # the small grid has no systemic section
    # gouvernance 33.3 (level 1 of 0..3; the rate has no score rule), environnement 0
    assert row["overall"]["current"] == pytest.approx(100 / 3 / 2)
    assert row["computed_at"].tzinfo is not None
    skipped = stored[ids[0]]  # environment not addressed
    assert skipped["items"]["environnement"] == {"current": None, "goal_1y": None}
    assert score_store.needs_backfill(world.engine) == 0


def test_failed_submit_stores_nothing(world: World) -> None:
    state = svc.open_assessment(world.engine, SYSTEM, world.org_a, world.campaign)
    with pytest.raises(svc.MissingAnswers):
        svc.submit(world.engine, SYSTEM, state.id, expected_revision=state.revision)
    assert _stored(world.engine) == {}


def test_reopen_keeps_the_last_submission_and_resubmit_replaces_it(world: World) -> None:
    ids = _submitted(world, 5)
    national = SYSTEM  # the operator: the campaign is still open, and changes
    year = _year(world)
    before = privacy.table(world.engine, national, campaign_year=year, region="53")
    version = privacy.data_version(world.engine)

    state = svc.get_assessment(world.engine, SYSTEM, ids[2])
    rev = svc.reopen(world.engine, SYSTEM, ids[2], expected_revision=state.revision)
    assert privacy.data_version(world.engine) == version + 1  # bumped with the reopen
    kept = _stored(world.engine)[ids[2]]
    assert kept["revision"] == state.revision  # the last submission, still counted
    assert privacy.table(world.engine, national, campaign_year=year, region="53") == before

    rev = svc.save_answer(
        world.engine, SYSTEM, ids[2], "gouv-regles", "current", 3, expected_revision=rev
    )
    rev = svc.submit(world.engine, SYSTEM, ids[2], expected_revision=rev)
    assert privacy.data_version(world.engine) == version + 2
    row = _stored(world.engine)[ids[2]]
    assert row["revision"] == rev
    assert _as_stored(row) == _expected(world.engine, ids[2])
    after = privacy.table(
        world.engine, national, campaign_year=year, region="53", measure="gouvernance"
    )
    assert after.cells[0].n is not None  # the same five organisations, new figures


def _year(world: World) -> int:
    with read_session(world.engine) as session:
        return int(
            session.scalars(select(Campaign.year).where(Campaign.id == world.campaign)).one()
        )


def test_scores_go_with_the_assessment(world: World) -> None:
    ids = _submitted(world, 2)
    with write_session(world.engine) as session:
        session.execute(delete(Assessment).where(Assessment.id == ids[0]))
    assert sorted(_stored(world.engine)) == ids[1:]


# ---------------------------------------------------------------------------
# backfill
# ---------------------------------------------------------------------------


def _forget(engine: Engine, ids: list[int]) -> None:
    with write_session(engine) as session:
        session.execute(delete(AssessmentScore).where(AssessmentScore.assessment_id.in_(ids)))


def test_backfill_fills_missing_and_stale_rows_idempotently(world: World) -> None:
    ids = _submitted(world, 7)
    draft_id, _ = _draft(world.engine, _org(world.engine, 99), world.campaign, 1)
    expected = {i: _expected(world.engine, i) for i in ids}
    _forget(world.engine, ids[:5])
    with write_session(world.engine) as session:  # computed at another revision: stale
        session.execute(
            update(AssessmentScore)
            .where(AssessmentScore.assessment_id == ids[5])
            .values(revision=0, scores=b"\0" * 8)
        )
    assert score_store.needs_backfill(world.engine) == 6

    progress: list[int] = []
    assert score_store.backfill(world.engine, batch=2, progress=progress.append) == 6
    assert progress == [2, 4, 6]
    stored = _stored(world.engine)
    assert sorted(stored) == ids  # drafts get none
    assert draft_id not in stored
    assert {i: _as_stored(row) for i, row in stored.items()} == expected
    assert score_store.needs_backfill(world.engine) == 0
    assert score_store.backfill(world.engine) == 0  # idempotent
    untouched = stored[ids[6]]["computed_at"]
    assert _stored(world.engine)[ids[6]]["computed_at"] == untouched


def test_backfill_skips_an_assessment_reopened_meanwhile(world: World) -> None:
    ids = _submitted(world, 2)
    _forget(world.engine, ids)

    def reopen_then_load(engine: Engine, grid_id: str, version: str) -> Any:
        state = svc.get_assessment(engine, SYSTEM, ids[0])
        if state.status == "submitted":  # between backfill's read and its write
            svc.reopen(engine, SYSTEM, ids[0], expected_revision=state.revision)
        return get_grid(engine, grid_id, version)

    assert score_store.backfill(world.engine, grid_loader=reopen_then_load) == 1
    assert sorted(_stored(world.engine)) == [ids[1]]


def test_backfill_from_submission_snapshots(world: World) -> None:
    """The snapshot of the open submission is what was submitted."""
    ids = _submitted(world, 1)
    _forget(world.engine, ids)
    with write_session(world.engine) as session:
        snapshot = session.scalars(
            select(Submission.snapshot).where(Submission.assessment_id == ids[0])
        ).one()
        assert snapshot["answers"]["gouv-regles"]["current"] == 0
    assert score_store.backfill(world.engine) == 1
    assert _as_stored(_stored(world.engine)[ids[0]]) == _expected(world.engine, ids[0])


def test_db_upgrade_command_backfills(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ids = _submitted(world, 2)
    _forget(world.engine, ids[:1])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url(world.engine))
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GRIDS_V1))
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(main, ["db", "upgrade"])
        again = CliRunner().invoke(main, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
        dispose_engines()
    assert first.exit_code == 0, first.output
    assert "Scores enregistrés pour 1 auto-évaluations soumises." in first.output
    assert again.exit_code == 0 and "Scores" not in again.output
    assert sorted(_stored(world.engine)) == ids


# ---------------------------------------------------------------------------
# migration 0002 on a database at 0001
# ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, not migrated at all."""
    grid_store.clear_cache()
    if request.param == "sqlite":
        engine = create_database_engine(f"sqlite:///{tmp_path}/old.sqlite3")
        yield engine
        engine.dispose()
        return
    base = request.getfixturevalue("postgres_engine")
    schema = f"t_old_{secrets.token_hex(4)}"
    with base.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = base.url.render_as_string(hide_password=False)
    engine = create_database_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with base.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def _org_at_0001(engine: Engine, n: int) -> int:
    """The organisation of :func:`_org` as a database at 0001 held it (the service also
    bumps the data version, a table that migration 0005 adds)."""
    o = Organisation.__table__
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(o)
                .values(
                    name=f"Organisation {n}", siren=siren_with_key(f"8{n:07d}"), region="53",
                    legal_family="association", size_band="1-9", shared_with_region=False,
                    created_at=utcnow(), updated_at=utcnow(),
                )
                .returning(o.c.id)
            ).scalar_one()
        )  # fmt: skip


def _draft_at_0001(
    engine: Engine, organisation_id: int, campaign_id: int, level: int, skip_env: bool = False
) -> tuple[int, int]:
    """The draft of :func:`_draft` as a database at 0001 held it, written without the
    application (whose reads and writes use columns that later migrations add)."""
    cells = dict(COMPLETE_ANSWERS)
    cells[("gouv-regles", "current")] = level
    cells[("gouv-taux", "current")] = 12.5 * level
    not_addressed = ["environnement"] if skip_env else []
    if skip_env:
        cells = {key: v for key, v in cells.items() if not key[0].startswith("env")}
    now = utcnow()
    a = Assessment.__table__
    with engine.begin() as conn:
        assessment_id = conn.execute(
            insert(a)
            .values(
                organisation_id=organisation_id, campaign_id=campaign_id, grid_id=GRID_ID,
                grid_version="1", status="draft", revision=len(cells),
                not_addressed=not_addressed, created_at=now, updated_at=now,
            )
            .returning(a.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            insert(Answer.__table__),
            [
                {"assessment_id": assessment_id, "question_id": question, "horizon_id": horizon,
                 "value": value, "comment": None, "updated_at": now}
                for (question, horizon), value in cells.items()
            ],
        )  # fmt: skip
    return int(assessment_id), len(cells)


def _old_submit(engine: Engine, assessment_id: int, revision: int) -> None:
    """What submit did before migration 0002: no stored scores."""
    a, answer = Assessment.__table__, Answer.__table__
    with engine.connect() as conn:
        row = conn.execute(
            select(a.c.grid_id, a.c.grid_version, a.c.not_addressed).where(a.c.id == assessment_id)
        ).one()
        answers: dict[str, dict[str, Any]] = {}
        for question, horizon, value in conn.execute(
            select(answer.c.question_id, answer.c.horizon_id, answer.c.value).where(
                answer.c.assessment_id == assessment_id
            )
        ):
            answers.setdefault(question, {})[horizon] = value
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(Assessment.__table__)
            .where(Assessment.id == assessment_id)
            .values(status="submitted", revision=revision + 1, submitted_at=now, updated_at=now)
        )
        conn.execute(
            insert(Submission.__table__).values(
                assessment_id=assessment_id,
                revision=revision + 1,
                grid_id=row.grid_id,
                grid_version=row.grid_version,
                snapshot={
                    "answers": answers,
                    "comments": {},
                    "not_addressed": sorted(row.not_addressed or ()),
                },
                submitted_at=now,
            )
        )


def test_migration_0002_backfills_a_database_at_0001(bare_engine: Engine) -> None:
    engine = bare_engine
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    assert current_revision(engine) == "0001"
    sync_grids_from_dir(engine, GRIDS_V1)
    today = date.today()
    # the campaign as a database at 0001 held it (today's create_campaign also writes
    # tables that later migrations add)
    with engine.begin() as conn:
        campaign = conn.execute(
            insert(Campaign.__table__)
            .values(
                year=today.year,
                label=f"Campagne {today.year}",
                grid_id=GRID_ID,
                grid_version="1",
                opens_on=today - timedelta(days=1),
                closes_on=today + timedelta(days=30),
                created_at=utcnow(),
            )
            .returning(Campaign.__table__.c.id)
        ).scalar_one()
    submitted = []
    for n in range(4):
        assessment_id, rev = _draft_at_0001(engine, _org_at_0001(engine, n), campaign, n, n == 1)
        _old_submit(engine, assessment_id, rev)
        submitted.append(assessment_id)
    draft_id, _ = _draft_at_0001(engine, _org_at_0001(engine, 10), campaign, 2)

    prepare_database(engine)

    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert list(compare_metadata(context, metadata)) == []
    stored = _stored(engine)
    assert sorted(stored) == submitted and draft_id not in stored
    for assessment_id in submitted:
        assert _as_stored(stored[assessment_id]) == _expected(engine, assessment_id)
    prepare_database(engine)  # idempotent
    assert {i: _as_stored(r) for i, r in _stored(engine).items()} == {
        i: _as_stored(r) for i, r in stored.items()
    }


# ---------------------------------------------------------------------------
# seed-demo
# ---------------------------------------------------------------------------


def test_seed_demo_stores_the_scores_of_submitted_assessments(engine: Engine) -> None:
    sync_grids_from_dir(engine, DEFAULT_GRIDS)
    seed_demo(engine, orgs=40, campaigns=3, seed=3)
    with read_session(engine) as session:
        submitted = session.scalars(
            select(Assessment.id).where(Assessment.status == "submitted").order_by(Assessment.id)
        ).all()
        drafts = session.scalar(
            select(func.count()).select_from(Assessment).where(Assessment.status == "draft")
        )
    assert submitted and drafts
    stored = _stored(engine)
    assert sorted(stored) == list(submitted)
    grid = get_grid(engine, DEFAULT_GRID_ID, latest_version(engine))
    assert grid.systemic is not None
    for assessment_id in submitted:
        assert _as_stored(stored[assessment_id]) == _expected(engine, assessment_id)
    assert any(row["systemic"][grid.current_horizon] is not None for row in stored.values())
    assert score_store.needs_backfill(engine) == 0
