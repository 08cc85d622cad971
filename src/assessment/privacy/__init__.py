"""The aggregate layer: protected tables of submitted scores that cannot be unpicked.

Every figure about a group of organisations leaves the core through this
package, and only as a :class:`ProtectedTable`.  ``docs/privacy.md`` gives the
design and its reasoning; in short:

* **a fixed catalogue** per campaign: the total and every combination of one
  or two of :data:`DIMENSIONS`, for each measure (overall score or a theme) at
  each horizon, plus score distributions and goal attainment.  No free filter:
  a request only picks tables of the catalogue, and one campaign at a time;
* the whole catalogue of a measure is **protected at once** (primary,
  dominance and secondary suppression across the linked tables, see
  :mod:`assessment.privacy.protect`), so the difference of two nested
  published cells is empty or covers at least ``k`` organisations;
* **cell-key perturbation** of counts and sums, keyed on the set of
  contributing organisations, and **rounding**: the same cell always gets the
  same answer, and two cells whose sets differ by a few organisations differ
  by noise, not by a record;
* totals count **organisations** (one submission per organisation and
  campaign); a reopened assessment keeps counting with its last submission
  until it is submitted again, so reopening moves no figure;
* **scopes by role** (:mod:`assessment.permissions`): a regional chamber reads
  its region and the national picture (never broken down by region), the
  national body every region, an organisation its own peer groups only
  (:func:`peers`).

Speed: stored scores only (:mod:`assessment.score_store`), held in memory per
campaign (:mod:`assessment.privacy.store`), checked against the one-row data
version on every call, and protected per measure once per data version.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, Literal

import numpy as np
from sqlalchemy import Connection, Engine, select

from assessment import french, score_store
from assessment import tables as t
from assessment.campaigns import is_over, list_campaigns
from assessment.db import read_connection
from assessment.errors import UserError
from assessment.grid import Grid
from assessment.permissions import Action, Actor, Target, can, require
from assessment.privacy import protect, store
from assessment.privacy.protect import CellId
from assessment.privacy.store import (
    DIMENSIONS,
    SECTOR_UNKNOWN,
    TABLES,
    CampaignData,
    campaign_data,
)
from assessment.scoring import OVERALL
from assessment.settings import get_settings

__all__ = [
    "DIMENSIONS",
    "OVERALL_MEASURE",
    "QUARTILE_MIN",
    "SECTOR_UNKNOWN",
    "TABLES",
    "Cell",
    "Dimension",
    "NotPublished",
    "ProtectedTable",
    "RequestError",
    "attainment",
    "carried_table",
    "clear_caches",
    "data_version",
    "distribution",
    "generation",
    "measure_sources",
    "not_published_fr",
    "one_version",
    "peers",
    "published",
    "readable_contents",
    "table",
    "tables",
]

Dimension = Literal["region", "legal_family", "size_band", "sector"]
OVERALL_MEASURE = "overall"
PEER_DIMENSIONS: tuple[str, ...] = ("region", "legal_family", "size_band")
QUARTILE_MIN = protect.QUARTILE_MIN


@dataclass(frozen=True, slots=True)
class Cell:
    """One group: protected count and mean, or the reason it is hidden."""

    key: Mapping[str, str]
    """dimension -> code, e.g. ``{"legal_family": "cooperative"}``; ``{}``: the total."""
    n: int | None
    """Protected count of organisations (perturbed); ``None``: hidden."""
    mean: float | None
    """Protected mean score 0-100 (perturbed, one decimal); ``None``: hidden."""
    quartiles: tuple[float, float, float] | None
    """From 10 organisations only, shifted and rounded to whole points."""
    hidden_reason: str | None
    """French, e.g. « moins de 5 organisations »; ``None`` when shown."""


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    dims: tuple[str, ...]
    measure: str
    """``"overall"`` or an item id of the campaign's grid."""
    horizon: str
    cells: tuple[Cell, ...]
    hidden_cells: int
    note_fr: str
    """Plain French: how these figures are protected, how many are hidden and why."""


class RequestError(UserError, ValueError):
    """A request outside the published catalogue (unknown dimension, measure...)."""


class NotPublished(RequestError):
    """Score figures of a campaign still open: they are published from its close."""


# ---------------------------------------------------------------------------
# caches
# ---------------------------------------------------------------------------

_lock = threading.Lock()
_columns: OrderedDict[Hashable, Any] = OrderedDict()
_COLUMNS_MAX = 512
_campaigns: dict[tuple[str, str, int], tuple[int, str, str] | None] = {}
_released: set[tuple[str, str, int]] = set()


_generation = [0]


def generation() -> int:
    """How many times :func:`clear_caches` ran in this process: what is computed from
    the layer's memory (the dashboards' figures) keys on it, and is forgotten with it."""
    return _generation[0]


def clear_caches() -> None:
    """Forget everything held in memory (tests; after a restore)."""
    from assessment.privacy import store

    store.clear()
    with _lock:
        _generation[0] += 1
        _columns.clear()
        _campaigns.clear()
        _released.clear()
        _suppressed.clear()
        _slices.clear()
        _publications.clear()


def _memo(key: Hashable, compute: Any) -> Any:
    with _lock:
        found = _columns.get(key)
        if found is not None:
            _columns.move_to_end(key)
            return found
    value = compute()
    with _lock:
        _columns[key] = value
        while len(_columns) > _COLUMNS_MAX:
            _columns.popitem(last=False)
    return value


def data_version(engine: Engine) -> int:
    """The data-version counter: one primary-key read, bumped in the same transaction
    as every submit, reopen and organisation change."""
    return score_store.current_version(engine).version


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------


def _k() -> int:
    return get_settings().min_group_size


def _campaign_row(engine: Engine, year: int, token: str) -> tuple[int, str, str] | None:
    key = (store_key(engine), token, year)
    if key in _campaigns:
        return _campaigns[key]
    c = t.Campaign.__table__
    with engine.connect() as conn:
        row = conn.execute(
            select(c.c.id, c.c.grid_id, c.c.grid_version).where(c.c.year == year)
        ).one_or_none()
    found = None if row is None else (int(row[0]), str(row[1]), str(row[2]))
    if found is not None:
        _campaigns[key] = found
    return found


def store_key(engine: Engine) -> str:
    from assessment.privacy.store import db_key

    return db_key(engine)


def _grid(engine: Engine, grid_id: str, version: str) -> Grid:
    from assessment.grid_store import get_grid

    return get_grid(engine, grid_id, version)


one_version = score_store.one_version
"""Every figure of a page on one read of the data version
(:func:`assessment.score_store.one_version`)."""


def _data(engine: Engine, year: int, reader: Actor, conn: Connection | None = None) -> CampaignData:
    """The campaign's data as of now, for ``reader``: refused while the campaign is
    open (:class:`NotPublished`), except to the operator.  Then the data version and
    the score rows written since the campaign's copy in memory, on one connection
    (``conn``, else one of its own: two statements after a submission, one
    otherwise).  Inside :func:`one_version`, the version read on entry."""
    pinned = score_store.pinned_version(engine)
    if pinned is not None:
        return _data_at(engine, year, reader, pinned, conn, pinned=True)
    if conn is None:
        with read_connection(engine) as own:
            return _data(engine, year, reader, own)
    return _data_at(engine, year, reader, score_store.current_version(conn), conn)


def _data_at(
    engine: Engine,
    year: int,
    reader: Actor,
    version: score_store.DataVersion,
    conn: Connection | None,
    *,
    pinned: bool = False,
) -> CampaignData:
    row = _campaign_row(engine, year, version.token)
    if row is None:
        raise RequestError(f"Aucune campagne {year}.")
    campaign_id, grid_id, grid_version = row
    _require_published(engine, reader, campaign_id, version.token, conn)
    return campaign_data(
        engine,
        campaign_id,
        year,
        lambda: _grid(engine, grid_id, grid_version),
        version,
        conn,
        newer_ok=pinned,
    )


def _require_published(
    engine: Engine, reader: Actor, campaign_id: int, token: str, conn: Connection | None
) -> None:
    """Score figures are published from the campaign's close, when they can no longer
    move: two readings of an open campaign a few minutes apart would differ by the
    organisations that submitted in between (``docs/privacy.md``).  Once published, a
    campaign stays so (it never reopens): that answer is kept in memory."""
    if can(reader, Action.READ_OPEN_CAMPAIGN_FIGURES):
        return
    key = (store_key(engine), token, campaign_id)
    if key in _released:
        return
    c = t.Campaign.__table__
    statement = select(c.c.label, c.c.closes_on, c.c.closed_at).where(c.c.id == campaign_id)
    if conn is None:
        with engine.connect() as own:
            label, closes_on, closed_at = own.execute(statement).one()
    else:
        label, closes_on, closed_at = conn.execute(statement).one()
    if is_over(closed_at, closes_on):
        with _lock:
            _released.add(key)
        return
    raise NotPublished(not_published_fr(label, closes_on))


def not_published_fr(label: str, closes_on: date) -> str:
    """Why a campaign's results are not shown yet, in French."""
    return french.typo(
        f"Les résultats de la campagne « {label} » seront publiés à sa clôture, le "
        f"{french.date(closes_on)} : tant qu'elle est ouverte, chaque dépôt ferait bouger "
        "les chiffres, et deux lectures à quelques minutes d'écart trahiraient "
        "l'organisation qui vient de déposer."
    )


def published(engine: Engine, actor: Actor, year: int) -> bool:
    """Whether ``actor`` may read the score figures of the campaign of ``year`` (it is
    closed, or ``actor`` is the operator); ``False`` when there is no such campaign."""
    try:
        with one_version(engine) as version:
            row = _campaign_row(engine, year, version.token)
            if row is None:
                return False
            _require_published(engine, actor, row[0], version.token, None)
    except NotPublished:
        return False
    return True


def readable_contents(engine: Engine, actor: Actor) -> tuple[tuple[int, tuple[str, int]], ...]:
    """``(year, content)`` of every campaign whose figures ``actor`` may read (each
    brought up to date): what any figure ``actor`` reads is a function of, with its
    arguments and the layer's parameters.  A submission to the open campaign leaves
    it unchanged for every reader but the operator."""
    with one_version(engine):
        return tuple(
            (c.year, _data(engine, c.year, actor).content)
            for c in list_campaigns(engine)
            if published(engine, actor, c.year)
        )


def _previous_year(engine: Engine, year: int) -> int | None:
    return next((c.year for c in list_campaigns(engine) if c.year < year), None)


# ---------------------------------------------------------------------------
# columns
# ---------------------------------------------------------------------------


def _section(grid: Grid, measure: str) -> str:
    if measure == OVERALL_MEASURE:
        return OVERALL
    if measure not in {item.id for item in grid.items}:
        raise RequestError(f"Mesure inconnue : « {measure} ».")
    return measure


def _horizon(grid: Grid, horizon: str | None) -> str:
    if horizon is None:
        return grid.current_horizon
    if horizon not in grid.horizon_ids:
        raise RequestError(f"Horizon inconnu : « {horizon} ».")
    return horizon


@dataclass(frozen=True)
class _View:
    """One column's protected cells, as arrays over a lattice's cells."""

    name: str
    lattice: protect.Lattice
    cell_of: Mapping[tuple[str, ...], np.ndarray]
    values: np.ndarray
    """The column's value per row (for quartiles)."""
    reason: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    cell_key: np.ndarray
    true_n: np.ndarray
    total: np.ndarray
    members: Any = None
    """``(table dims, cell) -> rows`` without a scan (score columns), else ``None``."""
    raw_quartiles: dict[int, Any] | None = None
    """The column's exact quartiles by cell, kept while the cell's values are."""
    sorted_values: dict[int, Any] | None = None
    """The sorted values of the column's large cells (:data:`store.SORTED_MIN`)."""


def _view(
    name: str,
    lattice: protect.Lattice,
    cell_of: Mapping[tuple[str, ...], np.ndarray],
    values: np.ndarray,
    stats: protect.Stats,
    m: int,
    *,
    already: np.ndarray | None = None,
    dominance: bool = True,
) -> _View:
    k = _k()
    true_n = stats.counts[:, m].astype(np.int64)
    total = stats.sums[:, m]
    cell_key = stats.key_sums[:, m].astype(np.int64) % protect.KEY_RANGE
    reason = protect.suppress_arrays(
        lattice, true_n, total, stats.largest[:, m], k, already=already, dominance=dominance
    )
    n, mean = protect.publish_arrays(true_n, total, cell_key, reason, name, k)
    return _View(name, lattice, cell_of, values, reason, n, mean, cell_key, true_n, total)


def _column_name(section: str, horizon: str) -> str:
    return f"{OVERALL_MEASURE if section == OVERALL else section}@{horizon}"


_suppressed: dict[tuple[str, int], tuple[Any, ...]] = {}
"""Per campaign, the last suppression computed: its lattice, k, counts, sums, largest
values and reasons (a new submission changes the counts and sums of a few columns
only: the others keep their reasons, computed from the same figures)."""


def _reasons(data: CampaignData, true_n: np.ndarray, k: int) -> np.ndarray:
    """Every score column's suppression (:func:`protect.suppress_arrays`), computed
    again only for the columns whose counts, sums or largest values changed since
    the campaign's last one (suppression is column by column)."""
    assert data.lattice is not None and data.stats is not None
    lattice, stats = data.lattice, data.stats
    key = (data.content[0], data.campaign_id)
    last = _suppressed.get(key)
    if last is not None and last[0] is lattice and last[1] == k:
        changed = np.flatnonzero(
            (last[2] != stats.counts).any(axis=0)
            | (last[3] != stats.sums).any(axis=0)
            | (last[4] != stats.largest).any(axis=0)
        )
        reason = last[5].copy()
        if len(changed):
            reason[:, changed] = protect.suppress_arrays(
                lattice, true_n[:, changed], stats.sums[:, changed], stats.largest[:, changed], k
            )
    else:
        reason = protect.suppress_arrays(lattice, true_n, stats.sums, stats.largest, k)
    with _lock:
        _suppressed[key] = (lattice, k, stats.counts, stats.sums, stats.largest, reason)
    return reason


_publications: dict[tuple[str, int], tuple[Any, ...]] = {}
"""Per campaign, the last noisy counts and means computed, with what they came from."""


def _published(
    data: CampaignData,
    true_n: np.ndarray,
    cell_key: np.ndarray,
    reason: np.ndarray,
    names: Sequence[str],
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`protect.publish_arrays` of every score column, computed again only for
    the cells whose count, sum or key changed since the campaign's last one (the
    noise is a fixed function of these: the others keep their figures)."""
    assert data.lattice is not None and data.stats is not None
    sums = data.stats.sums
    key = (data.content[0], data.campaign_id)
    last = _publications.get(key)
    if last is not None and last[0] is data.lattice and last[1] == k:
        moved = np.flatnonzero(
            ((last[2] != true_n) | (last[3] != sums) | (last[4] != cell_key)).any(axis=1)
        )
        n, mean = last[5].copy(), last[6].copy()
        if len(moved):
            n[moved], mean[moved] = protect.publish_arrays(
                true_n[moved], sums[moved], cell_key[moved], reason[moved], names, k
            )
    else:
        n, mean = protect.publish_arrays(true_n, sums, cell_key, reason, names, k)
    with _lock:
        _publications[key] = (data.lattice, k, true_n, sums, cell_key, n, mean)
    return n, mean


def _score_views(data: CampaignData) -> list[_View]:
    """Every score column of the campaign protected at once (one pass over arrays),
    once per content of the campaign."""
    assert data.lattice is not None and data.stats is not None
    lattice, cell_of, stats = data.lattice, data.cell_of, data.stats

    def compute() -> list[_View]:
        k = _k()
        names = [_column_name(*metric) for metric in data.metrics]
        true_n = stats.counts.astype(np.int64)
        cell_key = stats.key_sums.astype(np.int64) % protect.KEY_RANGE
        reason = _reasons(data, true_n, k)
        n, mean = _published(data, true_n, cell_key, reason, names, k)
        return [
            _View(
                names[m],
                lattice,
                cell_of,
                data.columns[m],
                reason[:, m],
                n[:, m],
                mean[:, m],
                cell_key[:, m],
                true_n[:, m],
                stats.sums[:, m],
                data.members,
                data.raw_quartiles[m],
                data.sorted_values[m],
            )
            for m in range(len(names))
        ]

    views: list[_View] = _memo(("cells", data.campaign_id, data.content), compute)
    return views


def _score_view(data: CampaignData, measure: str, horizon: str) -> _View:
    return _score_views(data)[data.column_index(_section(data.grid, measure), horizon)]


def _column_view(
    name: str,
    data: CampaignData,
    values: np.ndarray,
    keys: np.ndarray,
    codes: Mapping[str, np.ndarray],
    labels: Mapping[str, Sequence[str]],
    tables: Sequence[tuple[str, ...]],
    *,
    already: Mapping[CellId, int] | None = None,
    dominance: bool = True,
) -> _View:
    """A derived column (bins, attainment) protected over its own lattice."""
    lattice, cell_of = protect.catalogue(codes, labels, tables)
    stats = protect.cell_stats(lattice, cell_of, values[:, None], keys)
    before = None
    if already:
        before = np.zeros(len(lattice.cells), dtype=np.int8)
        for cell_id, reason in already.items():
            if cell_id in lattice.index:
                before[lattice.index[cell_id]] = reason
    return _view(name, lattice, cell_of, values, stats, 0, already=before, dominance=dominance)


def _quartiles_of(requests: Sequence[tuple[_View, Sequence[int]]]) -> list[dict[int, Any]]:
    """For each ``(view, cells)``, the quartiles of its shown cells with at least 10
    organisations: the exact ones computed once per cell while the cell's values
    stay, then shifted by each cell's key, every view's in one vectorised step."""
    out: list[dict[int, Any]] = [{} for _ in requests]
    raw: list[tuple[float, float, float]] = []
    keys: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    names: list[str] = []
    where: list[tuple[int, int]] = []
    for request, (view, cells) in enumerate(requests):
        if not len(cells):
            continue
        at = np.asarray(cells, dtype=np.int64)
        eligible = (view.reason[at] == 0) & (  # from 10 organisations, counted either way
            np.minimum(view.true_n[at], view.n[at]) >= protect.QUARTILE_MIN
        )
        chosen = at[eligible]
        if not len(chosen):
            continue
        known = view.raw_quartiles if view.raw_quartiles is not None else {}
        kept = []
        for index in chosen.tolist():
            found = known.get(index, _MISSING)
            if found is _MISSING:
                dims = view.lattice.cells[index][0]
                if view.members is not None:
                    members = view.values[view.members(dims, index)]
                else:
                    members = view.values[view.cell_of[dims] == index]
                members = members[~np.isnan(members)]
                if view.sorted_values is not None and len(members) >= store.SORTED_MIN:
                    ordered = view.sorted_values[index] = np.sort(members)
                    found = protect.sorted_quartiles(ordered)
                else:
                    found = protect.raw_quartiles(members)
                known[index] = found
            if found is not None:
                raw.append(found)
                kept.append(index)
        if kept:
            rows = np.array(kept, dtype=np.int64)
            keys.append(view.cell_key[rows])
            sizes.append(view.true_n[rows])
            names += [view.name] * len(kept)
            where += [(request, index) for index in kept]
    if not raw:
        return out
    shown = protect.shown_quartiles(
        np.array(raw, dtype=np.float64), np.concatenate(keys), np.concatenate(sizes), names
    ).tolist()
    for (request, index), quartiles in zip(where, shown, strict=True):
        out[request][index] = (quartiles[0], quartiles[1], quartiles[2])
    return out


_MISSING: Any = object()


# ---------------------------------------------------------------------------
# notes
# ---------------------------------------------------------------------------


@functools.cache
def _reasons_fr(k: int) -> dict[str, str]:
    return {
        reason: french.typo(text)
        for reason, text in {
            protect.PRIMARY: f"moins de {k} organisations",
            protect.DOMINANT: "une organisation pèse plus de 85 % du total",
            protect.SECONDARY: "masqué pour qu'un autre groupe ne puisse pas être déduit",
        }.items()
    }


def _note(hidden: Mapping[str, int], k: int, *, scores: bool = True, percent: bool = False) -> str:
    return _note_of(tuple(hidden.items()), k, scores, percent)


@functools.cache
def _note_of(
    hidden_counts: tuple[tuple[str, int], ...], k: int, scores: bool, percent: bool
) -> str:
    hidden = dict(hidden_counts)
    if scores:
        what = "taux arrondis" if percent else "moyennes sur 100 arrondies au dixième"
        text = (
            f"Chiffres protégés : effectifs et {what}, légèrement perturbés de façon stable "
            "(méthode de la clé de cellule : le même groupe donne toujours le même chiffre) ; "
            f"quartiles à partir de {protect.QUARTILE_MIN} organisations, arrondis au point. "
        )
    else:
        text = (
            "Chiffres protégés : effectifs légèrement perturbés de façon stable "
            "(méthode de la clé de cellule). "
        )
    text += f"Un groupe de moins de {k} organisations n'est jamais montré."
    total = sum(hidden.values())
    if total:
        reasons = _reasons_fr(k)
        parts = [f"{count} : {reasons[reason]}" for reason, count in hidden.items() if count]
        text += f" {french.plural(total, 'groupe masqué')} ({' ; '.join(parts)})."
    return french.typo(text)


def _table_of(
    view: _View,
    wanted: Sequence[int],
    shown_dims: Sequence[Sequence[str]],
    quartiles: Mapping[int, Any],
    *,
    dims: tuple[str, ...],
    measure: str,
    horizon: str,
    scores: bool = True,
    percent: bool = False,
) -> ProtectedTable:
    k = _k()
    reasons = _reasons_fr(k)
    cells = []
    hidden: dict[str, int] = {protect.PRIMARY: 0, protect.DOMINANT: 0, protect.SECONDARY: 0}
    at = np.asarray(wanted, dtype=np.int64)  # plain Python numbers, read in one go each
    all_reasons = view.reason[at].tolist()
    all_n = view.n[at].tolist()
    all_means = view.mean[at].tolist()
    lattice_cells = view.lattice.cells
    for i, (index, names) in enumerate(zip(wanted, shown_dims, strict=True)):
        table_dims, codes = lattice_cells[index]
        key = {d: c for d, c in zip(table_dims, codes, strict=True) if d in names}
        reason = protect.REASONS[all_reasons[i]]
        if reason:
            hidden[reason] += 1
            cells.append(Cell(key, None, None, None, reasons[reason]))
        else:
            mean = all_means[i] if scores else None
            cells.append(Cell(key, all_n[i], mean, quartiles.get(index), None))
    return ProtectedTable(
        dims=dims,
        measure=measure,
        horizon=horizon,
        cells=tuple(cells),
        hidden_cells=sum(hidden.values()),
        note_fr=_note(hidden, k, scores=scores, percent=percent),
    )


# ---------------------------------------------------------------------------
# requests
# ---------------------------------------------------------------------------


def _check_dims(dims: Sequence[str], region: str | None) -> tuple[str, ...]:
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown or len(set(dims)) != len(dims):
        raise RequestError(f"Dimensions non publiées : {', '.join(dims)}.")
    wanted = set(dims) | ({"region"} if region is not None else set())
    if len(wanted) > 2:
        raise RequestError(
            "Au plus deux dimensions à la fois (la région comptant pour une) : "
            "c'est le catalogue publié."
        )
    return tuple(d for d in DIMENSIONS if d in wanted)


def _require_scope(actor: Actor, region: str | None, dims: Sequence[str]) -> None:
    require(
        actor,
        Action.READ_AGGREGATES,
        Target(region=region, by_region=region is None and "region" in dims),
    )


_slices: dict[tuple[int, tuple[str, ...], str | None], tuple[protect.Lattice, np.ndarray]] = {}


def _slice(view: _View, table_dims: tuple[str, ...], region: str | None) -> list[int]:
    """The table's non-empty cells (within ``region``), in the lattice's order."""
    key = (id(view.lattice), table_dims, region)
    found = _slices.get(key)
    if found is None or found[0] is not view.lattice:  # once per lattice
        out = list(view.lattice.by_table.get(table_dims, ()))
        if region is not None:
            at = table_dims.index("region")
            out = [i for i in out if view.lattice.cells[i][1][at] == region]
        found = (view.lattice, np.array(out, dtype=np.int64))
        with _lock:
            if len(_slices) > _COLUMNS_MAX:
                _slices.clear()
            _slices[key] = found
    cells = found[1]
    chosen: list[int] = cells[view.true_n[cells] > 0].tolist()
    return chosen


def table(
    engine: Engine,
    actor: Actor,
    *,
    campaign_year: int,
    dims: tuple[str, ...] = (),
    region: str | None = None,
    measure: str = OVERALL_MEASURE,
    horizon: str | None = None,
) -> ProtectedTable:
    """A published table: one cell per group of ``dims`` (``()``: the total), within
    ``region`` when given (else national), for ``measure`` at ``horizon`` (default:
    the current state), among the organisations that have a score there."""
    (found,) = tables(
        engine,
        actor,
        campaign_year=campaign_year,
        dims=dims,
        region=region,
        measures=(measure,),
        horizons=(horizon,),
    )
    return found


def tables(
    engine: Engine,
    actor: Actor,
    *,
    campaign_year: int,
    dims: tuple[str, ...] = (),
    region: str | None = None,
    measures: Sequence[str] | None = None,
    horizons: Sequence[str | None] | None = None,
) -> list[ProtectedTable]:
    """:func:`table` for several measures and horizons at once (default: the overall
    score and every theme, at every horizon; measure by measure, horizon by
    horizon), e.g. for a heatmap of themes × groups: one data-version check."""
    _require_scope(actor, region, dims)
    table_dims = _check_dims(dims, region)
    data = _data(engine, campaign_year, actor)
    grid = data.grid
    asked = []
    for measure in measures or (OVERALL_MEASURE, *(item.id for item in grid.items)):
        for horizon in horizons or grid.horizon_ids:
            horizon_id = _horizon(grid, horizon)
            view = _score_view(data, measure, horizon_id)
            asked.append((measure, horizon_id, view, _slice(view, table_dims, region)))
    quartiles = _quartiles_of([(view, wanted) for _, _, view, wanted in asked])
    return [
        _table_of(
            view,
            wanted,
            [dims] * len(wanted),
            found,
            dims=tuple(dims),
            measure=measure,
            horizon=horizon_id,
        )
        for (measure, horizon_id, view, wanted), found in zip(asked, quartiles, strict=True)
    ]


def _bin_labels(bins: int) -> list[str]:
    width = protect.SCALE / bins
    edges = [french.number(i * width, 1) for i in range(bins + 1)]
    return [f"{low}-{high}" for low, high in pairwise(edges)]


def distribution(
    engine: Engine,
    actor: Actor,
    *,
    campaign_year: int,
    measure: str,
    horizon: str | None = None,
    region: str | None = None,
    bins: int = 5,
) -> ProtectedTable:
    """How many organisations score in each band of ``100 / bins`` points (cells keyed
    ``{"bin": "0-20"}``, counts protected like any cell, with the scope's total and
    the regions' bands as linked tables)."""
    if not 2 <= bins <= 10:
        raise RequestError("Entre 2 et 10 classes.")
    _require_scope(actor, region, ())
    data = _data(engine, campaign_year, actor)
    horizon_id = _horizon(data.grid, horizon)
    main = _score_view(data, measure, horizon_id)
    labels = _bin_labels(bins)
    present = ~np.isnan(main.values)
    values = main.values[present]
    codes = {
        "region": data.codes["region"][present],
        "bin": np.clip(values * bins // protect.SCALE, 0, bins - 1).astype(np.int64),
    }
    already = {
        main.lattice.cells[i]: int(main.reason[i])
        for dims in ((), ("region",))
        for i in main.lattice.by_table.get(dims, ())
        if main.reason[i]
    }
    name = f"{main.name}:bins{bins}"
    view: _View = _memo(
        ("bins", data.campaign_id, data.content, name),
        lambda: _column_view(
            name,
            data,
            values,
            data.keys[present],
            codes,
            {"region": data.labels["region"], "bin": labels},
            protect.lattice_tables(("region", "bin"), 2),
            already=already,
            dominance=False,
        ),
    )
    table_dims = ("region", "bin") if region is not None else ("bin",)
    wanted = _slice(view, table_dims, region)
    return _table_of(
        view,
        wanted,
        [("bin",)] * len(wanted),
        {},
        dims=("bin",),
        measure=measure,
        horizon=horizon_id,
        scores=False,
    )


# ---------------------------------------------------------------------------
# across grid versions (``replaces``)
# ---------------------------------------------------------------------------


def _lineage_grids(engine: Engine, grid: Grid) -> list[Grid]:
    """The published versions of ``grid``'s grid up to ``grid`` itself (a later version's
    ``replaces`` say nothing of what ``grid``'s ids continue)."""
    from assessment.grid_store import published_grids

    versions = published_grids(engine, grid.id)
    keys = [(g.id, g.version) for g in versions]
    if (grid.id, grid.version) in keys:
        versions = versions[: keys.index((grid.id, grid.version)) + 1]
    return [*versions, grid]


def measure_sources(engine: Engine, grid: Grid, older: Grid, measure: str) -> list[str]:
    """The measures of a campaign answered on ``older`` that ``measure`` (``"overall"`` or
    an item id of ``grid``, a later version) continues through ``replaces``, in
    ``older``'s order: ``[measure]`` for an item kept as it was, the former id for a
    renamed one, several for a merge, ``[]`` when it has no history there."""
    if measure == OVERALL_MEASURE:
        return [OVERALL_MEASURE]
    if (grid.id, grid.version) == (older.id, older.version):
        return [measure] if measure in {i.id for i in grid.items} else []

    def compute() -> dict[str, list[str]]:
        from assessment.gridtools.lineage import Lineage

        line = Lineage.of(_lineage_grids(engine, grid) if grid.id == older.id else [grid])
        return line.sources(grid, older, "item")

    found: dict[str, list[str]] = _memo(
        ("sources", store_key(engine), grid.id, grid.version, older.id, older.version), compute
    )
    return list(found.get(measure, []))


_MERGED_NOTE = (
    "Thème qui en regroupe plusieurs de la version {version} de la grille : moyenne de "
    "leurs moyennes protégées, pondérées par leurs effectifs ; masqué dès que l'une "
    "l'est ; effectif : le plus grand des leurs."
)


def carried_table(
    engine: Engine,
    actor: Actor,
    *,
    campaign_year: int,
    grid: Grid,
    measure: str = OVERALL_MEASURE,
    dims: tuple[str, ...] = (),
    region: str | None = None,
    horizon: str | None = None,
) -> ProtectedTable | None:
    """:func:`table` of the campaign of ``campaign_year`` for ``measure`` as ``grid`` (a
    later version, the one a dashboard shows) names it, through ``replaces``
    (:func:`measure_sources`); ``None`` when it has no history in that campaign (a new
    theme, or a horizon that version did not have).

    Nothing new is computed from the stored scores, so the protection is exactly
    that of the published catalogue: a kept or renamed theme is its former theme's
    table relabelled; a theme merged from several is computed from their *published*
    cells only (a weighted mean of protected means, hidden when one of them is), so
    it tells nothing that those cells do not already tell."""
    _require_scope(actor, region, dims)
    _check_dims(dims, region)
    data = _data(engine, campaign_year, actor)
    older = data.grid
    horizon_id = horizon or grid.current_horizon
    if horizon_id == grid.current_horizon:
        horizon_id = older.current_horizon
    if horizon_id not in older.horizon_ids:
        return None
    sources = measure_sources(engine, grid, older, measure)
    if not sources:
        return None
    found = tables(
        engine,
        actor,
        campaign_year=campaign_year,
        dims=dims,
        region=region,
        measures=sources,
        horizons=(horizon_id,),
    )
    if len(found) == 1:
        return ProtectedTable(
            found[0].dims, measure, horizon_id, found[0].cells, found[0].hidden_cells,
            found[0].note_fr,
        )  # fmt: skip
    return _merged(found, measure, horizon_id, older.version)


def _merged(
    found: Sequence[ProtectedTable], measure: str, horizon: str, version: str
) -> ProtectedTable:
    """One table from the published cells of several (a merged theme)."""
    k = _k()
    codes = {text: code for code, text in _reasons_fr(k).items()}
    by_key: dict[tuple[tuple[str, str], ...], list[Cell]] = {}
    for tbl in found:
        for cell in tbl.cells:
            by_key.setdefault(tuple(sorted(cell.key.items())), []).append(cell)
    hidden: dict[str, int] = {protect.PRIMARY: 0, protect.DOMINANT: 0, protect.SECONDARY: 0}
    cells: list[Cell] = []
    for key, parts in by_key.items():
        shut = [c for c in parts if c.hidden_reason is not None]
        if shut:
            reason = shut[0].hidden_reason
            hidden[codes.get(reason or "", protect.SECONDARY)] += 1
            cells.append(Cell(dict(key), None, None, None, reason))
            continue
        counts = [c.n or 0 for c in parts]
        total = sum(counts)
        mean = (
            round(sum(n * (c.mean or 0.0) for n, c in zip(counts, parts, strict=True)) / total, 1)
            if total
            else None
        )
        cells.append(Cell(dict(key), max(counts), mean, None, None))
    note = _note(hidden, k) + " " + french.typo(_MERGED_NOTE.format(version=version))
    return ProtectedTable(found[0].dims, measure, horizon, tuple(cells), sum(hidden.values()), note)


def shown_scores(values: np.ndarray) -> np.ndarray:
    """:func:`assessment.french.whole` over an array (halves away from zero), exactly:
    ``floor(|x| + 0.5)``, and the values within a hair of a half decided by ``whole``
    itself (a float's sum can round where the decimal does not)."""
    out = np.sign(values) * np.floor(np.abs(values) + 0.5)
    near = np.abs(np.abs(values) % 1.0 - 0.5) < 1e-6
    for index in np.flatnonzero(near):
        out[index] = french.whole(float(values[index]))
    return out


def goals_reached(target: np.ndarray, achieved: np.ndarray) -> np.ndarray:
    """:func:`assessment.scoring.goal_reached` over arrays (no missing values)."""
    return np.asarray(shown_scores(achieved) >= shown_scores(target), dtype=bool)


def attainment(
    engine: Engine,
    actor: Actor,
    *,
    campaign_year: int,
    measure: str = OVERALL_MEASURE,
    region: str | None = None,
    dims: tuple[str, ...] = (),
) -> ProtectedTable:
    """The share (``mean``, in %) of organisations whose 1-year goal of the previous
    campaign is reached by their current state in this one, among those with both
    figures; an empty table when there is no previous campaign or no goal."""
    _require_scope(actor, region, dims)
    table_dims = _check_dims(dims, region)
    data = _data(engine, campaign_year, actor)
    current = data.grid.current_horizon
    section = _section(data.grid, measure)
    previous_year = _previous_year(engine, campaign_year)
    goals = data.grid.goal_horizons
    if previous_year is None or not goals:
        return ProtectedTable(
            tuple(dims),
            measure,
            current,
            (),
            0,
            french.typo("Pas de campagne précédente : aucun objectif à comparer."),
        )
    before = _data(engine, previous_year, actor)
    name = f"{measure}:attainment:{previous_year}"
    view: _View = _memo(
        ("attainment", data.campaign_id, data.content, before.content, name),
        lambda: _attainment_view(engine, data, before, measure, section, name),
    )
    wanted = _slice(view, table_dims, region)
    return _table_of(
        view,
        wanted,
        [dims] * len(wanted),
        {},
        dims=tuple(dims),
        measure=measure,
        horizon=current,
        percent=True,
    )


def _attainment_view(
    engine: Engine,
    data: CampaignData,
    before: CampaignData,
    measure: str,
    section: str,
    name: str,
) -> _View:
    """The attainment column of ``measure`` (100: reached, 0: not, NaN: no figure) over
    ``data``'s organisations, protected: computed once per content of both campaigns."""
    current = data.grid.current_horizon
    goal = data.grid.goal_horizons[0]
    values = np.full(len(data.organisation_ids), np.nan)
    keys = data.keys.copy()
    # the goal of the theme(s) this one continues in the previous campaign's version;
    # a theme merged from several: each organisation's mean of their goals (as on its
    # results page), an attainment value like any other (same column, same protection)
    olds = [
        OVERALL if m == OVERALL_MEASURE else m
        for m in measure_sources(engine, data.grid, before.grid, measure)
    ]
    target_columns = [before.column_index(o, goal) for o in olds if (o, goal) in before.metrics]
    if target_columns:
        achieved = data.columns[data.column_index(section, current)]
        rows = np.array(
            [before.row_of.get(int(o), -1) for o in data.organisation_ids], dtype=np.int64
        )
        found = rows >= 0
        target = np.full(len(rows), np.nan)
        if found.any():
            block = np.column_stack([before.columns[c][rows[found]] for c in target_columns])
            answered = ~np.isnan(block)
            sums = np.where(answered, block, 0.0).sum(axis=1)
            counts = answered.sum(axis=1)
            target[found] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        keys[found] = (keys[found] + before.keys[rows[found]]) % protect.KEY_RANGE
        both = ~np.isnan(achieved) & ~np.isnan(target)
        # the organisation's own verdict (its results page, its report): on the
        # scores as shown, never on their decimals
        reached = goals_reached(target[both], achieved[both])
        values[both] = np.where(reached, 100.0, 0.0)
    return _column_view(name, data, values, keys, data.codes, data.labels, TABLES)


def peers(
    engine: Engine, actor: Actor, organisation_id: int, *, campaign_year: int
) -> list[ProtectedTable]:
    """What an organisation's results page needs: for the overall score and each theme
    (current state), its three peer groups among the organisations that have a score
    there — same region, same legal family, same size band (national) — one cell
    each, keyed by that dimension alone (``dims`` lists the three)."""
    o = t.Organisation.__table__
    with read_connection(engine) as conn:  # the data version on the same connection
        org = conn.execute(
            select(o.c.region, o.c.legal_family, o.c.size_band).where(o.c.id == organisation_id)
        ).one_or_none()
        require(
            actor,
            Action.READ_PEERS,
            Target(organisation_id=organisation_id, organisation_region=org[0] if org else None),
        )
        if org is None:
            return []
        data = _data(engine, campaign_year, actor, conn)
    attributes = dict(zip(PEER_DIMENSIONS, org, strict=True))
    horizon = data.grid.current_horizon
    asked = []
    for measure in (OVERALL_MEASURE, *(item.id for item in data.grid.items)):
        view = _score_view(data, measure, horizon)
        wanted: list[int] = []
        names: list[tuple[str, ...]] = []
        for d in PEER_DIMENSIONS:
            index = view.lattice.index.get(((d,), (str(attributes[d]),)))
            if index is None or view.true_n[index] == 0:
                continue
            wanted.append(index)
            names.append((d,))
        asked.append((measure, view, wanted, names))
    quartiles = _quartiles_of([(view, wanted) for _, view, wanted, _ in asked])
    return [
        _table_of(
            view,
            wanted,
            names,
            found,
            dims=PEER_DIMENSIONS,
            measure=measure,
            horizon=horizon,
        )
        for (measure, view, wanted, names), found in zip(asked, quartiles, strict=True)
    ]
