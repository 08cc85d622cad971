"""Pages that read on any screen (AppTest): answer groups named by their question,
the filling page's sticky progress line and contents, results tables and charts
that fit a phone, figures that add up."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import Engine
from streamlit.proto.LabelVisibility_pb2 import LabelVisibility

from assessment import assessments, campaigns, privacy
from assessment.grid import LevelQuestion, NumberQuestion, text
from assessment.web import screen
from assessment.web.views import filling, results

from .html_tables import table_with
from .test_filling import SYSTEM, Env, fill_required, make_env

RESULTS = "resultats"
COLLAPSED = LabelVisibility.COLLAPSED


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    privacy.clear_caches()
    return make_env(web_db, cookies)


def _html(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(h.proto.body) for h in at.html)


def test_every_answer_group_is_named_by_its_question_and_horizon(env: Env) -> None:
    at = env.app().run()
    assert not at.exception
    grid = env.grid
    horizons = {h.id: text(h.label, grid.language) for h in grid.horizons}
    radios = {r.key: r for r in at.radio}
    checked = 0
    for _item, question in grid.questions():
        if not isinstance(question, LevelQuestion) or question.show_if is not None:
            continue
        label = text(question.label, grid.language)
        for horizon in grid.question_horizons(question):
            radio = radios.get(filling.widget_key(question.id, horizon))
            if radio is None:  # a theme not shown
                continue
            # the accessible name: the horizon shown, then the question
            assert radio.label == f"{horizons[horizon]} — {label}"
            # the long name is not printed: the horizon is shown above the group
            assert radio.proto.label_visibility.value == COLLAPSED
            checked += 1
    assert checked > 20
    names = [r.label for r in at.radio if r.key and r.key.startswith("fill:q:")]
    assert len(names) == len(set(names)), "two answer groups with the same name"
    # what is shown: the horizon (and an indicator's unit), hidden from screen readers
    body = _html(at)
    assert '<p class="ess-answer-label" aria-hidden="true">État des lieux</p>' in body
    # a number is typed in a text field (French decimal commas)
    number = at.text_input(key=filling.widget_key("soc-ecart-remunerations", "current"))
    question = grid.question("soc-ecart-remunerations")
    assert isinstance(question, NumberQuestion)
    assert number.label.startswith("État des lieux (") and number.label.endswith(
        text(question.label, grid.language)
    )


def test_the_progress_line_and_contents_stay_on_top(env: Env) -> None:
    at = env.app().run()
    assert not at.exception
    body = _html(at)
    # the sticky container (its key's CSS class) holds the progress and the contents
    assert ".st-key-fill-progress { position: sticky;" in body
    nav = re.search(r'<nav class="ess-contents" aria-label="([^"]+)">(.*?)</nav>', body)
    assert nav is not None and nav.group(1) == "Sommaire de l’auto-évaluation"
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>(?: <span[^>]*>([^<]*)</span>)?', nav[2])
    grid = env.grid
    expected = [f"theme-{item.id}" for item in grid.items] + ["vue-systemique", "soumettre"]
    assert [anchor for anchor, _, _ in links] == expected
    first = grid.items[0]
    assert links[0][1] == text(first.short_title or first.title, grid.language)
    required = links[0][2]
    assert re.fullmatch(r"0/\d+", required), required
    # every link has its target on the page (the headings' anchors)
    anchors = {str(h.proto.anchor) for h in at.subheader}
    for anchor in expected:
        assert anchor in anchors or f'id="{anchor}"' in body, anchor
    # an answer moves the section's count
    at.radio(key=filling.widget_key("gouv-regles", "current")).set_value(2).run()
    nav = re.search(r'<nav class="ess-contents"[^>]*>(.*?)</nav>', _html(at))
    assert nav is not None
    assert re.search(r'href="#theme-gouvernance">[^<]+</a> <span[^>]*>1/\d+<', nav[1])
    # an optional theme left out says so (the answer reran its item and the progress
    # only: a full run shows the rest of the page again)
    at.run()
    at.checkbox(key=filling.theme_key("ethique")).uncheck().run()
    assert 'href="#theme-ethique">Éthique</a> <span class="ess-contents__status">non traité' in (
        _html(at)
    )


def test_radio_arrows_stop_at_the_ends(env: Env) -> None:
    """The script that keeps the right arrow on level 4 from wrapping to 0 is on the page."""
    at = env.app().run()
    assert "window.__essRadioEnds" in _html(at)
    assert "querySelectorAll('input[type=\"radio\"]:not(:disabled)')" in screen._RADIO_ENDS


def test_results_tables_are_html_with_row_headers(env: Env) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2)
    at = env.app(RESULTS).run()
    assert not at.exception
    assert not at.dataframe  # a canvas table showed only « Thème » on a phone
    table = table_with(at, "Score de chaque thème à chaque horizon")
    horizons = [text(h.label, env.grid.language) for h in env.grid.horizons]
    assert table["header"] == ["Thème", *horizons]
    assert table["row_headers"] == len(table["records"])  # <th scope="row">
    assert table["records"][-1]["Thème"] in {"Ensemble", text(env.grid.systemic.title, "fr")}  # type: ignore[union-attr]


def test_priorities_add_up_as_shown(env: Env) -> None:
    """« de 63 à 88 (+25 points) »: the difference is the one of the figures shown."""
    state = assessments.open_assessment(env.engine, SYSTEM, env.org, env.campaign)
    revision = state.revision
    levels = [
        q for item, q in env.grid.questions() if item is not None and isinstance(q, LevelQuestion)
    ]
    for index, question in enumerate(levels):
        for horizon, value in (("current", 2 + index % 2), ("goal_1y", 3 + index % 2)):
            revision = assessments.save_answer(
                env.engine, SYSTEM, state.id, question.id, horizon, value,
                expected_revision=revision,
            )  # fmt: skip
    at = env.app(RESULTS).run()
    assert not at.exception
    lines = [
        m
        for m in "\n".join(str(m.value) for m in at.markdown).splitlines()
        if re.match(r"\d+\. \*\*", m)
    ]
    assert lines
    for line in lines:
        found = re.search(r"de (\d+) / 100 à (\d+) / 100 \(\+(\d+) points\)", line)
        assert found is not None, line
        start, end, gap = (int(g) for g in found.groups())
        assert end - start == gap, line


def test_history_of_each_theme_is_small_multiples_and_the_draft_is_provisional(
    env: Env,
) -> None:
    last = env.last_years_campaign()
    keep = [item.id for item in env.grid.items]
    fill_required(env.engine, env.grid, env.org, last, level=1, keep=keep, submit=True)
    campaigns.close_campaign(env.engine, SYSTEM, last)
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2, keep=keep)
    at = env.app(RESULTS).run()
    assert not at.exception
    assert any("provisoire (point creux)" in str(c.value) for c in at.caption)
    at.radio(key=f"{results.PREFIX}:series").set_value("Chaque thème").run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    titles = [s.get("title") for s in specs]
    short = [results.item_label(env.grid, item.id) for item in env.grid.items]
    assert [t for t in titles if t in short] == short  # one small chart per theme
    panel = specs[titles.index(short[0])]
    axis = panel["layer"][1]["encoding"]["x"]["axis"]
    assert axis["labelAngle"] == 0 and f"'{env.year}'" in axis["labelExpr"]


def test_contents_links_scroll_and_move_the_focus() -> None:
    script = screen._RADIO_ENDS
    assert """closest('nav.ess-contents a[href^="#"]')""" in script
    assert "target.scrollIntoView" in script and "target.focus({ preventScroll: true })" in script
