"""The national body invites a chamber's account, and a chamber sees its organisations."""

from __future__ import annotations

import pytest

from .conftest import DEMO_EMAILS, LiveServer, heading, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser


def test_national_invites_a_chamber_account_and_sees_its_organisations(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["national"])
    page.goto(f"{live_server.url}/comptes-reseau")
    wait_for_app(page)
    heading(page, "Comptes du réseau").wait_for()
    page.get_by_label("Adresse e-mail").fill("cress.navigateur@ess.test")
    page.get_by_role("button", name="Inviter", exact=True).click()
    page.get_by_text("mot de passe provisoire").first.wait_for()
    screenshot(page, "admin-01-chamber-invited")
    page.goto(f"{live_server.url}/organisations-reseau")
    wait_for_app(page)
    heading(page, "Organisations").wait_for()
    screenshot(page, "admin-02-organisations")
