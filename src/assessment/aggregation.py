"""Anonymised aggregates of submitted assessments (k-anonymity, k = ``min_group_size``).

What is aggregated
    Only **submitted** assessments.  Each one is scored with the grid version
    it was answered against (:class:`assessment.scoring.Scorer`, compiled once
    per grid) and contributes its overall and per-item scores at every horizon.
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
    Scores are cached per assessment **revision** in the process
    (:class:`ScoreCache`; a revision changes on every write, so a cached score
    is never stale).  Each call reads one light row per submitted assessment
    (ids, revision, organisation attributes: no answers) and loads answers
    only for the assessments not yet scored, from the submission snapshot
    (one JSON document per assessment) rather than the answer rows.  Finished
    aggregates are memoised per data fingerprint (count, revision sum and
    latest change of the submitted assessments and of the organisations), so
    a dashboard redrawn without new submissions costs one small query.
    The first call of a process scores every submitted assessment in scope
    (about 0.1 ms each plus reading its snapshot); call :func:`warm` at start
    up to pay that before the first user.  A score table maintained by the
    storage layer on submit would make the cache survive restarts: the
    :class:`ScoreCache` interface is the place to plug it in.
"""

from __future__ import annotations

import statistics
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from math import fsum
from typing import Any, Literal

from sqlalchemy import Engine, func, select

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
    """Scores per ``(database, assessment id)``, valid for one revision.

    In memory, shared by the threads of the process.  ``get`` returns the
    metric → score mapping cached for exactly that revision, else ``None``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[
            tuple[str, int], tuple[int, tuple[Metric, ...], tuple[float | None, ...]]
        ] = {}

    def get(self, db: str, assessment_id: int, revision: int) -> dict[Metric, float | None] | None:
        entry = self._entries.get((db, assessment_id))
        if entry is None or entry[0] != revision:
            return None
        return dict(zip(entry[1], entry[2], strict=True))

    def get_vector(
        self, db: str, assessment_id: int, revision: int
    ) -> tuple[tuple[Metric, ...], tuple[float | None, ...]] | None:
        entry = self._entries.get((db, assessment_id))
        if entry is None or entry[0] != revision:
            return None
        return entry[1], entry[2]

    def put(
        self,
        db: str,
        assessment_id: int,
        revision: int,
        layout: tuple[Metric, ...],
        vector: tuple[float | None, ...],
    ) -> None:
        with self._lock:
            self._entries[(db, assessment_id)] = (revision, layout, vector)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


SCORES = ScoreCache()
_grids: dict[tuple[str, str, str], Grid] = {}
_layouts: dict[str, tuple[Metric, ...]] = {}
_results: OrderedDict[Hashable, Any] = OrderedDict()
_RESULTS_MAX = 256
_lock = threading.Lock()


def clear_caches() -> None:
    """Forget cached scores, grids and aggregates (tests; after a restore)."""
    SCORES.clear()
    with _lock:
        _grids.clear()
        _layouts.clear()
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


def _layout(grid: Grid) -> tuple[Metric, ...]:
    layout = _layouts.get(grid.key)
    if layout is None:
        horizons = grid.horizon_ids
        layout = tuple(
            [(OVERALL, h) for h in horizons] + [(i.id, h) for i in grid.items for h in horizons]
        )
        with _lock:
            _layouts[grid.key] = layout
    return layout


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    assessment_id: int
    revision: int
    organisation_id: int
    campaign_id: int
    grid_id: str
    grid_version: str
    not_addressed: tuple[str, ...]
    region: str
    legal_family: str
    size_band: str
    year: int

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


def _rows(engine: Engine, campaign_ids: Sequence[int] | None) -> list[_Row]:
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    c = t.Campaign.__table__
    stmt = (
        select(
            a.c.id,
            a.c.revision,
            a.c.organisation_id,
            a.c.campaign_id,
            a.c.grid_id,
            a.c.grid_version,
            a.c.not_addressed,
            o.c.region,
            o.c.legal_family,
            o.c.size_band,
            c.c.year,
        )
        .join(o, o.c.id == a.c.organisation_id)
        .join(c, c.c.id == a.c.campaign_id)
        .where(a.c.status == "submitted")
    )
    if campaign_ids is not None:
        stmt = stmt.where(a.c.campaign_id.in_(list(campaign_ids)))
    with read_session(engine) as session:
        return [
            _Row(
                assessment_id=r[0],
                revision=r[1],
                organisation_id=r[2],
                campaign_id=r[3],
                grid_id=r[4],
                grid_version=r[5],
                not_addressed=tuple(r[6] or ()),
                region=r[7],
                legal_family=r[8],
                size_band=r[9],
                year=r[10],
            )
            for r in session.execute(stmt)
        ]


_CHUNK = 500


def _load_answers(engine: Engine, ids: Sequence[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """Submitted answers: the latest open submission snapshot, else the answer rows."""
    s = t.Submission.__table__
    ans = t.Answer.__table__
    out: dict[int, dict[str, dict[str, Any]]] = {}
    with read_session(engine) as session:
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            stmt = (
                select(s.c.assessment_id, s.c.snapshot)
                .where(s.c.assessment_id.in_(chunk), s.c.reopened_at.is_(None))
                .order_by(s.c.assessment_id, s.c.id)
            )
            for assessment_id, snapshot in session.execute(stmt):
                if isinstance(snapshot, Mapping) and isinstance(snapshot.get("answers"), Mapping):
                    out[assessment_id] = snapshot["answers"]  # the latest wins (ordered by id)
            missing = [i for i in chunk if i not in out]
            if missing:
                rows = session.execute(
                    select(
                        ans.c.assessment_id, ans.c.question_id, ans.c.horizon_id, ans.c.value
                    ).where(ans.c.assessment_id.in_(missing))
                )
                for assessment_id, question_id, horizon_id, value in rows:
                    if value is not None:
                        out.setdefault(assessment_id, {}).setdefault(question_id, {})[
                            horizon_id
                        ] = value
    return out


def _scores(
    engine: Engine, rows: Sequence[_Row], loader: GridLoader | None
) -> dict[int, tuple[tuple[Metric, ...], tuple[float | None, ...]]]:
    db = _db_key(engine)
    out: dict[int, tuple[tuple[Metric, ...], tuple[float | None, ...]]] = {}
    todo: list[_Row] = []
    for row in rows:
        cached = SCORES.get_vector(db, row.assessment_id, row.revision)
        if cached is None:
            todo.append(row)
        else:
            out[row.assessment_id] = cached
    if not todo:
        return out
    answers = _load_answers(engine, [r.assessment_id for r in todo])
    for row in todo:
        grid = _grid(engine, row.grid_id, row.grid_version, loader)
        layout = _layout(grid)
        report = Scorer.for_grid(grid).score(answers.get(row.assessment_id, {}), row.not_addressed)
        vector = tuple(
            report.overall.get(h) if item == OVERALL else report.items[item].get(h)
            for item, h in layout
        )
        SCORES.put(db, row.assessment_id, row.revision, layout, vector)
        out[row.assessment_id] = (layout, vector)
    return out


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
) -> AggregateReport:
    """Anonymised statistics of submitted assessments, grouped ``by`` dimensions.

    ``campaign_ids``: the campaigns looked at (``None``: all).  ``region``: the
    scope (``None``: national; a regional chamber always gets its own region).
    ``where``: equality filters on other dimensions (e.g. ``{"size_band":
    "10-49"}``).  ``min_group_size`` defaults to the settings' (5) and may only
    be raised.  Raises :class:`assessment.permissions.PermissionDenied`.
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

    fingerprint = _fingerprint(engine, ids)
    memo_key = (
        _db_key(engine),
        fingerprint,
        ids,
        by,
        tuple(sorted(filters.items())),
        k,
        grid_loader,
    )
    with _lock:
        cached = _results.get(memo_key)
        if cached is not None:
            _results.move_to_end(memo_key)
            return cached  # type: ignore[no-any-return]

    rows = [r for r in _rows(engine, ids) if all(r.dim(d) == v for d, v in filters.items())]
    if "year" not in by:
        latest: dict[int, _Row] = {}
        for r in rows:
            kept = latest.get(r.organisation_id)
            if kept is None or (r.year, r.assessment_id) > (kept.year, kept.assessment_id):
                latest[r.organisation_id] = r
        rows = list(latest.values())
    scores = _scores(engine, rows, grid_loader)
    report = _build(rows, scores, by, k, region, ids or ())
    with _lock:
        _results[memo_key] = report
        while len(_results) > _RESULTS_MAX:
            _results.popitem(last=False)
    return report


def _build(
    rows: Sequence[_Row],
    scores: Mapping[int, tuple[tuple[Metric, ...], tuple[float | None, ...]]],
    by: tuple[str, ...],
    k: int,
    region: str | None,
    campaign_ids: tuple[int, ...],
) -> AggregateReport:
    members: dict[GroupKey, list[_Row]] = defaultdict(list)
    for r in rows:
        members[tuple(r.dim(d) for d in by)].append(r)

    def collect(group_rows: Iterable[_Row]) -> dict[Metric, list[float]]:
        values: dict[Metric, list[float]] = defaultdict(list)
        for r in group_rows:
            layout, vector = scores[r.assessment_id]
            for metric, value in zip(layout, vector, strict=True):
                if value is not None:
                    values[metric].append(value)
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
) -> list[PeerGroup]:
    """The organisation's peers in one campaign: same region, same legal
    family, same size band — each only when the group has at least ``k``
    organisations (the organisation itself counts when it has submitted).

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
    limit = aggregate_regions(actor)
    out: list[PeerGroup] = []
    for dimension in dimensions:
        value = attributes[dimension]
        region = value if dimension == "region" else limit
        where = {} if dimension == "region" else {dimension: value}
        report = aggregate(
            engine,
            actor,
            campaign_ids=[campaign_id],
            region=region,
            where=where,  # type: ignore[arg-type]
            grid_loader=grid_loader,
        )
        if report.total is not None:
            out.append(PeerGroup(dimension, DIMENSION_LABELS_FR[dimension], value, report.total))
    return out


def warm(engine: Engine, campaign_ids: Sequence[int] | None = None) -> int:
    """Score every submitted assessment not yet cached (start-up, CLI); returns how many
    assessments are in scope."""
    rows = _rows(engine, campaign_ids)
    _scores(engine, rows, None)
    return len(rows)
