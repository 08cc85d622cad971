"""Start-up and housekeeping: migrate, sync, backfill, purge at start and daily; one cache reset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from assessment import accounts, db, grid_store, startup
from assessment.grid_store import latest_version
from assessment.permissions import Actor, Role
from assessment.settings import get_settings
from assessment.tables import AppSecret, SignInThrottle, WebSession

from .conftest import GRIDS_V1, SYSTEM, World


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _count(engine: Engine, model: type) -> int:
    with db.read_session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _member_with_sessions(world: World, when: datetime) -> Actor:
    accounts.create_user(
        world.engine,
        SYSTEM,
        email="purge@a.test",
        password="mot de passe assez long",
        role=Role.MEMBER,
        organisation_id=world.org_a,
    )
    actor = accounts.authenticate(world.engine, "purge@a.test", "mot de passe assez long")
    for _ in range(3):
        accounts.open_web_session(world.engine, actor, now=lambda: when)
    return actor


def _old_throttle_rows(engine: Engine, when: datetime) -> None:
    with db.write_session(engine) as session:
        session.add(SignInThrottle(key="old", window_start=when, failures=9, attempts=9))
        session.add(
            SignInThrottle(
                key="blocked",
                window_start=when,
                failures=9,
                attempts=9,
                blocked_until=when + timedelta(days=400),
            )
        )


def test_ended_sessions_and_old_throttle_rows_are_purged_at_start(world: World) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=90)
    actor = _member_with_sessions(world, long_ago)
    fresh = accounts.open_web_session(world.engine, actor)
    _old_throttle_rows(world.engine, long_ago)

    report = startup.prepare_database(world.engine, grids_dir=GRIDS_V1)

    assert report.purged == startup.Purged(web_sessions=3, throttle_rows=1)
    assert _count(world.engine, WebSession) == 1  # the fresh session is kept
    assert accounts.actor_for_session(world.engine, fresh) is not None
    with db.read_session(world.engine) as session:  # a block still running is kept
        kept = set(session.scalars(select(SignInThrottle.key)))
    assert "blocked" in kept and "old" not in kept  # the member's own fresh counters stay


def test_the_purge_runs_once_a_day_whatever_the_number_of_processes(world: World) -> None:
    day = date.today() + timedelta(days=1)
    first = startup.purge_if_due(world.engine, now=lambda: _at(day, 1))
    assert first is not None
    # the same process, later that day: only a date comparison in memory
    assert startup.purge_if_due(world.engine, now=lambda: _at(day, 20)) is None
    # another process (its memory is empty) finds the day's mark in the database
    startup._purge_checked.clear()
    assert startup.purge_if_due(world.engine, now=lambda: _at(day, 21)) is None
    with db.read_session(world.engine) as session:
        mark = session.scalar(select(AppSecret.value).where(AppSecret.name == startup.PURGE_MARK))
    assert mark == day.isoformat()
    # the next day, the first process to ask purges
    _old_throttle_rows(world.engine, _at(day) - timedelta(days=30))
    startup._purge_checked.clear()
    assert startup.purge_if_due(world.engine, now=lambda: _at(day + timedelta(days=1), 0)) == (
        startup.Purged(web_sessions=0, throttle_rows=1)
    )


def test_open_database_creates_migrates_and_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "ASSESSMENT_SETTINGS", "ASSESSMENT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GRIDS_V1))
    startup.clear_caches()
    try:
        engine = startup.open_database()
        assert (tmp_path / "data" / "assessment.sqlite3").is_file()
        assert latest_version(engine, "petite-grille") == "1"
        assert startup.open_database() is engine  # again: nothing to do
    finally:
        startup.clear_caches()


def test_clear_caches_forgets_every_per_process_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/c.sqlite3")
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GRIDS_V1))
    startup.clear_caches()
    cleared: list[str] = []
    startup.on_clear_caches(lambda: cleared.append("web"))
    try:
        engine = startup.open_database()
        grid_store.get_grid(engine, "petite-grille", "1")
        settings = get_settings()
        startup.clear_caches()
        assert cleared == ["web"]
        assert get_settings() is not settings
        assert db.get_engine() is not engine
        assert grid_store._cache == {} and startup._prepared == set()
    finally:
        startup._clearers.pop()
        startup.clear_caches()
