"""What the regional and national dashboards show, as plain tables (no Streamlit).

Each function reads protected figures through :mod:`assessment.privacy` (and
only its public contract: :class:`~assessment.privacy.ProtectedTable` cells,
``hidden_cells`` and ``note_fr``) and returns a :class:`Figure`: the table the
page shows, the rows its chart draws, and how many cells are hidden and why.
The page draws the chart and the table from the same figure, and the CSV and
XLSX downloads are made from the same rows (:func:`Figure.export_rows`), so an
export always matches the screen and carries the same protection: a hidden
cell is « masqué » everywhere, never a number.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Engine

from assessment import campaigns, privacy, score_store
from assessment.assessments import AssessmentState
from assessment.exports import answer_text
from assessment.french import number, plural, typo
from assessment.grid import Grid, text
from assessment.gridtools.lineage import version_breaks
from assessment.organisations import LEGAL_FAMILIES, NAF_SECTIONS, SIZE_BANDS
from assessment.permissions import Actor
from assessment.regions import REGIONS, REGIONS_BY_CODE
from assessment.scoring import coverage, score

HIDDEN = "masqué"
OVERALL = "overall"
OVERALL_LABEL = "Ensemble"
FRANCE = "France entière"
GROUP_DIMS: dict[str, str] = {
    "legal_family": "Famille juridique",
    "size_band": "Tranche de taille",
    "sector": "Secteur d’activité",
}
DIM_LABELS: dict[str, str] = {"region": "Région", **GROUP_DIMS}

Value = str | int | float | None
NO_HISTORY = "—"
"""A theme that did not exist yet in an earlier campaign's grid version (no history)."""

one_version = privacy.one_version
"""Every figure asked inside rests on one read of the data version (a page run)."""


# ---------------------------------------------------------------------------
# figures held per data version
# ---------------------------------------------------------------------------

_FIGURES_MAX = 512
_figures: OrderedDict[Hashable, Any] = OrderedDict()
_figures_lock = threading.Lock()

F = TypeVar("F", bound=Callable[..., Any])


def _hashable(value: Any) -> Hashable:
    if isinstance(value, Grid):
        return ("grid", value.id, value.version)
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return cast(Hashable, value)


def _readable_state(engine: Engine, actor: Actor) -> Hashable:
    """What every figure ``actor`` reads is a function of (see :func:`held_per_version`)."""
    listed = tuple((c.year, c.grid_id, c.grid_version) for c in campaigns.list_campaigns(engine))
    return (
        privacy.generation(),
        score_store.engine_key(engine),
        listed,
        privacy.readable_contents(engine, actor),
    )


def held_per_version(fn: F) -> F:
    """``fn(engine, actor, ...)``, a figure, computed once per state of the data it reads,
    reader and arguments, then served from memory: a dashboard rerun whose data did not move
    (a widget changed, a session rerun) builds no figure again.

    Why serving it again is safe: a figure is a pure function of the stored scores
    of the campaigns its reader may read (their content keys,
    :func:`assessment.privacy.readable_contents`: a submission to the open campaign
    moves none of them), the campaign list and its arguments; and every
    permission rule is a function of the reader's own fields
    (:func:`assessment.permissions.can`), so the same ``Actor`` value may read
    again what it was allowed to read.  Clearing the aggregate layer's memory
    (:func:`assessment.privacy.clear_caches`) forgets them too.  A refusal
    (:class:`PermissionDenied`, :class:`assessment.privacy.NotPublished`) is never
    kept; a campaign once published stays so.  Inside :func:`one_version`, on the
    version read on entry."""

    @functools.wraps(fn)
    def held(engine: Engine, actor: Actor, *args: Any, **kwargs: Any) -> Any:
        state = score_store.once_per_run(
            engine, ("figures", actor), lambda: _readable_state(engine, actor)
        )
        key = (fn.__name__, state, actor, _hashable(args), _hashable(kwargs))
        with _figures_lock:
            if key in _figures:
                _figures.move_to_end(key)
                return _figures[key]
        found = fn(engine, actor, *args, **kwargs)
        with _figures_lock:
            _figures[key] = found
            while len(_figures) > _FIGURES_MAX:
                _figures.popitem(last=False)
        return found

    return cast(F, held)


def clear_cache() -> None:
    """Forget the figures held in memory (tests, a database swapped under a process)."""
    with _figures_lock:
        _figures.clear()


@dataclass(frozen=True, slots=True)
class ResultsChoice:
    """Whose results a dashboard shows for the chosen campaign: the campaign itself
    once it is closed, else the last closed one before it (``None``: none yet), and
    the French note that says so (``None`` when it is the chosen one)."""

    campaign: campaigns.CampaignInfo | None
    note: str | None


def results_campaign(engine: Engine, actor: Actor, chosen: campaigns.CampaignInfo) -> ResultsChoice:
    """:class:`ResultsChoice` for ``chosen``: score figures are published from a
    campaign's close (:func:`assessment.privacy.published`); participation is not."""
    if privacy.published(engine, actor, chosen.year):
        return ResultsChoice(chosen, None)
    waiting = privacy.not_published_fr(chosen.label, chosen.closes_on)
    earlier = [
        c
        for c in campaigns.list_campaigns(engine)
        if c.year < chosen.year and privacy.published(engine, actor, c.year)
    ]
    if not earlier:
        return ResultsChoice(None, typo(f"{waiting} Aucune campagne n'est encore close."))
    last = max(earlier, key=lambda c: c.year)
    return ResultsChoice(
        last, typo(f"{waiting} Ci-dessous, les résultats de « {last.label} », la dernière close.")
    )


def published_years(engine: Engine, actor: Actor, up_to: int) -> list[int]:
    """The years of the campaigns up to ``up_to`` whose results are published."""
    return [
        c.year
        for c in campaigns.list_campaigns(engine)
        if c.year <= up_to and privacy.published(engine, actor, c.year)
    ]


def dim_label(dim: str, code: str) -> str:
    """A dimension value in French (``"cooperative"`` → ``Coopérative``)."""
    if dim == "region":
        region = REGIONS_BY_CODE.get(code)
        return region.name if region else code
    if dim == "legal_family":
        return LEGAL_FAMILIES.get(code, code)
    if dim == "size_band":
        return SIZE_BANDS.get(code, code)
    if dim == "sector":
        return f"{code} – {NAF_SECTIONS[code]}" if code in NAF_SECTIONS else "Non renseigné"
    return code


def dim_order(dim: str) -> list[str]:
    """The codes of a dimension in their natural order."""
    if dim == "region":
        return [r.code for r in REGIONS]
    if dim == "legal_family":
        return list(LEGAL_FAMILIES)
    if dim == "size_band":
        return list(SIZE_BANDS)
    if dim == "sector":
        return [*NAF_SECTIONS, ""]
    return []


def item_labels(grid: Grid) -> dict[str, str]:
    """``overall`` then each theme id → its short French title."""
    labels = {OVERALL: OVERALL_LABEL}
    for item in grid.items:
        labels[item.id] = text(item.short_title or item.title, grid.language)
    return labels


def horizon_labels(grid: Grid) -> dict[str, str]:
    return {h.id: text(h.label, grid.language) for h in grid.horizons}


@dataclass(frozen=True, slots=True)
class Figure:
    """A table shown on a dashboard, the chart drawn from it and its protection."""

    key: str
    """Short id: widget keys and file names (``heatmap-legal_family``)."""
    title: str
    caption: str
    """What it shows, in plain French (under the chart)."""
    header: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    """``None``: a hidden (protected) cell."""
    hidden: int = 0
    notes: tuple[str, ...] = ()
    """The protection notes of the tables read (``ProtectedTable.note_fr``), distinct."""
    chart_rows: tuple[Any, ...] = field(default=())
    """The rows its chart draws (the row types of :mod:`assessment.network_charts`)."""
    decimals: int = 0
    version_note: str | None = None
    """French, when the figure crosses a change of grid version (:func:`version_note`)."""

    def display_rows(self) -> list[list[str]]:
        """The rows as shown on screen: French numbers, « masqué » for a hidden cell."""
        return [[self._shown(v) for v in row] for row in self.rows]

    def export_rows(self) -> list[list[Value]]:
        """The rows of the downloads: numbers rounded as on screen, « masqué » for
        hidden cells (the CSV writes decimal commas, the XLSX real numbers)."""
        return [[self._exported(v) for v in row] for row in self.rows]

    def _shown(self, value: Value) -> str:
        if value is None:
            return HIDDEN
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number(round(value, self.decimals) + 0.0, self.decimals)
        return str(value)

    def _exported(self, value: Value) -> Value:
        if value is None:
            return HIDDEN
        if isinstance(value, float):
            return round(value, self.decimals) if self.decimals else round(value)
        return value

    def alt_text(self, limit: int = 40) -> str:
        """The figure in words, for a chart's alt text: its title, then each row."""
        lines = [
            ", ".join(f"{h} : {v}" for h, v in zip(self.header, row, strict=True))
            for row in self.display_rows()[:limit]
        ]
        return typo(f"{self.title}. " + " ; ".join(lines))

    @property
    def hidden_note(self) -> str | None:
        """« 3 cases masquées : … » when something is hidden, else ``None``."""
        if not self.hidden:
            return None
        note = typo(
            f"{plural(self.hidden, 'case masquée')} dans ce tableau, pour qu'aucune "
            "organisation d'un petit groupe ne puisse être reconnue."
        )
        if len(self.notes) == 1:
            note += " " + self.notes[0]
        return note


def _notes(tables: Sequence[privacy.ProtectedTable]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(typo(t.note_fr) for t in tables if t.note_fr))


def _hidden(tables: Sequence[privacy.ProtectedTable]) -> int:
    return sum(t.hidden_cells for t in tables)


def _total(tbl: privacy.ProtectedTable) -> privacy.Cell | None:
    """The cell of a table without dimensions (``None`` when there is none)."""
    for cell in tbl.cells:
        if not dict(cell.key):
            return cell
    return None


def _by_key(tbl: privacy.ProtectedTable, dim: str) -> dict[str, privacy.Cell]:
    """The cells of a one-dimension table by their code (totals left out)."""
    return {str(c.key[dim]): c for c in tbl.cells if dim in c.key and len(c.key) == 1}


def _mean(cell: privacy.Cell | None) -> float | None:
    return None if cell is None or cell.hidden_reason is not None else cell.mean


# ---------------------------------------------------------------------------
# across grid versions
# ---------------------------------------------------------------------------


def version_note(engine: Engine, years: Sequence[int]) -> str | None:
    """French, when the campaigns of ``years`` were answered on different grid versions:
    which, and how themes are followed from one to the next (``None``: one version)."""
    found = {c.year: c for c in campaigns.list_campaigns(engine)}
    ordered = [found[y] for y in sorted(set(years)) if y in found]
    keys = [(str(c.year), f"{c.grid_id}@{c.grid_version}") for c in ordered]
    breaks = version_breaks(keys)
    if not breaks:
        return None
    changes = ", ".join(
        f"{ordered[i - 1].year} → {ordered[i].year} (version {ordered[i - 1].grid_version} "
        f"→ {ordered[i].grid_version})"
        for i in breaks
    )
    return typo(
        f"La grille a changé de version : {changes}. Les thèmes renommés ou regroupés sont "
        "suivis d'une version à l'autre (un thème qui en regroupe plusieurs reprend leur "
        f"moyenne) ; « {NO_HISTORY} » : le thème n'existait pas encore."
    )


def _campaign_labels(engine: Engine, years: Sequence[int]) -> dict[int, str]:
    """Each year as a chart column: ``2026``, or ``2026 · version 2`` when the years
    span several grid versions (so that the chart itself shows the break)."""
    found = {c.year: c for c in campaigns.list_campaigns(engine)}
    versions = {found[y].grid_version for y in years if y in found}
    if len(versions) <= 1:
        return {y: str(y) for y in years}
    return {y: f"{y} · version {found[y].grid_version}" if y in found else str(y) for y in years}


def _carried_mean(
    engine: Engine,
    actor: Actor,
    grid: Grid,
    *,
    year: int,
    item: str,
    region: str | None,
    horizon: str | None,
    tables: list[privacy.ProtectedTable],
) -> Value:
    """The protected mean of ``item`` (of ``grid``) in the campaign of ``year``, through
    ``replaces`` when that campaign used another version; :data:`NO_HISTORY` when the
    theme did not exist in it."""
    tbl = privacy.carried_table(
        engine,
        actor,
        campaign_year=year,
        grid=grid,
        measure=item,
        region=region,
        horizon=horizon,
    )
    if tbl is None:
        return NO_HISTORY
    tables.append(tbl)
    return _mean(_total(tbl))


def _number(value: Value) -> float | None:
    return float(value) if isinstance(value, int | float) else None


# ---------------------------------------------------------------------------
# regional chamber
# ---------------------------------------------------------------------------


def participation_figure(
    rows: Sequence[campaigns.ParticipationRow] | Mapping[str, Counter[str]], by: str
) -> Figure:
    """Organisations not started, in draft and submitted, per value of ``by``, from the
    list of organisations or from the counts (:func:`assessment.campaigns.count_participation`)."""
    counts = rows if isinstance(rows, Mapping) else campaigns.participation_counts(rows, by)
    codes = [c for c in dim_order(by) if c in counts]
    header = (DIM_LABELS[by], *campaigns.STATUS_LABELS_FR.values(), "Total", "Taux de soumission")
    table: list[tuple[Value, ...]] = []
    chart: list[dict[str, Any]] = []
    for code in codes:
        c = counts[code]
        total = sum(c.values())
        label = dim_label(by, code)
        table.append(
            (
                label,
                *(c[s] for s in campaigns.STATUSES),
                total,
                f"{number(100 * c['submitted'] / total, 0)} %" if total else "",
            )
        )
        for status in campaigns.STATUSES:
            chart.append(
                {"group": label, "status": campaigns.STATUS_LABELS_FR[status], "count": c[status]}
            )
    return Figure(
        key=f"participation-{by}",
        title=typo(f"Participation par {DIM_LABELS[by].lower()}"),
        caption=typo(
            "Nombre d'organisations qui n'ont pas commencé, ont un brouillon en cours ou ont "
            f"soumis leur auto-évaluation, par {DIM_LABELS[by].lower()}."
        ),
        header=header,
        rows=tuple(table),
        chart_rows=tuple(chart),
    )


def participation_list(rows: Sequence[campaigns.ParticipationRow]) -> Figure:
    """The organisations and their status (not their answers), for reminders."""
    table = tuple(
        (
            r.name,
            r.identifier,
            dim_label("legal_family", r.legal_family),
            dim_label("size_band", r.size_band),
            campaigns.STATUS_LABELS_FR[r.status],
            r.updated_at.strftime("%d/%m/%Y") if r.updated_at else "",
            ", ".join(r.contacts),
        )
        for r in rows
    )
    return Figure(
        key="organisations",
        title=typo("Organisations et état de leur auto-évaluation"),
        caption=typo(
            "La liste des organisations de la région et l'état de leur auto-évaluation "
            "(jamais leurs réponses), avec l'adresse de leurs référents pour les relances."
        ),
        header=(
            "Organisation",
            "Identifiant",
            "Famille juridique",
            "Tranche de taille",
            "Statut",
            "Dernière modification",
            "Contacts",
        ),
        rows=table,
    )


@held_per_version
def theme_heatmap(
    engine: Engine,
    actor: Actor,
    grid: Grid,
    *,
    campaign_year: int,
    dim: str,
    region: str | None,
    horizon: str | None = None,
) -> Figure:
    """Mean score of each theme (rows) for each group of ``dim`` (columns)."""
    labels = item_labels(grid)
    tables = {
        item: privacy.table(
            engine,
            actor,
            campaign_year=campaign_year,
            dims=(dim,),
            region=region,
            measure=item,
            horizon=horizon,
        )
        for item in labels
    }
    present = {code for tbl in tables.values() for code in _by_key(tbl, dim)}
    codes = [c for c in dim_order(dim) if c in present] + sorted(present - set(dim_order(dim)))
    columns = [dim_label(dim, c) for c in codes]
    rows: list[tuple[Value, ...]] = []
    chart: list[dict[str, Any]] = []
    for item, tbl in tables.items():
        cells = _by_key(tbl, dim)
        means = [_mean(cells.get(code)) if code in cells else None for code in codes]
        rows.append((labels[item], *means))
        for column, mean in zip(columns, means, strict=True):
            chart.append(
                {"row": labels[item], "column": column, "value": mean, "hidden": mean is None}
            )
    dim_text = DIM_LABELS[dim].lower()
    return Figure(
        key=f"heatmap-{dim}",
        title=typo(f"Score moyen par thème et par {dim_text}"),
        caption=typo(
            f"Score moyen (sur 100) de l'état des lieux de chaque thème, par {dim_text} : "
            "plus la case est foncée, plus le score est élevé."
        ),
        header=("Thème", *columns),
        rows=tuple(rows),
        hidden=_hidden(list(tables.values())),
        notes=_notes(list(tables.values())),
        chart_rows=tuple(chart),
    )


@held_per_version
def distribution_figure(
    engine: Engine,
    actor: Actor,
    grid: Grid,
    *,
    campaign_year: int,
    measure: str,
    region: str | None,
) -> Figure:
    """How many organisations fall in each score band, at each horizon."""
    horizons = horizon_labels(grid)
    tables = {
        h: privacy.distribution(
            engine, actor, campaign_year=campaign_year, measure=measure, horizon=h, region=region
        )
        for h in horizons
    }
    bins = list(dict.fromkeys(str(c.key["bin"]) for tbl in tables.values() for c in tbl.cells))
    rows: list[tuple[Value, ...]] = []
    chart: list[dict[str, Any]] = []
    for b in bins:
        row: list[Value] = [b.replace("-", "–")]
        for h, tbl in tables.items():
            cell = next((c for c in tbl.cells if str(c.key["bin"]) == b), None)
            n = None if cell is None or cell.hidden_reason is not None else cell.n
            row.append(n)
            chart.append({"bin": b, "horizon": horizons[h], "n": n})
        rows.append(tuple(row))
    label = item_labels(grid).get(measure, measure)
    return Figure(
        key=f"distribution-{measure}",
        title=typo(f"Répartition des scores — {label}"),
        caption=typo(
            f"Nombre d'organisations par tranche de score pour « {label} » : état des lieux "
            "et objectifs à 1 et 3 ans, pour voir l'écart entre les organisations et pas "
            "seulement la moyenne."
        ),
        header=("Tranche de score", *horizons.values()),
        rows=tuple(rows),
        hidden=_hidden(list(tables.values())),
        notes=_notes(list(tables.values())),
        chart_rows=tuple(chart),
    )


@held_per_version
def scope_comparison(
    engine: Engine,
    actor: Actor,
    grid: Grid,
    *,
    campaign_year: int,
    region: str,
    national: bool = True,
) -> Figure:
    """Each theme's mean score in the region and in France (``national``: whether the
    actor may read the national picture)."""
    labels = item_labels(grid)
    scopes: dict[str, str | None] = {dim_label("region", region): region}
    if national:
        scopes[FRANCE] = None
    tables: list[privacy.ProtectedTable] = []
    rows: list[tuple[Value, ...]] = []
    chart: list[dict[str, Any]] = []
    for item, label in labels.items():
        row: list[Value] = [label]
        for scope, code in scopes.items():
            tbl = privacy.table(
                engine, actor, campaign_year=campaign_year, region=code, measure=item
            )
            tables.append(tbl)
            mean = _mean(_total(tbl))
            row.append(mean)
            chart.append({"item": label, "scope": scope, "score": mean})
        if national:
            region_mean, france_mean = row[1], row[2]
            gap = (
                region_mean - france_mean
                if isinstance(region_mean, float | int) and isinstance(france_mean, float | int)
                else None
            )
            row.append(gap)
        rows.append(tuple(row))
    header = ("Thème", *scopes) + (("Écart (points)",) if national else ())
    return Figure(
        key="region-vs-france",
        title=typo("La région et la France entière"),
        caption=typo(
            "Score moyen (sur 100) de l'état des lieux de chaque thème dans la région "
            "(rond plein) et dans la France entière (carré vide)."
        ),
        header=header,
        rows=tuple(rows),
        hidden=_hidden(tables),
        notes=_notes(tables),
        chart_rows=tuple(chart),
    )


@held_per_version
def trends_figure(
    engine: Engine,
    actor: Actor,
    grid: Grid,
    *,
    years: Sequence[int],
    region: str | None,
    measures: Sequence[str] | None = None,
) -> Figure:
    """Mean current-state score of each theme (of ``grid``, the latest campaign's),
    campaign after campaign; earlier campaigns answered on another version are read
    through ``replaces`` (:func:`assessment.privacy.carried_table`)."""
    labels = item_labels(grid)
    wanted = list(measures) if measures is not None else list(labels)
    ordered = sorted(years)
    columns = _campaign_labels(engine, ordered)
    tables: list[privacy.ProtectedTable] = []
    rows: list[tuple[Value, ...]] = []
    chart: list[dict[str, Any]] = []
    for item in wanted:
        row: list[Value] = [labels.get(item, item)]
        for year in ordered:
            mean = _carried_mean(
                engine, actor, grid, year=year, item=item, region=region, horizon=None,
                tables=tables,
            )  # fmt: skip
            row.append(mean)
            if mean == NO_HISTORY:
                continue  # no cell: the theme did not exist then
            chart.append(
                {
                    "row": labels.get(item, item),
                    "column": columns[year],
                    "value": mean,
                    "hidden": mean is None,
                }
            )
        rows.append(tuple(row))
    return Figure(
        key="trends",
        title=typo("Évolution d'une campagne à l'autre"),
        caption=typo(
            "Score moyen (sur 100) de l'état des lieux de chaque thème à chaque campagne "
            "(une colonne par campagne) : plus la case est foncée, plus le score est élevé."
        ),
        header=("Thème", *(f"Campagne {y}" for y in ordered)),
        rows=tuple(rows),
        hidden=_hidden(tables),
        notes=_notes(tables),
        chart_rows=tuple(chart),
        version_note=version_note(engine, ordered),
    )


def _with_previous(engine: Engine, year: int) -> list[int]:
    """``year`` and the campaign before it (the one goal attainment compares with)."""
    earlier = [c.year for c in campaigns.list_campaigns(engine) if c.year < year]
    return [max(earlier), year] if earlier else [year]


@held_per_version
def attainment_figure(
    engine: Engine, actor: Actor, grid: Grid, *, campaign_year: int, region: str | None
) -> Figure:
    """Share of organisations whose previous 1-year goal is reached, per theme."""
    labels = item_labels(grid)
    del labels[OVERALL]  # a theme's goal, not the mean of all of them
    tables = {
        item: privacy.attainment(
            engine, actor, campaign_year=campaign_year, measure=item, region=region
        )
        for item in labels
    }
    rows: list[tuple[Value, ...]] = []
    chart: list[dict[str, Any]] = []
    for item, tbl in tables.items():
        cell = _total(tbl)
        share = _mean(cell)
        n = None if cell is None or cell.hidden_reason is not None else cell.n
        rows.append((labels[item], n, share))
        chart.append({"label": labels[item], "value": share})
    return Figure(
        key="attainment",
        title=typo(f"Objectifs à 1 an de {campaign_year - 1} atteints en {campaign_year}"),
        caption=typo(
            "Part des organisations (en %) dont l'état des lieux atteint l'objectif à 1 an "
            "qu'elles s'étaient fixé à la campagne précédente, parmi celles qui ont répondu "
            "aux deux campagnes."
        ),
        header=("Thème", "Organisations suivies", "Objectif atteint (%)"),
        rows=tuple(rows),
        hidden=_hidden(list(tables.values())),
        notes=_notes(list(tables.values())),
        chart_rows=tuple(chart),
        version_note=version_note(engine, _with_previous(engine, campaign_year)),
    )


@held_per_version
def progress_and_potential(
    engine: Engine,
    actor: Actor,
    grid: Grid,
    *,
    campaign_year: int,
    region: str | None,
) -> tuple[Figure, Figure]:
    """Themes by progress since the previous campaign (least first), and by
    improvement potential: the mean 3-year goal minus the mean current state
    (greatest first)."""
    labels = item_labels(grid)
    del labels[OVERALL]
    current = grid.current_horizon
    last_goal = grid.goal_horizons[-1] if grid.goal_horizons else current
    tables: list[privacy.ProtectedTable] = []

    def mean(year: int, item: str, horizon: str) -> Value:
        return _carried_mean(
            engine, actor, grid, year=year, item=item, region=region, horizon=horizon,
            tables=tables,
        )  # fmt: skip

    def gap(high: Value, low: Value) -> float | None:
        a, b = _number(high), _number(low)
        return None if a is None or b is None else a - b

    progress: list[tuple[str, Value, Value, float | None]] = []
    potential: list[tuple[str, Value, Value, float | None]] = []
    for item, label in labels.items():
        now = mean(campaign_year, item, current)
        before = mean(campaign_year - 1, item, current)
        goal = mean(campaign_year, item, last_goal)
        progress.append((label, before, now, gap(now, before)))
        potential.append((label, now, goal, gap(goal, now)))
    big = float("inf")
    progress.sort(key=lambda r: big if r[3] is None else r[3])
    potential.sort(key=lambda r: big if r[3] is None else -r[3])
    notes, hidden = _notes(tables), _hidden(tables)
    least = Figure(
        key="least-progress",
        title=typo("Les thèmes qui progressent le moins"),
        caption=typo(
            f"Évolution du score moyen de l'état des lieux entre {campaign_year - 1} et "
            f"{campaign_year}, en points sur 100 : les thèmes qui progressent le moins en haut."
        ),
        header=(
            "Thème",
            f"État des lieux {campaign_year - 1}",
            f"État des lieux {campaign_year}",
            "Évolution (points)",
        ),
        rows=tuple(progress),
        hidden=hidden,
        notes=notes,
        chart_rows=tuple({"label": r[0], "value": r[3]} for r in progress),
        version_note=version_note(engine, [campaign_year - 1, campaign_year]),
    )
    greatest = Figure(
        key="potential",
        title=typo("Les thèmes au plus fort potentiel d'amélioration"),
        caption=typo(
            "Écart entre l'objectif à 3 ans moyen et l'état des lieux moyen, en points sur 100 : "
            "ce que les organisations se donnent encore à faire, le plus grand en haut."
        ),
        header=("Thème", "État des lieux", "Objectif à 3 ans", "Potentiel (points)"),
        rows=tuple(potential),
        hidden=hidden,
        notes=notes,
        chart_rows=tuple({"label": r[0], "value": r[3]} for r in potential),
    )
    return least, greatest


# ---------------------------------------------------------------------------
# national body
# ---------------------------------------------------------------------------


@held_per_version
def regions_overall(engine: Engine, actor: Actor, *, campaign_year: int) -> Figure:
    """Mean overall score and number of organisations per region (the map)."""
    tbl = privacy.table(engine, actor, campaign_year=campaign_year, dims=("region",))
    cells = _by_key(tbl, "region")
    rows: list[tuple[Value, ...]] = []
    chart: list[dict[str, Any]] = []
    for region in REGIONS:
        cell = cells.get(region.code)
        shown = cell is not None and cell.hidden_reason is None
        mean = cell.mean if shown and cell is not None else None
        n = cell.n if shown and cell is not None else None
        rows.append((region.name, n, mean))
        chart.append({"code": region.code, "name": region.name, "value": mean})
    return Figure(
        key="regions-map",
        title=typo(f"Score moyen par région — campagne {campaign_year}"),
        caption=typo(
            "Carte en tuiles : chaque carré est une région (les cinq régions d'outre-mer sur "
            "la dernière ligne), d'autant plus foncé que le score moyen d'ensemble est élevé."
        ),
        header=("Région", "Auto-évaluations soumises", "Score moyen"),
        rows=tuple(rows),
        hidden=tbl.hidden_cells,
        notes=_notes([tbl]),
        chart_rows=tuple(chart),
    )


@held_per_version
def regions_heatmap(engine: Engine, actor: Actor, grid: Grid, *, campaign_year: int) -> Figure:
    """Regions (rows) × themes (columns): mean current-state score."""
    labels = item_labels(grid)
    tables = {
        item: privacy.table(
            engine, actor, campaign_year=campaign_year, dims=("region",), measure=item
        )
        for item in labels
    }
    rows: list[tuple[Value, ...]] = []
    chart: list[dict[str, Any]] = []
    for region in REGIONS:
        row: list[Value] = [region.name]
        for item, tbl in tables.items():
            cell = _by_key(tbl, "region").get(region.code)
            mean = _mean(cell)
            row.append(mean)
            chart.append(
                {"row": region.name, "column": labels[item], "value": mean, "hidden": mean is None}
            )
        rows.append(tuple(row))
    return Figure(
        key="regions-themes",
        title=typo("Score moyen par région et par thème"),
        caption=typo(
            "Score moyen (sur 100) de l'état des lieux de chaque thème dans chaque région : "
            "plus la case est foncée, plus le score est élevé."
        ),
        header=("Région", *labels.values()),
        rows=tuple(rows),
        hidden=_hidden(list(tables.values())),
        notes=_notes(list(tables.values())),
        chart_rows=tuple(chart),
    )


@held_per_version
def regions_trends(engine: Engine, actor: Actor, *, years: Sequence[int]) -> Figure:
    """Mean overall score per region, campaign after campaign (the overall score of
    each campaign's own grid version: a break is said, :func:`version_note`)."""
    ordered = sorted(years)
    columns = _campaign_labels(engine, ordered)
    tables = [
        privacy.table(engine, actor, campaign_year=year, dims=("region",)) for year in ordered
    ]
    rows: list[tuple[Value, ...]] = []
    for region in REGIONS:
        rows.append(
            (
                region.name,
                *(_mean(_by_key(tbl, "region").get(region.code)) for tbl in tables),
            )
        )
    return Figure(
        key="regions-trends",
        title=typo("Évolution du score moyen par région"),
        caption=typo("Score moyen d'ensemble (sur 100) de chaque région à chaque campagne."),
        header=("Région", *(f"Campagne {y}" for y in ordered)),
        rows=tuple(rows),
        hidden=_hidden(tables),
        notes=_notes(tables),
        chart_rows=tuple(
            {"row": row[0], "column": columns[year], "value": value, "hidden": value is None}
            for row in rows
            for year, value in zip(ordered, row[1:], strict=True)
        ),
        version_note=version_note(engine, ordered),
    )


# ---------------------------------------------------------------------------
# answers shared with the regional chamber
# ---------------------------------------------------------------------------


def shared_scores(grid: Grid, assessments: Sequence[tuple[str, AssessmentState]]) -> Figure:
    """Side by side: each theme's scores (current state and goals) of organisations
    that share their answers with their chamber (one column per organisation and
    horizon)."""
    labels = item_labels(grid)
    horizons = horizon_labels(grid)
    reports = [
        (name, score(grid, state.answers, state.not_addressed, state.not_applicable_ids(grid)))
        for name, state in assessments
    ]
    header = ["Thème"]
    for name, _ in reports:
        header += [f"{name} — {label}" for label in horizons.values()]
    rows: list[tuple[Value, ...]] = []
    for item, label in labels.items():
        row: list[Value] = [label]
        for _, report in reports:
            scores = report.overall if item == OVERALL else report.items.get(item, {})
            for h in horizons:
                value = scores.get(h)
                row.append("non traité" if item in report.not_addressed else value)
        rows.append(tuple(row))
        if item == OVERALL:  # what each overall score stands on: never compare them bare
            covered: list[Value] = ["Thèmes traités"]
            for _, report in reports:
                covered += [typo(coverage(grid, report, h).text()) for h in horizons]
            rows.append(tuple(covered))
    return Figure(
        key="shared-scores",
        title=typo("Scores des organisations qui partagent leurs réponses"),
        caption=typo(
            "Scores (sur 100) par thème, état des lieux et objectifs, de chaque organisation "
            "choisie : elles ont accepté de partager leurs réponses avec leur CRESS."
        ),
        header=tuple(header),
        rows=tuple(rows),
    )


def shared_answers(grid: Grid, assessments: Sequence[tuple[str, AssessmentState]]) -> Figure:
    """Side by side: every answer (question × horizon) of the chosen organisations."""
    horizons = horizon_labels(grid)
    rows: list[tuple[Value, ...]] = []
    for item, question in grid.questions():
        theme = (
            text(item.short_title or item.title, grid.language)
            if item is not None
            else (text(grid.systemic.title, grid.language) if grid.systemic else "")
        )
        for h in grid.question_horizons(question):
            values: list[Value] = []
            for _, state in assessments:
                value = state.answers.get(question.id, {}).get(h)
                values.append("" if value is None else answer_text(grid, question.id, value))
            if any(values):
                rows.append((theme, text(question.label, grid.language), horizons[h], *values))
    return Figure(
        key="shared-answers",
        title=typo("Réponses, question par question"),
        caption=typo(
            "Les réponses des organisations choisies, une colonne par organisation ; une case "
            "vide : pas de réponse."
        ),
        header=("Thème", "Question", "Horizon", *(name for name, _ in assessments)),
        rows=tuple(rows),
    )
