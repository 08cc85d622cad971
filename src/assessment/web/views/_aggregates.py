"""Drawing helpers shared by the regional and national dashboards (first versions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from assessment import campaigns, french, privacy
from assessment.grid import Grid, text
from assessment.permissions import Actor
from assessment.settings import get_settings
from assessment.web import state


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


def _score(value: float | None) -> str:
    return "—" if value is None else f"{french.number(value, 1)} / 100"


def horizon_labels(grid: Grid) -> dict[str, str]:
    return {h.id: text(h.label) for h in grid.horizons}


def overview(
    actor: Actor,
    campaign: campaigns.CampaignInfo,
    *,
    region: str | None,
    by: tuple[privacy.Dimension, ...],
    group_label: str,
    group_name: Callable[[Any], str],
) -> None:
    """Totals (organisations, mean overall score per horizon) and a table by group,
    from the protected aggregate layer (:mod:`assessment.privacy`)."""
    grid = state.grid(campaign.grid_id, campaign.grid_version)
    labels = horizon_labels(grid)
    engine = state.engine()
    totals = {
        h: state.call(
            privacy.table, engine, actor, campaign_year=campaign.year, region=region, horizon=h
        )
        for h in labels
    }
    first = totals[grid.current_horizon]
    total = first.cells[0] if first.cells else None
    if total is None or total.n is None:
        k = get_settings().min_group_size
        st.info(
            f"Moins de {k} organisations ont soumis leur auto-évaluation dans ce périmètre : "
            "aucun résultat n'est affiché, pour préserver leur anonymat.",
            icon=":material/visibility_off:",
        )
        return
    columns = st.columns(1 + len(labels))
    columns[0].metric("Auto-évaluations soumises", french.number(total.n, 0))
    for column, (horizon_id, label) in zip(columns[1:], labels.items(), strict=True):
        cells = totals[horizon_id].cells
        column.metric(f"Score moyen — {label}", _score(cells[0].mean if cells else None))
    groups = {
        h: state.call(
            privacy.table,
            engine,
            actor,
            campaign_year=campaign.year,
            dims=by,
            region=region,
            horizon=h,
        )
        for h in labels
    }
    st.caption(groups[grid.current_horizon].note_fr)
    frame = _table(groups, labels, group_label, group_name)
    if not frame.empty:
        st.dataframe(frame, hide_index=True)


def _table(
    groups: dict[str, privacy.ProtectedTable],
    labels: dict[str, str],
    group_label: str,
    group_name: Callable[[Any], str],
) -> pd.DataFrame:
    rows: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for horizon_id, label in labels.items():
        for cell in groups[horizon_id].cells:
            if cell.n is None:
                continue
            key = tuple(cell.key.items())
            row = rows.setdefault(
                key,
                {group_label: group_name(next(iter(cell.key.values()))), "Organisations": cell.n},
            )
            row[f"Score moyen — {label}"] = cell.mean
    return pd.DataFrame(list(rows.values()))
