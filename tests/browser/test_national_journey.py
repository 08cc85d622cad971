"""National journey in a real browser: the national body makes a new grid version from
the published one, edits it in the YAML editor (a mistake shown beside the editor, then
undone), previews it, publishes it, and opens a campaign on it.

Runs on its own server (seeded with the demo data): publishing and creating a campaign
never change what the other journeys see.  Screenshots:
``test-artifacts/screenshots/national-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from assessment import campaigns, db, grid_store
from assessment.french import typo
from assessment.permissions import Actor

from .conftest import (
    DEMO_EMAILS,
    SCREENSHOTS,
    LiveServer,
    _start_server,
    choose,
    screenshot,
    sign_in,
    wait_for_app,
)

pytestmark = pytest.mark.browser

GUIDE_ID = "guide-bonnes-pratiques-ess"
NEW_VERSION = "2027.1"


@pytest.fixture(scope="module")
def national_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _start_server(tmp_path_factory.mktemp("national"), seeded=True)


def _editor(page):  # type: ignore[no-untyped-def]
    """Ace's input inside the code editor component's frame."""
    frame = page.frame_locator('iframe[title*="code_editor"]').first
    return frame.locator(".ace_text-input").first


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(600)  # the editor sends its text 250 ms after the last key
    wait_for_app(page)


def test_national_edits_publishes_and_opens_a_campaign(page, national_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, national_server, DEMO_EMAILS["national"])
    page.get_by_role("link", name="Grilles et campagnes").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Grilles et campagnes").wait_for()
    screenshot(page, "national-1-versions")

    # a new draft from the published version
    page.get_by_text("Nouveau brouillon").click()
    page.get_by_label("Numéro de la nouvelle version").fill(NEW_VERSION)
    page.get_by_role("button", name="Créer le brouillon").click()
    page.get_by_text(f"Brouillon {GUIDE_ID}@{NEW_VERSION}").first.wait_for()
    wait_for_app(page)
    editor = _editor(page)
    editor.wait_for(state="attached")
    page.get_by_text("Grille valide").first.wait_for()

    # a mistake: an unknown key on the first line, shown beside the editor
    page.frame_locator('iframe[title*="code_editor"]').first.locator(".ace_content").click()
    editor.press("Control+Home")
    editor.type("titre: Essai\n")
    _settle(page)
    page.get_by_text("clé inconnue « titre »").first.wait_for(state="attached")
    assert page.get_by_role("button", name="Publier").is_disabled()
    screenshot(page, "national-2-error-beside-editor")

    # the line removed: valid again
    editor.press("Control+Home")
    editor.press("Shift+ArrowDown")
    editor.press("Delete")
    _settle(page)
    page.get_by_text("Grille valide").first.wait_for()
    assert page.get_by_role("button", name="Publier").is_enabled()

    # preview, as an enterprise will see the form
    page.get_by_text("Aperçu", exact=True).click()
    page.get_by_text(typo("Le formulaire tel qu'une organisation le verra")).wait_for()
    wait_for_app(page)
    page.locator('iframe[title*="code_editor"]').first.screenshot(
        path=str(SCREENSHOTS / "national-3-editor.png")
    )
    preview = page.get_by_text(typo("Le formulaire tel qu'une organisation le verra"))
    preview.scroll_into_view_if_needed()
    screenshot(page, "national-3-preview")

    page.get_by_role("button", name="Publier").click()
    page.get_by_text(f"Version {GUIDE_ID}@{NEW_VERSION} publiée").first.wait_for()
    wait_for_app(page)
    screenshot(page, "national-4-published")

    # a campaign on the new version, opening today
    page.get_by_role("tab", name="Campagnes").click()
    page.get_by_text("Nouvelle campagne").click()
    year = date.today().year + 1
    page.get_by_label("Année").fill(str(year))
    page.get_by_label("Intitulé").fill(f"Campagne {year}")
    choose(page, "Version de la grille", f"version {NEW_VERSION}")
    page.get_by_role("button", name="Créer la campagne").click()
    page.get_by_text(f"Campagne {year} créée sur la version {NEW_VERSION}").first.wait_for()
    wait_for_app(page)
    page.get_by_role("heading", name="Grilles et campagnes").scroll_into_view_if_needed()
    screenshot(page, "national-5-campaign")

    engine = db.create_database_engine(national_server.database_url)
    try:
        versions = {v.key: v.status for v in grid_store.list_grid_versions(engine, Actor.system())}
        assert versions[f"{GUIDE_ID}@{NEW_VERSION}"] == "published"
        created = next(c for c in campaigns.list_campaigns(engine) if c.year == year)
        assert created.grid_version == NEW_VERSION
        assert created.is_open()
        source = grid_store.get_grid_source(engine, Actor.system(), GUIDE_ID, NEW_VERSION)
        assert source.startswith("# Grille d’auto-évaluation par défaut")  # comments kept
        assert "titre: Essai" not in source
    finally:
        engine.dispose()
