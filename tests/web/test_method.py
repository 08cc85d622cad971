"""The guide's method on « Mon auto-évaluation » (AppTest): what the grid is, themes
chosen with a reason, questions chosen within a theme, evidence at each question,
actions entered once."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from assessment import action_plan, assessments
from assessment.french import typo
from assessment.web.views import filling

from .test_filling import SYSTEM, Env, fill_required, key, make_env, markdown_text, shown_text

PLAN = "plan-action"
RESULTS = "resultats"


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    return make_env(web_db, cookies)


@pytest.fixture
def fresh(web_db: Engine, cookies: dict[str, str]) -> Env:
    """No assessment yet: the page creates it, as for a new organisation."""
    return make_env(web_db, cookies, opened=False)


def _stored(env: Env) -> assessments.AssessmentState:
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None
    return stored


def test_first_view_says_what_the_grid_is_and_themes_start_unticked(fresh: Env) -> None:
    at = fresh.app().run()
    assert not at.exception
    text = shown_text(at)
    # what the grid is, with the grid's and the horizons' descriptions
    assert "Une grille propre à cet outil" in text
    assert "ce n’est pas le texte du guide" in text
    assert "Grille d’auto-évaluation construite sur le guide" in text
    assert "La situation constatée aujourd’hui, sur la base de documents et de faits" in text
    intro = next(e for e in at.expander if "À propos de cette grille" in str(e.proto.label))
    assert intro.proto.expanded
    # every theme starts unticked: nothing is asked until the organisation chooses
    themes = [at.checkbox(key=filling.theme_key(i.id)) for i in fresh.grid.items]
    assert themes and not any(box.value for box in themes)
    assert not [r for r in at.radio if r.key == key("gouv-regles", "current")]
    assert _stored(fresh).not_addressed == {i.id for i in fresh.grid.items if i.optional}

    # ticking a theme asks why, in one line, and saves the reason
    at.checkbox(key=filling.theme_key("gouvernance")).check().run()
    reason = at.text_input(key=filling.reason_key("gouvernance"))
    assert "Pourquoi ce thème cette année" in reason.label
    reason.input("Notre AG a demandé une réforme des statuts").run()
    assert not at.exception
    stored = _stored(fresh)
    assert "gouvernance" not in stored.not_addressed
    assert stored.choice_reasons == {"gouvernance": "Notre AG a demandé une réforme des statuts"}
    assert at.radio(key=key("gouv-regles", "current"))
    # it comes back in a new session
    again = fresh.app().run()
    assert again.text_input(key=filling.reason_key("gouvernance")).value == (
        "Notre AG a demandé une réforme des statuts"
    )


def test_a_question_of_a_chosen_theme_can_be_left_out(env: Env) -> None:
    at = env.app().run()
    box = at.checkbox(key=filling.skip_key("gouv-participation"))
    assert box.label == "Question non traitée cette année" and not box.value
    box.check().run()
    assert not at.exception
    assert "gouv-participation" in _stored(env).not_addressed
    assert not [r for r in at.radio if r.key == key("gouv-participation", "current")]
    # left out of the progress: fewer required answers expected
    before = env.app().run()
    assert before.checkbox(key=filling.skip_key("gouv-participation")).value


def test_evidence_is_offered_at_each_question_saved_and_kept(env: Env) -> None:
    at = env.app().run()
    field = at.text_area(key=filling.evidence_key("gouv-regles"))
    assert field.label == "Sur quoi vous appuyez-vous\u202f? (attendu)"
    # an indicator offers it, a text question does not
    assert "(facultatif)" in at.text_area(key=filling.evidence_key("soc-ecart-remunerations")).label
    assert not [t for t in at.text_area if t.key == filling.evidence_key("gouv-enjeux")]
    field.input("Statuts révisés en 2024 ; compte rendu de l'AG du 12 juin").run()
    assert not at.exception
    stored = _stored(env)
    assert stored.comments == {
        "gouv-regles": {"current": "Statuts révisés en 2024 ; compte rendu de l'AG du 12 juin"}
    }
    again = env.app().run()
    assert again.text_area(key=filling.evidence_key("gouv-regles")).value == (
        "Statuts révisés en 2024 ; compte rendu de l'AG du 12 juin"
    )
    # cleared, it is gone
    again.text_area(key=filling.evidence_key("gouv-regles")).input("").run()
    assert _stored(env).comments == {}


def test_read_only_view_and_results_keep_evidence_and_reasons(env: Env) -> None:
    assessment_id = fill_required(env.engine, env.grid, env.org, env.campaign)
    state = assessments.get_assessment(env.engine, SYSTEM, assessment_id)
    rev = assessments.save_comment(
        env.engine, SYSTEM, assessment_id, "gouv-regles", "current", "Statuts de 2024",
        expected_revision=state.revision,
    )  # fmt: skip
    rev = assessments.set_choice_reason(
        env.engine, SYSTEM, assessment_id, "gouvernance", "Réforme des statuts votée",
        expected_revision=rev,
    )  # fmt: skip
    assessments.submit(env.engine, SYSTEM, assessment_id, expected_revision=rev)
    at = env.app().run()
    text = markdown_text(at)
    assert "Sur quoi nous nous appuyons" in text and "Statuts de 2024" in text
    assert "Pourquoi ce thème cette année" in text and "Réforme des statuts votée" in text

    results = env.app(RESULTS).run()
    assert not results.exception
    shown = markdown_text(results)
    assert "Réforme des statuts votée" in shown
    assert any("Thèmes choisis cette année" in str(s.value) for s in results.subheader)


def test_actions_typed_at_a_question_are_in_the_plan_once(env: Env) -> None:
    at = env.app().run()
    assert filling.ACTION_PLAN_NOTE in markdown_text(at)
    area = at.text_area(key=key("gouv-actions", "goal_1y"))
    area.input("Former les élus\nRéviser les statuts").run()
    assert not at.exception
    at.text_area(key=key("gouv-actions", "goal_1y")).input(
        "Former les élus\nRéviser les statuts avant l'AG"
    ).run()
    actions = action_plan.list_actions(env.engine, SYSTEM, env.org, campaign_id=env.campaign)
    assert [(a.title, a.item_id, a.horizon_id, a.question_id) for a in actions] == [
        ("Former les élus", "gouvernance", "goal_1y", "gouv-actions"),
        ("Réviser les statuts avant l'AG", "gouvernance", "goal_1y", "gouv-actions"),
    ]
    plan = env.app(PLAN).run()
    assert not plan.exception
    assert list(plan.dataframe[0].value["Action"]) == [
        "Former les élus",
        "Réviser les statuts avant l'AG",
    ]
    title = plan.text_input(key=f"plan:a{actions[0].id}:title")
    assert title.disabled
    assert typo("Saisie à la question « Actions prévues »") in markdown_text(plan)
    # « Objectifs sans action » counts them
    results = env.app(RESULTS).run()
    assert "Gouvernance – Objectif à 1 an (2)" in markdown_text(results)
    warnings = "\n".join(str(w.value) for w in results.warning)
    assert "Objectifs sans action" in warnings  # the other goals still have none
    assert "Gouvernance – Objectif à 3 ans" in warnings
    assert "Gouvernance – Objectif à 1 an" not in warnings
