"""Anonymised aggregates of submitted assessments (k-anonymity, k = ``min_group_size``).

What is aggregated
    Only **submitted** assessments.  Each one contributes its overall and
    per-item scores at every horizon, as stored when it was submitted
    (:mod:`assessment.score_store`: :class:`assessment.scoring.Scorer` with the
    grid version it was answered against).
    Statistics per group and per (item or overall, horizon): number of values,
    mean, first quartile, median, third quartile (linear interpolation,
    ``statistics.quantiles(method="inclusive")``, as a spreadsheet's
    ``QUARTILE.INC``).  No minimum or maximum: those are one organisation's
    value.

Groups
    Any combination of the dimensions ``region``, ``legal_family``,
    ``size_band`` and ``year`` (the campaign's year), optionally filtered
    (``where``); no dimension at all gives the picture of the whole scope
    (national, or one region).  One organisation counts once per group: when
    several campaigns are selected and ``year`` is not a grouping dimension,
    each organisation's latest submitted assessment among them is used.

Anonymity — nothing about a small group ever leaves this module
    * a group of fewer than ``k`` organisations is dropped: not returned, not
      counted, not hinted at;
    * complementary suppression: within every line of the table (the groups
      that share all dimensions but one), the organisations of dropped groups
      must total 0 or at least ``k``; otherwise the smallest shown group of the
      line is dropped too, until that holds.  Otherwise a reader could subtract
      the shown groups from the line's total (another query) and recover a
      small group's size and mean;
    * the same two rules apply per statistic: an item's scores at a horizon are
      summarised only over at least ``k`` values (an item not addressed by
      most of a group may be left out), with complementary suppression across
      groups;
    * the scope total is itself a group, suppressed when smaller than ``k``.

Permissions
    ``permissions.require(actor, Action.READ_AGGREGATES, Target(region=...))``
    with the region asked for (``None`` = every region); a regional chamber is
    held to its region (:func:`permissions.aggregate_regions`): its requests
    default to, and may only be about, that region.

Speed (100,000 organisations × 3 campaigns)
    Scores are not computed here: they are stored when an assessment is
    submitted (:mod:`assessment.score_store`, table ``assessment_scores``, one
    packed float64 vector per assessment).  Each call runs one SQL query
    joining ``assessments``, ``organisations``, ``campaigns`` and
    ``assessment_scores``, with the scope, the ``where`` filters and the
    campaigns in SQL (and, when several campaigns are selected and ``year`` is
    not a dimension, the latest assessment per organisation picked by a
    ``row_number()`` window); a group's vectors are joined into one
    ``array('d')`` and each statistic reads its column as a strided slice.  So
    the first call of a process costs about what later ones do: no warm-up,
    in every process behind a load balancer.  ``items=False`` leaves the item
    statistics out (the overall score is all a peer box plot or a dashboard
    total shows).  A submitted assessment found without stored scores at its
    revision (normally none: :func:`assessment.db.migrate` backfills) is
    scored here from its answers and kept in the in-process
    :class:`ScoreCache` per revision.  Finished aggregates are memoised per
    data fingerprint (count, revision sum and latest change of the submitted
    assessments, and of the organisations), so a dashboard redrawn without new
    submissions costs two small queries.
"""

from __future__ import annotations

import statistics
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from math import fsum
from operator import attrgetter
from typing import Any, Literal

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.sql import Select

from assessment import score_store
from assessment import tables as t
from assessment.db import read_session
from assessment.grid import Grid
from assessment.permissions import Action, Actor, Target, aggregate_regions, require
from assessment.scoring import OVERALL, Scorer
from assessment.settings import get_settings

__all__ = [
    "DIMENSIONS",
    "DIMENSION_LABELS_FR",
    "OVERALL",
    "AggregateReport",
    "GroupAggregate",
    "PeerGroup",
    "ScoreCache",
    "Summary",
    "aggregate",
    "clear_caches",
    "peer_comparison",
    "summarise",
    "warm",
]

Dimension = Literal["region", "legal_family", "size_band", "year"]
DIMENSIONS: tuple[Dimension, ...] = ("region", "legal_family", "size_band", "year")
DIMENSION_LABELS_FR: dict[str, str] = {
    "region": "Même région",
    "legal_family": "Même famille juridique",
    "size_band": "Même tranche de taille",
    "year": "Même campagne",
}
Metric = tuple[str, str]
"""``(item id or OVERALL, horizon id)``."""
GroupKey = tuple[Any, ...]
GridLoader = Callable[[Engine, str, str], Grid]
GridKey = tuple[str, str]
"""``(grid id, version)``."""


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Statistics of at least ``k`` scores (0-100, unrounded)."""

    n: int
    mean: float
    q1: float
    median: float
    q3: float

    def to_dict(self) -> dict[str, float | int]:
        return {"n": self.n, "mean": self.mean, "q1": self.q1, "median": self.median, "q3": self.q3}


@dataclass(frozen=True, slots=True)
class GroupAggregate:
    """One group of at least ``k`` organisations.

    ``key`` maps each grouping dimension to the group's value (empty for a
    scope total).  ``overall[horizon]`` and ``items[item_id][horizon]`` are a
    :class:`Summary`, or ``None`` when fewer than ``k`` organisations have that
    score (or it was suppressed to protect another group).
    """

    key: dict[str, Any]
    n: int
    overall: dict[str, Summary | None]
    items: dict[str, dict[str, Summary | None]]

    def to_dict(self) -> dict[str, Any]:
        def dump(s: Summary | None) -> dict[str, Any] | None:
            return None if s is None else s.to_dict()

        return {
            "key": dict(self.key),
            "n": self.n,
            "overall": {h: dump(s) for h, s in self.overall.items()},
            "items": {i: {h: dump(s) for h, s in v.items()} for i, v in self.items.items()},
        }


@dataclass(frozen=True, slots=True)
class AggregateReport:
    """Groups that passed every anonymity rule, and the scope total if it did."""

    by: tuple[str, ...]
    region: str | None
    campaign_ids: tuple[int, ...]
    min_group_size: int
    total: GroupAggregate | None
    groups: list[GroupAggregate] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": list(self.by),
            "region": self.region,
            "campaign_ids": list(self.campaign_ids),
            "min_group_size": self.min_group_size,
            "total": None if self.total is None else self.total.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
        }


@dataclass(frozen=True, slots=True)
class PeerGroup:
    """A peer group for the results page: e.g. ``Même région``, shown only when ≥ k."""

    dimension: str
    label: str
    value: Any
    aggregate: GroupAggregate


# ---------------------------------------------------------------------------
# Statistics and suppression (pure)
# ---------------------------------------------------------------------------


def summarise(values: Sequence[float], k: int) -> Summary | None:
    """Mean and quartiles of ``values``, or ``None`` when fewer than ``k``."""
    n = len(values)
    if n < k or n == 0:
        return None
    ordered = sorted(values)
    if n == 1:
        q1 = median = q3 = ordered[0]
    else:
        q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Summary(n=n, mean=fsum(ordered) / n, q1=q1, median=median, q3=q3)


def suppressed_cells(
    counts: Mapping[GroupKey, int], k: int, already: Iterable[GroupKey] = ()
) -> set[GroupKey]:
    """Cells to hide so that no small count can be shown or derived.

    ``counts`` maps a cell (a tuple of dimension values, ``()`` for a single
    cell) to its number of organisations.  Primary: every cell with
    ``0 < count < k``.  Complementary: for every dimension, among the cells
    that share all other dimensions (a line, whose total is another query's
    cell), hidden counts must total 0 or ≥ k; otherwise the smallest shown
    cell of the line is hidden too, until that holds everywhere.  ``already``:
    cells hidden for another reason (they count as hidden in their lines).
    """
    hidden = {key for key, n in counts.items() if n < k} | (set(already) & set(counts))
    if not counts:
        return hidden
    width = len(next(iter(counts)))
    changed = True
    while changed:
        changed = False
        for d in range(width):
            lines: dict[GroupKey, list[GroupKey]] = defaultdict(list)
            for key in counts:
                lines[key[:d] + key[d + 1 :]].append(key)
            for cells in lines.values():
                hidden_total = sum(counts[c] for c in cells if c in hidden)
                if 0 < hidden_total < k:
                    shown = sorted((c for c in cells if c not in hidden), key=counts.__getitem__)
                    if shown:
                        hidden.add(shown[0])
                        changed = True
    return hidden


# ---------------------------------------------------------------------------
# Score cache
# ---------------------------------------------------------------------------


class ScoreCache:
    """Score vectors computed here, per ``(database, assessment id)``, valid for one
    revision.

    Only for submitted assessments found without stored scores (see
    :mod:`assessment.score_store`, whose vector format they use); in memory,
    shared by the threads of the process.  ``get`` returns the vector cached
    for exactly that revision, else ``None``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, int], tuple[int, bytes]] = {}

    def get(self, db: str, assessment_id: int, revision: int) -> bytes | None:
        entry = self._entries.get((db, assessment_id))
        if entry is None or entry[0] != revision:
            return None
        return entry[1]

    def put(self, db: str, assessment_id: int, revision: int, vector: bytes) -> None:
        with self._lock:
            self._entries[(db, assessment_id)] = (revision, vector)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


SCORES = ScoreCache()
_grids: dict[tuple[str, str, str], Grid] = {}
_results: OrderedDict[Hashable, Any] = OrderedDict()
_RESULTS_MAX = 256
_CHUNK = 500
"""Ids per ``IN (...)`` list."""
_lock = threading.Lock()


def clear_caches() -> None:
    """Forget cached scores, grids and aggregates (tests; after a restore)."""
    SCORES.clear()
    with _lock:
        _grids.clear()
        _results.clear()


def _db_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _default_grid_loader(engine: Engine, grid_id: str, version: str) -> Grid:
    from assessment import grid_store

    return grid_store.get_grid(engine, grid_id, version)


def _grid(engine: Engine, grid_id: str, version: str, loader: GridLoader | None) -> Grid:
    key = (_db_key(engine), grid_id, version)
    grid = _grids.get(key)
    if grid is None:
        grid = (loader or _default_grid_loader)(engine, grid_id, version)
        with _lock:
            _grids[key] = grid
    return grid


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    assessment_id: int
    organisation_id: int
    region: str
    legal_family: str
    size_band: str
    year: int
    grid: GridKey
    scores: bytes
    """The stored vector (:mod:`assessment.score_store`)."""

    def dim(self, name: str) -> Any:
        return getattr(self, name)


def _fingerprint(engine: Engine, campaign_ids: Sequence[int] | None) -> tuple[Any, ...]:
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    stmt = select(
        func.count(a.c.id), func.coalesce(func.sum(a.c.revision), 0), func.max(a.c.updated_at)
    ).where(a.c.status == "submitted")
    if campaign_ids is not None:
        stmt = stmt.where(a.c.campaign_id.in_(list(campaign_ids)))
    with read_session(engine) as session:
        count, revisions, latest = session.execute(stmt).one()
        org_latest = session.execute(select(func.max(o.c.updated_at))).scalar()
    return (count, int(revisions), _iso(latest), _iso(org_latest))


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _query(
    campaign_ids: Sequence[int] | None,
    filters: Mapping[str, Any],
    latest_only: bool,
    any_of: Sequence[Mapping[str, Any]] = (),
) -> Select[Any]:
    """Submitted assessments in scope with their organisation's dimensions, the
    campaign's year and their stored scores (``NULL`` when there are none).

    ``filters``: equalities that must all hold; ``any_of``: sets of equalities
    one of which must hold (several scopes read at once)."""
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    c = t.Campaign.__table__
    s = t.AssessmentScore.__table__
    dimension = {
        "region": o.c.region,
        "legal_family": o.c.legal_family,
        "size_band": o.c.size_band,
        "year": c.c.year,
    }
    columns = [
        a.c.id,
        a.c.revision,
        a.c.organisation_id,
        o.c.region,
        o.c.legal_family,
        o.c.size_band,
        c.c.year,
        a.c.grid_id,
        a.c.grid_version,
    ]
    conditions = [a.c.status == "submitted"]
    if campaign_ids is not None:
        conditions.append(a.c.campaign_id.in_(list(campaign_ids)))
    conditions += [dimension[name] == value for name, value in filters.items()]
    if any_of and all(any_of):  # an empty set of equalities would match everything
        conditions.append(
            or_(*[and_(*[dimension[n] == v for n, v in scope.items()]) for scope in any_of])
        )
    joined = a.join(o, o.c.id == a.c.organisation_id).join(c, c.c.id == a.c.campaign_id)
    if not latest_only:
        return (
            select(*columns, s.c.revision, s.c.scores)
            .select_from(joined.outerjoin(s, s.c.assessment_id == a.c.id))
            .where(*conditions)
        )
    rank = (
        func.row_number()
        .over(partition_by=a.c.organisation_id, order_by=(c.c.year.desc(), a.c.id.desc()))
        .label("rank")
    )
    ranked = select(*columns, rank).select_from(joined).where(*conditions).subquery()
    return (
        select(*[ranked.c[col.name] for col in columns], s.c.revision, s.c.scores)
        .select_from(ranked.outerjoin(s, s.c.assessment_id == ranked.c.id))
        .where(ranked.c.rank == 1)
    )


def _rows(
    engine: Engine,
    campaign_ids: Sequence[int] | None,
    filters: Mapping[str, Any],
    *,
    latest_only: bool,
    loader: GridLoader | None,
    any_of: Sequence[Mapping[str, Any]] = (),
) -> list[_Row]:
    """The submitted assessments in scope, each with its score vector."""
    stmt = _query(campaign_ids, filters, latest_only, any_of)
    rows: list[_Row] = []
    unscored: list[tuple[Any, ...]] = []
    sizes: dict[GridKey, int] = {}
    with read_session(engine) as session:
        for r in session.execute(stmt):
            grid = (r[7], r[8])
            size = sizes.get(grid)
            if size is None:
                size = sizes[grid] = 8 * len(_layout(engine, grid, loader))
            vector = r[10]
            if r[9] != r[1] or vector is None or len(vector) != size:
                unscored.append(tuple(r[:9]))  # no stored scores at this revision
                continue
            rows.append(_Row(r[0], r[2], r[3], r[4], r[5], r[6], grid, vector))
    if unscored:
        rows += _score_unscored(engine, unscored, loader)
    return rows


def _layout(engine: Engine, grid: GridKey, loader: GridLoader | None) -> tuple[Metric, ...]:
    return score_store.layout(_grid(engine, grid[0], grid[1], loader))


def _score_unscored(
    engine: Engine, unscored: Sequence[tuple[Any, ...]], loader: GridLoader | None
) -> list[_Row]:
    """Score here (cached per revision) submitted assessments without stored scores."""
    a = t.Assessment.__table__
    db = _db_key(engine)
    vectors: dict[int, bytes] = {}
    todo = []
    for row in unscored:
        cached = SCORES.get(db, row[0], row[1])
        if cached is None:
            todo.append(row[0])
        else:
            vectors[row[0]] = cached
    if todo:
        details = []
        with read_session(engine) as session:
            for start in range(0, len(todo), _CHUNK):
                details += session.execute(
                    select(
                        a.c.id, a.c.revision, a.c.grid_id, a.c.grid_version, a.c.not_addressed
                    ).where(a.c.id.in_(todo[start : start + _CHUNK]))
                ).all()
            answers = score_store.submitted_answers(session, todo)
        for assessment_id, revision, grid_id, version, not_addressed in details:
            grid = _grid(engine, grid_id, version, loader)
            report = Scorer.for_grid(grid).score(
                answers.get(assessment_id, {}), tuple(not_addressed or ())
            )
            vector = score_store.encode(grid, report)
            SCORES.put(db, assessment_id, revision, vector)
            vectors[assessment_id] = vector
    return [
        _Row(row[0], row[2], row[3], row[4], row[5], row[6], (row[7], row[8]), vectors[row[0]])
        for row in unscored
        if row[0] in vectors  # else deleted meanwhile
    ]


# ---------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------


def _scope(actor: Actor, region: str | None) -> str | None:
    limit = aggregate_regions(actor)
    if limit is not None and region is None:
        region = limit
    require(actor, Action.READ_AGGREGATES, Target(region=region))
    return region


def aggregate(
    engine: Engine,
    actor: Actor,
    *,
    campaign_ids: Sequence[int] | None = None,
    by: Sequence[Dimension] = (),
    region: str | None = None,
    where: Mapping[Dimension, Any] | None = None,
    min_group_size: int | None = None,
    grid_loader: GridLoader | None = None,
    items: bool = True,
) -> AggregateReport:
    """Anonymised statistics of submitted assessments, grouped ``by`` dimensions.

    ``campaign_ids``: the campaigns looked at (``None``: all).  ``region``: the
    scope (``None``: national; a regional chamber always gets its own region).
    ``where``: equality filters on other dimensions (e.g. ``{"size_band":
    "10-49"}``).  ``min_group_size`` defaults to the settings' (5) and may only
    be raised.  ``items=False``: overall scores only (every ``GroupAggregate.items``
    is empty; less to read).  ``grid_loader`` is only used for an assessment
    without stored scores.  Raises :class:`assessment.permissions.PermissionDenied`.
    """
    region = _scope(actor, region)
    k = max(get_settings().min_group_size, min_group_size or 0)
    by = tuple(by)
    for name in (*by, *(where or {})):
        if name not in DIMENSIONS:
            raise ValueError(f"unknown dimension {name!r}; expected one of {DIMENSIONS}")
    filters = dict(where or {})
    if region is not None:
        filters["region"] = region
    ids = tuple(sorted(campaign_ids)) if campaign_ids is not None else None

    memo_key = _memo_key(engine, _fingerprint(engine, ids), ids, by, filters, k, grid_loader, items)
    cached = _memo_get(memo_key)
    if cached is not None:
        return cached

    # One organisation counts once per group: without ``year`` among the dimensions,
    # its latest submitted assessment among the campaigns (one per campaign at most).
    latest_only = "year" not in by and (ids is None or len(ids) > 1)
    rows = _rows(engine, ids, filters, latest_only=latest_only, loader=grid_loader)
    report = _build(rows, _layouts_of(engine, rows, grid_loader), by, k, region, ids or (), items)
    _memo_put(memo_key, report)
    return report


def _memo_key(
    engine: Engine,
    fingerprint: tuple[Any, ...],
    ids: tuple[int, ...] | None,
    by: tuple[str, ...],
    filters: Mapping[str, Any],
    k: int,
    loader: GridLoader | None,
    items: bool,
) -> Hashable:
    return (_db_key(engine), fingerprint, ids, by, tuple(sorted(filters.items())), k, loader, items)


def _memo_get(key: Hashable) -> AggregateReport | None:
    with _lock:
        cached = _results.get(key)
        if cached is not None:
            _results.move_to_end(key)
        return cached  # type: ignore[no-any-return]


def _memo_put(key: Hashable, report: AggregateReport) -> None:
    with _lock:
        _results[key] = report
        while len(_results) > _RESULTS_MAX:
            _results.popitem(last=False)


def _layouts_of(
    engine: Engine, rows: Iterable[_Row], loader: GridLoader | None
) -> dict[GridKey, tuple[Metric, ...]]:
    return {key: _layout(engine, key, loader) for key in {r.grid for r in rows}}


def _build(
    rows: Sequence[_Row],
    layouts: Mapping[GridKey, tuple[Metric, ...]],
    by: tuple[str, ...],
    k: int,
    region: str | None,
    campaign_ids: tuple[int, ...],
    with_items: bool = True,
) -> AggregateReport:
    members: dict[GroupKey, list[_Row]] = defaultdict(list)
    for r in rows:
        members[tuple(r.dim(d) for d in by)].append(r)

    wanted = {
        key: [
            (m, metric)
            for m, metric in enumerate(metrics)
            if metric[0] == OVERALL or (with_items and metric[0] != score_store.SYSTEMIC)
        ]
        for key, metrics in layouts.items()
    }

    def collect(group_rows: Iterable[_Row]) -> dict[Metric, list[float]]:
        """Each metric's scores in the group (NaN, no score, left out), read column by
        column from the group's vectors joined into one array."""
        blobs: dict[GridKey, list[bytes]] = defaultdict(list)
        for r in group_rows:
            blobs[r.grid].append(r.scores)
        values: dict[Metric, list[float]] = {}
        for key, vectors in blobs.items():
            width = len(layouts[key])
            numbers = score_store.vectors(vectors, width)
            for m, metric in wanted[key]:
                column = [v for v in numbers[m::width] if v == v]
                if column:
                    values.setdefault(metric, []).extend(column)
        return values

    counts = {key: len({r.organisation_id for r in rs}) for key, rs in members.items()}
    hidden = suppressed_cells(counts, k)
    shown = sorted((key for key in members if key not in hidden), key=_sort_key)
    values = {key: collect(rs) for key, rs in members.items()}
    metrics = {m for v in values.values() for m in v}
    metric_hidden: dict[Metric, set[GroupKey]] = {}
    for metric in metrics:
        per_group = {key: len(v[metric]) for key, v in values.items() if v.get(metric)}
        metric_hidden[metric] = suppressed_cells(per_group, k, hidden)

    def group(
        key: GroupKey, group_values: dict[Metric, list[float]], n: int, hide: bool
    ) -> GroupAggregate:
        overall: dict[str, Summary | None] = {}
        items: dict[str, dict[str, Summary | None]] = {}
        for (item, horizon), vals in sorted(group_values.items(), key=lambda kv: kv[0]):
            blocked = hide and key in metric_hidden.get((item, horizon), set())
            summary = None if blocked else summarise(vals, k)
            if item == OVERALL:
                overall[horizon] = summary
            else:
                items.setdefault(item, {})[horizon] = summary
        labels = dict(zip(by, key, strict=True)) if key else {}
        return GroupAggregate(labels, n, overall, items)

    groups = [group(key, values[key], counts[key], True) for key in shown]
    total_n = len({r.organisation_id for r in rows})
    if not by:
        total, groups = (groups[0] if groups else None), []
    else:
        total = group((), collect(rows), total_n, False) if total_n >= k else None
    return AggregateReport(by, region, campaign_ids, k, total, groups)


def _sort_key(key: GroupKey) -> tuple[str, ...]:
    return tuple(f"{v:>12}" if isinstance(v, int) else str(v) for v in key)


def peer_comparison(
    engine: Engine,
    actor: Actor,
    organisation_id: int,
    campaign_id: int,
    *,
    dimensions: Sequence[Dimension] = ("region", "legal_family", "size_band"),
    grid_loader: GridLoader | None = None,
    items: bool = True,
) -> list[PeerGroup]:
    """The organisation's peers in one campaign: same region, same legal
    family, same size band — each only when the group has at least ``k``
    organisations (the organisation itself counts when it has submitted).
    ``items=False``: overall scores only (see :func:`aggregate`).

    Requires reading the organisation and reading aggregates.
    """
    o = t.Organisation.__table__
    with read_session(engine) as session:
        org = session.execute(
            select(o.c.region, o.c.legal_family, o.c.size_band).where(o.c.id == organisation_id)
        ).one_or_none()
    target = Target(
        organisation_id=organisation_id, organisation_region=org.region if org else None
    )
    require(actor, Action.READ_ORGANISATION, target)
    if org is None:
        return []
    attributes = {
        "region": org.region,
        "legal_family": org.legal_family,
        "size_band": org.size_band,
    }
    # Each group is what ``aggregate(campaign_ids=[campaign_id], region=..., where=...)``
    # gives (same permission checks, same memo); those not memoised are read in one query.
    limit = aggregate_regions(actor)
    k = get_settings().min_group_size
    ids = (campaign_id,)
    fingerprint = _fingerprint(engine, ids)
    scopes = []
    for dimension in dimensions:
        value = attributes[dimension]
        region = _scope(actor, value if dimension == "region" else limit)
        filters = {} if dimension == "region" else {dimension: value}
        if region is not None:
            filters["region"] = region
        key = _memo_key(engine, fingerprint, ids, (), filters, k, grid_loader, items)
        scopes.append((dimension, value, region, filters, key, _memo_get(key)))
    todo = [scope for scope in scopes if scope[5] is None]
    rows: list[_Row] = []
    layouts: dict[GridKey, tuple[Metric, ...]] = {}
    if todo:
        rows = _rows(
            engine, ids, {}, latest_only=False, loader=grid_loader, any_of=[s[3] for s in todo]
        )
        layouts = _layouts_of(engine, rows, grid_loader)
    reports: dict[str, AggregateReport] = {}
    for dimension, _value, region, filters, key, cached in scopes:
        if cached is None:
            names = tuple(filters)
            wanted = tuple(filters.values())
            get = attrgetter(*names)
            if len(names) == 1:
                wanted = wanted[0]
            members = [r for r in rows if get(r) == wanted]
            cached = _build(members, layouts, (), k, region, ids, items)
            _memo_put(key, cached)
        reports[dimension] = cached
    return [
        PeerGroup(dimension, DIMENSION_LABELS_FR[dimension], value, report.total)
        for dimension, value, *_ in scopes
        if (report := reports[dimension]).total is not None
    ]


def warm(engine: Engine, campaign_ids: Sequence[int] | None = None) -> int:
    """Read the scores of every submitted assessment in scope, scoring (and caching in
    the process) those without stored scores; returns how many are in scope.

    Not needed at start-up any more (scores are stored on submission); kept for
    a database whose scores were not backfilled.
    """
    ids = tuple(campaign_ids) if campaign_ids is not None else None
    return len(_rows(engine, ids, {}, latest_only=False, loader=None))
