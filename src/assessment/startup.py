"""Start-up and housekeeping of a database: the one module above the storage modules.

:func:`open_database` is what the app (:mod:`assessment.web.startup`) and the
CLI call: it returns the process-wide engine of the settings' database
(:func:`assessment.db.get_engine`), prepared once per process by
:func:`prepare_database`:

1. the schema is migrated (:func:`assessment.db.migrate`);
2. the scores of submitted assessments that have none stored are computed
   (:func:`assessment.score_store.backfill`: a no-op query when none is missing);
3. the grids of the settings' ``grids_dir`` are published
   (:func:`assessment.grid_store.sync_grids_from_dir`);
4. ended web sessions and stale sign-in throttle rows are purged.

Every step is idempotent and safe with several processes starting at once.
The purge runs again once a day (:func:`purge_if_due`): each process checks
the date on its first database use of the day (a comparison in memory), and
the first process of the day to claim the ``housekeeping:last-purge`` mark in
the database runs it.

Each concern keeps one cache: engines in :mod:`assessment.db`, parsed grids in
:mod:`assessment.grid_store`, scores and aggregates in
:mod:`assessment.privacy`, what was prepared here.  :func:`clear_caches`
forgets all of them (tests; after restoring a database), including those that
modules above this one registered with :func:`on_clear_caches`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from assessment import accounts, dashboards, db, grid_store, privacy, roster, score_store
from assessment.grid_store import SyncedGrid
from assessment.settings import get_settings
from assessment.tables import AppSecret, utcnow

PURGE_MARK = "housekeeping:last-purge"
"""Row of ``app_secrets`` (values shared by every process) holding the last purge date."""

Clock = Callable[[], datetime]

_prepared: set[str] = set()
_purge_checked: dict[str, date] = {}
_clearers: list[Callable[[], None]] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class Purged:
    web_sessions: int
    throttle_rows: int


@dataclass
class StartupReport:
    """What :func:`prepare_database` did."""

    stored_scores: int = 0
    synced: list[SyncedGrid] = field(default_factory=list)
    purged: Purged | None = None


def prepare_database(
    engine: Engine,
    *,
    grids_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
    now: Clock = utcnow,
) -> StartupReport:
    """Migrate, backfill the scores, publish ``grids_dir``'s grids and purge (idempotent).

    ``progress`` receives the number of assessments whose scores were stored so
    far (a long backfill after the upgrade that adds them).
    """
    db.migrate(engine)
    report = StartupReport(stored_scores=score_store.backfill(engine, progress=progress))
    if grids_dir is not None and grids_dir.is_dir():
        report.synced = grid_store.sync_grids_from_dir(engine, grids_dir)
    report.purged = purge(engine, now=now)
    with _lock:
        _purge_checked[_key(engine)] = now().date()
    return report


def open_database(url: str | None = None) -> Engine:
    """The engine of ``url`` (``None``: the settings' database), prepared once per process.

    Cheap after the first call (a page may call it on every run); the first
    call of each day may run the daily purge (:func:`purge_if_due`).
    """
    engine = db.get_engine(url)
    key = _key(engine)
    with _lock:
        prepared = key in _prepared
    if not prepared:
        prepare_database(engine, grids_dir=get_settings().grids_dir)
        with _lock:
            _prepared.add(key)
    else:
        purge_if_due(engine)
    return engine


# ---------------------------------------------------------------------------
# housekeeping
# ---------------------------------------------------------------------------


def purge(engine: Engine, *, now: Clock = utcnow) -> Purged:
    """Delete ended web sessions and sign-in throttle rows that no longer count."""
    _claim_purge(engine, now().date())
    return _purge(engine, now)


def _purge(engine: Engine, now: Clock) -> Purged:
    return Purged(
        web_sessions=accounts.purge_web_sessions(engine, now=now),
        throttle_rows=accounts.purge_sign_in_throttle(engine, now=now),
    )


def purge_if_due(engine: Engine, *, now: Clock = utcnow) -> Purged | None:
    """:func:`purge` unless this database was purged today (by any process)."""
    today = now().date()
    key = _key(engine)
    with _lock:
        if _purge_checked.get(key) == today:
            return None
        _purge_checked[key] = today
    if not _claim_purge(engine, today):
        return None
    return _purge(engine, now)


def _claim_purge(engine: Engine, today: date) -> bool:
    """Set the last-purge mark to ``today``; ``False`` when it already said so."""
    mark = today.isoformat()
    try:
        with db.write_session(engine) as session:
            row = session.scalar(
                select(AppSecret).where(AppSecret.name == PURGE_MARK).with_for_update()
            )
            if row is None:
                session.add(AppSecret(name=PURGE_MARK, value=mark, created_at=utcnow()))
                return True
            if row.value >= mark:
                return False
            row.value = mark
            return True
    except IntegrityError:  # another process inserted the mark first
        return False


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# ---------------------------------------------------------------------------
# caches
# ---------------------------------------------------------------------------


def on_clear_caches(clear: Callable[[], None]) -> None:
    """Have :func:`clear_caches` call ``clear`` too (for caches of the web layer)."""
    with _lock:
        if clear not in _clearers:
            _clearers.append(clear)


def clear_caches() -> None:
    """Forget every per-process cache: settings, engines, grids, scores, start-up state."""
    with _lock:
        clearers = list(_clearers)
        _prepared.clear()
        _purge_checked.clear()
    for clear in clearers:
        clear()
    grid_store.clear_cache()
    roster.clear_cache()
    dashboards.clear_cache()
    privacy.clear_caches()
    db.dispose_engines()
    get_settings.cache_clear()
