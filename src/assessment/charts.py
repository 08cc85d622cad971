"""Pure functions returning Altair charts of results (no Streamlit here).

Every chart takes plain data (lists of dicts, numbers) so that it can be built
and tested without a browser: tests assert on ``chart.to_dict()``.  Rows are
inlined in the specification (``alt.Data(values=...)``), never hashed into a
named dataset, so the values a user sees are the values a test reads.

Charts must stay readable when printed in black and white (a results page is
often printed for the general assembly): horizons and series are told apart by
**shade and** stroke pattern, point shape and text labels, never by colour
alone.  Labels are French; items are named by their ``short_title``.

They must also read on a phone (390 px wide): every chart is sized by its
container (``width="container"``), legends sit below the plot in one column,
names of groups are written above their marks rather than as long axis labels
(which would eat the plot's width), and no value label is printed over another
mark.  Axis labels are never rotated.  Titles say what is drawn, never repeat the
page's section heading.  Every score shown goes through :func:`french.whole`
(halves rounded up), the one rounding of the app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypedDict

import altair as alt

from assessment.french import typo, whole

# Grey-safe shades: light → dark, distinct in luminance (and colour-blind safe).
SHADES: tuple[str, ...] = ("#c6dbef", "#6baed6", "#2171b5", "#08306b", "#9ecae1", "#4292c6")
# Stroke patterns, one per horizon/series: solid, dashed, dotted, dash-dot...
DASHES: tuple[list[int], ...] = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [1, 4])
# Point shapes, one per series.
SHAPES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle-up",
    "diamond",
    "cross",
    "triangle-down",
    "triangle-right",
    "triangle-left",
    "stroke",
    "wedge",
)
INK = "#222222"
FONT = '"Source Sans", "Source Sans Pro", "Source Sans 3", sans-serif'
"""Streamlit's own font (« Source Sans » in Streamlit ≥ 1.4x, « Source Sans Pro »
before), so that a chart reads like the page around it."""
TITLE_FONT_SIZE = 16
LABEL_FONT_SIZE = 12
AXIS_TITLE_FONT_SIZE = 13
PADDING = {"top": 14, "right": 8, "bottom": 8, "left": 8}
"""Room above the title: accented capitals (« É ») rise above the font size Vega
measures, and were clipped at the top of the canvas."""
SCORE_DOMAIN = (0.0, 100.0)
SCORE_AXIS_TITLE = "Score (sur 100)"


class GoalRow(TypedDict):
    """One bar of :func:`goals_chart`: an item's score at one horizon."""

    item: str
    horizon: str
    score: float | None


class ProgressRow(TypedDict):
    """One point of :func:`progress_chart`: a series' score in one campaign."""

    campaign: str
    series: str
    score: float | None


class GapRow(TypedDict):
    """One bar of :func:`priorities_chart`: how far an item is from its goal."""

    item: str
    gap: float


class PeerGroup(TypedDict):
    """One peer group of :func:`peer_chart` (already k-anonymous)."""

    group: str
    n: int
    q1: float
    median: float
    q3: float


def _cycle(values: Sequence[Any], n: int) -> list[Any]:
    return [values[i % len(values)] for i in range(n)]


def _fmt(score: float | None) -> str:
    return "" if score is None else str(whole(score))


NEW_VERSION = "Nouvelle version de la grille"
PROVISIONAL = "provisoire"
"""Said of a campaign whose assessment is not submitted yet."""


def _legend(title: str) -> alt.Legend:
    """Below the plot, one entry per line: never cut on a narrow screen."""
    return alt.Legend(title=title, orient="bottom", columns=1, symbolStrokeColor=INK, labelLimit=0)


def styled(chart: alt.TopLevelMixin) -> Any:
    """``chart`` in the app's font, with sizes and padding that keep accents legible.

    Applied last, to the chart a function returns (a configured chart cannot be
    layered any more).
    """
    return (
        chart.properties(padding=PADDING)
        .configure(font=FONT)
        .configure_title(
            font=FONT,
            fontSize=TITLE_FONT_SIZE,
            fontWeight=600,
            color=INK,
            offset=12,
            anchor="start",
            lineHeight=TITLE_FONT_SIZE + 6,
        )
        .configure_axis(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=LABEL_FONT_SIZE,
            titleFontSize=AXIS_TITLE_FONT_SIZE,
            titleFontWeight=600,
            titlePadding=10,
            labelColor=INK,
            titleColor=INK,
        )
        .configure_legend(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=LABEL_FONT_SIZE,
            titleFontSize=AXIS_TITLE_FONT_SIZE,
            titleFontWeight=600,
            titlePadding=6,
            labelColor=INK,
            titleColor=INK,
        )
        .configure_header(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=LABEL_FONT_SIZE,
            titleFontSize=AXIS_TITLE_FONT_SIZE,
        )
        .configure_text(font=FONT)
    )


def _empty(title: str | None, message: str = "Pas encore de données") -> Any:
    return styled(
        _titled(
            alt.Chart(alt.Data(values=[{"message": message}]))
            .mark_text(size=14, color=INK)
            .encode(text="message:N"),
            title,
            message,
        )
    )


def goals_chart(
    rows: Sequence[GoalRow],
    horizons: Sequence[str],
    *,
    items: Sequence[str] | None = None,
    title: str | None = "État des lieux et objectifs par thème",
    domain: tuple[float, float] = SCORE_DOMAIN,
    axis_title: str = SCORE_AXIS_TITLE,
) -> alt.LayerChart | alt.Chart:
    """Grouped horizontal bars: each item's current state and goals.

    ``horizons`` are horizon labels in grid order (current state first); each
    gets a shade and a stroke pattern (legend below), so the chart reads the
    same in black and white; each bar ends with its value.  ``items`` fixes the
    item order (grid order by default: order of first appearance in ``rows``).
    Missing scores (``None``) draw no bar.
    """
    if not rows:
        return _empty(title, "Pas encore de données")
    item_order = list(items) if items is not None else list(dict.fromkeys(r["item"] for r in rows))
    values = [
        {
            "item": r["item"],
            "horizon": r["horizon"],
            "score": r["score"],
            "label": _fmt(r["score"]),
        }
        for r in rows
        if r["score"] is not None
    ]
    n = len(horizons)
    horizon_scale = alt.Scale(
        domain=list(horizons), range=_cycle(SHADES[1:] if n > 1 else SHADES, n)
    )
    legend = _legend("Horizon")
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("item:N", sort=item_order, title=None, axis=alt.Axis(labelLimit=150)),
        yOffset=alt.YOffset("horizon:N", sort=list(horizons), scale=alt.Scale(paddingInner=0.1)),
        x=alt.X(
            "score:Q",
            scale=alt.Scale(domain=list(domain)),
            title=axis_title,
            axis=alt.Axis(labelAngle=0),
        ),
        tooltip=[
            alt.Tooltip("item:N", title="Thème"),
            alt.Tooltip("horizon:N", title="Horizon"),
            alt.Tooltip("label:N", title="Score"),
        ],
    )
    bars = base.mark_bar(stroke=INK, strokeWidth=1.2).encode(
        fill=alt.Fill("horizon:N", scale=horizon_scale, sort=list(horizons), legend=legend),
        strokeDash=alt.StrokeDash(
            "horizon:N",
            scale=alt.Scale(domain=list(horizons), range=_cycle(DASHES, n)),
            sort=list(horizons),
            legend=legend,
        ),
    )
    labels = base.mark_text(align="left", dx=3, fontSize=10, color=INK).encode(text="label:N")
    return styled(
        _titled(
            alt.layer(bars, labels).properties(
                height=alt.Step(max(10, 36 // max(n, 1))), width="container"
            ),
            title,
            "Graphique en barres : score de chaque thème à chaque horizon.",
        )
    )


def _titled(chart: Any, title: str | None, description: str) -> Any:
    """``chart`` with its title (none when the page's heading says it) and a
    description (the chart's accessible name)."""
    chart = chart.properties(description=typo(description))
    return chart.properties(title=typo(title)) if title else chart


def _campaign_axis(campaign_order: list[str], provisional: str | None) -> alt.X:
    """Campaigns left to right, labels horizontal; the provisional one says so."""
    expr = "datum.label"
    if provisional is not None:
        expr = (
            f"datum.value === {_js(provisional)} ? [datum.label, '({PROVISIONAL})'] : datum.label"
        )
    return alt.X(
        "campaign:O",
        sort=campaign_order,
        title="Campagne",
        axis=alt.Axis(labelAngle=0, labelExpr=expr, labelOverlap=True),
    )


def _js(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _progress_values(
    rows: Sequence[ProgressRow], campaign_order: list[str], provisional: str | None
) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = [dict(r) for r in rows if r["score"] is not None]
    rank = {c: i for i, c in enumerate(campaign_order)}
    last: dict[str, dict[str, Any]] = {}
    for r in kept:
        r["provisional"] = r["campaign"] == provisional
        r["value"] = _fmt(r["score"])
        prev = last.get(r["series"])
        if prev is None or rank.get(r["campaign"], -1) >= rank.get(prev["campaign"], -1):
            last[r["series"]] = r
    for r in kept:
        r["is_last"] = r is last[r["series"]]
        shown = f"{r['value']}, {PROVISIONAL}" if r["provisional"] else r["value"]
        r["label"] = f"{r['series']} ({shown})"
    return kept


def _break_layers(version_breaks: Sequence[str], x: alt.X) -> list[Any]:
    if not version_breaks:
        return []
    marks = alt.Chart(
        alt.Data(
            values=[
                {"campaign": c, "note": "Nouvelle version de la grille"} for c in version_breaks
            ]
        )
    ).encode(x=x)
    return [
        marks.mark_rule(strokeDash=[2, 3], color=INK, opacity=0.6),
        marks.mark_text(align="left", baseline="top", dx=4, y=4, fontSize=10, color=INK).encode(
            text="note:N"
        ),
    ]


def progress_chart(
    rows: Sequence[ProgressRow],
    *,
    campaigns: Sequence[str] | None = None,
    title: str | None = "Score de l'état des lieux par campagne",
    domain: tuple[float, float] = SCORE_DOMAIN,
    axis_title: str = SCORE_AXIS_TITLE,
    version_breaks: Sequence[str] = (),
    provisional: str | None = None,
) -> alt.LayerChart | alt.Chart:
    """One line per series (« Ensemble », a question, or a few items) across campaigns.

    Series differ by shade, stroke pattern and point shape (legend below);
    every point carries its value, above it.  ``provisional``: the campaign
    whose assessment is not submitted yet: its point is hollow, its value and
    its axis label say « provisoire ».  ``version_breaks``: campaigns answered
    on another grid version than the one before; each gets a dashed rule
    labelled « Nouvelle version de la grille ».  For many series, draw
    :func:`progress_panels` instead (one small chart per series).
    """
    campaign_order: list[str] = (
        list(campaigns)
        if campaigns is not None
        else sorted({r["campaign"] for r in rows if r["score"] is not None})
    )
    kept = _progress_values(rows, campaign_order, provisional)
    if not kept:
        return _empty(title, "Pas encore de données")
    series: list[str] = list(dict.fromkeys(r["series"] for r in kept))
    n = len(series)
    legend = _legend("Série")
    x = _campaign_axis(campaign_order, provisional)
    base = alt.Chart(alt.Data(values=kept)).encode(
        x=x,
        y=alt.Y("score:Q", scale=alt.Scale(domain=list(domain)), title=axis_title),
        tooltip=[
            alt.Tooltip("series:N", title="Série"),
            alt.Tooltip("campaign:O", title="Campagne"),
            alt.Tooltip("value:N", title="Score"),
        ],
    )
    shade = alt.Scale(domain=series, range=_cycle(SHADES[1:4], n))
    lines = base.mark_line(strokeWidth=2).encode(
        color=alt.Color("series:N", scale=shade, sort=series, legend=legend),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=series, range=_cycle(DASHES, n)),
            sort=series,
            legend=legend,
        ),
    )
    points = base.mark_point(filled=True, size=70, stroke=INK, strokeWidth=1).encode(
        color=alt.Color("series:N", scale=shade, sort=series, legend=legend),
        shape=alt.Shape(
            "series:N",
            scale=alt.Scale(domain=series, range=_cycle(SHAPES, n)),
            sort=series,
            legend=legend,
        ),
        # hollow for the provisional campaign: « not final yet », in black and white too
        fillOpacity=alt.condition(alt.datum.provisional, alt.value(0.0), alt.value(1.0)),
    )
    values = base.mark_text(baseline="bottom", dy=-8, fontSize=10, color=INK).encode(
        text=alt.Text("value:N")
    )
    layers: list[Any] = [lines, points, values, *_break_layers(version_breaks, x)]
    return styled(
        _titled(
            alt.layer(*layers).properties(width="container", height=300),
            title,
            "Graphique en courbe : score de l'état des lieux, campagne par campagne.",
        )
    )


def progress_panels(
    rows: Sequence[ProgressRow],
    *,
    campaigns: Sequence[str] | None = None,
    domain: tuple[float, float] = SCORE_DOMAIN,
    axis_title: str = "Score",
    version_breaks: Sequence[str] = (),
    provisional: str | None = None,
) -> list[tuple[str, Any]]:
    """Small multiples: one small chart per series (e.g. each item), in series order.

    Each panel draws its own series as a dark line with its values, over the
    other series in light grey (for context), on the same axes as every other
    panel; its title is the series' name.  Eight near-identical lines with
    labels on top of each other become eight charts that each read alone (and
    that the page lays out in columns, stacked on a phone).
    """
    campaign_order: list[str] = (
        list(campaigns)
        if campaigns is not None
        else sorted({r["campaign"] for r in rows if r["score"] is not None})
    )
    kept = _progress_values(rows, campaign_order, provisional)
    series: list[str] = list(dict.fromkeys(r["series"] for r in kept))
    x = _campaign_axis(campaign_order, provisional)
    y = alt.Y(
        "score:Q",
        scale=alt.Scale(domain=list(domain)),
        title=axis_title,
        axis=alt.Axis(tickCount=5),
    )
    panels: list[tuple[str, Any]] = []
    for name in series:
        own = [r for r in kept if r["series"] == name]
        others = [dict(r, other=r["series"]) for r in kept if r["series"] != name]
        layers: list[Any] = []
        if others:
            layers.append(
                alt.Chart(alt.Data(values=others))
                .mark_line(strokeWidth=1, color="#bbbbbb")
                .encode(x=x, y=y, detail="other:N")
            )
        base = alt.Chart(alt.Data(values=own)).encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("campaign:O", title="Campagne"),
                alt.Tooltip("value:N", title="Score"),
            ],
        )
        layers += [
            base.mark_line(strokeWidth=2.5, color=SHADES[3]),
            base.mark_point(
                filled=True, size=60, shape="circle", color=SHADES[3], stroke=INK
            ).encode(
                fillOpacity=alt.condition(alt.datum.provisional, alt.value(0.0), alt.value(1.0))
            ),
            base.mark_text(baseline="bottom", dy=-8, fontSize=10, color=INK).encode(text="value:N"),
            *_break_layers(version_breaks, x)[:1],
        ]
        chart = alt.layer(*layers).properties(width="container", height=170)
        panels.append(
            (
                name,
                styled(
                    _titled(
                        chart,
                        name,
                        f"Graphique en courbe : score de l'état des lieux de « {name} », "
                        "campagne par campagne.",
                    )
                ),
            )
        )
    return panels


def priorities_chart(
    rows: Sequence[GapRow],
    *,
    title: str | None = "Écart à l'objectif, en points",
    axis_title: str = "Écart (points sur 100)",
    limit: int | None = None,
) -> alt.LayerChart | alt.Chart:
    """Horizontal bars of each item's gap to its goal, largest first, labelled.

    The axis always reaches past the longest bar and its label (``gap`` is the
    difference of the two rounded scores the page shows, see
    :func:`french.points_between`).
    """
    kept: list[dict[str, Any]] = sorted(
        (dict(r) for r in rows if r["gap"] is not None), key=lambda r: -float(r["gap"])
    )
    if limit is not None:
        kept = kept[:limit]
    if not kept:
        return _empty(title, "Aucun écart à combler")
    for r in kept:
        r["label"] = f"{_fmt(r['gap'])} pts"
    order: list[str] = [str(r["item"]) for r in kept]
    longest = max(float(r["gap"]) for r in kept)
    top = axis_top(longest)
    base = alt.Chart(alt.Data(values=kept)).encode(
        y=alt.Y("item:N", sort=order, title=None, axis=alt.Axis(labelLimit=150)),
        x=alt.X(
            "gap:Q",
            title=axis_title,
            scale=alt.Scale(domain=[0, top], nice=False),
            axis=alt.Axis(labelAngle=0),
        ),
        tooltip=[
            alt.Tooltip("item:N", title="Thème"),
            alt.Tooltip("label:N", title="Écart"),
        ],
    )
    bars = base.mark_bar(fill=SHADES[2], stroke=INK, strokeWidth=1)
    labels = base.mark_text(align="left", dx=3, fontSize=10, color=INK).encode(text="label:N")
    return styled(
        _titled(
            alt.layer(bars, labels).properties(width="container", height=alt.Step(26)),
            title,
            "Graphique en barres : écart entre l'état des lieux et l'objectif, thème par "
            "thème, du plus grand au plus petit.",
        )
    )


def axis_top(longest: float) -> float:
    """The end of a gap axis: past ``longest`` by at least a fifth (room for its
    « NN pts » label), on a multiple of 10, never below 10."""
    return float(max(10, math.ceil(longest * 1.2 / 10) * 10))


def peer_chart(
    own: float | None,
    groups: Sequence[PeerGroup],
    *,
    own_label: str = "Votre organisation",
    title: str | None = "Votre score et celui des groupes comparables",
    domain: tuple[float, float] = SCORE_DOMAIN,
    axis_title: str = SCORE_AXIS_TITLE,
    subject: str = "score d'ensemble de l'état des lieux",
) -> alt.LayerChart | alt.Chart:
    """Own score against each peer group's quartiles (box from Q1 to Q3, median tick).

    ``subject`` names the compared score in the screen readers' description.

    ``groups`` must already be k-anonymous (see :mod:`assessment.privacy`);
    the chart only draws what it is given.  Each group is named above its
    box, its median and quartiles written below it (left-aligned: never cut,
    never on a mark).  The own score, the same for every group, is a dark
    diamond on each row, named once in the subtitle, never written over the
    median.
    """
    if not groups:
        return _empty(title, "Pas assez d'organisations comparables")
    values: list[dict[str, Any]] = [
        {
            "group": f"{g['group']} ({g['n']} org.)",
            "q1": g["q1"],
            "median": g["median"],
            "q3": g["q3"],
            "median_label": (
                f"médiane {_fmt(g['median'])} · la moitié entre {_fmt(g['q1'])} et {_fmt(g['q3'])}"
            ),
            "own": own,
        }
        for g in groups
    ]
    order: list[str] = [str(v["group"]) for v in values]
    y = alt.Y("group:N", sort=order, title=None, axis=None)
    x_scale = alt.Scale(domain=list(domain))
    base = alt.Chart(alt.Data(values=values))
    box = base.mark_bar(fill=SHADES[0], stroke=INK, strokeWidth=1, height=16).encode(
        y=y,
        x=alt.X("q1:Q", scale=x_scale, title=axis_title, axis=alt.Axis(labelAngle=0)),
        x2="q3:Q",
        tooltip=[
            alt.Tooltip("group:N", title="Groupe"),
            alt.Tooltip("median_label:N", title="Répartition"),
        ],
    )
    median = base.mark_tick(color=INK, thickness=3, size=24).encode(
        y=y, x=alt.X("median:Q", scale=x_scale)
    )
    name = base.mark_text(
        align="left", baseline="bottom", dy=-12, fontSize=12, fontWeight=600, color=INK
    ).encode(y=y, x=alt.value(0), text="group:N")
    median_text = base.mark_text(
        align="left", baseline="top", dy=14, fontSize=10, color=INK
    ).encode(y=y, x=alt.value(0), text="median_label:N")
    layers: list[alt.Chart] = [box, median, name, median_text]
    subtitle = [typo("Boîte : du 1er au 3e quartile ; trait épais : médiane.")]
    if own is not None:
        own_point = base.mark_point(
            shape="diamond", filled=True, size=150, color=SHADES[3], stroke=INK
        ).encode(y=y, x=alt.X("own:Q", scale=x_scale))
        layers.append(own_point)
        subtitle.insert(0, typo(f"Losange : {own_label.lower()}, {_fmt(own)} sur 100."))
    chart = alt.layer(*layers).properties(width="container", height=alt.Step(76))
    description = f"Graphique : {subject} de chaque groupe comparable (quartiles et médiane)" + (
        f", et le vôtre ({_fmt(own)} sur 100)." if own is not None else "."
    )
    chart = chart.properties(description=typo(description))
    chart = chart.properties(
        title=alt.TitleParams(text=typo(title or ""), subtitle=subtitle, subtitleFontSize=11)
    )
    return styled(chart)
