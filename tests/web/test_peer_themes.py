"""Peers, theme by theme, through the real privacy layer: an organisation that rates
only its strongest theme does not rank above its peers overall."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from assessment import assessments, campaigns, privacy
from assessment.comparisons import standing, theme_comparisons
from assessment.french import NBSP, NNBSP
from assessment.grid import Grid
from assessment.scoring import score
from assessment.web.views import results

from .test_filling import SYSTEM, Env, make_env, new_org
from .test_results import PEER_TITLE, _title

STRONGEST = "gouvernance"
SYSTEMIC_LEVEL = 2


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    privacy.clear_caches()
    return make_env(web_db, cookies)


def submit_all(env: Env, organisation_id: int, levels: dict[str, int]) -> int:
    """Every required cell of the themes of ``levels`` at that level (goals alike) and
    of the systemic view, the other themes not addressed, submitted."""
    grid: Grid = env.grid
    state = assessments.open_assessment(env.engine, SYSTEM, organisation_id, env.campaign)
    cells = [
        assessments.CellChange(
            question.id, horizon, levels[item.id] if item is not None else SYSTEMIC_LEVEL
        )
        for item, question in grid.questions()
        if (item is None or item.id in levels) and question.is_required
        for horizon in grid.question_horizons(question)
    ]
    skipped = [i.id for i in grid.items if i.optional and i.id not in levels]
    rev = assessments.save_cells(
        env.engine, SYSTEM, state.id, cells, not_addressed=skipped,
        expected_revision=state.revision,
    )  # fmt: skip
    assessments.submit(env.engine, SYSTEM, state.id, expected_revision=rev)
    return state.id


def test_rating_only_the_strongest_theme_does_not_rank_above_peers(env: Env) -> None:
    grid = env.grid
    themes = [item.id for item in grid.items]
    # the peers rate every theme: 3 on governance, 1 elsewhere
    peer_levels = {t: 1 for t in themes} | {STRONGEST: 3}
    for _ in range(12):
        submit_all(env, new_org(env.engine), peer_levels)
    # our organisation is like its peers, a little better on its strongest theme, and
    # rates only that theme
    submit_all(env, env.org, {STRONGEST: 4})
    state = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert state is not None
    report = score(grid, state.answers, state.not_addressed)
    peers_report = score(grid, _answers_at(grid, peer_levels))
    # bare overall scores would put it far above its peers…
    assert report.overall["current"] == 100.0 > peers_report.overall["current"]  # type: ignore[operator]

    campaigns.close_campaign(env.engine, SYSTEM, env.campaign)  # peers: from the close
    tables = privacy.peers(env.engine, env.admin, env.org, campaign_year=env.year)
    comparisons = theme_comparisons(grid, report, results.peer_groups(tables))
    summary = standing(comparisons)
    # … theme by theme, among the organisations that addressed the theme, it is above
    # them on one theme out of the grid's themes: not above its peers overall
    assert summary.above == 1 and summary.total == len(themes)
    assert not summary.ranks_above
    assert [c.item_id for c in comparisons if c.compared] == [STRONGEST]

    at = env.app("resultats").run()
    assert not at.exception
    said = "\n".join(str(m.value) for m in at.markdown).replace(NBSP, " ").replace(NNBSP, " ")
    assert f"pour 1 thème sur {len(themes)}" in said
    assert "Le score d’ensemble n’est pas comparé" in said
    titles = [_title(s) for s in _chart_specs(at)]
    peer_titles = [t for t in titles if t.startswith(PEER_TITLE)]
    assert peer_titles and all(t.replace(NBSP, " ").endswith(" : Gouvernance") for t in peer_titles)


def _answers_at(grid: Grid, levels: dict[str, int]) -> dict[str, dict[str, Any]]:
    return {
        question.id: {h: levels[item.id] for h in grid.question_horizons(question)}
        for item, question in grid.questions()
        if item is not None and question.is_required
    }


def _chart_specs(at: Any) -> list[dict[str, Any]]:
    import json

    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
