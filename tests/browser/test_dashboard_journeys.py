"""The network side in a real browser: a regional chamber runs its campaign and reads
its region's results; the national body compares the regions and drills into one.

Screenshots (``test-artifacts/screenshots/dashboard-*.png``) are looked at by
hand: charts drawn, captions under them, hidden groups marked « masqué ».
"""

from __future__ import annotations

import pytest

from .conftest import (
    DEMO_EMAILS,
    LiveServer,
    choose,
    close_sidebar_on_a_phone,
    heading,
    screenshot,
    sign_in,
    wait_for_app,
)

pytestmark = pytest.mark.browser


def _tall(page) -> None:  # type: ignore[no-untyped-def]
    """A tall window, so that a screenshot holds the whole tab (Streamlit scrolls inside)."""
    page.set_default_timeout(120_000)
    page.set_viewport_size({"width": 1280, "height": 4200})


def _tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name, exact=True).click()
    wait_for_app(page)


def _charts_drawn(page, at_least: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        f'document.querySelectorAll(\'[data-testid="stVegaLiteChart"] canvas, '
        f'[data-testid="stVegaLiteChart"] svg\').length >= {at_least}'
    )


_CHARTS_PAST_THE_EDGE = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .filter(e => e.getBoundingClientRect().width > 0
                 && e.getBoundingClientRect().right > window.innerWidth + 1).length"""


def _on_a_phone(page) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(120_000)
    page.set_viewport_size({"width": 390, "height": 2400})


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    """No chart of the open tab runs past the screen's right edge."""
    assert page.evaluate(_CHARTS_PAST_THE_EDGE) == 0


def test_regional_chamber_journey(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    _tall(page)
    sign_in(page, live_server, DEMO_EMAILS["regional"])
    heading(page, "Tableau de bord régional").wait_for()
    _charts_drawn(page, 2)
    page.get_by_text("Organisations à relancer").wait_for()
    screenshot(page, "dashboard-01-regional-participation")

    _tab(page, "Résultats par thème")
    heading(page, "Score moyen par thème et par famille juridique").wait_for()
    _charts_drawn(page, 5)
    assert page.get_by_text("masqué").count() > 0 or page.get_by_text("masquée").count() > 0
    screenshot(page, "dashboard-02-regional-results")

    _tab(page, "Évolution")
    heading(page, "Évolution d’une campagne à l’autre").wait_for()
    screenshot(page, "dashboard-03-regional-trends")

    _tab(page, "Réponses partagées")
    heading(page, "Réponses, question par question").wait_for()
    screenshot(page, "dashboard-04-regional-shared-answers")
    # another role's page is refused politely
    page.goto(f"{live_server.url}/vue-nationale")
    wait_for_app(page)
    page.get_by_text("pas accessible avec un compte").wait_for()


def test_national_body_journey(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    _tall(page)
    sign_in(page, live_server, DEMO_EMAILS["national"])
    heading(page, "Vue nationale").wait_for()  # the national body's home page
    _charts_drawn(page, 2)
    screenshot(page, "dashboard-05-national-regions")

    _tab(page, "Participation")
    screenshot(page, "dashboard-06-national-participation")

    _tab(page, "Une région")
    choose(page, "Région", "Bretagne", exact=True)
    heading(page, "Bretagne").wait_for()
    _charts_drawn(page, 4)
    screenshot(page, "dashboard-07-national-drill-down")

    _tab(page, "Microdonnées")
    page.get_by_role("button", name="Préparer les microdonnées").click()
    wait_for_app(page)
    page.get_by_text("Microdonnées pseudonymisées").wait_for()
    screenshot(page, "dashboard-08-national-microdata")


@pytest.mark.parametrize("role", ["regional", "national"])
def test_the_dashboards_fit_a_phone(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
    role: str,
) -> None:
    _on_a_phone(page)
    sign_in(page, live_server, DEMO_EMAILS[role])
    close_sidebar_on_a_phone(page, 390)
    if role == "regional":
        heading(page, "Tableau de bord régional").wait_for()
        _charts_drawn(page, 2)
        _fits(page)
        screenshot(page, "dashboard-phone-01-regional-participation")
        _tab(page, "Résultats par thème")
        heading(page, "Score moyen par thème et par famille juridique").wait_for()
        _charts_drawn(page, 5)
        _fits(page)
        screenshot(page, "dashboard-phone-02-regional-results")
    else:
        heading(page, "Vue nationale").wait_for()
        _charts_drawn(page, 2)
        _fits(page)
        screenshot(page, "dashboard-phone-03-national-regions")
