"""The guide's method in a real browser, on a desktop and at 390 px: what the grid is,
a theme chosen with its reason, evidence at a question, actions planned at a question
that then are the action plan's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from assessment import accounts, action_plan, assessments, campaigns, db, organisations
from assessment.permissions import Actor, Role
from assessment.tables import Organisation

from .conftest import (
    DEMO_PASSWORD,
    LiveServer,
    _start_server,
    heading,
    screenshot,
    sign_in,
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


def _new_admin(server: LiveServer) -> tuple[str, int, int]:
    """A new organisation (fictional test data, written as the demo seed writes its own)
    and its admin: ``(email, organisation id, campaign id)``."""
    engine = db.create_database_engine(server.database_url)
    token = uuid.uuid4()
    try:
        with db.write_session(engine) as session:
            row = Organisation(
                name=f"Association Méthode {token.hex[:6]}",
                region="53",
                legal_family="association",
                size_band="1-9",
                siren=organisations.siren_with_key(f"{token.int % 10**8:08d}"),
            )
            session.add(row)
            session.flush()
            organisation_id = row.id
        email = f"methode-{token.hex[:10]}@methode.test"
        accounts.create_user(
            engine, SYSTEM, email=email, password=DEMO_PASSWORD, role=Role.ORG_ADMIN,
            organisation_id=organisation_id,
        )  # fmt: skip
        campaign = campaigns.current_campaign(engine)
        assert campaign is not None
        return email, organisation_id, campaign.id
    finally:
        engine.dispose()


def _stored(server: LiveServer, org: int, campaign: int) -> assessments.AssessmentState:
    engine = db.create_database_engine(server.database_url)
    try:
        found = assessments.find_assessment(engine, SYSTEM, org, campaign)
        assert found is not None
        return found
    finally:
        engine.dispose()


def _typed_actions(server: LiveServer, org: int, campaign: int) -> list[str]:
    engine = db.create_database_engine(server.database_url)
    try:
        return [
            a.title
            for a in action_plan.list_actions(engine, SYSTEM, org, campaign_id=campaign)
            if a.question_id is not None
        ]
    finally:
        engine.dispose()


def _commit_text(page, selector: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Type into a text area and commit it (Ctrl+Enter), as a user applies it."""
    area = page.locator(f"{selector} textarea")
    area.scroll_into_view_if_needed()
    area.fill(value)
    area.press("Control+Enter")
    wait_for_app(page)


def _close_sidebar_on_a_phone(page, width: int) -> None:  # type: ignore[no-untyped-def]
    """At 390 px the sidebar may cover the form: close it as a user would."""
    if width >= 640:
        return
    close = page.get_by_test_id("stSidebarCollapseButton")
    if close.count() and close.first.is_visible():
        close.first.locator("button").click()
        wait_for_app(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_theme_reason_evidence_and_typed_actions(
    method_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
    width: int,
) -> None:
    email, org, campaign = _new_admin(method_server)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, method_server, email)  # an organisation's home: « Mon auto-évaluation »
    heading(page, "Mon auto-évaluation").wait_for()
    _close_sidebar_on_a_phone(page, width)
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
    stored = _stored(method_server, org, campaign)
    assert stored.choice_reasons == {"gouvernance": REASON}
    assert "gouvernance" not in stored.not_addressed

    # evidence for the current state, under the question's current state
    _commit_text(page, ".st-key-fill-evidence-gouv-regles", EVIDENCE)
    page.locator(".st-key-fill-evidence-gouv-regles").scroll_into_view_if_needed()
    screenshot(page, f"method-{width}-02-evidence")
    assert _stored(method_server, org, campaign).comments == {"gouv-regles": {"current": EVIDENCE}}

    # actions planned at the question are the plan's
    _commit_text(page, ".st-key-fill-q-gouv-actions-goal_1y", ACTIONS)
    assert _typed_actions(method_server, org, campaign) == ACTIONS.split("\n")
    page.goto(f"{method_server.url}/plan-action")
    wait_for_app(page)
    _close_sidebar_on_a_phone(page, width)
    heading(page, "Plan d’action").wait_for()
    page.get_by_text("Former les nouveaux élus").first.wait_for()
    screenshot(page, f"method-{width}-03-plan")

    # after a reload the evidence and the reason are back in their fields
    page.goto(method_server.url)
    wait_for_app(page)
    heading(page, "Mon auto-évaluation").wait_for()
    _close_sidebar_on_a_phone(page, width)
    assert page.locator(".st-key-fill-reason-gouvernance input").input_value() == REASON
    assert page.locator(".st-key-fill-evidence-gouv-regles textarea").input_value() == EVIDENCE
