"""Across grid versions: a new campaign on a new version while the old campaign's
assessments still open and score; a renamed question and item keep their history
in the progress chart, and the chart says where the version changed."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from streamlit import dataframe_util

from assessment import accounts, assessments, campaigns, grid_store, privacy
from assessment.campaigns import CampaignError, create_campaign
from assessment.permissions import Actor, Role
from assessment.scoring import score
from assessment.web import auth_routes
from assessment.web.views import filling

from .conftest import GUIDE, new_app, open_page
from .html_tables import table_with
from .test_filling import PASSWORD, SYSTEM, Env, fill_required, make_env, session_cookie
from .test_results import RESULTS


def _charts(at) -> list[dict]:  # type: ignore[no-untyped-def]
    """Each chart's specification with the values of its datasets under "values"."""
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        frames = [chart.proto.data.data] if chart.proto.HasField("data") else []
        frames += [named.data.data for named in chart.proto.datasets]
        values = []
        for layer in spec.get("layer", []):
            inline = layer.get("data", {}).get("values")
            if isinstance(inline, list):
                values += [v for v in inline if v not in values]
        for data in frames:
            values += dataframe_util.convert_arrow_bytes_to_pandas_df(data).to_dict("records")
        spec["values"] = values
        out.append(spec)
    return out


GUIDE_ID = "guide-bonnes-pratiques-ess"
SHIPPED = (GUIDE / "guide-bonnes-pratiques-ess.yaml").read_text(encoding="utf-8")
# the shipped default grid's version: the latest published one, that the test campaign uses
CURRENT = re.search(r'^version: "([^"]+)"', SHIPPED, re.M).group(1)  # type: ignore[union-attr]
NEXT = (
    SHIPPED.replace(f'version: "{CURRENT}"', 'version: "2027.1"')
    .replace(
        "  - id: gouvernance\n",
        "  - id: gouvernance-democratique\n    replaces: [gouvernance]\n",
        1,
    )
    .replace(
        "      - id: gouv-regles\n",
        "      - id: gouv-regles-ecrites\n        replaces: [gouv-regles]\n",
        1,
    )
)


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    privacy.clear_caches()
    return make_env(web_db, cookies)


def _next_version(env: Env) -> int:
    """Publish 2027.1 (an item and a question renamed) and open next year's campaign on it."""
    result = grid_store.save_draft(env.engine, SYSTEM, NEXT)
    assert result.ok, result.problems
    grid_store.publish(env.engine, SYSTEM, GUIDE_ID, "2027.1")
    today = date.today()
    return create_campaign(
        env.engine,
        SYSTEM,
        year=env.year + 1,
        opens_on=today,
        closes_on=today + timedelta(days=30),
        grid_version="2027.1",
    )


def test_old_campaign_keeps_opening_and_scoring_on_its_version(env: Env) -> None:
    old = fill_required(env.engine, env.grid, env.org, env.campaign, level=2)
    new_campaign = _next_version(env)
    assert campaigns.current_campaign(env.engine).id == new_campaign  # type: ignore[union-attr]
    # the old campaign is still open: its assessment opens, changes and scores on its version
    state = assessments.get_assessment(env.engine, env.admin, old)
    assert (state.grid_id, state.grid_version) == (GUIDE_ID, CURRENT)
    revision = assessments.save_answer(
        env.engine, env.admin, old, "gouv-regles", "current", 4, expected_revision=state.revision
    )
    assessments.submit(env.engine, env.admin, old, expected_revision=revision)
    state = assessments.get_assessment(env.engine, env.admin, old)
    report = score(grid_store.get_grid(env.engine, GUIDE_ID, CURRENT), state.answers)
    assert report.items["gouvernance"]["current"] is not None
    # retiring it: no new campaign on it, but what was answered stays readable
    grid_store.retire(env.engine, SYSTEM, GUIDE_ID, CURRENT)
    assert grid_store.get_grid(env.engine, GUIDE_ID, CURRENT).version == CURRENT
    with pytest.raises(CampaignError, match="retirée"):
        create_campaign(
            env.engine,
            SYSTEM,
            year=env.year + 2,
            opens_on=date.today(),
            closes_on=date.today(),
            grid_version=CURRENT,
        )
    at = env.app(RESULTS).run()
    assert not at.exception
    at.selectbox(key="results:year").set_value(env.year).run()
    assert not at.exception
    table = {r["Thème"]: r for r in table_with(at, "Score de chaque thème")["records"]}
    assert table["Gouvernance"]["État des lieux"] != "—"


def test_a_renamed_question_keeps_its_history_in_the_progress_chart(env: Env) -> None:
    last = env.last_years_campaign()
    fill_required(env.engine, env.grid, env.org, last, level=1, submit=True)
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2, submit=True)
    new_campaign = _next_version(env)
    new_grid = grid_store.get_grid(env.engine, GUIDE_ID, "2027.1")
    fill_required(
        env.engine, new_grid, env.org, new_campaign, level=3, keep=("gouvernance-democratique",)
    )
    at = env.app(RESULTS).run()
    assert not at.exception
    at.radio(key="results:series").set_value("Une question").run()
    at.selectbox(key="results:question").set_value(new_grid.question("gouv-regles-ecrites")).run()
    assert not at.exception
    progress = next(s for s in _charts(at) if str(s.get("title", "")).startswith("Score de l’"))
    assert [(v["campaign"], v["score"]) for v in progress["values"] if "score" in v] == [
        (str(env.year - 1), 25.0),
        (str(env.year), 50.0),
        (str(env.year + 1), 75.0),
    ]
    breaks = [v["campaign"] for v in progress["values"] if v.get("note")]
    assert breaks == [str(env.year + 1)]
    assert {v["note"] for v in progress["values"] if v.get("note")} == {
        "Nouvelle version de la grille"
    }
    captions = " ".join(str(c.value) for c in at.caption).replace("\u202f", " ")
    assert "La grille a changé de version" in captions
    assert f"{CURRENT} → 2027.1" in captions
    # the renamed item too, and last year's goal is compared with this year's state
    at.radio(key="results:series").set_value("Chaque thème").run()
    progress = next(s for s in _charts(at) if s.get("title") == "Gouvernance")  # its panel
    governance = [
        (v["campaign"], v["score"]) for v in progress["values"] if v.get("series") == "Gouvernance"
    ]
    assert [c for c, _ in governance] == [str(env.year - 1), str(env.year), str(env.year + 1)]
    attained = table_with(at, "Objectifs")["records"]
    assert next(r for r in attained if r["Thème"] == "Gouvernance")["Résultat"] == "Atteint"


def test_starting_from_last_years_answers_follows_replaces_and_says_so(env: Env) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2, submit=True)
    _next_version(env)
    at = env.app().run()
    assert not at.exception
    start = next(b for b in at.button if b.label.startswith("Partir des réponses"))
    start.click().run()
    assert not at.exception
    # the renamed question holds last year's answer
    assert at.radio(key=filling.widget_key("gouv-regles-ecrites", "current")).value == 2
    said = " ".join(str(i.value) for i in at.info).replace("\\", "")
    assert f"version {CURRENT} de la grille" in said and "version 2027.1" in said
    assert "relisez-les" in said
    at.button(key="fill:carried_seen").click().run()
    assert not any(f"version {CURRENT} de la grille" in str(i.value) for i in at.info)


def test_regional_trends_follow_the_renamed_theme_and_say_where_the_version_changed(
    env: Env,
) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2, submit=True)
    _next_version(env)
    for campaign in campaigns.list_campaigns(env.engine):  # results: from the close
        campaigns.close_campaign(env.engine, SYSTEM, campaign.id)
    region = "53"  # make_env's organisation
    user = accounts.create_user(
        env.engine, SYSTEM, email="cress53@test.fr", password=PASSWORD, role=Role.REGIONAL,
        region=region,
    )  # fmt: skip
    actor = Actor(user_id=user, email="cress53@test.fr", role=Role.REGIONAL, region=region)
    env.cookies[auth_routes.SESSION_COOKIE] = session_cookie(env.engine, actor)
    at = open_page(new_app(), "tableau-regional").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(str(c.value) for c in at.caption).replace("\u202f", " ")
    assert "La grille a changé de version" in captions
    expected = f"{env.year} → {env.year + 1} (version {CURRENT} → 2027.1)"
    assert expected in captions.replace("\xa0", " ")
    trends = next(s for s in _charts(at) if str(s.get("title", "")).startswith("Évolution d"))
    columns = {v["column"] for v in trends["values"] if "column" in v}
    assert columns == {f"{env.year} · version {CURRENT}", f"{env.year + 1} · version 2027.1"}
    rows = {v["row"] for v in trends["values"] if "row" in v}
    assert "Gouvernance démocratique" in rows or "Gouvernance" in rows
