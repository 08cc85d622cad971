"""Drawing helpers shared by the regional and national dashboards.

A dashboard section is a :class:`assessment.dashboards.Figure`: its chart
(from :mod:`assessment.network_charts`), its caption, its protection note when
cells are hidden, and, in an expander, the same table as text with its CSV and
XLSX downloads, made from the same rows.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from assessment import campaigns, exports
from assessment.dashboards import Figure
from assessment.french import typo
from assessment.grid import Grid
from assessment.web import chart_cache, state


@dataclass(frozen=True)
class Chart:
    """A chart of :mod:`assessment.network_charts` not built yet: its builder and
    arguments, so that :func:`show` draws it from the specification cached for that
    data (:mod:`assessment.web.chart_cache`) instead of building and validating it
    again on every rerun."""

    build: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def spec(self) -> dict[str, Any]:
        """The Vega-Lite specification (shared: copy it before changing it)."""
        return chart_cache.spec_for(self.build, *self.args, **self.kwargs)


def chart(build: Callable[..., Any], *args: Any, **kwargs: Any) -> Chart:
    """``build(*args, **kwargs)``, to be drawn by :func:`show` (see :class:`Chart`)."""
    return Chart(build, args, kwargs)


def choose_campaign(key: str) -> campaigns.CampaignInfo | None:
    """A campaign picker (the open one first); ``None`` when there is none yet."""
    found = campaigns.list_campaigns(state.engine())
    if not found:
        st.info("Aucune campagne n'a encore été ouverte.", icon=":material/event_busy:")
        return None
    current = campaigns.current_campaign(state.engine())
    index = next((i for i, c in enumerate(found) if current and c.id == current.id), 0)
    chosen: campaigns.CampaignInfo = st.selectbox(
        "Campagne", found, index=index, format_func=lambda c: c.label, key=key
    )
    return chosen


def grid_of(campaign: campaigns.CampaignInfo) -> Grid:
    """The grid version a campaign was answered on."""
    return state.grid(campaign.grid_id, campaign.grid_version)


def previous_campaign(campaign: campaigns.CampaignInfo) -> campaigns.CampaignInfo | None:
    """The campaign of the year before ``campaign``'s, if there was one."""
    found = campaigns.list_campaigns(state.engine())
    return next((c for c in found if c.year == campaign.year - 1), None)


def frame(figure: Figure) -> pd.DataFrame:
    """The figure's table as shown on screen (French numbers, « masqué »)."""
    return pd.DataFrame(figure.display_rows(), columns=list(figure.header))


def downloads(figure: Figure, *, prefix: str) -> None:
    """CSV and XLSX of exactly the rows on screen."""
    name = f"{prefix}-{figure.key}"
    rows = figure.export_rows()
    left, right = st.columns(2)
    left.download_button(
        "Télécharger (CSV)",
        lambda: exports.table_csv(figure.header, rows),  # built when clicked
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{name}-csv",
        icon=":material/download:",
    )
    right.download_button(
        "Télécharger (XLSX)",
        lambda: exports.tables_xlsx(
            [(figure.title, figure.header, rows)],
            notes=(*figure.notes, *((figure.version_note,) if figure.version_note else ())),
        ),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{name}-xlsx",
        icon=":material/download:",
    )


def protection_note(figure: Figure) -> None:
    """How many cells are hidden and why (nothing when none is)."""
    note = figure.hidden_note
    if note:
        st.caption(f":material/visibility_off: {note}")


def show(
    figure: Figure,
    drawn: Chart | None,
    *,
    prefix: str,
    table_open: bool = False,
    stretch: bool = True,
) -> None:
    """Title, chart, caption, protection note, then the table and its downloads
    (``stretch``: the chart takes the page's width; else its own, e.g. a map).  The
    chart is drawn from its cached specification, keyed on its builder and data (the
    figure's rows, read at the current data version, and the page's parameters)."""
    st.subheader(figure.title)
    if drawn is not None:
        spec = copy.deepcopy(drawn.spec())
        if not isinstance(spec.get("description"), str):
            spec["description"] = figure.alt_text()
        st.vega_lite_chart(spec=spec, width="stretch" if stretch else "content", theme=None)
    st.caption(figure.caption)
    if figure.version_note:
        st.caption(f":material/history: {figure.version_note}")
    protection_note(figure)
    with st.expander("Tableau et téléchargements", expanded=table_open):
        st.dataframe(frame(figure), hide_index=True, width="stretch")
        downloads(figure, prefix=prefix)
        if len(figure.notes) > 1:
            st.caption("Comment ces chiffres sont protégés, série par série :")
            st.markdown("\n".join(f"- {note}" for note in figure.notes))


def all_downloads(figures: Sequence[Figure], *, prefix: str, label: str) -> None:
    """Every table of the page in one workbook."""
    notes = tuple(dict.fromkeys(n for f in figures for n in f.notes))
    st.download_button(
        label,
        lambda: exports.tables_xlsx(
            [(f.title, f.header, f.export_rows()) for f in figures], notes=notes
        ),
        file_name=f"{prefix}-tableaux.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{prefix}-all-xlsx",
        icon=":material/download:",
    )


def notice(message: str) -> None:
    st.info(typo(message), icon=":material/info:")
