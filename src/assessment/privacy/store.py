"""The stored scores of one campaign, held in memory and kept in step with the database.

Read path (no scoring at read time: :mod:`assessment.score_store` writes the
scores on submit and backfills them on upgrade):

1. :func:`assessment.score_store.current_version` reads the data-version row by
   primary key (O(1));
2. unchanged: the campaign's arrays are reused as they are;
3. only scores changed (a submission, a backfill): the score rows stamped with
   a later version are read (an indexed range, usually one row) and replace the
   organisations' rows in the arrays;
4. an organisation changed (moved region, family...), or the counter row was
   recreated: the campaign is read again, in one query.

One row per organisation: the campaign's submission (a reopened assessment
keeps its last submission's scores until it is submitted again), with its
organisation's dimensions as they were when it submitted (frozen in the score
row) and its secret record key.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, func, select

from assessment import score_store
from assessment import tables as t
from assessment.db import read_connection
from assessment.grid import Grid
from assessment.privacy import protect
from assessment.privacy.protect import FloatArray, IntArray

__all__ = ["DIMENSIONS", "SECTOR_UNKNOWN", "CampaignData", "campaign_data", "clear"]

DIMENSIONS: tuple[str, ...] = ("region", "legal_family", "size_band", "sector")
TABLES: tuple[tuple[str, ...], ...] = protect.lattice_tables(DIMENSIONS, 2)
"""The published tables: the total and every combination of one or two dimensions."""
SECTOR_UNKNOWN = "-"
"""The sector code of organisations without one (a group like the others)."""
SECRET_NAME = "privacy_record_keys"


@dataclass
class CampaignData:
    """Every organisation's stored scores for one campaign (one row each)."""

    campaign_id: int
    year: int
    grid: Grid
    metrics: tuple[tuple[str, str], ...]
    """``(section, horizon)`` of each of ``columns`` (the campaign grid's layout)."""
    version: score_store.DataVersion
    organisation_ids: IntArray
    keys: FloatArray
    columns: tuple[FloatArray, ...]
    """One array per metric, a value per row (NaN: none).  Column by column, so that a
    new submission copies only the columns it changes (arrays are never written
    once published: a request still reading the previous version keeps its own)."""
    codes: dict[str, IntArray]
    labels: dict[str, list[str]]
    row_of: dict[int, int] = field(default_factory=dict)
    lattice: protect.Lattice | None = None
    """The published cells (:data:`TABLES` over these organisations)."""
    cell_of: dict[tuple[str, ...], IntArray] = field(default_factory=dict)
    stats: protect.Stats | None = None
    """Count, sum, largest value and key sum of every cell and column, kept exact."""
    content: tuple[str, int] = ("", 0)
    """``(token, version)`` of the last read that changed these rows: the key of
    everything computed from them (a reopen, or a submission to another
    campaign, moves the data version but not this)."""
    groups: dict[tuple[tuple[str, ...], int], IntArray] = field(default_factory=dict)
    """The rows of the cells asked for so far, by ``(table, cell)`` (shared while
    ``cell_of`` is: every column of a cell has the same rows)."""
    raw_quartiles: list[dict[int, tuple[float, float, float] | None]] = field(default_factory=list)
    """Per column, the exact quartiles of the cells computed so far (by lattice cell):
    kept by the next version for every cell without a changed value."""
    sorted_values: list[dict[int, FloatArray]] = field(default_factory=list)
    """Per column, the sorted values of the cells of :data:`SORTED_MIN` organisations
    or more whose quartiles were computed: a changed value moves in them (a search
    and a copy) instead of a new partition of the whole cell."""

    def column_index(self, section: str, horizon: str) -> int:
        return self.metrics.index((section, horizon))

    @property
    def matrix(self) -> FloatArray:
        """Rows × metrics (a copy)."""
        if not self.columns:
            return np.empty((len(self.organisation_ids), 0))
        return np.column_stack(self.columns)

    def members(self, dims: tuple[str, ...], cell: int) -> IntArray:
        """The rows of one cell of table ``dims``."""
        found = self.groups.get((dims, cell))
        if found is None:
            found = self.groups[(dims, cell)] = np.flatnonzero(self.cell_of[dims] == cell)
        return found


_lock = threading.Lock()
_campaigns: dict[tuple[str, int], CampaignData] = {}
_secrets: dict[str, bytes] = {}


def clear() -> None:
    with _lock:
        _campaigns.clear()
        _secrets.clear()


db_key = score_store.engine_key


def _secret(engine: Engine) -> bytes:
    key = db_key(engine)
    found = _secrets.get(key)
    if found is None:
        from assessment.accounts import shared_secret

        found = shared_secret(engine, SECRET_NAME).encode()
        _secrets[key] = found
    return found


def _record_key(secret: bytes, row: Any, year: int) -> int:
    """The row's record key: its organisation's identifier (SIREN, else RNA), the
    campaign's year and its stored scores, hashed with the database's secret."""
    return protect.record_key(secret, f"{row[8] or row[9]}:{year}", row[7])


CHANGED_MAX = 2000
"""More score rows written since the last read than this: the campaign is read again."""


def _changed_rows(conn: Connection, campaign_id: int, after: int) -> list[Any] | None:
    """The campaign's score rows written after version ``after``, or ``None`` when
    there are more than :data:`CHANGED_MAX` (of any campaign).  One statement, whose
    subquery (a ``LIMIT``, which neither engine's planner moves) is the range of the
    ``data_version`` index; the rest are primary-key lookups (read as one plain join,
    SQLite's planner started from the campaign's assessments and scanned them all)."""
    rows = conn.execute(_changes_statement(), {"after": after, "campaign_id": campaign_id}).all()
    if len(rows) > CHANGED_MAX:
        return None
    return [r for r in rows if r[0] is not None]  # another campaign's rows: no assessment


def _categories(scores: Any, o: Any) -> list[Any]:
    """The organisation's categories as frozen in its score row when it submitted
    (its current ones for a row not frozen yet), in :data:`DIMENSIONS` order."""
    return [func.coalesce(scores.c[d], o.c[d]) for d in DIMENSIONS]


@functools.cache
def _changes_statement() -> Any:
    """:func:`_statement`'s columns for the score rows stamped after ``after``: one row
    per such score row, with ``NULL`` dimensions when it is of another campaign."""
    s = t.AssessmentScore.__table__
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    changed = (
        select(s.c.assessment_id)
        .where(s.c.data_version > bindparam("after"))
        .limit(CHANGED_MAX + 1)
        .subquery("changed")
    )
    scores = s.alias("changed_scores")
    return select(
        a.c.organisation_id,
        *_categories(scores, o),
        scores.c.grid_id,
        scores.c.grid_version,
        scores.c.scores,
        o.c.siren,
        o.c.rna,
    ).select_from(
        changed.join(scores, scores.c.assessment_id == changed.c.assessment_id)
        .outerjoin(
            a,
            (a.c.id == changed.c.assessment_id) & (a.c.campaign_id == bindparam("campaign_id")),
        )
        .outerjoin(o, o.c.id == a.c.organisation_id)
    )


@functools.cache
def _statement() -> Any:
    """The campaign's score rows, built once with the bound parameter ``campaign_id``."""
    s = t.AssessmentScore.__table__
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    return (
        select(
            a.c.organisation_id,
            *_categories(s, o),
            s.c.grid_id,
            s.c.grid_version,
            s.c.scores,
            o.c.siren,
            o.c.rna,
        )
        .select_from(s.join(a, a.c.id == s.c.assessment_id).join(o, o.c.id == a.c.organisation_id))
        .where(a.c.campaign_id == bindparam("campaign_id"))
    )


def _vectors(
    engine: Engine, grid: Grid, metrics: Sequence[tuple[str, str]], rows: Sequence[Any]
) -> FloatArray:
    """The rows' stored vectors as a matrix in the campaign grid's layout (a row of
    another grid version is matched by ``(section, horizon)``, NaN where it has none)."""
    width = len(metrics)
    if not rows:
        return np.empty((0, width))
    own = (grid.id, grid.version)
    if all((r[5], r[6]) == own for r in rows):
        return np.frombuffer(b"".join(r[7] for r in rows), dtype="<f8").reshape(-1, width).copy()
    from assessment.grid_store import get_grid

    out = np.full((len(rows), width), np.nan)
    position = {m: i for i, m in enumerate(metrics)}
    for i, r in enumerate(rows):
        other = grid if (r[5], r[6]) == own else get_grid(engine, r[5], r[6])
        theirs = score_store.layout(other)
        values = np.frombuffer(r[7], dtype="<f8")
        for j, metric in enumerate(theirs):
            if metric in position:
                out[i, position[metric]] = values[j]
    return out


def _load(
    engine: Engine, campaign_id: int, year: int, grid: Grid, version: score_store.DataVersion
) -> CampaignData:
    with engine.connect() as conn:
        rows = conn.execute(_statement(), {"campaign_id": campaign_id}).all()
    metrics = score_store.layout(grid)
    secret = _secret(engine)
    labels: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    index: dict[str, dict[str, int]] = {d: {} for d in DIMENSIONS}
    codes = {d: np.empty(len(rows), dtype=np.int64) for d in DIMENSIONS}
    for i, r in enumerate(rows):
        for j, d in enumerate(DIMENSIONS):
            value = r[1 + j] or SECTOR_UNKNOWN
            code = index[d].get(value)
            if code is None:
                code = index[d][value] = len(labels[d])
                labels[d].append(value)
            codes[d][i] = code
    data = CampaignData(
        campaign_id=campaign_id,
        year=year,
        grid=grid,
        metrics=metrics,
        version=version,
        organisation_ids=np.array([r[0] for r in rows], dtype=np.int64),
        keys=np.array([_record_key(secret, r, year) for r in rows], dtype=np.float64),
        columns=_split(_vectors(engine, grid, metrics, rows)),
        codes=codes,
        labels=labels,
        content=(version.token, version.version),
    )
    data.row_of = {int(o): i for i, o in enumerate(data.organisation_ids)}
    return _with_cells(data)


def _split(matrix: FloatArray) -> tuple[FloatArray, ...]:
    return tuple(np.ascontiguousarray(matrix[:, j]) for j in range(matrix.shape[1]))


def _with_cells(data: CampaignData) -> CampaignData:
    """``data`` with its lattice and the statistics of every cell, computed afresh."""
    data.lattice, data.cell_of = protect.catalogue(data.codes, data.labels, TABLES)
    data.groups = {}
    data.raw_quartiles = [{} for _ in data.columns]
    data.sorted_values = [{} for _ in data.columns]
    data.stats = protect.cell_stats(data.lattice, data.cell_of, data.matrix, data.keys)
    return data


def _update(
    engine: Engine, conn: Connection, data: CampaignData, version: score_store.DataVersion
) -> CampaignData:
    """``data`` with the score rows written since its version, read on ``conn`` (a row
    whose frozen categories differ from those held, or an organisation change, reloads
    instead)."""
    rows = _changed_rows(conn, data.campaign_id, data.version.version)
    if rows is None:  # many rows (a backfill): the campaign again
        return _load(engine, data.campaign_id, data.year, data.grid, version)
    if not rows:
        return _replace_version(data, version)
    secret = _secret(engine)
    vectors = _vectors(engine, data.grid, data.metrics, rows)
    new_rows = [r for r in rows if int(r[0]) not in data.row_of]
    for j, d in enumerate(DIMENSIONS):
        if any((r[1 + j] or SECTOR_UNKNOWN) not in data.labels[d] for r in new_rows):
            return _load(engine, data.campaign_id, data.year, data.grid, version)
        # submitted again after a change of categories: other cells, the campaign again
        labels, codes_d = data.labels[d], data.codes[d]
        for r in rows:
            row = data.row_of.get(int(r[0]))
            if row is not None and (r[1 + j] or SECTOR_UNKNOWN) != labels[codes_d[row]]:
                return _load(engine, data.campaign_id, data.year, data.grid, version)
    columns = list(data.columns)
    keys = data.keys
    ids = data.organisation_ids
    codes = data.codes
    if new_rows:
        added = len(new_rows)
        columns = [np.concatenate([c, np.full(added, np.nan)]) for c in columns]
        keys = np.concatenate([keys, np.zeros(added)])
        ids = np.concatenate([ids, np.array([r[0] for r in new_rows], dtype=np.int64)])
        codes = {
            d: np.concatenate(
                [
                    codes[d],
                    np.array(
                        [data.labels[d].index(r[1 + j] or SECTOR_UNKNOWN) for r in new_rows],
                        dtype=np.int64,
                    ),
                ]
            )
            for j, d in enumerate(DIMENSIONS)
        }
    else:
        keys = keys.copy()
    copied = set(range(len(columns))) if new_rows else set()
    row_of = data.row_of  # read only: shared until an organisation is added
    if new_rows:
        row_of = dict(row_of)
        for r in new_rows:
            row_of[int(r[0])] = len(row_of)
    changed = [row_of[int(r[0])] for r in rows]
    width = len(columns)
    before = np.full((len(rows), width), np.nan)
    before_keys = np.zeros(len(rows))
    for i, (r, row) in enumerate(zip(rows, changed, strict=True)):
        if row < len(data.organisation_ids):
            before[i] = [c[row] for c in data.columns]
            before_keys[i] = data.keys[row]
        new = vectors[i]
        differ = ~((before[i] == new) | (np.isnan(before[i]) & np.isnan(new)))
        for j in map(int, np.flatnonzero(differ)):
            if j not in copied:  # copy on write, the changed columns only
                columns[j] = columns[j].copy()
                copied.add(j)
            columns[j][row] = new[j]
        keys[row] = _record_key(secret, r, data.year)
    updated = CampaignData(
        data.campaign_id,
        data.year,
        data.grid,
        data.metrics,
        version,
        ids,
        keys,
        tuple(columns),
        codes,
        data.labels,
        row_of,
        content=(version.token, version.version),
    )
    assert data.lattice is not None and data.stats is not None
    lattice = data.lattice
    cell_of = data.cell_of
    if new_rows:  # their cells, if every one of them is published already
        first = len(data.organisation_ids)
        extra: dict[tuple[str, ...], list[int]] = {dims: [] for dims in TABLES}
        for row in range(first, len(ids)):
            for dims in TABLES:
                cell = (dims, tuple(data.labels[d][codes[d][row]] for d in dims))
                found = lattice.index.get(cell)
                if found is None:  # a new cell: the lattice again
                    return _with_cells(updated)
                extra[dims].append(found)
        cell_of = {
            dims: np.concatenate([cells, np.array(extra[dims], dtype=np.int64)])
            for dims, cells in cell_of.items()
        }
    updated.lattice, updated.cell_of = lattice, cell_of
    if new_rows:
        updated.raw_quartiles = [{} for _ in columns]
        updated.sorted_values = [{} for _ in columns]
    else:  # same rows in the same cells: what depends on unchanged values only is kept
        updated.groups = data.groups
        updated.raw_quartiles, updated.sorted_values = _kept_quartiles(
            data, changed, copied, before, vectors
        )
    updated.stats = protect.recount(
        data.stats, cell_of, updated.columns, keys, changed, before, before_keys
    )
    return updated


SORTED_MIN = 1000
"""From this many organisations, a cell's sorted values are kept with its quartiles."""


def _kept_quartiles(
    data: CampaignData,
    changed: Sequence[int],
    copied: set[int],
    before: FloatArray,
    after: FloatArray,
) -> tuple[list[dict[int, tuple[float, float, float] | None]], list[dict[int, FloatArray]]]:
    """``data``'s exact quartiles (and sorted values) once the rows ``changed`` have
    the values ``after`` instead of ``before`` (one row each) in the columns
    ``copied``: a cell's quartiles depend on its members' values only, so a changed
    column keeps those of every cell without a changed row (the same rows in the
    same cells), and a cell with sorted values has them moved and its quartiles read
    off them.  The dictionaries of unchanged columns are shared."""
    if not copied:
        return data.raw_quartiles, data.sorted_values
    touched: dict[int, list[int]] = {}
    for cells in data.cell_of.values():
        for i, row in enumerate(changed):
            touched.setdefault(int(cells[row]), []).append(i)
    quartiles, ordered = [], []
    for j, (found, values) in enumerate(zip(data.raw_quartiles, data.sorted_values, strict=True)):
        if j in copied:
            found = {cell: q for cell, q in found.items() if cell not in touched}
            kept: dict[int, FloatArray] = {}
            for cell, cell_values in values.items():
                moved: FloatArray | None = cell_values
                for i in touched.get(cell, ()):
                    if moved is not None:
                        moved = protect.moved(moved, float(before[i, j]), float(after[i, j]))
                if moved is not None:  # else (never seen): computed again when asked
                    kept[cell] = moved
                    if cell in touched:
                        found[cell] = protect.sorted_quartiles(moved)
            values = kept
        quartiles.append(found)
        ordered.append(values)
    return quartiles, ordered


def _replace_version(data: CampaignData, version: score_store.DataVersion) -> CampaignData:
    """``data`` at ``version``, nothing changed (its ``content`` key stays)."""
    return dataclasses.replace(data, version=version)


def campaign_data(
    engine: Engine,
    campaign_id: int,
    year: int,
    grid: Callable[[], Grid],
    version: score_store.DataVersion,
    conn: Connection | None = None,
    *,
    newer_ok: bool = False,
) -> CampaignData:
    """The campaign's data at ``version`` (read with :func:`score_store.current_version`
    by the caller, once per request, on ``conn`` when given: the rows written since
    are read on it too); ``grid`` gives the campaign's grid, only called when the
    campaign is read in full.  ``newer_ok``: a copy in memory already brought past
    ``version`` (by another session, since the version was read) serves as it is."""
    key = (db_key(engine), campaign_id)
    cached = _campaigns.get(key)
    if cached is not None and cached.version == version:
        return cached
    if (
        newer_ok
        and cached is not None
        and cached.version.token == version.token
        and cached.version.version > version.version
    ):
        return cached
    if (
        cached is None
        or cached.version.token != version.token
        or cached.version.organisations != version.organisations
        or cached.version.version > version.version
    ):
        data = _load(engine, campaign_id, year, grid(), version)
    elif conn is not None:
        data = _update(engine, conn, cached, version)
    else:
        with read_connection(engine) as own:
            data = _update(engine, own, cached, version)
    with _lock:
        _campaigns[key] = data
    return data
