"""The regional dashboard and the national overview as each role sees them (AppTest).

Asserted against the contract of :mod:`assessment.privacy` only (hidden cells,
their notes, the region scope), never against exact protected numbers, so
these tests hold for the real layer as for its stand-in.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from assessment import campaigns, dashboards, demo, exports, grid_store, privacy
from assessment.dashboards import HIDDEN
from assessment.french import typo
from assessment.organisations import LEGAL_FAMILIES
from assessment.permissions import Actor, Role
from assessment.regions import REGIONS, REGIONS_BY_CODE
from assessment.settings import get_settings
from assessment.web import chart_cache

from .conftest import SignedIn, open_page, reset_process_caches, warnings_text
from .test_results import _charts

REGIONAL = "tableau-regional"
NATIONAL = "vue-nationale"
OTHER_REGIONS = [r.name for r in REGIONS if r.code != demo.DEMO_REGION]


def _page(app_as: Callable[[Role], SignedIn], role: Role, url: str) -> tuple[AppTest, Actor]:
    signed = app_as(role)
    at = signed.app
    open_page(at, url).run()
    assert not at.exception, [e.value for e in at.exception]
    return at, signed.actor


def _frame(at: AppTest, first_header: str, contains: str) -> Any:
    for df in at.dataframe:
        frame = df.value
        if frame.columns[0] == first_header and contains in " ".join(frame.columns):
            return frame
    raise AssertionError(f"no table {first_header!r} with {contains!r}")


def _everything(at: AppTest) -> str:
    """Every text the page shows: headings, texts, captions, tables and charts."""
    parts = [str(e.value) for kind in ("markdown", "caption", "subheader", "header", "info")
             for e in at.get(kind)]  # fmt: skip
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [json.dumps(spec, ensure_ascii=False) for spec in _charts(at)]
    parts += [str(s.options) for s in at.selectbox] + [str(m.options) for m in at.multiselect]
    return "\n".join(parts)


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def _latest(engine: Engine) -> campaigns.CampaignInfo:
    return campaigns.list_campaigns(engine)[0]


def _last_closed(engine: Engine) -> campaigns.CampaignInfo:
    """The campaign whose results the dashboards show while this year's is open."""
    return next(c for c in campaigns.list_campaigns(engine) if c.is_closed())


# ---------------------------------------------------------------------------
# regional chamber
# ---------------------------------------------------------------------------


def test_regional_dashboard_draws_every_section_with_caption_and_alt_text(
    app_as: Callable[[Role], SignedIn],
) -> None:
    at, _ = _page(app_as, Role.REGIONAL, REGIONAL)
    titles = [s.value for s in at.subheader]
    for expected in (
        "Participation par famille juridique",
        "Participation par tranche de taille",
        "Organisations à relancer",
        "Répartition des scores — Ensemble",
        "Score moyen par thème et par famille juridique",
        "La région et la France entière",
        "Les thèmes qui progressent le moins",
        "Les thèmes au plus fort potentiel d’amélioration",
        "Évolution d’une campagne à l’autre",
        "Réponses, question par question",
    ):
        assert expected in titles
    specs = _charts(at)
    assert len(specs) >= 9
    for spec in specs:
        assert spec.get("description"), spec.get("title")  # alt text
    assert len(at.caption) >= len(specs)


def test_participation_counts_and_the_reminder_list(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    at, actor = _page(app_as, Role.REGIONAL, REGIONAL)
    rows = campaigns.participation(demo_db, actor, _latest(demo_db).id)
    assert len(rows) > 250  # the demo region has several hundred organisations
    by_family = _frame(at, "Famille juridique", "Soumise")
    assert set(by_family["Famille juridique"]) == {
        LEGAL_FAMILIES[f] for f in {r.legal_family for r in rows}
    }
    shown_total = sum(int(v.replace("\u202f", "")) for v in by_family["Total"])
    assert shown_total == len(rows)
    reminders = _frame(at, "Organisation", "Contacts")
    expected = {r.name for r in rows if r.status in ("not_started", "draft")}
    assert set(reminders["Organisation"]) == expected
    assert set(reminders["Statut"]) <= {"Non commencée", "En cours (brouillon)"}
    # the export for reminders holds the very rows on screen
    figure = dashboards.participation_list([r for r in rows if r.status != "submitted"])
    exported = _csv_rows(exports.table_csv(figure.header, figure.export_rows()))
    assert exported[0] == list(reminders.columns)
    assert [row[0] for row in exported[1:]] == list(reminders["Organisation"])


def test_an_open_campaign_shows_its_participation_live_and_the_last_closed_results(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    open_, closed = _latest(demo_db), _last_closed(demo_db)
    assert open_.is_open() and closed.is_closed()
    for role, url, region in (
        (Role.REGIONAL, REGIONAL, demo.DEMO_REGION),
        (Role.NATIONAL, NATIONAL, None),
    ):
        at, actor = _page(app_as, role, url)
        assert at.selectbox[0].value == open_  # the campaign running now
        notes = [str(i.value) for i in at.info]
        waiting = typo(f"Les résultats de la campagne « {open_.label} » seront publiés")
        assert any(waiting in n and closed.label in n for n in notes), notes
        # participation is this campaign's, live; no score figure of it is read
        shown = _everything(at)
        assert "Participation par" in shown
        with pytest.raises(privacy.NotPublished):
            privacy.table(demo_db, actor, campaign_year=open_.year, region=region)
        # the results shown are the closed campaign's: its heatmap, as the layer gives it
        grid = grid_store.get_grid(demo_db, closed.grid_id, closed.grid_version)
        if role is Role.REGIONAL:
            figure = dashboards.theme_heatmap(
                demo_db, actor, grid, campaign_year=closed.year, dim="legal_family",
                region=region,
            )  # fmt: skip
            screen = _frame(at, "Thème", LEGAL_FAMILIES["association"])
            assert [list(map(str, r)) for r in screen.itertuples(index=False)] == [
                list(map(str, r)) for r in figure.display_rows()
            ]


def test_with_every_campaign_open_no_score_figure_is_shown(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    # no campaign has closed yet: the network sees participation, and no result
    soon = date.today() + timedelta(days=30)
    with demo_db.begin() as conn:
        conn.execute(text("UPDATE campaigns SET closed_at = NULL, closes_on = :d"), {"d": soon})
    reset_process_caches()
    for role, url in ((Role.REGIONAL, REGIONAL), (Role.NATIONAL, NATIONAL)):
        at, actor = _page(app_as, role, url)
        notes = " ".join(str(i.value) for i in at.info)
        assert typo("Aucune campagne n'est encore close.") in notes, notes
        shown = _everything(at)
        assert "Participation par" in shown
        for title in ("Score moyen", "Répartition des scores", "Évolution d’une campagne"):
            assert title not in shown, (role, title)
        for campaign in campaigns.list_campaigns(demo_db):
            assert not privacy.published(demo_db, actor, campaign.year)


def test_the_national_map_is_titled_with_the_published_campaign(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    open_, closed = _latest(demo_db), _last_closed(demo_db)
    at, _ = _page(app_as, Role.NATIONAL, NATIONAL)
    assert at.selectbox(key="national_campaign").value == open_
    tile_map = next(s for s in _charts(at) if "Carte en tuiles" in s.get("description", ""))
    title = json.dumps(tile_map.get("title"), ensure_ascii=False)
    assert str(closed.year) in title and str(open_.year) not in title, title
    assert typo(f"Score moyen par région — campagne {closed.year}") in [
        s.value for s in at.subheader
    ]


def test_a_chamber_never_sees_another_regions_figures(
    app_as: Callable[[Role], SignedIn],
) -> None:
    at, _ = _page(app_as, Role.REGIONAL, REGIONAL)
    shown = _everything(at)
    assert REGIONS_BY_CODE[demo.DEMO_REGION].name in shown
    for name in OTHER_REGIONS:
        assert name not in shown, name


def test_groups_under_k_are_hidden_with_a_note(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    at, actor = _page(app_as, Role.REGIONAL, REGIONAL)
    k = get_settings().min_group_size
    campaign = _last_closed(demo_db)
    rows = campaigns.participation(demo_db, actor, campaign.id)
    submitted = Counter(r.legal_family for r in rows if r.status == "submitted")
    small = [LEGAL_FAMILIES[f] for f, n in submitted.items() if n < k]
    heat = _frame(at, "Thème", LEGAL_FAMILIES["association"])
    for family in small:
        assert set(heat[family]) == {HIDDEN}, family  # no figure for a group under k
    # every cell the layer hides is hidden on screen, and the page says how many and why
    grid = grid_store.get_grid(demo_db, campaign.grid_id, campaign.grid_version)
    figure = dashboards.theme_heatmap(
        demo_db, actor, grid, campaign_year=campaign.year, dim="legal_family", region=actor.region
    )
    assert figure.hidden > 0 and figure.hidden_note
    assert any(figure.hidden_note in str(c.value) for c in at.caption)
    tbl = privacy.table(
        demo_db, actor, campaign_year=campaign.year, dims=("legal_family",), region=actor.region
    )
    for cell in tbl.cells:
        if cell.hidden_reason is not None:  # the overall score's row
            assert heat[LEGAL_FAMILIES[cell.key["legal_family"]]].iloc[0] == HIDDEN
    # the heatmap draws hidden cells as hidden, never as a value
    spec = next(s for s in _charts(at) if s.get("title") == figure.title)
    drawn = [v for v in spec["data"]["values"] if v["column"] in small or v["hidden"]]
    assert drawn and all(v["hidden"] and v["label"] == HIDDEN for v in drawn)


def test_exports_match_the_screen(app_as: Callable[[Role], SignedIn], demo_db: Engine) -> None:
    at, actor = _page(app_as, Role.REGIONAL, REGIONAL)
    campaign = _last_closed(demo_db)
    grid = grid_store.get_grid(demo_db, campaign.grid_id, campaign.grid_version)
    figure = dashboards.theme_heatmap(
        demo_db, actor, grid, campaign_year=campaign.year, dim="legal_family", region=actor.region
    )
    screen = _frame(at, "Thème", LEGAL_FAMILIES["association"])
    exported = _csv_rows(exports.table_csv(figure.header, figure.export_rows()))
    assert exported[0] == list(screen.columns)
    assert exported[1:] == [list(map(str, row)) for row in screen.itertuples(index=False)]
    workbook = exports.tables_xlsx([(figure.title, figure.header, figure.export_rows())])
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(workbook)).active
    cells = [[str(c.value) for c in row] for row in sheet.iter_rows()]
    assert cells[0] == list(screen.columns)
    assert cells[1:] == [list(map(str, row)) for row in screen.itertuples(index=False)]


def test_shared_answers_one_by_one_and_side_by_side(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    at, actor = _page(app_as, Role.REGIONAL, REGIONAL)
    shared = campaigns.shared_assessments(demo_db, actor, _latest(demo_db).id)
    assert len(shared) >= 2
    picker = at.multiselect(key="cress_shared")
    assert set(picker.options) == {typo(s.name) for s in shared}
    answers = _frame(at, "Thème", "Question")
    assert list(answers.columns) == ["Thème", "Question", "Horizon", shared[0].name]
    picker.select(shared[1].assessment_id).run()
    assert not at.exception
    answers = _frame(at, "Thème", "Question")
    assert list(answers.columns)[3:] == [shared[0].name, shared[1].name]
    scores = _frame(at, "Thème", f"{shared[1].name} — État des lieux")
    assert any(c.startswith(shared[0].name) for c in scores.columns)


# ---------------------------------------------------------------------------
# national body
# ---------------------------------------------------------------------------


def test_national_overview_shows_every_region_and_the_tile_map(
    app_as: Callable[[Role], SignedIn],
) -> None:
    at, _ = _page(app_as, Role.NATIONAL, NATIONAL)
    specs = _charts(at)
    tile_map = next(s for s in specs if "Carte en tuiles" in s.get("description", ""))
    assert len(tile_map["data"]["values"]) == 18
    assert all(typo(region.name) in tile_map["description"] for region in REGIONS)
    heat = _frame(at, "Région", "Gouvernance")
    assert list(heat["Région"]) == [r.name for r in REGIONS]
    # small regions (Mayotte's handful of organisations) are hidden, never zero
    mayotte = heat[heat["Région"] == "Mayotte"].iloc[0]
    assert set(mayotte.iloc[1:]) == {HIDDEN}
    participation = _frame(at, "Région", "Soumise")
    assert REGIONS_BY_CODE[demo.DEMO_REGION].name in set(participation["Région"])
    for spec in specs:
        assert spec.get("description")


def test_national_drill_down_into_one_region(app_as: Callable[[Role], SignedIn]) -> None:
    at, _ = _page(app_as, Role.NATIONAL, NATIONAL)
    at.selectbox(key="national_region").select("84").run()
    assert not at.exception
    assert "Auvergne-Rhône-Alpes" in [h.value for h in at.header]
    titles = [s.value for s in at.subheader]
    assert titles.count("La région et la France entière") == 1
    assert "Répartition des scores — Ensemble" in titles


def test_national_body_prepares_pseudonymised_microdata(
    app_as: Callable[[Role], SignedIn],
) -> None:
    at, _ = _page(app_as, Role.NATIONAL, NATIONAL)
    next(b for b in at.button if b.label == "Préparer les microdonnées").click().run()
    assert not at.exception
    assert "pseudonymisées" in " ".join(str(s.value) for s in at.success)


def test_other_roles_cannot_open_the_dashboards(app_as: Callable[[Role], SignedIn]) -> None:
    for role, url in (
        (Role.REGIONAL, NATIONAL),
        (Role.MEMBER, REGIONAL),
        (Role.NATIONAL, REGIONAL),
    ):
        at = app_as(role).app
        open_page(at, url).run()
        assert "n'est pas accessible" in warnings_text(at).replace("’", "'")
        assert not at.get("vega_lite_chart")


# ---------------------------------------------------------------------------
# reruns draw the charts from their cached specifications
# ---------------------------------------------------------------------------


def _drawn(at: AppTest) -> list[str]:
    return [c.proto.spec for c in at.get("vega_lite_chart")]


def test_dashboard_charts_are_built_once_per_data_and_parameters(
    app_as: Callable[[Role], SignedIn],
) -> None:
    chart_cache.clear()
    at, _ = _page(app_as, Role.REGIONAL, REGIONAL)
    first = chart_cache.stats()
    specs = _drawn(at)
    assert len(specs) >= 9 and first["built"] == len(specs)
    at.run()
    again = chart_cache.stats()
    assert again["built"] == first["built"]  # nothing built nor validated again
    assert again["reused"] - first["reused"] == len(specs)
    assert _drawn(at) == specs  # the same charts, alt text included
    # another parameter: only the chart it changes is built
    dims = list(dashboards.GROUP_DIMS)
    at.radio(key="cress_heat_dim").set_value(dims[1]).run()
    assert not at.exception
    assert chart_cache.stats()["built"] == again["built"] + 1
    changed = [s for s in _drawn(at) if s not in specs]
    assert len(changed) == 1 and dashboards.GROUP_DIMS[dims[1]].lower() in changed[0].lower()
    # a chamber's other browser session: the same data, the same specifications
    other, _ = _page(app_as, Role.REGIONAL, REGIONAL)
    assert chart_cache.stats()["built"] == again["built"] + 1
    assert _drawn(other) == specs


def test_national_overview_reruns_reuse_its_charts(app_as: Callable[[Role], SignedIn]) -> None:
    chart_cache.clear()
    at, _ = _page(app_as, Role.NATIONAL, NATIONAL)
    first = chart_cache.stats()
    specs = _drawn(at)
    assert specs and first["built"] == len(specs)
    at.run()
    assert chart_cache.stats()["built"] == first["built"]
    assert _drawn(at) == specs
    for spec in _charts(at):
        assert spec.get("description"), spec.get("title")
