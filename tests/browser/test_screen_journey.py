"""A page that reads on any screen, in a real browser: a phone (390 px) and a desktop.

On the phone: the sidebar stays closed over the form on first load, the progress
line and the contents stay on top while the page scrolls and take the reader to
a theme, every answer group is named by its question (Playwright's accessibility
snapshot), the right arrow on level 4 does not wrap to 0, and the results'
table and charts fit the screen.  On the desktop: the sidebar is open, the same
names, the history of each theme as small multiples with the draft campaign
marked provisional.

Screenshots: ``/tmp/h10-screen-shots/`` (``SHOTS``), looked at by a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assessment import assessments
from assessment.grid import text

from .conftest import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    STEP_TIMEOUT_MS,
    LiveServer,
    OrgAdmin,
    _start_server,
    heading,
    org_admin_fixture,
    sign_in,
    stored_eventually,
    wait_for_app,
)

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/h10-screen-shots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
QUESTION = "gouv-regles"


@pytest.fixture(scope="module")
def screen_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _start_server(tmp_path_factory.mktemp("screen"), seeded=True)


@pytest.fixture
def org(screen_server: LiveServer) -> Iterator[OrgAdmin]:
    """A new organisation and its admin, its assessment open with every theme worked on
    (the themes step has its own journey)."""
    yield from org_admin_fixture(
        screen_server.database_url,
        name="Association Écran Étroit",
        region="53",
        size_band="10-49",
        domain="ecran.test",
    )


def _context(browser: Any, viewport: dict[str, int], *, phone: bool) -> Any:
    context = browser.new_context(
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


TALL_MAX = 12_000


def _shot(page: Any, name: str, *, full: bool = False) -> Path:
    """The screen, or (``full``) the whole page: Streamlit scrolls inside ``stMain``, so
    the viewport grows to the content's height for the capture."""
    wait_for_app(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    viewport = page.viewport_size
    if full:
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0"
        )
        page.set_viewport_size(
            {"width": viewport["width"], "height": min(TALL_MAX, max(viewport["height"], height))}
        )
        wait_for_app(page)
    try:
        page.screenshot(path=str(path))
    finally:
        if full:
            page.set_viewport_size(viewport)
    return path


def _sign_in_phone(page: Any, server: LiveServer, email: str) -> None:
    """The sign-in form on a phone (the sidebar and its sign-out button stay closed)."""
    page.goto(server.url)
    wait_for_app(page)
    heading(page, "Connexion").wait_for()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    heading(page, "Mon auto-évaluation").wait_for()
    wait_for_app(page)


def _stored(org: OrgAdmin, question: str, horizon: str) -> Any:
    found = assessments.find_assessment(
        org.engine, org.actor, org.actor.organisation_id or 0, org.campaign.id
    )
    return None if found is None else found.answers.get(question, {}).get(horizon)


def _wait_stored(org: OrgAdmin, question: str, horizon: str, value: int) -> None:
    """Until the database holds ``value`` (the save is asynchronous to the click)."""
    found = stored_eventually(
        lambda: _stored(org, question, horizon), value, seconds=STEP_TIMEOUT_MS / 1000
    )
    assert found == value, (question, horizon, found)


def _box(page: Any, question: str, horizon: str) -> Any:
    return page.locator(f".st-key-fill-q-{question}-{horizon}")


def _scroll_main(page: Any, y: int) -> None:
    page.evaluate(f"() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, {y})")


_GROUP_NAMES = """() => [...document.querySelectorAll('[data-testid="stMain"] [role="radiogroup"]')]
  .map((g) => g.getAttribute('aria-label'))"""


def _check_names(page: Any, org: OrgAdmin) -> None:
    """Every answer group named by its horizon and question (accessibility tree)."""
    question = org.grid.question(QUESTION)
    label = " ".join(text(question.label, org.grid.language).split())
    snapshot = _box(page, QUESTION, "current").aria_snapshot()
    assert f'radiogroup "État des lieux — {label[:50]}' in " ".join(snapshot.split()), snapshot
    goal = " ".join(_box(page, QUESTION, "goal_3y").aria_snapshot().split())
    assert f'radiogroup "Objectif à 3 ans — {label[:50]}' in goal, goal
    names = [n for n in page.evaluate(_GROUP_NAMES) if n]
    horizons = {text(h.label, org.grid.language) for h in org.grid.horizons}
    assert names and not horizons & set(names), "a group named only by its horizon"
    answer_names = [n for n in names if n.split(" — ")[0] in horizons]
    assert len(answer_names) == len(set(answer_names)) > 20


def _check_sticky(page: Any) -> dict[str, float]:
    bar = page.locator(".st-key-fill-progress")
    _scroll_main(page, 6000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMain\"]').scrollTop > 3000"
    )
    box = bar.bounding_box()
    assert box is not None and 0 <= box["y"] <= 90, box  # still on top of the screen
    assert bar.get_by_text(re.compile(r"^Progression\s:\s\d+ / \d+")).is_visible()
    assert bar.get_by_role("navigation", name="Sommaire de l’auto-évaluation").is_visible()
    return box


def _go_to_theme(page: Any, bar: dict[str, float], item_id: str, title: str) -> None:
    nav = page.get_by_role("navigation", name="Sommaire de l’auto-évaluation")
    nav.locator(f'a[href="#theme-{item_id}"]').click()
    target = page.locator(f"#theme-{item_id}")
    page.wait_for_function(
        """([id, bottom]) => {
          const r = document.getElementById(id).getBoundingClientRect();
          return r.top >= bottom - 2 && r.top < window.innerHeight / 2;
        }""",
        arg=[f"theme-{item_id}", bar["y"] + bar["height"]],
    )
    assert title in target.inner_text()


def _check_arrows(page: Any, org: OrgAdmin) -> None:
    """Level 4, right arrow: still 4 (no wrap to 0, nothing saved); left arrow: 3."""
    box = _box(page, QUESTION, "goal_3y")
    box.scroll_into_view_if_needed()
    box.get_by_test_id("stRadioOption").nth(4).click()
    box.locator('input[value="4"]:checked').wait_for(state="attached")
    _wait_stored(org, QUESTION, "goal_3y", 4)
    wait_for_app(page)
    box.locator('input[value="4"]').focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    wait_for_app(page)
    assert box.locator('input[value="4"]').is_checked()
    assert not box.locator('input[value="0"]').is_checked()
    assert _stored(org, QUESTION, "goal_3y") == 4
    page.keyboard.press("ArrowLeft")  # the arrows still move between levels
    box.locator('input[value="3"]:checked').wait_for(state="attached")
    _wait_stored(org, QUESTION, "goal_3y", 3)
    wait_for_app(page)


def test_phone_filling_page(screen_server: LiveServer, org: OrgAdmin, browser: Any) -> None:
    context = _context(browser, PHONE, phone=True)
    try:
        page = context.new_page()
        _sign_in_phone(page, screen_server, org.email)
        # the sidebar does not open over the form: the title is on top, not covered
        title = page.get_by_role("heading", name="Mon auto-évaluation", exact=True)
        covered = title.evaluate(
            """(h) => { const r = h.getBoundingClientRect();
              const at = document.elementFromPoint(r.left + 10, r.top + r.height / 2);
              return !h.contains(at) && !(at && at.contains(h)); }"""
        )
        assert not covered
        assert page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "true"
        _shot(page, "phone-01-filling-top")
        _check_names(page, org)
        bar = _check_sticky(page)
        _shot(page, "phone-02-scrolled-sticky")
        diversite = org.grid.item("diversite")
        _go_to_theme(page, bar, "diversite", text(diversite.title, org.grid.language)[:20])
        _shot(page, "phone-03-contents-diversite")
        _scroll_main(page, 0)
        _check_arrows(page, org)
        _shot(page, "phone-04-arrows")
    finally:
        context.close()


def _check_fits(page: Any, width: int) -> None:
    """The results' table (every column) and charts are within the screen's width."""
    table = page.locator("table.ess-table--scores").first
    table.wait_for()
    headers = table.locator('th[scope="col"]')
    assert headers.count() == 4
    for i in range(headers.count()):
        box = headers.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    charts = page.get_by_test_id("stVegaLiteChart")
    charts.first.locator("canvas, svg").first.wait_for()
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 1, box


def test_phone_results(screen_server: LiveServer, browser: Any) -> None:
    context = _context(browser, PHONE, phone=True)
    try:
        page = context.new_page()
        _sign_in_phone(page, screen_server, DEMO_EMAILS["org_admin"])
        page.goto(f"{screen_server.url}/resultats")
        heading(page, "Résultats").wait_for()
        wait_for_app(page)
        _check_fits(page, PHONE["width"])
        _shot(page, "phone-05-results", full=True)
    finally:
        context.close()


def test_desktop_filling_and_history(
    screen_server: LiveServer, org: OrgAdmin, browser: Any
) -> None:
    context = _context(browser, DESKTOP, phone=False)
    try:
        page = context.new_page()
        sign_in(page, screen_server, org.email)  # waits for the sidebar's sign-out: open
        assert page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false"
        heading(page, "Mon auto-évaluation").wait_for()
        wait_for_app(page)
        _check_names(page, org)
        bar = _check_sticky(page)
        _shot(page, "desktop-01-scrolled-sticky")
        _go_to_theme(page, bar, "environnement", "Dimension environnementale")
        _check_arrows(page, org)
    finally:
        context.close()
    # the demo organisation: earlier campaigns, the current one still a draft
    context = _context(browser, DESKTOP, phone=False)
    try:
        page = context.new_page()
        sign_in(page, screen_server, DEMO_EMAILS["org_admin"])
        page.goto(f"{screen_server.url}/resultats")
        heading(page, "Résultats").wait_for()
        wait_for_app(page)
        page.get_by_text("provisoire (point creux)").wait_for()
        charts = page.get_by_test_id("stVegaLiteChart")
        before = charts.count()
        page.get_by_test_id("stRadio").get_by_text("Chaque thème", exact=True).click()
        wait_for_app(page)
        # one small chart per theme instead of one chart of eight lines
        page.wait_for_function(
            f"() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length"
            f" === {before - 1 + len(org.grid.items)}"
        )
        _check_fits(page, DESKTOP["width"])
        page.get_by_role("heading", name="Progression d’une campagne à l’autre").or_(
            page.get_by_role("heading", name="Progression d’une campagne à l’autre")
        ).first.scroll_into_view_if_needed()
        _shot(page, "desktop-02-history-small-multiples")
        _shot(page, "desktop-03-results", full=True)
    finally:
        context.close()
