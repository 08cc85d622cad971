"""Drawing helpers shared by the regional and national dashboards (first versions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from assessment import aggregation, campaigns
from assessment.aggregation import GroupAggregate
from assessment.grid import Grid, text
from assessment.permissions import Actor
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
    return "—" if value is None else f"{value:.0f} / 100"


def horizon_labels(grid: Grid) -> dict[str, str]:
    return {h.id: text(h.label) for h in grid.horizons}


def overview(
    actor: Actor,
    campaign: campaigns.CampaignInfo,
    *,
    region: str | None,
    by: tuple[aggregation.Dimension, ...],
    group_label: str,
    group_name: Callable[[Any], str],
) -> None:
    """Totals (organisations, mean overall score per horizon) and a table by group."""
    grid = state.grid(campaign.grid_id, campaign.grid_version)
    labels = horizon_labels(grid)
    report = state.call(
        aggregation.aggregate,
        state.engine(),
        actor,
        campaign_ids=[campaign.id],
        by=by,
        region=region,
    )
    k = report.min_group_size
    total = report.total
    if total is None:
        st.info(
            f"Moins de {k} organisations ont soumis leur auto-évaluation dans ce périmètre : "
            "aucun résultat n'est affiché, pour préserver leur anonymat.",
            icon=":material/visibility_off:",
        )
        return
    columns = st.columns(1 + len(labels))
    columns[0].metric("Auto-évaluations soumises", f"{total.n}")
    for column, (horizon_id, label) in zip(columns[1:], labels.items(), strict=True):
        summary = total.overall.get(horizon_id)
        column.metric(f"Score moyen — {label}", _score(summary.mean if summary else None))
    st.caption(
        f"Résultats agrégés et anonymes : un groupe de moins de {k} organisations "
        "n'est jamais affiché."
    )
    if report.groups:
        st.dataframe(_table(report.groups, labels, group_label, group_name), hide_index=True)


def _table(
    groups: list[GroupAggregate],
    labels: dict[str, str],
    group_label: str,
    group_name: Callable[[Any], str],
) -> pd.DataFrame:
    rows = []
    for group in groups:
        row: dict[str, Any] = {
            group_label: group_name(next(iter(group.key.values()))),
            "Organisations": group.n,
        }
        for horizon_id, label in labels.items():
            summary = group.overall.get(horizon_id)
            row[f"Score moyen — {label}"] = None if summary is None else round(summary.mean)
        rows.append(row)
    return pd.DataFrame(rows)
