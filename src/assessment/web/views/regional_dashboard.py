"""« Tableau de bord régional »: a CRESS runs its campaign and reads its region's results.

Thin page: participation from :func:`assessment.campaigns.participation`,
protected figures from :mod:`assessment.dashboards` (over
:mod:`assessment.privacy`), charts from :mod:`assessment.network_charts`,
shared answers through :func:`assessment.campaigns.shared_assessments` and
:func:`assessment.assessments.get_assessment` (each checks the permission).
:func:`region_results` and :func:`region_trends` are reused by the national
overview's drill-down into one region.
"""

from __future__ import annotations

import streamlit as st

from assessment import assessments, campaigns, dashboards
from assessment import network_charts as nc
from assessment.french import number, plural, typo
from assessment.grid import Grid
from assessment.permissions import Actor, PermissionDenied
from assessment.regions import REGIONS_BY_CODE
from assessment.web import state
from assessment.web.views import _dashboard

PREFIX = "cress"
SIDE_BY_SIDE_MAX = 4


def _statuses() -> list[str]:
    return list(campaigns.STATUS_LABELS_FR.values())


def participation(actor: Actor, campaign: campaigns.CampaignInfo, region: str) -> None:
    rows = state.call(campaigns.participation, state.engine(), actor, campaign.id, region)
    total = len(rows)
    counts = {s: sum(1 for r in rows if r.status == s) for s in campaigns.STATUSES}
    columns = st.columns(4)
    columns[0].metric("Organisations", number(total, 0))
    for column, status in zip(columns[1:], campaigns.STATUSES, strict=True):
        column.metric(campaigns.STATUS_LABELS_FR[status], number(counts[status], 0))
    for by in ("legal_family", "size_band"):
        figure = dashboards.participation_figure(rows, by)
        chart = _dashboard.chart(
            nc.participation_chart,
            list(figure.chart_rows),
            _statuses(),
            title=figure.title,
        )
        _dashboard.show(figure, chart, prefix=PREFIX)
    st.subheader("Organisations à relancer")
    chosen = st.multiselect(
        "Statut",
        list(campaigns.STATUSES),
        default=["not_started", "draft"],
        format_func=campaigns.STATUS_LABELS_FR.__getitem__,
        placeholder="Tous les statuts",
        key="cress_status_filter",
    )
    listed = dashboards.participation_list([r for r in rows if r.status in chosen])
    st.caption(listed.caption)
    st.dataframe(_dashboard.frame(listed), hide_index=True, width="stretch")
    _dashboard.downloads(listed, prefix=PREFIX)


def region_results(
    actor: Actor,
    grid: Grid,
    campaign: campaigns.CampaignInfo,
    region: str,
    *,
    prefix: str = PREFIX,
    previous: campaigns.CampaignInfo | None = None,
) -> list[dashboards.Figure]:
    """Distributions, heatmap, region against France, progress and potential."""
    engine = state.engine()
    labels = dashboards.item_labels(grid)
    horizons = list(dashboards.horizon_labels(grid).values())
    shown: list[dashboards.Figure] = []
    measure = st.selectbox(
        "Thème", list(labels), format_func=labels.__getitem__, key=f"{prefix}_measure"
    )
    figure = state.call(
        dashboards.distribution_figure,
        engine,
        actor,
        grid,
        campaign_year=campaign.year,
        measure=measure,
        region=region,
    )
    chart = _dashboard.chart(
        nc.distribution_chart,
        list(figure.chart_rows),
        horizons,
        title=figure.title,
    )
    _dashboard.show(figure, chart, prefix=prefix)
    shown.append(figure)

    dim = st.radio(
        "Comparer les thèmes par",
        list(dashboards.GROUP_DIMS),
        format_func=dashboards.GROUP_DIMS.__getitem__,
        horizontal=True,
        key=f"{prefix}_heat_dim",
    )
    figure = state.call(
        dashboards.theme_heatmap,
        engine,
        actor,
        grid,
        campaign_year=campaign.year,
        dim=dim,
        region=region,
    )
    chart = _dashboard.chart(
        nc.heatmap,
        list(figure.chart_rows),
        title=figure.title,
        row_title="Thème",
        column_title=dashboards.GROUP_DIMS[dim],
    )
    _dashboard.show(figure, chart, prefix=prefix)
    shown.append(figure)

    try:
        figure = dashboards.scope_comparison(
            engine, actor, grid, campaign_year=campaign.year, region=region
        )
    except PermissionDenied:
        figure = dashboards.scope_comparison(
            engine, actor, grid, campaign_year=campaign.year, region=region, national=False
        )
    scopes = [h for h in figure.header[1:] if not h.startswith("Écart")]
    chart = _dashboard.chart(
        nc.comparison_chart,
        list(figure.chart_rows),
        scopes,
        title=figure.title,
    )
    _dashboard.show(figure, chart, prefix=prefix)
    shown.append(figure)

    if previous is not None:
        least, greatest = dashboards.progress_and_potential(
            engine, actor, grid, campaign_year=campaign.year, region=region
        )
        for figure, signed in ((least, True), (greatest, False)):
            chart = _dashboard.chart(
                nc.bar_chart,
                list(figure.chart_rows),
                title=figure.title,
                axis_title="Points sur 100",
                unit="pts",
                signed=signed,
            )
            _dashboard.show(figure, chart, prefix=prefix)
            shown.append(figure)
    return shown


def region_trends(
    actor: Actor,
    grid: Grid,
    campaign: campaigns.CampaignInfo,
    region: str | None,
    *,
    prefix: str = PREFIX,
) -> list[dashboards.Figure]:
    """Scores campaign after campaign, and last year's 1-year goals reached."""
    engine = state.engine()
    years = dashboards.published_years(engine, actor, campaign.year)
    shown: list[dashboards.Figure] = []
    figure = dashboards.trends_figure(engine, actor, grid, years=years, region=region)
    chart = _dashboard.chart(
        nc.heatmap,
        list(figure.chart_rows),
        title=figure.title,
        row_title="Thème",
        column_title="Campagne",
    )
    _dashboard.show(figure, chart, prefix=prefix)
    shown.append(figure)
    if campaign.year - 1 in years:
        figure = dashboards.attainment_figure(
            engine, actor, grid, campaign_year=campaign.year, region=region
        )
        chart = _dashboard.chart(
            nc.bar_chart,
            list(figure.chart_rows),
            title=figure.title,
            axis_title="Organisations ayant atteint leur objectif (%)",
            unit="%",
            domain=(0, 100),
        )
        _dashboard.show(figure, chart, prefix=prefix)
        shown.append(figure)
    else:
        _dashboard.notice(
            "L'atteinte des objectifs se mesure à partir de la deuxième campagne : "
            "il n'y a pas de campagne précédente."
        )
    return shown


def shared(actor: Actor, campaign: campaigns.CampaignInfo) -> None:
    engine = state.engine()
    found = state.call(campaigns.shared_assessments, engine, actor, campaign.id)
    st.markdown(
        typo(
            f"{plural(len(found), 'organisation')} de la région ont soumis leur "
            "auto-évaluation et choisi de partager leurs réponses avec la CRESS. "
            "Les autres n'apparaissent pas ici."
        )
    )
    if not found:
        return
    by_id = {s.assessment_id: s for s in found}
    chosen = st.multiselect(
        typo(f"Organisations à afficher (jusqu'à {SIDE_BY_SIDE_MAX}, côte à côte)"),
        list(by_id),
        default=[found[0].assessment_id],
        format_func=lambda i: typo(by_id[i].name),
        max_selections=SIDE_BY_SIDE_MAX,
        placeholder="Choisissez des organisations",
        key="cress_shared",
    )
    if not chosen:
        return
    states = [
        (by_id[i].name, state.call(assessments.get_assessment, engine, actor, i)) for i in chosen
    ]
    grid = state.grid(states[0][1].grid_id, states[0][1].grid_version)
    for figure in (
        dashboards.shared_scores(grid, states),
        dashboards.shared_answers(grid, states),
    ):
        st.subheader(figure.title)
        st.caption(figure.caption)
        st.dataframe(_dashboard.frame(figure), hide_index=True, width="stretch")
        _dashboard.downloads(figure, prefix=PREFIX)


def render() -> None:
    # every protected figure of the page on one read of the data version
    with dashboards.one_version(state.engine()):
        _render()


def _render() -> None:
    actor = state.require_actor()
    if actor.region is None:
        state.refuse("Cette page est réservée aux chambres régionales (CRESS).")
    region = REGIONS_BY_CODE[actor.region]
    st.title("Tableau de bord régional")
    st.markdown(typo(f"**{region.cress}** — organisations de la région {region.name}."))
    campaign = _dashboard.choose_campaign("regional_campaign")
    if campaign is None:
        return
    results = dashboards.results_campaign(state.engine(), actor, campaign)
    tabs = st.tabs(["Participation", "Résultats par thème", "Évolution", "Réponses partagées"])
    with tabs[0]:
        participation(actor, campaign, region.code)
    shown: list[dashboards.Figure] = []
    with tabs[1]:
        if results.note:
            _dashboard.notice(results.note)
        if results.campaign is not None:
            shown = region_results(
                actor,
                _dashboard.grid_of(results.campaign),
                results.campaign,
                region.code,
                previous=_dashboard.previous_campaign(results.campaign),
            )
    with tabs[2]:
        if results.note:
            _dashboard.notice(results.note)
        if results.campaign is not None:
            shown += region_trends(
                actor, _dashboard.grid_of(results.campaign), results.campaign, region.code
            )
            _dashboard.all_downloads(
                shown, prefix=PREFIX, label="Télécharger tous les résultats (XLSX)"
            )
    with tabs[3]:
        shared(actor, campaign)
