"""Many people saving at once on one process: every save succeeds, or fails whole and clearly."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from assessment import assessments, db
from assessment.campaigns import create_campaign
from assessment.grid_store import sync_grids_from_dir
from assessment.organisations import create_organisation, siren_with_key
from assessment.permissions import Actor, Role

from .conftest import COMPLETE_ANSWERS, GRID_ID, GRIDS_V1, SYSTEM

SAVERS = 20


def _seats(engine: Engine, count: int) -> list[tuple[Actor, int, int]]:
    """``count`` (member, assessment id, revision), one organisation each."""
    sync_grids_from_dir(engine, GRIDS_V1)
    today = date.today()
    campaign = create_campaign(
        engine,
        SYSTEM,
        year=today.year,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=30),
        grid_id=GRID_ID,
    )
    seats = []
    for n in range(count):
        org = create_organisation(
            engine,
            SYSTEM,
            name=f"Organisation {n}",
            siren=siren_with_key(f"6{n:07d}"),
            region="84",
            legal_family="association",
            size_band="1-9",
        )
        actor = Actor(user_id=None, email=f"m{n}@t.test", role=Role.MEMBER, organisation_id=org)
        state = assessments.open_assessment(engine, actor, org, campaign)
        seats.append((actor, state.id, state.revision))
    return seats


def test_twenty_simultaneous_savers_all_succeed(engine: Engine) -> None:
    seats = _seats(engine, SAVERS)
    barrier = threading.Barrier(SAVERS)
    failures: list[BaseException] = []

    def fill(actor: Actor, assessment_id: int, revision: int) -> None:
        barrier.wait()
        try:
            for (question, horizon), value in COMPLETE_ANSWERS.items():
                revision = assessments.save_answer(
                    engine,
                    actor,
                    assessment_id,
                    question,
                    horizon,
                    value,
                    expected_revision=revision,
                )
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=fill, args=seat) for seat in seats]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    expected: dict[str, dict[str, object]] = {}
    for (question, horizon), value in COMPLETE_ANSWERS.items():
        expected.setdefault(question, {})[horizon] = value
    for actor, assessment_id, _ in seats:
        state = assessments.get_assessment(engine, actor, assessment_id)
        assert state.answers == expected
        assert state.revision == len(COMPLETE_ANSWERS)


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """The in-process writer queue is for SQLite: these tests need no PostgreSQL twin."""
    path = tmp_path / "queue.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = db.create_database_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _refused_and_nothing_stored(
    engine: Engine, saver: Engine, seat: tuple[Actor, int, int]
) -> db.DatabaseBusy:
    """One answer saved through ``saver`` is refused as busy, and nothing is stored."""
    actor, assessment_id, revision = seat
    with pytest.raises(db.DatabaseBusy) as caught:
        assessments.save_answer(
            saver, actor, assessment_id, "gouv-regles", "current", 1, expected_revision=revision
        )
    state = assessments.get_assessment(engine, actor, assessment_id)
    assert state.answers == {} and state.revision == revision
    return caught.value


def test_a_writer_that_waits_too_long_gets_a_clear_message_and_saves_nothing(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sqlite_engine
    [seat] = _seats(engine, 1)
    monkeypatch.setattr(db, "WRITE_LOCK_TIMEOUT_S", 0.05)
    holding, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with db.write_session(engine):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=other_writer)
    thread.start()
    holding.wait(10)
    try:
        busy = _refused_and_nothing_stored(engine, engine, seat)
    finally:
        release.set()
        thread.join()
    assert busy.message.startswith("La base de données est occupée")
    assert "Réessayez" in busy.message


def test_another_process_holding_the_database_gives_the_same_clear_message(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sqlite_engine
    [seat] = _seats(engine, 1)
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    impatient = db.create_database_engine(engine.url.render_as_string(hide_password=False))
    other_process = sqlite3.connect(str(engine.url.database), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    try:
        _refused_and_nothing_stored(engine, impatient, seat)
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
        impatient.dispose()
