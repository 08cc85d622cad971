"""« Non applicable » as a user sees it: by the grid's ``applies_to`` (the organisation's
profile) and by the organisation's own choice (``may_not_apply``), on the form, in
the read-only view and on the results page, with the overall score's coverage."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from assessment import accounts, assessments, campaigns, grid_store, privacy
from assessment.answers import missing_required
from assessment.campaigns import create_campaign
from assessment.french import NBSP, NNBSP, typo
from assessment.permissions import Actor, Role
from assessment.web.views import filling
from assessment.web.views.results import not_applicable_note

from .html_tables import table_with
from .markdown_text import shown
from .test_filling import (
    PASSWORD,
    SYSTEM,
    Env,
    captions,
    markdown_text,
    new_org,
    progress_text,
    session_cookie,
)

GRID = """\
id: grille-profils
version: "1"
title: Grille de test des profils
scale:
  - {value: 0, label: Non engagé}
  - {value: 1, label: Émergent}
  - {value: 2, label: Structuré}
  - {value: 3, label: Avancé}
  - {value: 4, label: Exemplaire}
horizons:
  - {id: current, label: État des lieux}
  - {id: goal_1y, label: Objectif à 1 an}
items:
  - id: social
    title: Dialogue social
    questions:
      - id: soc-dialogue
        type: level
        label: Les salariés sont consultés
      - id: soc-cse
        type: level
        label: Le CSE est consulté sur les orientations
        applies_to: {size_band: [10-49, 50-249, 250+]}
      - id: soc-locaux
        type: level
        label: Les locaux sont accessibles à tous
        may_not_apply: true
  - id: gouv
    title: Gouvernance
    optional: true
    questions:
      - id: gouv-ag
        type: level
        label: L’assemblée générale se réunit et décide
        variants:
          - applies_to: {legal_family: [foundation]}
            label: Le conseil d’administration se réunit et décide
"""
CSE_LABEL = "Le CSE est consulté sur les orientations"


def plain(value: str) -> str:
    return value.replace(NBSP, " ").replace(NNBSP, " ")


def make_profile_env(
    engine: Engine, cookies: dict[str, str], tmp: Path, family: str = "association"
) -> Env:
    (tmp / "grids").mkdir()
    (tmp / "grids" / "grille-profils.yaml").write_text(GRID, encoding="utf-8")
    grid_store.sync_grids_from_dir(engine, tmp / "grids")
    org = new_org(engine, family=family, size="1-9")
    user_id = accounts.create_user(
        engine, SYSTEM, email="admin@profil.test", password=PASSWORD, role=Role.ORG_ADMIN,
        organisation_id=org,
    )  # fmt: skip
    admin = Actor(user_id=user_id, email="admin@profil.test", role=Role.ORG_ADMIN,
                  organisation_id=org)  # fmt: skip
    today = date.today()
    campaign = create_campaign(
        engine, SYSTEM, year=today.year, opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=60), grid_id="grille-profils",
    )  # fmt: skip
    info = campaigns.get_campaign(engine, campaign)
    # every theme worked on (the form itself starts with optional themes unticked)
    assessments.open_assessment(engine, admin, org, campaign)
    cookie = session_cookie(engine, admin)
    return Env(
        engine=engine, cookies=cookies, org=org, campaign=campaign, year=today.year,
        grid=grid_store.get_grid(engine, info.grid_id, info.grid_version), admin=admin,
        member=admin, admin_cookie=cookie, member_cookie=cookie,
    )  # fmt: skip


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str], tmp_path: Path) -> Env:
    privacy.clear_caches()
    return make_profile_env(web_db, cookies, tmp_path)


def key(question: str, horizon: str) -> str:
    return filling.widget_key(question, horizon)


def stored(env: Env) -> assessments.AssessmentState:
    found = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert found is not None
    return found


def test_a_question_outside_the_profile_is_shown_not_applicable_and_not_expected(
    env: Env,
) -> None:
    at = env.app().run()
    assert not at.exception
    text = plain(markdown_text(at))
    assert CSE_LABEL in text  # the question is named…
    assert "Non applicable à votre organisation (1 à 9 salariés)" in plain("\n".join(captions(at)))
    # … with nothing to answer, and it is not counted in the progress
    assert not [r for r in at.radio if r.key == key("soc-cse", "current")]
    state = stored(env)
    expected = missing_required(env.grid, {}, (), state.not_applicable_ids(env.grid))
    assert {q for _, q, _ in expected} == {"soc-dialogue", "soc-locaux", "gouv-ag"}
    assert f"0 / {len(expected)} réponses obligatoires" in plain(progress_text(at))
    # answering everything that applies allows submission: the CSE never blocks it
    for question in ("soc-dialogue", "soc-locaux", "gouv-ag"):
        for horizon in ("current", "goal_1y"):
            at.radio(key=key(question, horizon)).set_value(2).run()
            at.run()  # an answer reruns its item only: the whole page, as on screen
    assert not at.exception
    assert "Soumission impossible" not in "\n".join(str(e.value) for e in at.error)
    assert f"{len(expected)} / {len(expected)} réponses obligatoires" in plain(progress_text(at))


def test_the_organisation_marks_a_question_not_applicable(env: Env) -> None:
    at = env.app().run()
    at.radio(key=key("soc-locaux", "current")).set_value(0).run()
    box = at.checkbox(key=filling.not_applicable_key("soc-locaux"))
    assert box.label == "Ne nous concerne pas (non applicable)"
    box.check().run()
    assert not at.exception
    assert stored(env).not_applicable == {"soc-locaux"}
    # the answers disappear from the form and from the count; the stored 0 never counts
    assert not [r for r in at.radio if r.key == key("soc-locaux", "current")]
    assert "0 / 4 réponses obligatoires" in plain(progress_text(at))
    # a reload keeps the choice; unticking brings the question back
    again = env.app().run()
    assert again.checkbox(key=filling.not_applicable_key("soc-locaux")).value is True
    again.checkbox(key=filling.not_applicable_key("soc-locaux")).uncheck().run()
    assert stored(env).not_applicable == frozenset()
    assert again.radio(key=key("soc-locaux", "current")).value == 0


def test_read_only_view_and_results_say_non_applicable_and_the_coverage(env: Env) -> None:
    state = assessments.open_assessment(env.engine, SYSTEM, env.org, env.campaign)
    rev = assessments.set_not_addressed(
        env.engine, SYSTEM, state.id, ["gouv"], expected_revision=state.revision
    )
    rev = assessments.set_not_applicable(
        env.engine, SYSTEM, state.id, ["soc-locaux"], expected_revision=rev
    )
    for horizon in ("current", "goal_1y"):
        rev = assessments.save_answer(
            env.engine, SYSTEM, state.id, "soc-dialogue", horizon, 4, expected_revision=rev
        )
        rev = assessments.save_answer(  # stored before the org said it does not apply
            env.engine, SYSTEM, state.id, "soc-cse", horizon, 0, expected_revision=rev
        )
    assessments.submit(env.engine, SYSTEM, state.id, expected_revision=rev)

    at = env.app().run()
    assert not at.exception
    read = plain("\n".join(shown(m.value) for m in at.markdown))
    assert f"{CSE_LABEL}\nNon applicable à votre organisation (1 à 9 salariés)" in read
    assert "Les locaux sont accessibles à tous\nNon applicable (ne concerne pas" in read

    results = env.app("resultats").run()
    assert not results.exception
    records = table_with(results, "Score de chaque thème")["records"]
    social = next(r for r in records if plain(r["Thème"]) == "Dialogue social")
    assert social["État des lieux"] == "100 / 100"  # the CSE's stored 0 is left out, not 0
    overall = records[-1]
    assert plain(overall["Thème"]) == "Ensemble, sur 1 thème traité sur 2"
    assert plain(overall["État des lieux"]) == "100 / 100"
    caps = plain("\n".join(str(c.value) for c in results.caption)).replace("’", "'")
    assert "Score d'ensemble sur 1 thème traité sur 2" in caps
    assert f"Non applicable (hors des scores) : {CSE_LABEL} ; Les locaux" in caps


def test_variants_reword_the_question_for_the_profile(
    web_db: Engine, cookies: dict[str, str], tmp_path: Path
) -> None:
    env = make_profile_env(web_db, cookies, tmp_path, family="foundation")
    at = env.app().run()
    text = plain(markdown_text(at))
    assert "Le conseil d’administration se réunit et décide" in text
    assert "L’assemblée générale se réunit" not in text
    assert stored(env).profile.legal_family == "foundation"


def test_the_transfer_file_carries_the_non_applicable_marks(env: Env) -> None:
    import json

    from assessment import exchange

    state = assessments.open_assessment(env.engine, SYSTEM, env.org, env.campaign)
    rev = assessments.set_not_applicable(
        env.engine, SYSTEM, state.id, ["soc-locaux"], expected_revision=state.revision
    )
    data = exchange.export_answers(env.engine, env.admin, env.org, env.year)
    assert json.loads(data)["not_applicable"] == ["soc-locaux"]
    assessments.set_not_applicable(env.engine, SYSTEM, state.id, [], expected_revision=rev)

    plan = exchange.plan_file(env.engine, env.admin, env.org, env.year, data, kind="json")
    assert [(c.question, c.field, c.old, c.new) for c in plan.changes] == [
        ("Les locaux sont accessibles à tous", "non applicable", "Applicable", "Non applicable")
    ]
    exchange.apply_import(env.engine, env.admin, plan, overwrite=False)
    assert stored(env).not_applicable == {"soc-locaux"}
    trail = assessments.audit_trail(env.engine, SYSTEM, state.id)
    assert [e.kind for e in trail].count("not_applicable") == 3

    # a mark the grid does not allow is refused, with where it is in the file
    document = json.loads(data)
    document["not_applicable"] = ["soc-dialogue"]
    with pytest.raises(exchange.ImportRefused) as refused:
        exchange.plan_file(
            env.engine, env.admin, env.org, env.year, json.dumps(document).encode(), kind="json"
        )
    assert [(p.cell, "ne peut pas être marquée" in p.message) for p in refused.value.problems] == [
        ("not_applicable[0]", True)
    ]


def test_the_results_note_ends_once_after_a_question() -> None:
    """No « ?. » when the last question « non applicable » is a question."""
    note = not_applicable_note(["Les locaux", "Les bénévoles sont-ils accueillis ?"])
    assert note == typo(
        "Non applicable (hors des scores) : Les locaux ; Les bénévoles sont-ils accueillis ?"
    )
    assert not_applicable_note(["Les locaux"]).endswith("Les locaux.")
