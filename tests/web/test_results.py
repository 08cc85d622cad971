"""« Résultats » as a user sees it: scores, chart, priorities, progress, peers, downloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit import dataframe_util

from assessment import assessments, campaigns, privacy
from assessment.french import typo
from assessment.scoring import score

from .html_tables import table_with
from .test_filling import SYSTEM, Env, fill_required, make_env, new_org

PEER_TITLE = "Comparaison avec des organisations comparables"
"""How the results page titles its peer chart, theme by theme (« … : Gouvernance »)."""
RESULTS = "resultats"


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    privacy.clear_caches()
    return make_env(web_db, cookies)


def _charts(at) -> list[dict]:  # type: ignore[no-untyped-def]
    """Each chart's specification, its data (sent apart, as Arrow) back under "data"."""
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if chart.proto.HasField("data"):
            frame = dataframe_util.convert_arrow_bytes_to_pandas_df(chart.proto.data.data)
            spec["data"] = {"values": frame.to_dict("records")}
        out.append(spec)
    return out


def _title(spec: dict) -> str:  # type: ignore[type-arg]
    title = spec.get("title", "")
    return str(title.get("text", "") if isinstance(title, dict) else title)


def _answers(env: Env) -> tuple[dict[str, Any], frozenset[str]]:
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None
    return dict(stored.answers), frozenset(stored.not_addressed)


def _info(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(i.value) for i in at.info)


def test_scores_table_and_goals_chart(env: Env) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2)
    at = env.app(RESULTS).run()
    assert not at.exception
    table = {r["Thème"]: r for r in table_with(at, "Score de chaque thème")["records"]}
    row = table["Gouvernance"]
    assert row["État des lieux"] == "50 / 100"
    assert row["Objectif à 1 an"] == "75 / 100"
    assert table["Environnement"]["État des lieux"] == "Non traité"
    assert "Résultats provisoires" in _info(at)  # not submitted yet
    specs = _charts(at)
    goals = specs[0]
    assert goals["title"] == "État des lieux et objectifs par thème"
    assert {v["item"] for v in goals["data"]["values"]} == {"Gouvernance"}
    # priorities: the gap to the 1-year goal
    assert any("Gouvernance" in str(m.value) and "+25 points" in str(m.value) for m in at.markdown)
    # every required answer given: the count says complete, optional answers apart
    report = score(env.grid, *_answers(env))
    counts = report.completion.counts
    assert counts.required_answered == counts.required_expected > 0
    caption = (
        f"Scores sur 100. {counts.required_expected} / {counts.required_expected} réponses "
        f"obligatoires · 0 / {counts.optional_expected} facultatives."
    )
    assert caption in [str(c.value) for c in at.caption]
    labels = [d.label for d in at.get("download_button")]
    assert labels == [
        "Rapport (PDF)",
        "Rapport (Word)",
        "Rapport (ODT)",
        "Version courte (PDF)",
        "Version courte (Word)",
        "Version courte (ODT)",
        "Résultats (CSV)",
        "Résultats (XLSX)",
        "Résultats (JSON)",
        "Auto-évaluation à transférer (JSON)",  # the admin's
    ]


def _close(env: Env) -> None:
    """Close the campaign: its figures, the peer comparison among them, are published."""
    campaigns.close_campaign(env.engine, SYSTEM, env.campaign)
    privacy.clear_caches()


def test_peer_comparison_arrives_at_the_close(env: Env) -> None:
    """While the campaign is open, the results page shows the organisation's own scores
    and says when and why the comparison arrives; it shows it once the campaign is closed."""
    fill_required(env.engine, env.grid, env.org, env.campaign, submit=True)
    for _ in range(11):
        fill_required(env.engine, env.grid, new_org(env.engine), env.campaign, level=3, submit=True)
    at = env.app(RESULTS).run()
    assert typo("seront publiés à sa clôture") in _info(at)
    assert not [s for s in _charts(at) if _title(s).startswith(PEER_TITLE)]
    _close(env)
    at = env.app(RESULTS).run()
    assert typo("seront publiés à sa clôture") not in _info(at)
    assert [s for s in _charts(at) if _title(s).startswith(PEER_TITLE)]


def test_peer_comparison_only_from_ten_organisations(env: Env) -> None:
    """Quartiles (the box) only from 10 organisations (true and perturbed counts alike);
    counts are perturbed, never exact."""
    fill_required(env.engine, env.grid, env.org, env.campaign, submit=True)
    for _ in range(8):
        fill_required(env.engine, env.grid, new_org(env.engine), env.campaign, submit=True)
    _close(env)
    at = env.app(RESULTS).run()
    assert "Comparaison indisponible" in _info(at)
    assert not [s for s in _charts(at) if _title(s).startswith(PEER_TITLE)]


def test_peer_comparison_of_twelve_organisations(env: Env) -> None:
    """12: even the perturbed count (±2) of the group reaches 10."""
    fill_required(env.engine, env.grid, env.org, env.campaign, submit=True)
    for _ in range(8):
        fill_required(env.engine, env.grid, new_org(env.engine), env.campaign, submit=True)
    for _ in range(3):
        fill_required(env.engine, env.grid, new_org(env.engine), env.campaign, level=3, submit=True)
    _close(env)
    at = env.app(RESULTS).run()
    assert "Comparaison indisponible" not in _info(at)
    peers = next(s for s in _charts(at) if _title(s).startswith(PEER_TITLE))
    # theme by theme, never the overall score (it stands on the themes each one addressed)
    assert _title(peers).replace("\u00a0", " ").endswith(" : Gouvernance")
    said = "\n".join(str(m.value) for m in at.markdown).replace("\u00a0", " ")
    assert "Le score d'ensemble n'est pas comparé" in said.replace("’", "'")
    assert "sur 1 thème traité sur 8" in said
    groups = [v["group"] for v in peers["data"]["values"]]
    assert any(g.startswith("Même région : Bretagne (") for g in groups)
    assert any(g.startswith("Même famille juridique : Association (") for g in groups)
    for value in peers["data"]["values"]:
        assert value["q1"] == round(value["q1"]) and value["q3"] == round(value["q3"])
    assert any("clé de cellule" in str(c.value) for c in at.caption)


def test_progress_and_last_years_goals(env: Env) -> None:
    last = env.last_years_campaign()
    fill_required(env.engine, env.grid, env.org, last, level=1, submit=True)  # goal 1y: 2
    campaigns.close_campaign(env.engine, SYSTEM, last)
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2)  # now: 2
    at = env.app(RESULTS).run()
    assert not at.exception
    progress = next(s for s in _charts(at) if _title(s).startswith("Score de l’état des lieux"))
    assert [(v["campaign"], v["score"]) for v in progress["data"]["values"]] == [
        (str(env.year - 1), 25.0),
        (str(env.year), 50.0),
    ]
    attained = table_with(at, f"Objectifs {env.year - 1}")["records"]
    row = next(r for r in attained if r["Thème"] == "Gouvernance")
    assert row["Résultat"] == "Atteint"  # words in the table cells: no emoji font needed
    assert {r["Résultat"] for r in attained} <= {"Atteint", "Non atteint", "—"}


def test_action_plan_coverage(env: Env) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign)
    at = env.app(RESULTS).run()
    assert "Objectifs sans action" in "\n".join(str(w.value) for w in at.warning)


def _gouvernance(env: Env, campaign: int, levels: dict[str, list[int | None]]) -> int:
    """Gouvernance alone addressed, its required questions at ``levels[horizon][k]``
    (``None``: left unanswered); returns the revision."""
    state = assessments.open_assessment(env.engine, SYSTEM, env.org, campaign)
    others = [i.id for i in env.grid.items if i.optional and i.id != "gouvernance"]
    rev = state.revision
    if set(others) - state.not_addressed:
        rev = assessments.set_not_addressed(
            env.engine, SYSTEM, state.id, others, expected_revision=rev
        )
    required = [
        q for it, q in env.grid.questions() if it is not None and it.id == "gouvernance"
        and q.is_required
    ]  # fmt: skip
    for horizon, values in levels.items():
        assert len(values) == len(required)
        for question, value in zip(required, values, strict=True):
            if value is not None:
                rev = assessments.save_answer(
                    env.engine, SYSTEM, state.id, question.id, horizon, value,
                    expected_revision=rev,
                )  # fmt: skip
    return rev


def test_last_years_goal_is_decided_on_the_scores_shown(env: Env) -> None:
    """Goal 20 / 28 (71.4) last year, 17 / 24 (70.8) now: both read « 71 / 100 », so the
    table says « Atteint » with a gap of 0 (on the decimals it said « Non atteint »)."""
    last = env.last_years_campaign()
    required = [
        q for it, q in env.grid.questions() if it is not None and it.id == "gouvernance"
        and q.is_required
    ]  # fmt: skip
    assert len(required) == 7 and all(q.type == "level" for q in required)
    fill_required(env.engine, env.grid, env.org, last)  # the systemic questions too
    rev = _gouvernance(
        env, last,
        {"current": [2] * 7, "goal_1y": [3, 3, 3, 3, 3, 3, 2], "goal_3y": [3] * 7},
    )  # fmt: skip
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, last)
    assert stored is not None
    assessments.submit(env.engine, SYSTEM, stored.id, expected_revision=rev)
    campaigns.close_campaign(env.engine, SYSTEM, last)
    _gouvernance(env, env.campaign, {"current": [3, 3, 3, 3, 3, 2, None]})
    at = env.app(RESULTS).run()
    assert not at.exception
    attained = table_with(at, f"Objectifs {env.year - 1}")["records"]
    assert len(attained) == 2  # the theme, then the overall row (the same theme alone)
    for row in attained:
        assert row[f"Objectif {env.year - 1}"] == "71 / 100"
        assert row[f"État des lieux {env.year}"] == "71 / 100"
        assert (row["Écart"], row["Résultat"]) == ("0", "Atteint")
