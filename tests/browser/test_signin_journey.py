"""Sign-in in a real browser: it survives a reload and a new tab; sign-out ends it."""

from __future__ import annotations

import pytest

from assessment.french import typo

from .conftest import (
    DEMO_EMAILS,
    LiveServer,
    heading,
    screenshot,
    sign_in,
    sign_out,
    signed_in,
    wait_for_app,
)

pytestmark = pytest.mark.browser


def _cookie(context, name: str) -> dict | None:  # type: ignore[no-untyped-def]
    return next((c for c in context.cookies() if c["name"] == name), None)


def test_member_signs_in_reloads_opens_a_tab_and_signs_out(
    live_server: LiveServer,
    context,  # type: ignore[no-untyped-def]
    page,  # type: ignore[no-untyped-def]
) -> None:
    page.goto(live_server.url)
    wait_for_app(page)
    heading(page, "Connexion").wait_for()
    page.get_by_text("membre@demo.test").first.wait_for()  # demo accounts listed
    screenshot(page, "signin-01-sign-in-page")

    sign_in(page, live_server, DEMO_EMAILS["member"])
    heading(page, "Mon auto-évaluation").wait_for()
    screenshot(page, "signin-02-signed-in")
    session = _cookie(context, "ess_session")
    assert session is not None
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert session["expires"] == -1  # ends with the browser session
    assert "ticket=" not in page.url

    page.reload()
    wait_for_app(page)
    signed_in(page).wait_for()
    heading(page, "Mon auto-évaluation").wait_for()
    screenshot(page, "signin-03-after-reload")

    tab = context.new_page()
    tab.goto(f"{live_server.url}/organisation")
    wait_for_app(tab)
    signed_in(tab).wait_for()
    heading(tab, "Mon organisation").wait_for()
    screenshot(tab, "signin-04-new-tab")
    tab.close()

    sign_out(page)
    screenshot(page, "signin-05-signed-out")
    assert _cookie(context, "ess_session") is None
    page.goto(f"{live_server.url}/resultats")
    wait_for_app(page)
    heading(page, "Connexion").wait_for()
    assert signed_in(page).count() == 0


def test_wrong_password_is_refused_in_the_browser(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    page.goto(live_server.url)
    wait_for_app(page)
    page.get_by_label("Adresse e-mail").fill(DEMO_EMAILS["national"])
    page.get_by_label("Mot de passe", exact=True).fill("pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.get_by_text("Adresse e-mail ou mot de passe incorrect.").wait_for()
    screenshot(page, "signin-06-wrong-password")


def test_regional_user_is_refused_the_filling_page(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["regional"])
    heading(page, "Tableau de bord régional").wait_for()
    screenshot(page, "signin-07-regional-dashboard")
    page.goto(f"{live_server.url}/auto-evaluation")
    wait_for_app(page)
    page.get_by_text(typo("n'est pas accessible avec un compte")).wait_for()
    screenshot(page, "signin-08-refusal")


def test_national_pages(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["national"])
    heading(page, "Vue nationale").wait_for()
    screenshot(page, "signin-09-national")
    page.goto(f"{live_server.url}/grilles-campagnes")
    wait_for_app(page)
    heading(page, "Grilles et campagnes").wait_for()
    screenshot(page, "signin-10-grids")


def test_fresh_machine_demo_mode(
    fresh_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    page.goto(fresh_server.url)
    wait_for_app(page)
    heading(page, "Connexion").wait_for()
    screenshot(page, "signin-11-fresh-machine")
    page.get_by_role("button", name="Mode démonstration").click()
    page.get_by_role("table").get_by_text("membre@demo.test").wait_for(timeout=120_000)
    screenshot(page, "signin-12-demo-accounts")
    sign_in(page, fresh_server, DEMO_EMAILS["org_admin"])
    heading(page, "Mon auto-évaluation").wait_for()
