"""Streamlit's own interface in French, in a real browser (issue 10, §3–4): the skip link,
the « press Enter » hints, screen-reader labels, no English menu, a local tab icon."""

from __future__ import annotations

import re

import pytest

from .conftest import DEMO_EMAILS, LiveServer, heading, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

ENGLISH = re.compile(
    r"Press (Enter|Ctrl|⌘)|Skip to main content|Made with Streamlit|Choose options"
)

_ICON_HREF = """() => [...document.querySelectorAll("link[rel~='icon']")].map((l) => l.href)"""
_ENGLISH_LABELS = """() => [...document.querySelectorAll('[aria-label]')]
  .map((e) => e.getAttribute('aria-label'))
  .filter((l) => /^(Collapse sidebar|Expand sidebar|Main menu|Increment|Decrement)$/.test(l))"""


def test_sign_in_page_speaks_french_and_needs_no_outside_server(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )
    page.goto(live_server.url)
    wait_for_app(page)
    heading(page, "Connexion").wait_for()
    skip = page.get_by_test_id("stSkipToContent")
    if skip.count():
        assert skip.first.text_content() == "Aller au contenu principal"
    page.get_by_label("Adresse e-mail").fill("quelqu.un@exemple.fr")
    hint = page.get_by_test_id("InputInstructions").first
    hint.wait_for()
    assert hint.text_content() is not None and "Entrée" in hint.text_content()
    screenshot(page, "french-chrome-01-sign-in-typing")
    body = page.locator("body").inner_text()
    assert not ENGLISH.search(body), ENGLISH.search(body)
    assert page.get_by_test_id("stMainMenu").count() == 0  # no « About / Made with Streamlit »
    icons = page.evaluate(_ICON_HREF)
    assert icons and all(href.startswith(live_server.url) for href in icons), icons
    assert outside == [], outside


def test_signed_in_pages_have_french_screen_reader_labels(
    live_server: LiveServer,
    page,  # type: ignore[no-untyped-def]
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["org_admin"])
    page.goto(f"{live_server.url}/plan-action")
    wait_for_app(page)
    heading(page, "Plan d’action").wait_for()
    page.get_by_test_id("stSidebar").wait_for()
    assert page.evaluate(_ENGLISH_LABELS) == []
    body = page.locator("body").inner_text()
    assert not ENGLISH.search(body), ENGLISH.search(body)
    screenshot(page, "french-chrome-02-action-plan")
