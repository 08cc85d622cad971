"""Engines (SQLite by default, PostgreSQL), migrations and the single write path.

* SQLite: a file (``data/assessment.sqlite3`` by default, folder created) in WAL
  mode with ``foreign_keys=ON`` and a busy timeout.  pysqlite's own implicit
  ``BEGIN`` is switched off and SQLAlchemy's ``begin`` event emits ours: plain
  ``BEGIN`` for reads, ``BEGIN IMMEDIATE`` for :func:`write_session`, so a
  writer takes the write lock up front and never fails half-way with
  "database is locked" on lock upgrade.  SQLite has one writer at a time:
  within a process, writers queue on a lock of their own in front of it
  (:func:`write_session`, :func:`write_connection`) instead of SQLite's busy
  loop, so many simultaneous savers are served in turn; a writer that waits
  longer than :data:`WRITE_LOCK_TIMEOUT_S` gets :class:`DatabaseBusy` (French
  message) and nothing of its change is stored.
* PostgreSQL: when the URL (``DATABASE_URL`` or the settings file) says so;
  ``postgres://`` and ``postgresql://`` URLs use the psycopg 3 driver.

Every write goes through :func:`write_session` (one transaction, committed on
success and rolled back on any error), so a failure half-way leaves the
previous state intact.  Nothing lives only in one process: sessions,
throttling and shared secrets are in the database.

Start-up (migrations, grid sync, score backfill, purges) is orchestrated by
:mod:`assessment.startup`, above this module.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from assessment.errors import UserError
from assessment.settings import get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long SQLite waits for a write lock held by *another process*."""
WRITE_LOCK_TIMEOUT_S = 20.0
"""How long a writer waits for the other writers of this process (SQLite only)."""
_BEGIN_OPTION = "assessment_begin"

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_write_locks: dict[str, threading.RLock] = {}


def normalise_url(url: str) -> str:
    """``postgres://`` / ``postgresql://`` → ``postgresql+psycopg://``; others unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_database_engine(url: str, **engine_kwargs: Any) -> Engine:
    """A new engine for ``url`` with this product's SQLite/PostgreSQL set-up.

    Not cached: use :func:`get_engine` in the application.  ``engine_kwargs``
    go to :func:`sqlalchemy.create_engine` (tests pass ``connect_args``).
    """
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_folder(parsed)
        engine = create_engine(parsed, **engine_kwargs)
        _configure_sqlite(engine)
        return engine
    engine_kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **engine_kwargs)
    event.listen(engine, "do_connect", _connect_with_retry)
    return engine


CONNECT_RETRY_DELAYS_S = (0.25, 0.5, 1.0, 2.0)
"""Waits between attempts to open a server connection (a restart takes seconds)."""


def _connect_with_retry(
    dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> Any:
    """Open a DBAPI connection, retrying while the server does not accept any.

    Opening a connection sends no statement, so retrying it never applies a
    write twice.  With ``pool_pre_ping`` this is how a process rides through
    a PostgreSQL restart: the dead pooled connections fail their ping and are
    replaced through here.  A statement cut in flight is not retried: its
    transaction is rolled back and the page says nothing was saved.
    """
    for delay in CONNECT_RETRY_DELAYS_S:
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError:
            time.sleep(delay)
    return dialect.connect(*cargs, **cparams)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (``None``: the settings' database)."""
    key = normalise_url(url or get_settings().resolved_database_url)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = create_database_engine(key)
        return engine


# ---------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------


def _ensure_sqlite_folder(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop pysqlite from emitting its own (deferred) BEGIN: ours is below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "immediate" else "BEGIN")


# ---------------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------------


class DatabaseBusy(UserError):
    """The database stayed busy with other changes: nothing of this one was stored."""

    def __init__(self) -> None:
        super().__init__(
            "La base de données est occupée par d'autres enregistrements : "
            "votre modification n'a pas été enregistrée. Réessayez dans un instant."
        )


def _write_lock(engine: Engine) -> threading.RLock | None:
    """The lock this process's writers of ``engine``'s SQLite file queue on (else ``None``).

    One per database file, shared by every engine on it; re-entrant, so a
    writer that opens a nested write on the same thread does not wait for
    itself.
    """
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url.database or "")
    with _engines_lock:
        lock = _write_locks.get(key)
        if lock is None:
            lock = _write_locks[key] = threading.RLock()
        return lock


@contextmanager
def _one_writer(engine: Engine) -> Iterator[None]:
    """Wait for this process's other writers (SQLite), then run the block.

    A lock that is not free within :data:`WRITE_LOCK_TIMEOUT_S`, or SQLite's
    own "database is locked" (another process kept it longer than the busy
    timeout), raises :class:`DatabaseBusy`; the transaction has been rolled
    back by then, so nothing is half-saved.
    """
    lock = _write_lock(engine)
    if lock is None:
        yield
        return
    if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
        raise DatabaseBusy()
    try:
        yield
    except OperationalError as exc:
        if _is_locked(exc):
            raise DatabaseBusy() from exc
        raise
    finally:
        lock.release()


def _is_locked(exc: OperationalError) -> bool:
    original = exc.orig
    return isinstance(original, sqlite3.OperationalError) and (
        "locked" in str(original) or "busy" in str(original)
    )


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back on error.

    On SQLite the writers of this process take turns (:func:`_one_writer`),
    then the transaction starts with ``BEGIN IMMEDIATE`` (the write lock is
    taken at once; writers of other processes wait up to the busy timeout).
    Keep the block short: compute what can be computed before entering it.
    """
    bind = engine.execution_options(**{_BEGIN_OPTION: "immediate"})
    with (
        _one_writer(engine),
        Session(bind=bind, expire_on_commit=False) as session,
        session.begin(),
    ):
        session.info[_AT_COMMIT] = {}
        yield session
        for last in session.info.pop(_AT_COMMIT).values():
            last(session)


_AT_COMMIT = "assessment_at_commit"


def at_commit(session: Session, key: Hashable, last: Callable[[Session], None]) -> None:
    """Run ``last(session)`` as the last statements of this :func:`write_session`'s
    transaction, just before it commits (once per ``key``; never if the block fails):
    for a write to a row that every writer shares, held locked until the commit on
    PostgreSQL, so that it is held for as short a time as possible."""
    pending = session.info.get(_AT_COMMIT)
    if pending is None:
        raise RuntimeError("at_commit outside a write_session: nothing would run it")
    pending[key] = last


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work, never committed.

    Closing the session hands the connection back to the pool, which rolls the
    transaction back; loaded objects stay usable (detached, not expired).
    """
    with Session(bind=engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection for a few reads that need no snapshot across them, e.g. the
    data version then the rows written since (each statement sees committed data).

    PostgreSQL: autocommit, so no ``BEGIN`` and ``ROLLBACK`` round trips around the
    statements (four round trips less for two reads than two pooled connections);
    SQLite: its usual read transaction, which costs nothing in process."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection in one write transaction (bulk loads); writers take turns."""
    bind = engine.execution_options(**{_BEGIN_OPTION: "immediate"})
    with _one_writer(engine), bind.begin() as conn:
        yield conn


# ---------------------------------------------------------------------------
# migrations
# ---------------------------------------------------------------------------


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the migrations shipped in the package."""
    config = Config()
    location = resources.files("assessment") / "migrations"
    config.set_main_option("script_location", str(location))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (idempotent; safe under concurrency).

    On SQLite the whole upgrade runs in one ``BEGIN IMMEDIATE`` transaction; on
    PostgreSQL a transaction-level advisory lock serialises concurrent starts.
    What else a start needs (grids, scores, purges) is in
    :func:`assessment.startup.prepare_database`.
    """
    with write_connection(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(724201401)"))
        command.upgrade(alembic_config(conn), "head")


def dispose_engines() -> None:
    """Close every cached engine's pool (tests, CLI exit)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


class NotFound(UserError, LookupError):
    """A record that does not exist; ``message`` is French and safe to show."""
