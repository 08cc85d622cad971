"""A revoked session in a real browser: the open tab saves nothing and shows the sign-in page.

In the browser, changing an answer runs the widget's callback, then only its
item's ``st.fragment`` (never the app's entry point): the path the old code
left open.  The member's sessions are revoked from the server side while the
tab is open; the next click must store nothing.
Screenshot: ``test-artifacts/screenshots/session-ended.png``.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from assessment import accounts, assessments, campaigns, db, demo
from assessment.french import typo
from assessment.permissions import Actor, Role
from assessment.tables import Organisation

from .conftest import DEMO_PASSWORD, LiveServer, heading, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

QUESTION = "gouv-regles"
"""A level question of the first item (« Gouvernance »)."""


def test_a_revoked_member_saves_nothing_from_the_open_tab(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    engine = db.create_database_engine(live_server.database_url)
    system = Actor.system()
    try:
        with db.read_session(engine) as session:
            organisation_id = session.scalar(
                select(Organisation.id).where(Organisation.siren == demo.DEMO_ORGANISATION["siren"])
            )
        assert organisation_id is not None
        email = f"membre-{uuid.uuid4().hex[:10]}@demo.test"
        user_id = accounts.create_user(
            engine,
            system,
            email=email,
            password=DEMO_PASSWORD,
            role=Role.MEMBER,
            organisation_id=organisation_id,
        )
        campaign = campaigns.current_campaign(engine)
        assert campaign is not None

        def stored() -> object:
            found = assessments.find_assessment(engine, system, organisation_id, campaign.id)
            assert found is not None
            return found.answers.get(QUESTION, {}).get("goal_3y")

        sign_in(page, live_server, email)
        heading(page, "Mon auto-évaluation").wait_for()
        box = page.locator(f".st-key-fill-q-{QUESTION}-goal_3y")
        box.wait_for()
        before = stored()
        level = 0 if before != 0 else 1

        accounts.revoke_sessions(engine, system, user_id)
        box.get_by_test_id("stRadioOption").nth(level).click()
        heading(page, "Connexion").wait_for()
        page.get_by_text(typo("votre dernière modification n'a pas été enregistrée")).wait_for()
        wait_for_app(page)
        screenshot(page, "session-ended")
        assert stored() == before
        assert page.locator(f".st-key-fill-q-{QUESTION}-goal_3y").count() == 0
    finally:
        engine.dispose()
