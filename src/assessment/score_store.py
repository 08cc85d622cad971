"""Stored scores of submitted assessments (table ``assessment_scores``).

Why
    Aggregates (peer comparison, regional and national dashboards) need the
    scores of every submitted assessment in scope.  Recomputing them from the
    answers (23 million rows for 100,000 organisations × 3 campaigns) cost
    about 24 s on the first call of every process.  Scores only change when
    the answers do, and a submitted assessment is read-only: they are computed
    once, on submission, and read from this table afterwards.

Invariant: a submitted assessment has one row, computed at its current revision
    * :func:`assessment.assessments.submit` writes it in the submitting
      transaction (``Scorer.for_grid(grid).score(answers, not_addressed)`` of
      the submitted answers, with the assessment's own grid version);
    * :func:`assessment.assessments.reopen` keeps it: a reopened assessment counts in
      aggregates with its last submission until it is submitted again (see
      ``docs/privacy.md``: reopening must not move any published figure);
    * :func:`assessment.demo.seed_demo` writes the rows of the submitted
      assessments it creates, in bulk, in the same transactions;
    * :func:`backfill` fills the rows that are missing or were computed at
      another revision (a database from before migration 0002, a submission by
      an older version during a rolling upgrade, a restore): run by
      :func:`assessment.startup.prepare_database` after every upgrade (so by
      ``assessment db upgrade`` and at application start), batched, idempotent, and safe when
      several processes run it at once.
    Every write goes through :func:`replace`, which bumps the data version
    (:func:`bump_version`, table ``data_version``) in the same transaction and
    stamps the rows with it; :mod:`assessment.privacy` reads only stored rows
    (never scores at read time) and, after a bump, only the rows stamped since.

Representation: one row per assessment, its scores packed in one vector
    ``scores`` is a binary column (SQLite ``BLOB``, PostgreSQL ``bytea``) of
    little-endian IEEE-754 float64 numbers, NaN meaning "no score", in the
    order of :func:`layout` for the assessment's grid version: overall score
    per horizon, then each item (grid order) per horizon, then the systemic
    section per horizon when the grid has one (30 numbers, 240 bytes for the
    default grid).  The numbers are exactly
    :class:`~assessment.scoring.ScoreReport`'s (float64 round-trips; nothing
    is rounded); :func:`decode` turns a vector back into dictionaries.
    A published grid version never changes, so the layout of a stored vector
    is fixed by ``(grid_id, grid_version)``; changing :func:`layout` itself
    would be a storage-format change (a migration that empties the table, then
    :func:`backfill`).

    Weighed against the alternatives, at 100,000 organisations × 3 campaigns
    (about 156,000 submitted assessments; the demo organisation's three peer
    groups hold about 47,000 of them, 35,000 distinct; a national aggregate
    over all campaigns uses about 87,000):

    * narrow long table ``(assessment_id, metric, horizon, score)``: 30 rows
      per assessment (4.7 million rows, against 156,000), a peer comparison
      pulls about 1.4 million rows through the driver, and the bulk load of
      ``seed-demo`` writes 30 times the rows.  Its one advantage, statistics
      in SQL, does not hold on both engines: ``AVG`` and counts would, but not
      the quartiles (SQLite has no ``percentile_cont``), and the k-anonymity
      rules need per-group, per-metric counts computed with the values anyway;
    * JSON documents (``{"overall": {horizon: score}, "items": ...}`` or a JSON
      array): readable in SQL, but decoding the decimal text of 30 floats
      takes 6 to 9 µs per assessment in Python, 0.4 to 0.7 s for those peer
      groups (measured: a first peer comparison of 1.2 to 1.6 s with
      ``{"overall": ..., "items": ...}`` columns, against about 0.45 s with
      the vector), on either engine (psycopg decodes ``jsonb`` with the same
      ``json`` module);
    * the packed vector: one short row per assessment; the vectors of a group
      are joined and read as one ``array('d')`` (no parsing, no per-value
      Python object until sorting), each metric a strided slice.  Not readable
      in plain SQL, on purpose as much as by cost: per-assessment scores are
      only ever read through :mod:`assessment.privacy`, where the
      anonymity rules are.

    :mod:`assessment.privacy` joins
    ``assessments`` (status, campaign), ``organisations`` (region, legal
    family, size band) and ``campaigns`` (year) to this table by primary key.
"""

from __future__ import annotations

import logging
import math
import secrets
import sys
from array import array
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from assessment import tables as t
from assessment.answers import GridCache, not_applicable_ids
from assessment.db import NotFound, read_session, write_connection
from assessment.grid import Grid
from assessment.profiles import Profile
from assessment.scoring import OVERALL, Scorer, ScoreReport

__all__ = [
    "BACKFILL_BATCH",
    "BULK_COLUMNS",
    "OVERALL",
    "SYSTEMIC",
    "DataVersion",
    "StoredScores",
    "analyze",
    "backfill",
    "bulk_values",
    "bump_activity",
    "bump_roster",
    "bump_version",
    "current_version",
    "decode",
    "encode",
    "engine_key",
    "layout",
    "live_version",
    "needs_backfill",
    "once_per_run",
    "one_version",
    "pinned_version",
    "replace",
    "score_row",
    "stamp",
    "submitted_answers",
    "vectors",
]

T = TypeVar("T")

log = logging.getLogger(__name__)

SYSTEMIC = "_systemic"
"""Section key of the systemic scores in :func:`layout` (never a valid item id)."""
BACKFILL_BATCH = 1000
"""Assessments scored per backfill transaction."""
BULK_COLUMNS = "assessment_id, revision, grid_id, grid_version, computed_at, scores"
"""The columns of :func:`bulk_values`, in order."""
_CHUNK = 500
"""Ids per ``IN (...)`` list."""
_BACKFILL_LOCK = 724201402
"""PostgreSQL advisory lock key of :func:`backfill` (next to :func:`assessment.db.migrate`'s)."""
_NAN = math.nan
_SWAP = sys.byteorder != "little"

Answers = dict[str, dict[str, Any]]
Metric = tuple[str, str]
"""``(section, horizon id)``, the section being :data:`OVERALL`, an item id or
:data:`SYSTEMIC`: what one number of a vector is."""
GridLoader = Callable[[Engine, str, str], Grid]
Executor = Session | Connection


# ---------------------------------------------------------------------------
# the vector
# ---------------------------------------------------------------------------


def _layout(grid: Grid) -> tuple[Metric, ...]:
    horizons = grid.horizon_ids
    sections = [OVERALL, *(item.id for item in grid.items)]
    if grid.systemic is not None:
        sections.append(SYSTEMIC)
    return tuple((section, horizon) for section in sections for horizon in horizons)


_layouts: GridCache[tuple[Metric, ...]] = GridCache(_layout)


def layout(grid: Grid) -> tuple[Metric, ...]:
    """``(section, horizon)`` of each number of a stored vector, in order: :data:`OVERALL`
    per horizon, each item in grid order per horizon, then :data:`SYSTEMIC` per horizon
    when the grid has a systemic section (computed once per grid)."""
    return _layouts.get(grid)


def encode(grid: Grid, report: ScoreReport) -> bytes:
    """``report``'s scores as a stored vector (see :func:`layout`)."""
    values = []
    for section, horizon in layout(grid):
        if section == OVERALL:
            value = report.overall.get(horizon)
        elif section == SYSTEMIC:
            value = report.systemic.get(horizon)
        else:
            value = report.items.get(section, {}).get(horizon)
        values.append(_NAN if value is None else value)
    packed = array("d", values)
    if _SWAP:  # pragma: no cover - big-endian hosts
        packed.byteswap()
    return packed.tobytes()


def vectors(blobs: Iterable[bytes], width: int) -> array[float]:
    """Stored vectors of ``width`` numbers each, concatenated into one array (number
    ``m`` of vector ``i`` at ``i * width + m``; NaN: no score)."""
    packed = array("d")
    packed.frombytes(b"".join(blobs))
    if _SWAP:  # pragma: no cover - big-endian hosts
        packed.byteswap()
    if len(packed) % width:
        raise ValueError(f"stored score vectors are not {width} numbers long")
    return packed


@dataclass(frozen=True, slots=True)
class StoredScores:
    """A stored vector as dictionaries, like :class:`~assessment.scoring.ScoreReport`'s."""

    overall: dict[str, float | None]
    items: dict[str, dict[str, float | None]]
    systemic: dict[str, float | None]


def decode(grid: Grid, data: bytes) -> StoredScores:
    """A stored vector back as dictionaries (``None``: no score)."""
    metrics = layout(grid)
    numbers = vectors([data], len(metrics))
    if len(numbers) != len(metrics):
        raise ValueError(f"a stored score vector of {grid.key} has {len(metrics)} numbers")
    overall: dict[str, float | None] = {}
    items: dict[str, dict[str, float | None]] = {item.id: {} for item in grid.items}
    systemic: dict[str, float | None] = {}
    for (section, horizon), number in zip(metrics, numbers, strict=True):
        value = None if math.isnan(number) else number
        if section == OVERALL:
            overall[horizon] = value
        elif section == SYSTEMIC:
            systemic[horizon] = value
        else:
            items[section][horizon] = value
    return StoredScores(overall, items, systemic)


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def score_row(
    assessment_id: int,
    revision: int,
    grid: Grid,
    answers: Mapping[str, Mapping[str, Any]],
    not_addressed: Collection[str],
    computed_at: datetime,
    not_applicable: Collection[str] = frozenset(),
) -> dict[str, Any]:
    """The ``assessment_scores`` row of an assessment, scored now with its ``grid``
    (``not_applicable``: its questions « non applicable », left out)."""
    report = Scorer.for_grid(grid).score(answers, not_addressed, not_applicable)
    return {
        "assessment_id": assessment_id,
        "revision": revision,
        "grid_id": grid.id,
        "grid_version": grid.version,
        "computed_at": computed_at,
        "scores": encode(grid, report),
    }


def bulk_values(
    assessment_id: int, revision: int, grid: Grid, report: ScoreReport, computed_at: Any
) -> tuple[Any, ...]:
    """A row as a tuple of :data:`BULK_COLUMNS`, for bulk loads that bypass SQLAlchemy's
    types (``COPY``, raw executemany; see :mod:`assessment.demo`).  ``computed_at`` is
    given as the driver expects it."""
    return (assessment_id, revision, grid.id, grid.version, computed_at, encode(grid, report))


def replace(executor: Executor, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write ``rows`` (from :func:`score_row`), replacing those of the same assessments,
    in the caller's transaction (a :class:`Session` or a Core :class:`Connection`),
    and bump the data version (:func:`bump_version`) in that same transaction; the
    rows carry the new version."""
    if not rows:
        return
    version = bump_version(executor)
    rows = [{**row, "data_version": version} for row in rows]
    scores = t.AssessmentScore
    ids = [row["assessment_id"] for row in rows]
    for start in range(0, len(ids), _CHUNK):
        executor.execute(
            delete(scores).where(scores.assessment_id.in_(ids[start : start + _CHUNK]))
        )
    executor.execute(insert(scores), list(rows))
    freeze_categories(executor, ids)


CATEGORIES: tuple[str, ...] = ("region", "legal_family", "size_band", "sector")
"""The organisation's categories copied into its score rows."""
NO_SECTOR = "-"


def freeze_categories(executor: Executor, assessment_ids: Sequence[int] | None = None) -> None:
    """Copy each organisation's categories into the score rows of ``assessment_ids``
    (every row not frozen yet when ``None``: bulk loads, the upgrade), in the caller's
    transaction: the figures of a closed campaign stay those of the organisations as
    they were when they submitted."""
    s = t.AssessmentScore.__table__
    a = t.Assessment.__table__
    o = t.Organisation.__table__

    def of(column: str) -> Any:
        value = o.c[column] if column != "sector" else func.coalesce(o.c.sector, NO_SECTOR)
        return (
            select(value)
            .select_from(a.join(o, o.c.id == a.c.organisation_id))
            .where(a.c.id == s.c.assessment_id)
            .scalar_subquery()
        )

    statement = update(t.AssessmentScore).values({c: of(c) for c in CATEGORIES})
    if assessment_ids is None:
        executor.execute(statement.where(s.c.region.is_(None)))
        return
    ids = list(assessment_ids)
    for start in range(0, len(ids), _CHUNK):
        executor.execute(statement.where(s.c.assessment_id.in_(ids[start : start + _CHUNK])))


# ---------------------------------------------------------------------------
# the data version (table ``data_version``, migration 0005)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataVersion:
    """The counter row: ``version`` (every change an aggregate can see),
    ``organisations`` (organisation changes alone), the row's ``token`` (drawn when
    the row is created), and two counters of what the network's live lists show and
    no aggregate does: ``activity`` (every write to an assessment,
    :func:`bump_activity`) and ``roster`` (organisations listed, their sharing
    choice, their administrators: :func:`bump_roster`).

    Two versions compare equal whatever their ``activity`` and ``roster``: the
    aggregate layer's copies stay valid through drafts and new accounts."""

    version: int
    organisations: int
    token: str
    activity: int = field(default=0, compare=False)
    roster: int = field(default=0, compare=False)


def bump_version(executor: Executor, *, organisations: bool = False) -> int:
    """Add one to the data version in the caller's transaction (and to the organisation
    counter when ``organisations``); returns the new version.

    Called by submit (through :func:`replace`), reopen and organisation changes.  On
    PostgreSQL the row stays locked until the transaction ends, so versions commit
    in order.  The row is created when missing (a database emptied by hand).
    """
    values: dict[str, Any] = {"version": t.DataVersion.version + 1}
    if organisations:
        values["organisations"] = t.DataVersion.organisations + 1
    return _bump_row(executor, values, "version")


def bump_activity(executor: Executor) -> int:
    """Add one to ``activity`` in the caller's transaction, which writes an assessment
    (created, saved, submitted, reopened) and stamps it with the value returned
    (``assessments.activity``): the live lists then read only the assessments
    stamped since they last looked.  On PostgreSQL the row stays locked until the
    transaction ends, so stamps commit in order; writers take it after the row they
    change, never before, so that no two wait on each other in opposite orders."""
    return _bump_row(executor, {"activity": t.DataVersion.activity + 1}, "activity")


def stamp(executor: Executor, assessment_id: int) -> None:
    """:func:`bump_activity`, then the assessment stamped with the new value: one
    statement on PostgreSQL (a round trip less while the counter row is locked)."""
    if _dialect(executor) == "postgresql":
        found = executor.execute(_STAMP_PG, {"id": assessment_id}).scalar()
        if found is not None:
            return
    value = bump_activity(executor)
    executor.execute(
        update(t.Assessment)
        .where(t.Assessment.id == assessment_id)
        .values(activity=value)
        .execution_options(synchronize_session=False)
    )


_STAMP_PG = text(
    "WITH v AS (UPDATE data_version SET activity = activity + 1 WHERE id = 1 "
    "RETURNING activity) "
    "UPDATE assessments SET activity = v.activity FROM v WHERE assessments.id = :id "
    "RETURNING v.activity"
)


def _dialect(executor: Executor) -> str:
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    return bind.dialect.name


def bump_roster(executor: Executor) -> None:
    """Add one to ``roster`` in the caller's transaction: an organisation created or
    imported or changing its sharing choice, an account created, invited,
    deactivated or reactivated (the live lists are read again in full)."""
    _bump_row(executor, {"roster": t.DataVersion.roster + 1}, "roster")


def _bump_row(executor: Executor, values: dict[str, Any], returned: str) -> int:
    row = t.DataVersion
    found = executor.execute(
        update(row).where(row.id == 1).values(**values).returning(getattr(row, returned))
    ).scalar()
    if found is not None:
        return int(found)
    executor.execute(
        insert(row).values(
            id=1,
            version=1,
            organisations=1,
            activity=1,
            roster=1,
            token=secrets.token_hex(16),
        )
    )
    return 1


def current_version(engine: Engine | Connection) -> DataVersion:
    """The counter row, read by primary key (``DataVersion(0, 0, "")`` when absent),
    on a connection of its own or on ``engine`` when it is one (the aggregate layer
    reads the rows written since on the same one).

    Plain SQL, no statement to compile: this runs on every aggregate request."""
    if isinstance(engine, Connection):
        row = engine.exec_driver_sql(_VERSION_SQL).first()
    else:
        with engine.connect() as conn:
            row = conn.exec_driver_sql(_VERSION_SQL).first()
    if row is None:
        return DataVersion(0, 0, "")
    return DataVersion(int(row[0]), int(row[1]), str(row[2]), int(row[3]), int(row[4]))


_VERSION_SQL = (
    "SELECT version, organisations, token, activity, roster FROM data_version WHERE id = 1"
)


def engine_key(engine: Engine) -> str:
    """What names a database in the caches of a process (its URL, no password)."""
    return engine.url.render_as_string(hide_password=True)


_pinned: ContextVar[tuple[str, DataVersion, dict[Hashable, Any]] | None] = ContextVar(
    "pinned_data_version", default=None
)


@contextmanager
def one_version(engine: Engine) -> Iterator[DataVersion]:
    """Read the data version once for every figure and list asked inside (one page run).

    A dashboard asks for dozens of tables; each used to check the data version on a
    connection of its own.  Inside, they share the version read on entry: every
    figure of the page rests on the same data, and a rerun whose data did not move
    reads one row.  Protection is unchanged: a figure is the same function of the
    same data, whatever the number of checks.  What else a page reads many times
    (the campaign list) is read once inside too (:func:`once_per_run`)."""
    outer = _pinned.get()
    key = engine_key(engine)
    if outer is not None and outer[0] == key:
        yield outer[1]
        return
    version = current_version(engine)
    token = _pinned.set((key, version, {}))
    try:
        yield version
    finally:
        _pinned.reset(token)


def pinned_version(engine: Engine) -> DataVersion | None:
    """The version read on entry of the enclosing :func:`one_version` of ``engine``."""
    pinned = _pinned.get()
    return pinned[1] if pinned is not None and pinned[0] == engine_key(engine) else None


def once_per_run(engine: Engine, name: Hashable, read: Callable[[], T]) -> T:
    """``read()``, once inside the enclosing :func:`one_version` of ``engine`` (every call
    when there is none): what one page run reads several times, read once.  ``read``
    must return something immutable."""
    pinned = _pinned.get()
    if pinned is None or pinned[0] != engine_key(engine):
        return read()
    kept = pinned[2]
    if name not in kept:
        kept[name] = read()
    return cast(T, kept[name])


def live_version(engine: Engine) -> DataVersion:
    """The data version a live list is read at: the pinned one inside
    :func:`one_version`, else one primary-key read."""
    return pinned_version(engine) or current_version(engine)


def analyze(engine: Engine) -> None:
    """Refresh PostgreSQL's planner statistics (autovacuum may be off) after a bulk
    write: seed-demo, a backfill.  Nothing to do on SQLite."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


# ---------------------------------------------------------------------------
# backfill
# ---------------------------------------------------------------------------


def submitted_answers(executor: Executor, ids: Sequence[int]) -> dict[int, Answers]:
    """The submitted answers of submitted assessments: the snapshot of their open
    submission when there is one, else their answer rows (read-only while submitted).

    Assessments with no answer at all are absent from the result.
    """
    s = t.Submission.__table__
    ans = t.Answer.__table__
    out: dict[int, Answers] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        snapshots = executor.execute(
            select(s.c.assessment_id, s.c.snapshot)
            .where(s.c.assessment_id.in_(chunk), s.c.reopened_at.is_(None))
            .order_by(s.c.assessment_id, s.c.id)
        )
        for assessment_id, snapshot in snapshots:
            if isinstance(snapshot, Mapping) and isinstance(snapshot.get("answers"), Mapping):
                out[assessment_id] = snapshot["answers"]  # the latest wins (ordered by id)
        missing = [i for i in chunk if i not in out]
        if not missing:
            continue
        rows = executor.execute(
            select(ans.c.assessment_id, ans.c.question_id, ans.c.horizon_id, ans.c.value).where(
                ans.c.assessment_id.in_(missing)
            )
        )
        for assessment_id, question_id, horizon_id, value in rows:
            if value is not None:
                out.setdefault(assessment_id, {}).setdefault(question_id, {})[horizon_id] = value
    return out


def _stale_condition() -> Any:
    a = t.Assessment.__table__
    sc = t.AssessmentScore.__table__
    return (a.c.status == "submitted") & or_(
        sc.c.assessment_id.is_(None), sc.c.revision != a.c.revision
    )


def needs_backfill(engine: Engine) -> int:
    """How many submitted assessments have no stored scores at their revision."""
    a = t.Assessment.__table__
    sc = t.AssessmentScore.__table__
    stmt = (
        select(func.count())
        .select_from(a.outerjoin(sc, sc.c.assessment_id == a.c.id))
        .where(_stale_condition())
    )
    with read_session(engine) as session:
        return int(session.scalar(stmt) or 0)


def backfill(
    engine: Engine,
    *,
    batch: int = BACKFILL_BATCH,
    progress: Callable[[int], None] | None = None,
    grid_loader: GridLoader | None = None,
) -> int:
    """Store the scores of submitted assessments that have none at their revision.

    Batched: each batch is read and scored outside any write transaction, then
    written in a short one that re-checks, with the assessments locked (``FOR
    UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), that each is still
    submitted at the scored revision.  Idempotent.  On PostgreSQL a session
    advisory lock makes processes starting together (behind a load balancer)
    take turns: the first does the work, the others then find nothing to do;
    on SQLite concurrent runs only redo work.  Assessments whose grid version
    is not published are skipped (and logged).  ``progress`` is called with the
    running total after each batch.  Returns how many rows were written.
    """
    if engine.dialect.name != "postgresql":
        return _backfill(engine, batch, progress, grid_loader)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock:
        lock.execute(select(func.pg_advisory_lock(_BACKFILL_LOCK)))
        try:
            written = _backfill(engine, batch, progress, grid_loader)
            if written:
                analyze(engine)
            return written
        finally:
            lock.execute(select(func.pg_advisory_unlock(_BACKFILL_LOCK)))


def _backfill(
    engine: Engine,
    batch: int,
    progress: Callable[[int], None] | None,
    grid_loader: GridLoader | None,
) -> int:
    a = t.Assessment.__table__
    sc = t.AssessmentScore.__table__
    o = t.Organisation.__table__
    load = grid_loader or _published_grid
    grids: dict[tuple[str, str], Grid | None] = {}
    written = 0
    after = 0
    while True:
        with read_session(engine) as session:
            todo = session.execute(
                select(
                    a.c.id,
                    a.c.revision,
                    a.c.grid_id,
                    a.c.grid_version,
                    a.c.not_addressed,
                    o.c.legal_family,
                    o.c.size_band,
                )
                .select_from(
                    a.outerjoin(sc, sc.c.assessment_id == a.c.id).join(
                        o, o.c.id == a.c.organisation_id
                    )
                )
                .where(_stale_condition(), a.c.id > after)
                .order_by(a.c.id)
                .limit(batch)
            ).all()
            if not todo:
                return written
            answers = submitted_answers(session, [row.id for row in todo])
        after = todo[-1].id
        rows = []
        for row in todo:
            key = (row.grid_id, row.grid_version)
            if key not in grids:
                grids[key] = _load_grid(engine, load, *key)
            grid = grids[key]
            if grid is None:
                continue
            rows.append(
                score_row(
                    row.id,
                    row.revision,
                    grid,
                    answers.get(row.id, {}),
                    row.not_addressed or (),
                    t.utcnow(),
                    not_applicable_ids(grid, Profile(row.legal_family, row.size_band)),
                )
            )
        if rows:
            written += _write_checked(engine, rows)
        if progress is not None:
            progress(written)


def _write_checked(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """Write the rows whose assessment is still submitted at the scored revision."""
    a = t.Assessment.__table__
    with write_connection(engine) as conn:
        current: dict[int, int] = {}
        ids = [row["assessment_id"] for row in rows]
        for start in range(0, len(ids), _CHUNK):
            found = conn.execute(
                select(a.c.id, a.c.revision)
                .where(a.c.id.in_(ids[start : start + _CHUNK]), a.c.status == "submitted")
                .with_for_update()
            )
            current.update((i, r) for i, r in found)
        fresh = [row for row in rows if current.get(row["assessment_id"]) == row["revision"]]
        replace(conn, fresh)
        return len(fresh)


def _published_grid(engine: Engine, grid_id: str, version: str) -> Grid:
    from assessment.grid_store import get_grid

    return get_grid(engine, grid_id, version)


def _load_grid(engine: Engine, load: GridLoader, grid_id: str, version: str) -> Grid | None:
    try:
        return load(engine, grid_id, version)
    except NotFound:
        log.warning("scores not stored: grid %s version %s is not published", grid_id, version)
        return None
