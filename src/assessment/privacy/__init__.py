"""STAND-IN: replaced by the h8-privacy branch at merge.

A provisional implementation of the protected aggregate layer's contract, so
that the dashboards of the h8-pages branch can be built and tested before the
real layer lands.  It protects by k-suppression only (a cell of fewer than
``k`` organisations is hidden, with complementary suppression along each line
of the table, :func:`assessment.aggregation.suppressed_cells`), reading the
stored scores (:mod:`assessment.score_store`).  It is NOT the protection the
issue asks for (no cell-key perturbation, no protection across requests):
pages and tests rely only on the contract below, never on these internals.

Contract (the real layer keeps it)::

    table(engine, actor, *, campaign_year, dims=(), region=None, measure="overall",
          horizon=None) -> ProtectedTable
    distribution(engine, actor, *, campaign_year, measure, horizon=None, region=None,
                 bins=5) -> ProtectedTable        # cells keyed {"bin": "0-20"}
    attainment(engine, actor, *, campaign_year, measure="overall", region=None,
               dims=()) -> ProtectedTable         # mean = % reaching last year's 1-year goal
    peers(engine, actor, organisation_id, *, campaign_year) -> list[ProtectedTable]
    data_version(engine) -> int
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from assessment import score_store
from assessment import tables as t
from assessment.aggregation import suppressed_cells
from assessment.db import read_session
from assessment.french import plural
from assessment.grid_store import get_grid
from assessment.permissions import (
    Action,
    Actor,
    PermissionDenied,
    Target,
    aggregate_regions,
    require,
)
from assessment.scoring import OVERALL
from assessment.settings import get_settings

__all__ = [
    "DIMS",
    "Cell",
    "ProtectedTable",
    "attainment",
    "data_version",
    "distribution",
    "peers",
    "table",
]

DIMS: tuple[str, ...] = ("region", "legal_family", "size_band", "sector")
QUARTILES_MIN = 10


@dataclass(frozen=True, slots=True)
class Cell:
    key: Mapping[str, str]
    n: int | None
    mean: float | None
    quartiles: tuple[float, float, float] | None
    hidden_reason: str | None


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    dims: tuple[str, ...]
    measure: str
    horizon: str
    cells: tuple[Cell, ...]
    hidden_cells: int
    note_fr: str


@dataclass(frozen=True, slots=True)
class _Org:
    organisation_id: int
    dims: Mapping[str, str]
    scores: Mapping[tuple[str, str], float]


def data_version(engine: Engine) -> int:
    """Changes whenever a submitted assessment or an organisation changes (stand-in)."""
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    with read_session(engine) as session:
        count, revisions = session.execute(
            select(func.count(a.c.id), func.coalesce(func.sum(a.c.revision), 0))
        ).one()
        orgs = session.execute(select(func.count(o.c.id), func.max(o.c.updated_at))).one()
    return hash((count, int(revisions), orgs[0], str(orgs[1]))) & 0x7FFFFFFF


def _scope(actor: Actor, region: str | None, dims: Sequence[str]) -> str | None:
    for name in dims:
        if name not in DIMS:
            raise ValueError(f"unknown dimension {name!r}; expected one of {DIMS}")
    limit = aggregate_regions(actor)
    if limit is not None and region is None:
        # a chamber may see the national picture, never broken down by region
        if "region" in dims:
            require(actor, Action.READ_AGGREGATES, Target(region=None))
        require(actor, Action.READ_NATIONAL_PICTURE)
        return None
    require(actor, Action.READ_AGGREGATES, Target(region=region))
    return region


_MEMO: dict[tuple[str, int, int, str | None], list[_Org]] = {}


def _orgs(engine: Engine, campaign_year: int, region: str | None) -> list[_Org]:
    key = (engine.url.render_as_string(), data_version(engine), campaign_year, region)
    found = _MEMO.get(key)
    if found is None:
        if len(_MEMO) > 64:
            _MEMO.clear()
        found = _MEMO[key] = _read_orgs(engine, campaign_year, region)
    return found


def _read_orgs(engine: Engine, campaign_year: int, region: str | None) -> list[_Org]:
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    c = t.Campaign.__table__
    s = t.AssessmentScore.__table__
    stmt = (
        select(
            a.c.organisation_id,
            o.c.region,
            o.c.legal_family,
            o.c.size_band,
            o.c.sector,
            a.c.grid_id,
            a.c.grid_version,
            s.c.scores,
        )
        .select_from(
            a.join(o, o.c.id == a.c.organisation_id)
            .join(c, c.c.id == a.c.campaign_id)
            .join(s, (s.c.assessment_id == a.c.id) & (s.c.revision == a.c.revision))
        )
        .where(a.c.status == "submitted", c.c.year == campaign_year)
    )
    if region is not None:
        stmt = stmt.where(o.c.region == region)
    result: list[_Org] = []
    with read_session(engine) as session:
        rows = session.execute(stmt).all()
    for org_id, reg, family, size, sector, grid_id, version, blob in rows:
        grid = get_grid(engine, grid_id, version)
        numbers = score_store.vectors([blob], len(score_store.layout(grid)))
        scores = {
            metric: value
            for metric, value in zip(score_store.layout(grid), numbers, strict=True)
            if not math.isnan(value)
        }
        dims = {"region": reg, "legal_family": family, "size_band": size, "sector": sector or ""}
        result.append(_Org(org_id, dims, scores))
    return result


def _horizons(engine: Engine, campaign_year: int) -> tuple[str, str]:
    """The campaign grid's current-state horizon and first goal horizon."""
    c = t.Campaign.__table__
    with read_session(engine) as session:
        row = session.execute(
            select(c.c.grid_id, c.c.grid_version).where(c.c.year == campaign_year)
        ).first()
    if row is None:
        return ("current", "goal_1y")
    grid = get_grid(engine, row[0], row[1])
    goals = grid.goal_horizons
    return (grid.current_horizon, goals[0] if goals else grid.current_horizon)


def _k() -> int:
    return get_settings().min_group_size


def _note(k: int, hidden: int, what: str = "organisations") -> str:
    base = (
        f"Résultats protégés : un groupe de moins de {k} {what} n'est jamais montré, "
        "ni un groupe dont on pourrait déduire un groupe masqué."
    )
    if hidden:
        return base + f" {plural(hidden, 'groupe masqué')} ici pour cette raison."
    return base + " Aucun groupe masqué ici."


def _reason(k: int, n: int) -> str:
    if n < k:
        return f"moins de {k} organisations"
    return "masqué pour protéger un petit groupe voisin"


def _summarise(
    groups: Mapping[tuple[str, ...], list[float]],
    counts: Mapping[tuple[str, ...], int],
    dims: tuple[str, ...],
    measure: str,
    horizon: str,
    *,
    quartiles: bool = True,
    what: str = "organisations",
) -> ProtectedTable:
    k = _k()
    hidden = suppressed_cells(dict(counts), k)
    cells = []
    for key in sorted(counts):
        labels = dict(zip(dims, key, strict=True))
        if key in hidden:
            cells.append(Cell(labels, None, None, None, _reason(k, counts[key])))
            continue
        values = groups.get(key, [])
        mean = round(statistics.fmean(values), 1) if values else None
        q = None
        if quartiles and len(values) >= QUARTILES_MIN:
            q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
            q = (round(q1), round(q2), round(q3))
        cells.append(Cell(labels, counts[key], mean, q, None))
    return ProtectedTable(
        dims, measure, horizon, tuple(cells), len(hidden), _note(k, len(hidden), what)
    )


def _metric(measure: str) -> str:
    return OVERALL if measure == "overall" else measure


def table(
    engine: Engine,
    actor: Actor,
    *,
    campaign_year: int,
    dims: tuple[str, ...] = (),
    region: str | None = None,
    measure: str = "overall",
    horizon: str | None = None,
) -> ProtectedTable:
    region = _scope(actor, region, dims)
    horizon = horizon or _horizons(engine, campaign_year)[0]
    metric = (_metric(measure), horizon)
    groups: dict[tuple[str, ...], list[float]] = defaultdict(list)
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    orgs = _orgs(engine, campaign_year, region)
    for org in orgs:
        key = tuple(org.dims[d] for d in dims)
        counts[key] += 1
        if metric in org.scores:
            groups[key].append(org.scores[metric])
    if not dims:
        counts.setdefault((), 0)
    return _summarise(groups, counts, dims, measure, horizon)


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
    region = _scope(actor, region, ())
    horizon = horizon or _horizons(engine, campaign_year)[0]
    metric = (_metric(measure), horizon)
    width = 100 / bins
    labels = [f"{round(i * width)}-{round((i + 1) * width)}" for i in range(bins)]
    counts: dict[tuple[str, ...], int] = {(label,): 0 for label in labels}
    for org in _orgs(engine, campaign_year, region):
        value = org.scores.get(metric)
        if value is None:
            continue
        counts[(labels[min(bins - 1, int(value // width))],)] += 1
    k = _k()
    hidden = {key for key, n in counts.items() if 0 < n < k}
    if 0 < sum(counts[key] for key in hidden) < k:
        shown = sorted(
            (key for key in counts if key not in hidden and counts[key]),
            key=lambda key: counts[key],
        )
        hidden |= set(shown[:1])
    cells = tuple(
        Cell({"bin": key[0]}, None, None, None, _reason(k, counts[key]))
        if key in hidden
        else Cell({"bin": key[0]}, counts[key], None, None, None)
        for key in counts
    )
    return ProtectedTable(("bin",), measure, horizon, cells, len(hidden), _note(k, len(hidden)))


def attainment(
    engine: Engine,
    actor: Actor,
    *,
    campaign_year: int,
    measure: str = "overall",
    region: str | None = None,
    dims: tuple[str, ...] = (),
) -> ProtectedTable:
    region = _scope(actor, region, dims)
    horizon, goal_horizon = _horizons(engine, campaign_year)
    section = _metric(measure)
    before = {o.organisation_id: o for o in _orgs(engine, campaign_year - 1, region)}
    groups: dict[tuple[str, ...], list[float]] = defaultdict(list)
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for org in _orgs(engine, campaign_year, region):
        earlier = before.get(org.organisation_id)
        if earlier is None:
            continue
        goal = earlier.scores.get((section, goal_horizon))
        now = org.scores.get((section, horizon))
        if goal is None or now is None:
            continue
        key = tuple(org.dims[d] for d in dims)
        counts[key] += 1
        groups[key].append(100.0 if now >= goal - 1e-9 else 0.0)
    if not dims:
        counts.setdefault((), 0)
    return _summarise(groups, counts, dims, measure, goal_horizon, quartiles=False)


def peers(
    engine: Engine, actor: Actor, organisation_id: int, *, campaign_year: int
) -> list[ProtectedTable]:
    o = t.Organisation.__table__
    with read_session(engine) as session:
        org = session.execute(select(o.c.region).where(o.c.id == organisation_id)).first()
    require(
        actor,
        Action.READ_ORGANISATION,
        Target(organisation_id=organisation_id, organisation_region=org[0] if org else None),
    )
    if org is None:
        return []
    try:
        return [table(engine, actor, campaign_year=campaign_year, region=org[0])]
    except PermissionDenied:  # pragma: no cover - organisation roles may read aggregates
        return []
