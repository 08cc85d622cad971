"""The guide's method in a real browser, on a desktop and at 390 px: what the grid is,
a theme chosen with its reason, evidence at a question, actions planned at a question
that then are the action plan's; a question the organisation marks « non applicable »,
left out of the progress count and the scores, and shown so once submitted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from assessment import action_plan, assessments
from assessment.answers import missing_required
from assessment.french import typo
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    Question,
    YesNoQuestion,
    text,
)
from assessment.permissions import Actor
from assessment.scoring import ScoreReport, score
from assessment.web.views import filling
from assessment.web.views.results import (
    format_score,
    item_label,
    not_applicable_labels,
    not_applicable_note,
)

from .conftest import (
    LiveServer,
    OrgAdmin,
    _start_server,
    close_sidebar_on_a_phone,
    heading,
    org_admin_fixture,
    screenshot,
    sign_in,
    stored_eventually,
    wait_for_app,
)

pytestmark = pytest.mark.browser

SYSTEM = Actor.system()
REASON = "Notre AG veut réformer les statuts"
EVIDENCE = "Statuts révisés en 2024, compte rendu de l'AG du 12 juin"
ACTIONS = "Former les nouveaux élus\nRéviser le règlement intérieur"


@pytest.fixture(scope="module")
def method_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _start_server(tmp_path_factory.mktemp("method"), seeded=True)


@pytest.fixture
def method_admin(method_server: LiveServer) -> Iterator[OrgAdmin]:
    """A new organisation and its admin, with no assessment yet: the page opens it."""
    yield from org_admin_fixture(
        method_server.database_url,
        name="Association Méthode",
        region="53",
        size_band="1-9",
        domain="methode.test",
        themes_chosen=False,
    )


def _typed_actions(admin: OrgAdmin) -> list[str]:
    return [
        a.title
        for a in action_plan.list_actions(
            admin.engine, SYSTEM, admin.organisation_id, campaign_id=admin.campaign.id
        )
        if a.question_id is not None
    ]


def _commit_text(page, selector: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Type into a text area and commit it (Ctrl+Enter), as a user applies it."""
    area = page.locator(f"{selector} textarea")
    area.scroll_into_view_if_needed()
    area.fill(value)
    area.press("Control+Enter")
    wait_for_app(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_theme_reason_evidence_and_typed_actions(
    method_server: LiveServer,
    method_admin: OrgAdmin,
    page,  # type: ignore[no-untyped-def]
    width: int,
) -> None:
    admin = method_admin
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, method_server, admin.email)  # an organisation's home: « Mon auto-évaluation »
    heading(page, "Mon auto-évaluation").wait_for()
    close_sidebar_on_a_phone(page, width)
    # where a user starts: what the grid is, what the horizons mean
    page.get_by_text("Une grille propre à cet outil").wait_for()
    page.get_by_text("La situation constatée aujourd’hui", exact=False).first.wait_for()
    screenshot(page, f"method-{width}-01-start")

    # a theme chosen, with its reason
    box = page.locator(".st-key-fill-theme-gouvernance").get_by_test_id("stCheckbox")
    assert not box.locator("input").is_checked()
    box.locator("label").click()
    reason = page.locator(".st-key-fill-reason-gouvernance input")
    reason.wait_for()
    wait_for_app(page)
    reason.fill(REASON)
    reason.press("Enter")
    wait_for_app(page)
    page.locator(".st-key-fill-evidence-gouv-regles textarea").wait_for()
    reasons = stored_eventually(lambda: _state(admin).choice_reasons, {"gouvernance": REASON})
    assert reasons == {"gouvernance": REASON}
    assert "gouvernance" not in _state(admin).not_addressed

    # evidence for the current state, under the question's current state
    _commit_text(page, ".st-key-fill-evidence-gouv-regles", EVIDENCE)
    page.locator(".st-key-fill-evidence-gouv-regles").scroll_into_view_if_needed()
    screenshot(page, f"method-{width}-02-evidence")
    evidence = {"gouv-regles": {"current": EVIDENCE}}
    assert stored_eventually(lambda: _state(admin).comments, evidence) == evidence

    # actions planned at the question are the plan's
    _commit_text(page, ".st-key-fill-q-gouv-actions-goal_1y", ACTIONS)
    typed = ACTIONS.split("\n")
    assert stored_eventually(lambda: _typed_actions(admin), typed) == typed
    page.goto(f"{method_server.url}/plan-action")
    wait_for_app(page)
    close_sidebar_on_a_phone(page, width)
    heading(page, "Plan d’action").wait_for()
    page.get_by_text("Former les nouveaux élus").first.wait_for()
    screenshot(page, f"method-{width}-03-plan")

    # after a reload the evidence and the reason are back in their fields
    page.goto(method_server.url)
    wait_for_app(page)
    heading(page, "Mon auto-évaluation").wait_for()
    close_sidebar_on_a_phone(page, width)
    assert page.locator(".st-key-fill-reason-gouvernance input").input_value() == REASON
    assert page.locator(".st-key-fill-evidence-gouv-regles textarea").input_value() == EVIDENCE


# ---------------------------------------------------------------------------
# « non applicable »
# ---------------------------------------------------------------------------

NOT_APPLICABLE_QUESTION = "soc-benevoles-accueil"
"""A question of the default grid with ``may_not_apply`` (an association without
volunteers says it does not concern it)."""
NOT_APPLICABLE_THEME = "politique-salariale"


@pytest.fixture
def not_applicable_admin(method_server: LiveServer) -> Iterator[OrgAdmin]:
    """A new organisation whose assessment is open with every theme worked on."""
    yield from org_admin_fixture(
        method_server.database_url,
        name="Association Sans Bénévole",
        region="53",
        size_band="1-9",
        domain="non-applicable.test",
    )


def _state(admin: OrgAdmin) -> assessments.AssessmentState:
    found = assessments.find_assessment(
        admin.engine, admin.actor, admin.organisation_id, admin.campaign.id
    )
    assert found is not None
    return found


def _report(admin: OrgAdmin) -> ScoreReport:
    state = _state(admin)
    return score(
        admin.grid, state.answers, state.not_addressed, state.not_applicable_ids(admin.grid)
    )


def _any_space(shown: str) -> re.Pattern[str]:
    """The whole text ``shown``, any kind of space where it has one."""
    return re.compile("^" + r"\s".join(re.escape(w) for w in shown.split()) + "$")


def _progress_line(page):  # type: ignore[no-untyped-def]
    return page.locator(".st-key-fill-progress").get_by_text(re.compile(r"^Progression\s:"))


def _a_valid_answer(grid: Grid, question: Question) -> Any:
    """A middling answer the grid accepts for ``question``."""
    if isinstance(question, LevelQuestion):
        return grid.scale_values[len(grid.scale_values) // 2]
    if isinstance(question, NumberQuestion):
        value = question.min if question.min is not None else 0.0
        if question.max is not None:
            value = min(value, question.max)
        return int(value) if question.integer else float(value)
    if isinstance(question, YesNoQuestion):
        return False
    if isinstance(question, ChoiceQuestion):
        first = question.options[0].value
        return [first] if question.multiple else first
    return "Rien de particulier à signaler."


def _answer_the_rest(admin: OrgAdmin) -> None:
    """Every required answer still missing, through the core (what the journey does
    not type itself); again while an answer asks a follow-up question."""
    for _ in range(5):
        state = _state(admin)
        missing = missing_required(
            admin.grid, state.answers, state.not_addressed, state.not_applicable_ids(admin.grid)
        )
        if not missing:
            return
        changes = [
            assessments.CellChange(q, h, _a_valid_answer(admin.grid, admin.grid.question(q)))
            for _, q, h in missing
        ]
        assessments.save_cells(
            admin.engine, admin.actor, state.id, changes, expected_revision=state.revision
        )
    raise AssertionError("required answers still missing")


def _open_form(page, server: LiveServer, width: int) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url)
    wait_for_app(page)
    heading(page, "Mon auto-évaluation").wait_for()
    close_sidebar_on_a_phone(page, width)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_question_marked_non_applicable(
    method_server: LiveServer,
    not_applicable_admin: OrgAdmin,
    page,  # type: ignore[no-untyped-def]
    width: int,
) -> None:
    admin, grid = not_applicable_admin, not_applicable_admin.grid
    question = grid.question(NOT_APPLICABLE_QUESTION)
    assert question.may_not_apply
    label = text(question.label, grid.language)
    horizons = grid.question_horizons(question)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, method_server, admin.email)
    heading(page, "Mon auto-évaluation").wait_for()
    close_sidebar_on_a_phone(page, width)
    before = _report(admin).completion.counts
    _progress_line(page).filter(has_text=_any_space(filling.progress_text(before))).wait_for()
    answers = page.locator(f'[class*="st-key-fill-q-{NOT_APPLICABLE_QUESTION}-"]')
    assert answers.count() == len(horizons)

    # ticked: its answers go, the count no longer expects them
    box = page.locator(f".st-key-fill-na-{NOT_APPLICABLE_QUESTION}")
    box.scroll_into_view_if_needed()
    assert not box.locator("input").is_checked()
    box.get_by_test_id("stCheckbox").locator("label").click()
    answers.first.wait_for(state="detached")
    wait_for_app(page)
    assert _state(admin).not_applicable == frozenset({NOT_APPLICABLE_QUESTION})
    after = _report(admin).completion.counts
    assert after.required_expected == before.required_expected - len(horizons)
    _progress_line(page).filter(has_text=_any_space(filling.progress_text(after))).wait_for()
    assert box.locator("input").is_checked()
    assert page.get_by_text(label, exact=True).count() == 1  # the question still named
    box.scroll_into_view_if_needed()
    screenshot(page, f"non-applicable-{width}-01-ticked")

    # after a reload: still ticked, still no answer field, still not counted
    _open_form(page, method_server, width)
    box = page.locator(f".st-key-fill-na-{NOT_APPLICABLE_QUESTION}")
    box.locator("input:checked").wait_for(state="attached")
    assert answers.count() == 0
    _progress_line(page).filter(has_text=_any_space(filling.progress_text(after))).wait_for()

    # the rest answered (through the core), then submitted in the page
    _answer_the_rest(admin)
    _open_form(page, method_server, width)
    complete = _report(admin).completion.counts
    assert complete.required_answered == complete.required_expected
    _progress_line(page).filter(has_text=_any_space(filling.progress_text(complete))).wait_for()
    submit = page.get_by_role("button", name="Soumettre", exact=True)
    submit.scroll_into_view_if_needed()
    submit.click()
    confirm = page.get_by_role("button", name="Confirmer la soumission", exact=True)
    confirm.wait_for()
    confirm.click()
    page.get_by_text(typo("Auto-évaluation soumise : elle est en lecture seule.")).wait_for()
    wait_for_app(page)
    assert _state(admin).status == "submitted"

    # the read-only view says « non applicable », with no answer line
    main = page.get_by_test_id("stMain")
    block = main.locator('[data-testid="stMarkdownContainer"] p', has_text=label).first
    block.scroll_into_view_if_needed()
    shown = " ".join(block.inner_text().split())
    assert shown == " ".join(f"{label} {filling.CHOSEN_NOT_APPLICABLE}".split()), shown
    screenshot(page, f"non-applicable-{width}-02-read-only")

    # the results: out of the theme's score (not counted as 0), and said so
    page.goto(f"{method_server.url}/resultats")
    wait_for_app(page)
    close_sidebar_on_a_phone(page, width)
    heading(page, "Résultats").wait_for()
    report = _report(admin)
    state = _state(admin)
    as_zero = {**state.answers, NOT_APPLICABLE_QUESTION: dict.fromkeys(horizons, 0)}
    counted = score(
        grid,
        as_zero,
        state.not_addressed,
        state.not_applicable_ids(grid) - {NOT_APPLICABLE_QUESTION},
    )
    theme = report.items[NOT_APPLICABLE_THEME]
    wanted = [format_score(theme.get(h)) for h in grid.horizon_ids]
    assert wanted != [
        format_score(counted.items[NOT_APPLICABLE_THEME].get(h)) for h in grid.horizon_ids
    ]
    row = (
        page.locator("table.ess-table--scores")
        .first.locator("tbody tr")
        .filter(has_text=item_label(grid, NOT_APPLICABLE_THEME))
        .first
    )
    row.wait_for()
    assert row.locator("th, td").all_text_contents()[1:] == wanted
    # every question « non applicable » here: this one and those outside the profile
    labels = not_applicable_labels(grid, report)
    assert label in labels
    note = page.get_by_text(not_applicable_note(labels), exact=True)
    note.wait_for()
    note.scroll_into_view_if_needed()
    screenshot(page, f"non-applicable-{width}-03-results")
