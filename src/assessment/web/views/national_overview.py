"""« Vue nationale »: every region side by side, a drill-down, research microdata.

Thin page: protected figures from :mod:`assessment.dashboards`, participation
from :func:`assessment.campaigns.participation`, the tile-grid map and
heatmaps from :mod:`assessment.network_charts`, pseudonymised microdata from
:func:`assessment.microdata.research_extract` (national council only).
"""

from __future__ import annotations

from collections import Counter

import streamlit as st

from assessment import campaigns, dashboards, exports, microdata
from assessment import network_charts as nc
from assessment.french import number, plural, typo
from assessment.grid import Grid
from assessment.permissions import Actor
from assessment.regions import REGIONS, REGIONS_BY_CODE
from assessment.web import state
from assessment.web.views import _dashboard, regional_dashboard

PREFIX = "national"


def regions_side_by_side(
    actor: Actor, grid: Grid, campaign: campaigns.CampaignInfo, drilled: str | None
) -> list[dashboards.Figure]:
    engine = state.engine()
    shown = []
    figure = state.call(dashboards.regions_overall, engine, actor, campaign_year=campaign.year)
    chart = _dashboard.chart(
        nc.tile_map, list(figure.chart_rows), title=figure.title, highlight=drilled
    )
    _dashboard.show(figure, chart, prefix=PREFIX, stretch=False)
    shown.append(figure)
    figure = dashboards.regions_heatmap(engine, actor, grid, campaign_year=campaign.year)
    chart = _dashboard.chart(
        nc.heatmap,
        list(figure.chart_rows),
        title=figure.title,
        row_title="Région",
        column_title="Thème",
    )
    _dashboard.show(figure, chart, prefix=PREFIX)
    shown.append(figure)
    return shown


def participation_by_region(campaign: campaigns.CampaignInfo) -> dashboards.Figure:
    actor = state.require_actor()
    counts = state.call(campaigns.count_participation, state.engine(), actor, campaign.id, "region")
    figure = dashboards.participation_figure(counts, "region")
    chart = _dashboard.chart(
        nc.participation_chart,
        list(figure.chart_rows),
        list(campaigns.STATUS_LABELS_FR.values()),
        title=figure.title,
    )
    _dashboard.show(figure, chart, prefix=PREFIX)
    return figure


def trends(campaign: campaigns.CampaignInfo) -> dashboards.Figure:
    engine = state.engine()
    actor = state.require_actor()
    years = dashboards.published_years(engine, actor, campaign.year)
    figure = dashboards.regions_trends(engine, actor, years=years)
    chart = _dashboard.chart(
        nc.heatmap,
        list(figure.chart_rows),
        title=figure.title,
        row_title="Région",
        column_title="Campagne",
    )
    _dashboard.show(figure, chart, prefix=PREFIX)
    return figure


def research(campaign: campaigns.CampaignInfo) -> None:
    st.markdown(
        typo(
            "Les microdonnées de recherche : une ligne par auto-évaluation soumise, sans nom, "
            "SIREN, RNA ni texte libre, avec un pseudonyme stable d'une campagne à l'autre. "
            "Réservées à l'instance nationale, et seulement pour les campagnes closes, "
            "comme tous les résultats."
        )
    )
    scope = st.radio(
        "Campagnes",
        ["this", "all"],
        format_func={"this": campaign.label, "all": "Toutes les campagnes closes"}.__getitem__,
        horizontal=True,
        key="national_microdata_scope",
    )
    if not st.button("Préparer les microdonnées", icon=":material/science:"):
        return
    years = None if scope == "all" else [campaign.year]
    data = state.call(
        microdata.research_extract, state.engine(), state.require_actor(), campaign_years=years
    )
    st.success(
        typo(f"{plural(len(data.rows), 'ligne')} prêtes. {data.note_fr}"),
        icon=":material/check_circle:",
    )
    st.download_button(
        "Télécharger les microdonnées (CSV)",
        exports.table_csv(data.header, data.rows),
        file_name=f"microdonnees-{'toutes' if years is None else campaign.year}.csv",
        mime="text/csv",
        key="national_microdata_csv",
        icon=":material/download:",
    )


def render() -> None:
    # every protected figure of the page on one read of the data version
    with dashboards.one_version(state.engine()):
        _render()


def _render() -> None:
    actor = state.require_actor()
    st.title("Vue nationale")
    st.markdown("Résultats protégés de toutes les régions, côte à côte.")
    campaign = _dashboard.choose_campaign("national_campaign")
    if campaign is None:
        return
    results = dashboards.results_campaign(state.engine(), actor, campaign)
    tabs = st.tabs(["Régions", "Participation", "Évolution", "Une région", "Microdonnées"])
    with tabs[3]:
        codes = [r.code for r in REGIONS]
        drilled = st.selectbox(
            "Région",
            codes,
            format_func=lambda c: typo(REGIONS_BY_CODE[c].name),
            index=None,
            placeholder="Choisir une région",
            key="national_region",
        )
    shown: list[dashboards.Figure] = []
    with tabs[0]:
        if results.note:
            _dashboard.notice(results.note)
        if results.campaign is not None:
            shown = regions_side_by_side(
                actor, _dashboard.grid_of(results.campaign), results.campaign, drilled
            )
    with tabs[1]:
        shown.append(participation_by_region(campaign))
    with tabs[2]:
        if results.note:
            _dashboard.notice(results.note)
        if results.campaign is not None:
            shown.append(trends(results.campaign))
        _dashboard.all_downloads(
            shown, prefix=PREFIX, label="Télécharger tous les tableaux nationaux (XLSX)"
        )
    with tabs[3]:
        if drilled is None:
            st.caption("Choisissez une région pour voir le détail de ses résultats.")
        else:
            region = REGIONS_BY_CODE[drilled]
            st.header(region.name)
            counts = state.call(
                campaigns.count_participation,
                state.engine(),
                actor,
                campaign.id,
                "region",
                drilled,
            ).get(drilled, Counter())
            st.markdown(
                typo(
                    f"{plural(counts.total(), 'organisation')}, dont "
                    f"{number(counts['submitted'], 0)} ont soumis leur auto-évaluation "
                    f"({campaign.label})."
                )
            )
            if results.note:
                _dashboard.notice(results.note)
            if results.campaign is not None:
                grid = _dashboard.grid_of(results.campaign)
                regional_dashboard.region_results(
                    actor,
                    grid,
                    results.campaign,
                    drilled,
                    prefix=f"{PREFIX}-{drilled}",
                    previous=_dashboard.previous_campaign(results.campaign),
                )
                regional_dashboard.region_trends(
                    actor, grid, results.campaign, drilled, prefix=f"{PREFIX}-{drilled}"
                )
    with tabs[4]:
        if results.campaign is None:
            _dashboard.notice(results.note or "")
        else:
            research(results.campaign)
