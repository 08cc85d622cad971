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

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import Engine, select

from assessment import french, score_store
from assessment import tables as t
from assessment.errors import UserError
from assessment.grid import Grid
from assessment.permissions import Action, Actor, Target, require
from assessment.privacy import protect
from assessment.privacy.protect import CellId, Column, Protected
from assessment.privacy.store import DIMENSIONS, SECTOR_UNKNOWN, CampaignData, campaign_data
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
    "ProtectedTable",
    "RequestError",
    "attainment",
    "clear_caches",
    "data_version",
    "distribution",
    "peers",
    "table",
]

Dimension = Literal["region", "legal_family", "size_band", "sector"]
OVERALL_MEASURE = "overall"
TABLES: tuple[tuple[str, ...], ...] = protect.lattice_tables(DIMENSIONS, 2)
"""The published tables: the total and every combination of one or two dimensions."""
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


# ---------------------------------------------------------------------------
# caches
# ---------------------------------------------------------------------------

_lock = threading.Lock()
_columns: OrderedDict[Hashable, Any] = OrderedDict()
_COLUMNS_MAX = 512
_campaigns: dict[tuple[str, str, int], tuple[int, str, str] | None] = {}


def clear_caches() -> None:
    """Forget everything held in memory (tests; after a restore)."""
    from assessment.privacy import store

    store.clear()
    with _lock:
        _columns.clear()
        _campaigns.clear()


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


def _data(engine: Engine, year: int) -> CampaignData | None:
    version = score_store.current_version(engine)
    row = _campaign_row(engine, year, version.token)
    if row is None:
        raise RequestError(f"Aucune campagne {year}.")
    campaign_id, grid_id, grid_version = row
    return campaign_data(engine, campaign_id, year, _grid(engine, grid_id, grid_version), version)


def _previous_year(engine: Engine, year: int) -> int | None:
    c = t.Campaign.__table__
    with engine.connect() as conn:
        found = conn.execute(select(c.c.year).where(c.c.year < year).order_by(c.c.year.desc()))
        first = found.first()
    return None if first is None else int(first[0])


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


def _column(data: CampaignData, name: str, values: np.ndarray, keys: np.ndarray) -> Column:
    return Column(name, values, keys, data.codes, data.labels)


def _score_column(data: CampaignData, measure: str, horizon: str) -> Column:
    index = data.column_index(_section(data.grid, measure), horizon)
    return _column(data, f"{measure}@{horizon}", data.matrix[:, index], data.keys)


def _protected(data: CampaignData, column: Column) -> dict[CellId, Protected]:
    key = ("cells", data.campaign_id, data.version, column.name)
    result: dict[CellId, Protected] = _memo(key, lambda: protect.protect(column, TABLES, _k()))
    return result


def _quartiles(
    data: CampaignData, column: Column, dims: tuple[str, ...], cells: Sequence[CellId]
) -> dict[CellId, tuple[float, float, float]]:
    """Quartiles of the shown cells of one table with at least 10 organisations."""
    wanted = [c for c in cells if c[0] == dims]
    if not wanted:
        return {}

    def compute() -> dict[CellId, tuple[float, float, float]]:
        present = ~np.isnan(column.values)
        values = column.values[present]
        group = np.zeros(len(values), dtype=np.int64)
        for d in dims:
            group = group * len(column.labels[d]) + column.codes[d][present]
        order = np.lexsort((values, group))
        groups, values = group[order], values[order]
        out: dict[CellId, tuple[float, float, float]] = {}
        protected = _protected(data, column)
        for cell_id in wanted:
            code = 0
            for d, label in zip(dims, cell_id[1], strict=True):
                code = code * len(column.labels[d]) + list(column.labels[d]).index(label)
            lo, hi = np.searchsorted(groups, [code, code + 1])
            q = protect.quartiles(values[lo:hi], protected[cell_id].cell_key, column.name)
            if q is not None:
                out[cell_id] = q
        return out

    key = ("quartiles", data.campaign_id, data.version, column.name, dims, tuple(wanted))
    result: dict[CellId, tuple[float, float, float]] = _memo(key, compute)
    return result


# ---------------------------------------------------------------------------
# notes
# ---------------------------------------------------------------------------


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
    protected: Mapping[CellId, Protected],
    quartiles: Mapping[CellId, tuple[float, float, float]],
    wanted: Sequence[CellId],
    shown_dims: Sequence[Sequence[str]],
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
    for cell_id, names in zip(wanted, shown_dims, strict=True):
        p = protected[cell_id]
        table_dims, codes = cell_id
        key = {d: c for d, c in zip(table_dims, codes, strict=True) if d in names}
        if p.hidden is not None:
            hidden[p.hidden] += 1
            cells.append(Cell(key, None, None, None, reasons[p.hidden]))
        else:
            cells.append(Cell(key, p.n, p.mean if scores else None, quartiles.get(cell_id), None))
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


def _slice(
    protected: Mapping[CellId, Protected], table_dims: tuple[str, ...], region: str | None
) -> list[CellId]:
    out = [
        c
        for c in protected
        if c[0] == table_dims and (region is None or c[1][table_dims.index("region")] == region)
    ]
    return sorted(out, key=lambda c: c[1])


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
    _require_scope(actor, region, dims)
    table_dims = _check_dims(dims, region)
    data = _data(engine, campaign_year)
    assert data is not None
    horizon_id = _horizon(data.grid, horizon)
    column = _score_column(data, measure, horizon_id)
    protected = _protected(data, column)
    wanted = _slice(protected, table_dims, region)
    shown = [c for c in wanted if protected[c].hidden is None]
    quartiles = _quartiles(data, column, table_dims, shown)
    return _table_of(
        protected,
        quartiles,
        wanted,
        [dims] * len(wanted),
        dims=tuple(dims),
        measure=measure,
        horizon=horizon_id,
    )


def _bin_labels(bins: int) -> list[str]:
    width = protect.SCALE / bins
    return [
        f"{french.number(i * width, 1)}-{french.number((i + 1) * width, 1)}" for i in range(bins)
    ]


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
    data = _data(engine, campaign_year)
    assert data is not None
    horizon_id = _horizon(data.grid, horizon)
    column = _score_column(data, measure, horizon_id)
    main = _protected(data, column)
    labels = _bin_labels(bins)
    values = column.values
    codes = np.clip(np.nan_to_num(values, nan=0.0) * bins // protect.SCALE, 0, bins - 1)
    binned = Column(
        f"{column.name}:bins{bins}",
        values,
        column.keys,
        {"region": column.codes["region"], "bin": codes.astype(np.int64)},
        {"region": column.labels["region"], "bin": labels},
    )
    tables = protect.lattice_tables(("region", "bin"), 2)
    already = {
        c: p.hidden for c, p in main.items() if c[0] in ((), ("region",)) and p.hidden is not None
    }

    def compute() -> dict[CellId, Protected]:
        return protect.protect(binned, tables, _k(), already=already, dominance=False)

    protected: dict[CellId, Protected] = _memo(
        ("bins", data.campaign_id, data.version, binned.name), compute
    )
    table_dims = ("region", "bin") if region is not None else ("bin",)
    wanted = _slice(protected, table_dims, region)
    wanted.sort(key=lambda c: labels.index(c[1][-1]))
    return _table_of(
        protected,
        {},
        wanted,
        [("bin",)] * len(wanted),
        dims=("bin",),
        measure=measure,
        horizon=horizon_id,
        scores=False,
    )


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
    data = _data(engine, campaign_year)
    assert data is not None
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
    before = _data(engine, previous_year)
    assert before is not None
    goal = goals[0]
    values = np.full(len(data.organisation_ids), np.nan)
    keys = data.keys.copy()
    if (section, goal) in before.metrics:
        target_index = before.column_index(section, goal)
        achieved = data.matrix[:, data.column_index(section, current)]
        rows = np.array([before.row_of.get(int(o), -1) for o in data.organisation_ids])
        found = rows >= 0
        target = np.full(len(rows), np.nan)
        target[found] = before.matrix[rows[found], target_index]
        keys[found] = (keys[found] + before.keys[rows[found]]) % protect.KEY_RANGE
        both = ~np.isnan(achieved) & ~np.isnan(target)
        values[both] = np.where(achieved[both] - target[both] >= -1e-9, 100.0, 0.0)
    column = _column(data, f"{measure}:attainment:{previous_year}", values, keys)
    protected = _memo(
        ("attainment", data.campaign_id, data.version, before.version, column.name),
        lambda: protect.protect(column, TABLES, _k()),
    )
    wanted = _slice(protected, table_dims, region)
    return _table_of(
        protected,
        {},
        wanted,
        [dims] * len(wanted),
        dims=tuple(dims),
        measure=measure,
        horizon=current,
        percent=True,
    )


def peers(
    engine: Engine, actor: Actor, organisation_id: int, *, campaign_year: int
) -> list[ProtectedTable]:
    """What an organisation's results page needs: for the overall score and each theme
    (current state), its three peer groups among the organisations that have a score
    there — same region, same legal family, same size band (national) — one cell
    each, keyed by that dimension alone (``dims`` lists the three)."""
    o = t.Organisation.__table__
    with engine.connect() as conn:
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
    attributes = dict(zip(PEER_DIMENSIONS, org, strict=True))
    data = _data(engine, campaign_year)
    assert data is not None
    horizon = data.grid.current_horizon
    out = []
    for measure in (OVERALL_MEASURE, *(item.id for item in data.grid.items)):
        column = _score_column(data, measure, horizon)
        protected = _protected(data, column)
        wanted: list[CellId] = []
        names: list[tuple[str, ...]] = []
        quartiles: dict[CellId, tuple[float, float, float]] = {}
        for d in PEER_DIMENSIONS:
            cell_id: CellId = ((d,), (str(attributes[d]),))
            if cell_id not in protected:
                continue
            wanted.append(cell_id)
            names.append((d,))
            if protected[cell_id].hidden is None:
                quartiles |= _quartiles(data, column, (d,), [cell_id])
        out.append(
            _table_of(
                protected,
                quartiles,
                wanted,
                names,
                dims=PEER_DIMENSIONS,
                measure=measure,
                horizon=horizon,
            )
        )
    return out
