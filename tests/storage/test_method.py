"""The guide's method in the core: evidence, chosen themes and questions with their
reasons, actions entered once (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from assessment import action_plan, exports
from assessment import assessments as svc
from assessment.campaigns import create_campaign
from assessment.grid import Grid
from assessment.grid_store import DEFAULT_GRID_ID, get_grid, latest_version, sync_grids_from_dir
from assessment.permissions import Actor, Role
from assessment.scoring import score

from .conftest import SYSTEM, create_org_a

GUIDE = Path(__file__).resolve().parents[2] / "guide"


@dataclass(frozen=True)
class Guide:
    engine: Engine
    org: int
    campaign: int
    grid: Grid
    member: Actor


@pytest.fixture
def guide(engine: Engine) -> Guide:
    sync_grids_from_dir(engine, GUIDE)
    org = create_org_a(engine)
    today = date.today()
    campaign = create_campaign(
        engine,
        SYSTEM,
        year=today.year,
        opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=60),
        grid_id=DEFAULT_GRID_ID,
    )
    member = Actor(user_id=None, email="membre@a.test", role=Role.MEMBER, organisation_id=org)
    grid = get_grid(engine, DEFAULT_GRID_ID, latest_version(engine))
    return Guide(engine, org, campaign, grid, member)


def _open(g: Guide, **kwargs: object) -> svc.AssessmentState:
    return svc.open_assessment(g.engine, g.member, g.org, g.campaign, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# choosing themes and questions
# ---------------------------------------------------------------------------


def test_themes_start_unticked_when_the_form_asks(guide: Guide) -> None:
    state = _open(guide, choose_themes=True)
    assert state.not_addressed == {i.id for i in guide.grid.items if i.optional}
    assert state.choice_reasons == {}
    report = score(guide.grid, state.answers, state.not_addressed)
    assert all(report.items[i.id]["current"] is None for i in guide.grid.items)


def test_choice_reason_is_saved_cleared_and_checked(guide: Guide) -> None:
    state = _open(guide)
    rev = svc.set_choice_reason(
        guide.engine, guide.member, state.id, "gouvernance",
        "  Notre AG a voté   une réforme des statuts ", expected_revision=state.revision,
    )  # fmt: skip
    loaded = svc.get_assessment(guide.engine, guide.member, state.id)
    assert loaded.choice_reasons == {"gouvernance": "Notre AG a voté   une réforme des statuts"}
    assert loaded.revision == rev == state.revision + 1
    # the same text again changes nothing
    same = svc.set_choice_reason(
        guide.engine, guide.member, state.id, "gouvernance",
        "Notre AG a voté   une réforme des statuts", expected_revision=rev,
    )  # fmt: skip
    assert same == rev
    with pytest.raises(svc.AssessmentError, match="n'est pas un thème"):
        svc.set_choice_reason(
            guide.engine, guide.member, state.id, "gouv-regles", "x", expected_revision=rev
        )
    with pytest.raises(svc.AssessmentError, match="Raison du choix"):
        svc.set_choice_reason(
            guide.engine, guide.member, state.id, "gouvernance", "x" * 201, expected_revision=rev
        )
    with pytest.raises(svc.StaleRevision):
        svc.set_choice_reason(
            guide.engine, guide.member, state.id, "gouvernance", "autre", expected_revision=0
        )
    rev = svc.set_choice_reason(
        guide.engine, guide.member, state.id, "gouvernance", "  ", expected_revision=rev
    )
    assert svc.get_assessment(guide.engine, guide.member, state.id).choice_reasons == {}
    kinds = [e.kind for e in svc.audit_trail(guide.engine, guide.member, state.id)]
    assert kinds.count("choice_reason") == 2


def test_a_question_of_a_chosen_theme_can_be_left_out_and_is_not_scored(guide: Guide) -> None:
    state = _open(guide)
    rev = svc.save_answer(
        guide.engine, guide.member, state.id, "gouv-regles", "current", 4,
        expected_revision=state.revision,
    )  # fmt: skip
    rev = svc.save_answer(
        guide.engine,
        guide.member,
        state.id,
        "gouv-participation",
        "current",
        0,
        expected_revision=rev,
    )
    before = score(guide.grid, svc.get_assessment(guide.engine, guide.member, state.id).answers)
    rev = svc.set_not_addressed(
        guide.engine, guide.member, state.id, ["gouv-participation"], expected_revision=rev
    )
    loaded = svc.get_assessment(guide.engine, guide.member, state.id)
    after = score(guide.grid, loaded.answers, loaded.not_addressed)
    assert after.not_addressed == {"gouv-participation"}
    assert after.items["gouvernance"]["current"] > before.items["gouvernance"]["current"]  # type: ignore[operator]
    # the export says it is not worked on this year
    _, rows = exports.results_table(guide.grid, after, loaded.answers)
    assert ["gouv-participation", "Non traité cette année"] in [[r[3], r[7]] for r in rows]


def test_reasons_go_into_the_submission(guide: Guide) -> None:
    state = _open(guide)
    rev = svc.set_choice_reason(
        guide.engine, guide.member, state.id, "environnement", "Bilan carbone demandé",
        expected_revision=state.revision,
    )  # fmt: skip
    ids = [i.id for i in guide.grid.items if i.optional and i.id != "environnement"]
    rev = svc.set_not_addressed(guide.engine, guide.member, state.id, ids, expected_revision=rev)
    for item, question in guide.grid.questions():
        if item in (None, guide.grid.item("environnement")) and question.is_required:
            for horizon in guide.grid.question_horizons(question):
                rev = svc.save_answer(
                    guide.engine, SYSTEM, state.id, question.id, horizon, 2, expected_revision=rev
                )
    svc.submit(guide.engine, SYSTEM, state.id, expected_revision=rev)
    (submission,) = svc.list_submissions(guide.engine, guide.member, state.id)
    assert submission.choice_reasons == {"environnement": "Bilan carbone demandé"}


def test_evidence_goes_into_the_exports(guide: Guide) -> None:
    state = _open(guide)
    rev = svc.save_answer(
        guide.engine, guide.member, state.id, "gouv-regles", "current", 2,
        expected_revision=state.revision,
    )  # fmt: skip
    svc.save_comment(
        guide.engine, guide.member, state.id, "gouv-regles", "current",
        "Statuts révisés en 2024, règlement intérieur", expected_revision=rev,
    )  # fmt: skip
    loaded = svc.get_assessment(guide.engine, guide.member, state.id)
    report = score(guide.grid, loaded.answers, loaded.not_addressed)
    _, rows = exports.results_table(
        guide.grid, report, loaded.answers, comments=loaded.comments,
        choice_reasons={"gouvernance": "Réforme des statuts"},
    )  # fmt: skip
    kinds = [(r[0], r[3], r[7]) for r in rows]
    answer = kinds.index(("Réponse", "gouv-regles", "2 – Structuré"))
    assert kinds[answer + 1] == (
        "Élément de preuve",
        "gouv-regles",
        "Statuts révisés en 2024, règlement intérieur",
    )
    assert ("Raison du choix", "", "Réforme des statuts") in kinds


# ---------------------------------------------------------------------------
# actions entered once
# ---------------------------------------------------------------------------


def _typed(g: Guide) -> list[action_plan.PlannedAction]:
    return [
        a
        for a in action_plan.list_actions(g.engine, g.member, g.org, campaign_id=g.campaign)
        if a.question_id is not None
    ]


def test_planned_actions_typed_at_a_question_are_plan_actions_without_duplicates(
    guide: Guide,
) -> None:
    state = _open(guide)

    def save(text: str | None, rev: int, horizon: str = "goal_1y") -> int:
        return svc.save_answer(
            guide.engine, guide.member, state.id, "gouv-actions", horizon, text,
            expected_revision=rev,
        )  # fmt: skip

    rev = save("- Former les élus\n\n- Réviser les statuts\n- Former les élus", state.revision)
    actions = _typed(guide)
    assert [a.title for a in actions] == ["Former les élus", "Réviser les statuts"]
    assert {(a.item_id, a.horizon_id, a.question_id, a.status) for a in actions} == {
        ("gouvernance", "goal_1y", "gouv-actions", "todo")
    }
    first, second = actions
    # an edited line renames its action (same id), an unchanged one keeps it
    rev = save("Former les élus\nRéviser les statuts avant l'AG", rev)
    again = _typed(guide)
    assert [(a.id, a.title) for a in again] == [
        (first.id, "Former les élus"),
        (second.id, "Réviser les statuts avant l'AG"),
    ]
    # an action completed on the plan page stays in the plan when its line goes
    action_plan.update_action(guide.engine, guide.member, first.id, owner="La présidente")
    with pytest.raises(action_plan.ActionPlanError, match="Actions prévues"):
        action_plan.update_action(guide.engine, guide.member, first.id, title="Autre")
    rev = save("Réviser les statuts avant l'AG\nOuvrir le CA aux salariés", rev)
    everything = action_plan.list_actions(
        guide.engine, guide.member, guide.org, campaign_id=guide.campaign
    )
    kept = next(a for a in everything if a.id == first.id)
    assert kept.question_id is None and kept.owner == "La présidente"
    assert [a.title for a in _typed(guide)] == [
        "Réviser les statuts avant l'AG",
        "Ouvrir le CA aux salariés",
    ]
    # another horizon has its own actions; clearing the text removes the untouched ones
    rev = save("Évaluer la réforme", rev, "goal_3y")
    rev = save(None, rev)
    assert [(a.title, a.horizon_id) for a in _typed(guide)] == [("Évaluer la réforme", "goal_3y")]
    assert len(action_plan.list_actions(guide.engine, guide.member, guide.org)) == 2


def test_typed_actions_follow_imports(guide: Guide) -> None:
    state = _open(guide)
    svc.save_cells(
        guide.engine, guide.member, state.id,
        [svc.CellChange("div-actions", "goal_3y", "Charte de la diversité")],
        expected_revision=state.revision,
    )  # fmt: skip
    assert [(a.title, a.item_id) for a in _typed(guide)] == [
        ("Charte de la diversité", "diversite")
    ]
