"""Real-browser fixtures: the app served by ``streamlit run app.py``, driven by chromium.

* ``live_server`` (session) — ``streamlit run app.py --server.headless true`` on
  a free port, in demo mode, on a temporary SQLite database already holding
  the demo data and accounts (:data:`DEMO_PASSWORD`); waits for
  ``/_stcore/health``.  Its log is in the error when it does not start.
* ``fresh_server`` (session) — the same on a database that does not exist yet.
* ``browser`` (session) — Debian's chromium (``shutil.which("chromium")``)
  through Playwright, headless.  Missing chromium: the tests skip, except
  under ``CI=true`` where they fail.
* ``context`` / ``page`` — a fresh browser profile (cookies) per test, French.
* :func:`sign_in`, :func:`sign_out`, :func:`wait_for_app`, :func:`screenshot` —
  steps shared by the journeys (``test-artifacts/screenshots/NAME.png``).
* :func:`fictional_org_admin` — a new organisation and its admin account on a
  server's demo database (written as the demo seed writes its own);
  :func:`org_admin_fixture` yields one to a fixture and disposes of its engine.
* :func:`close_sidebar_on_a_phone` — below 640 px, the sidebar closed as a user would.

Every test here is marked ``browser``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine

from assessment import accounts, assessments, campaigns, db, demo, grid_store, organisations
from assessment.grid import Grid
from assessment.permissions import Actor, Role
from assessment.tables import Organisation

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DEMO_PASSWORD = demo.DEMO_PASSWORD
DEMO_EMAILS = {account.role.value: account.email for account in demo.DEMO_ACCOUNTS}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
START_TIMEOUT = 90.0
STEP_TIMEOUT_MS = 90_000
"""Per step: generous, since CI shares 2 cores between the app, chromium and the tests."""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _missing(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    log: Path


def _seed(database_url: str) -> None:
    engine = db.create_database_engine(database_url)
    try:
        db.migrate(engine)
        grid_store.sync_grids_from_dir(engine, ROOT / "guide")
        demo.prepare_demo_database(engine)
    finally:
        engine.dispose()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit not healthy after {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if path is None:
        _missing("chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


def _start_server(
    folder: Path, *, seeded: bool, database_url: str | None = None
) -> Iterator[LiveServer]:
    """``streamlit run app.py`` on a free port (SQLite in ``folder`` unless ``database_url``)."""
    database_url = database_url or f"sqlite:///{folder / 'app.sqlite3'}"
    if seeded:
        _seed(database_url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ASSESSMENT_MODE": "demo",
        "ASSESSMENT_DATA_DIR": str(folder),
        "ASSESSMENT_GRIDS_DIR": str(ROOT / "guide"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("ASSESSMENT_SETTINGS", None)
    log = folder / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            _wait_healthy(url, process, log)
            yield LiveServer(url, database_url, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a database holding the demo data and accounts (shared by the session)."""
    yield from _start_server(tmp_path_factory.mktemp("live"), seeded=True)


@pytest.fixture(scope="session")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app as on a fresh machine: no database file yet (created on start)."""
    yield from _start_server(tmp_path_factory.mktemp("fresh"), seeded=False)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
            )
        except Exception as exc:  # a chromium that cannot start: same rule as missing
            _missing(f"chromium at {chromium_path} does not start: {exc}")
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context):  # type: ignore[no-untyped-def]
    return context.new_page()


# ---------------------------------------------------------------------------
# fictional organisations
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgAdmin:
    """An organisation admin account the journey signs in with, and what it needs to check
    the database behind the page."""

    email: str
    actor: Actor
    engine: Engine
    grid: Grid
    campaign: campaigns.CampaignInfo

    @property
    def organisation_id(self) -> int:
        assert self.actor.organisation_id is not None
        return self.actor.organisation_id


def fictional_org_admin(
    database_url: str,
    *,
    name: str,
    region: str,
    size_band: str,
    domain: str,
    themes_chosen: bool = True,
) -> OrgAdmin:
    """A new organisation and its admin account (password :data:`DEMO_PASSWORD`) on a
    demo database; the caller disposes of ``engine``.  With ``themes_chosen``, its
    assessment of the current campaign is opened with every theme worked on (the
    page itself starts a new one with the optional themes unticked: the journey of
    that step passes ``False``, leaving no assessment yet).

    A demo database takes no organisation through the core (``demo_mark``): this
    one is fictional test data, written as the demo seed writes its own."""
    engine = db.create_database_engine(database_url)
    token = uuid.uuid4()
    with db.write_session(engine) as session:
        row = Organisation(
            name=name,
            region=region,
            legal_family="association",
            size_band=size_band,
            siren=organisations.siren_with_key(f"{token.int % 10**8:08d}"),
        )
        session.add(row)
        session.flush()
        organisation_id = row.id
    email = f"admin-{token.hex[:10]}@{domain}"
    user_id = accounts.create_user(
        engine,
        Actor.system(),
        email=email,
        password=DEMO_PASSWORD,
        role=Role.ORG_ADMIN,
        organisation_id=organisation_id,
    )
    campaign = campaigns.current_campaign(engine)
    assert campaign is not None, "the demo data opens a campaign today"
    grid = grid_store.get_grid(engine, campaign.grid_id, campaign.grid_version)
    actor = Actor(
        user_id=user_id, email=email, role=Role.ORG_ADMIN, organisation_id=organisation_id
    )
    if themes_chosen:
        assessments.open_assessment(engine, actor, organisation_id, campaign.id)
    return OrgAdmin(email, actor, engine, grid, campaign)


def org_admin_fixture(
    database_url: str,
    *,
    name: str,
    region: str,
    size_band: str,
    domain: str,
    themes_chosen: bool = True,
) -> Iterator[OrgAdmin]:
    """:func:`fictional_org_admin` for a fixture (``yield from``): its engine is disposed
    of once the fixture ends."""
    admin = fictional_org_admin(
        database_url,
        name=name,
        region=region,
        size_band=size_band,
        domain=domain,
        themes_chosen=themes_chosen,
    )
    try:
        yield admin
    finally:
        admin.engine.dispose()


# ---------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save the whole page, once the app has settled, as ``test-artifacts/screenshots/NAME.png``."""
    wait_for_app(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_APP_SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && document.querySelector('[data-testid="stSkeleton"]') === null;
}"""


def wait_for_app(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has connected, run the script, and drawn every widget
    (widgets are loaded lazily: a grey skeleton stands in until their code arrives)."""
    page.wait_for_selector('[data-testid="stApp"]', state="attached")
    page.wait_for_function(_APP_SETTLED)


def stored_eventually(read: Callable[[], T], expected: T, *, seconds: float = 60) -> T:
    """What ``read()`` gives once it gives ``expected``, or after ``seconds`` (then the
    caller's assertion fails with it): a save runs after the key press or the click
    that asked for it, so the database is read until it has happened."""
    deadline = time.monotonic() + seconds
    found = read()
    while found != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        found = read()
    return found


def heading(page, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("heading", name=text, exact=True)


def sign_in(page, server: LiveServer, email: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Fill the sign-in form and wait for the signed-in app (the sidebar's sign-out)."""
    page.goto(server.url)
    wait_for_app(page)
    heading(page, "Connexion").wait_for()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    signed_in(page).wait_for()
    wait_for_app(page)


def signed_in(page):  # type: ignore[no-untyped-def]
    """The sidebar's sign-out button: there only when signed in."""
    return page.get_by_test_id("stSidebar").get_by_role("button", name="Se déconnecter")


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    signed_in(page).click()
    page.get_by_text("Vous êtes déconnecté.").wait_for()
    heading(page, "Connexion").wait_for()
    wait_for_app(page)


def close_sidebar_on_a_phone(page, width: int) -> None:  # type: ignore[no-untyped-def]
    """At 390 px the sidebar may cover the page: close it as a user would (a viewport
    ``width`` of 640 px or more keeps it)."""
    if width >= 640:
        return
    close = page.get_by_test_id("stSidebarCollapseButton")
    if close.count() and close.first.is_visible():
        close.first.locator("button").click()
        wait_for_app(page)


def choose(page, label: str, option: str, *, exact: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Pick ``option`` in the select box labelled ``label``, as a user would.

    A rerun that arrives while the list is open (a component sending its value late,
    on a loaded machine) redraws the select box and closes its list: open it again,
    as a user would, until the option can be clicked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    item = page.get_by_role("option", name=option, exact=exact)
    for _ in range(5):
        wait_for_app(page)
        box.click()
        try:
            item.wait_for(timeout=10_000)
            item.click(timeout=10_000)
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
            continue
        wait_for_app(page)
        return
    raise AssertionError(f"« {option} » never offered in « {label} »")
