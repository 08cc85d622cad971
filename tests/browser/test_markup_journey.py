"""User text in a real browser: Streamlit's own Markdown renderer (remark, GFM
autolinks, maths, ``:red[…]`` directives) shows it as typed, with no link and
no image fetched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from assessment import accounts, action_plan, campaigns, db, organisations
from assessment.permissions import Actor, Role

from .conftest import DEMO_PASSWORD, LiveServer, heading, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

NAME = "Asso [lien](https://evil.example/) ![](http://127.0.0.1:9/p.png) **gras** $x$ :red[x]"
TITLE = "Titre [ici](https://evil.example/) ![](http://127.0.0.1:9/t.png) www.evil.example"


@pytest.fixture(scope="module")
def hostile_admin(live_server: LiveServer) -> Iterator[str]:
    """A new organisation named with markup, its admin, and an action titled with markup."""
    engine = db.create_database_engine(live_server.database_url)
    system = Actor.system()
    token = uuid.uuid4()
    organisation_id = organisations.create_organisation(
        engine,
        system,
        name=NAME,
        region="53",
        legal_family="association",
        size_band="1-9",
        siren=organisations.siren_with_key(f"{token.int % 10**8:08d}"),
    )
    email = f"admin-{token.hex[:10]}@balisage.test"
    accounts.create_user(
        engine,
        system,
        email=email,
        password=DEMO_PASSWORD,
        role=Role.ORG_ADMIN,
        organisation_id=organisation_id,
    )
    campaign = campaigns.current_campaign(engine)
    assert campaign is not None
    action_plan.add_action(
        engine,
        system,
        organisation_id,
        item_id="gouvernance",
        title=TITLE,
        campaign_id=campaign.id,
    )
    try:
        yield email
    finally:
        engine.dispose()


def test_markup_in_names_and_titles_is_shown_as_typed(
    live_server: LiveServer,
    hostile_admin: str,
    page,  # type: ignore[no-untyped-def]
) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    sign_in(page, live_server, hostile_admin)

    page.goto(f"{live_server.url}/organisation")
    wait_for_app(page)
    heading(page, NAME).wait_for()
    main = page.get_by_test_id("stMain")
    assert main.locator("a[href*='evil'], img[src*='p.png']").count() == 0
    assert main.locator("strong", has_text="gras").count() == 0
    assert main.locator(".katex").count() == 0  # no maths typeset
    screenshot(page, "markup-01-organisation")

    page.goto(f"{live_server.url}/plan-action")
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    main.get_by_test_id("stExpander").filter(has_text=TITLE).first.wait_for()
    assert main.locator("a[href*='evil'], img[src*='.png']").count() == 0
    screenshot(page, "markup-02-action-plan")

    assert not [url for url in fetched if url.endswith(".png") and ":9/" in url]
