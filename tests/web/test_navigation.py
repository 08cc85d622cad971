"""Each role sees exactly its pages; another role's URL is politely refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.source_util import page_icon_and_name

from assessment.french import typo
from assessment.permissions import Role
from assessment.web import navigation, state
from assessment.web.navigation import PAGES, PAGES_BY_URL, VISIBLE_PAGES_KEY

from .conftest import DEMO_EMAILS, new_app, open_page, warnings_text

EXPECTED: dict[Role, list[str]] = {
    Role.MEMBER: ["auto-evaluation", "plan-action", "resultats", "organisation", "compte"],
    Role.ORG_ADMIN: ["auto-evaluation", "plan-action", "resultats", "organisation", "compte"],
    Role.REGIONAL: ["tableau-regional", "organisations-reseau", "compte"],
    Role.NATIONAL: [
        "vue-nationale",
        "grilles-campagnes",
        "organisations-reseau",
        "comptes-reseau",
        "compte",
    ],
}
SHELL_PAGES = {
    "organisation",
    "tableau-regional",
    "vue-nationale",
    "grilles-campagnes",
    "organisations-reseau",
    "comptes-reseau",
    "compte",
}
"""The pages of this module's own (the enterprise pages have their own tests)."""
REFUSAL = typo("n'est pas accessible avec un compte")


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_its_pages(app_as, role: Role) -> None:
    at = app_as(role).app.run()
    assert not at.exception
    assert at.session_state[VISIBLE_PAGES_KEY] == EXPECTED[role]
    assert at.session_state[state.ACTOR_KEY].email == DEMO_EMAILS[role]


def test_visible_pages_pure() -> None:
    assert [p.url_path for p in navigation.visible_pages(None)] == ["connexion"]


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_shell_page_of_a_role_opens(app_as, role: Role) -> None:
    signed = app_as(role)
    for url_path in EXPECTED[role]:
        if url_path not in SHELL_PAGES:
            continue
        at = open_page(signed.app, url_path).run()
        assert not at.exception, (url_path, at.exception)
        assert REFUSAL not in warnings_text(at), url_path
        assert at.title[0].value == PAGES_BY_URL[url_path].title


@pytest.mark.parametrize("role", list(EXPECTED))
def test_other_roles_pages_are_refused(app_as, role: Role) -> None:
    signed = app_as(role)
    for spec in PAGES:
        if spec.url_path in EXPECTED[role] or spec.url_path == "connexion":
            continue
        at = open_page(signed.app, spec.url_path).run()
        assert not at.exception, spec.url_path
        assert REFUSAL in warnings_text(at), spec.url_path
        assert at.session_state[VISIBLE_PAGES_KEY] == EXPECTED[role]
        # the way back home is offered
        assert at.get("page_link"), spec.url_path


def test_regional_user_on_the_filling_page_is_refused(app_as) -> None:
    at = open_page(app_as(Role.REGIONAL).app, "auto-evaluation").run()
    assert at.title[0].value == "Mon auto-évaluation"
    expected = typo(
        "La page « Mon auto-évaluation » n'est pas accessible avec un compte "
        "« Chambre régionale (CRESS) »."
    )
    assert at.warning[0].value == expected
    assert not at.text_input and not at.radio  # nothing of the form


def test_signed_out_deep_link_shows_the_sign_in_form(demo_db: Engine, cookies: dict) -> None:
    at = open_page(new_app(), "vue-nationale").run()
    assert [t.value for t in at.title] == ["Connexion"]
    assert at.session_state[VISIBLE_PAGES_KEY] == ["connexion"]


def test_the_sign_in_url_when_signed_in_goes_home(app_as) -> None:
    at = open_page(app_as(Role.NATIONAL).app, "connexion").run()
    assert not at.exception
    assert at.title[0].value == "Vue nationale"


def test_member_sees_sharing_status_but_no_admin_controls(app_as) -> None:
    at = open_page(app_as(Role.MEMBER).app, "organisation").run()
    assert not at.toggle
    assert any("Seuls les référents" in c.value for c in at.main.caption)


def test_admin_shares_with_the_cress_through_the_core(app_as, demo_db: Engine) -> None:
    from assessment.organisations import get_organisation

    signed = app_as(Role.ORG_ADMIN)
    at = open_page(signed.app, "organisation").run()
    toggle = at.toggle[0]
    assert toggle.label == "Partager nos réponses avec la CRESS"
    before = get_organisation(
        demo_db, signed.actor, signed.actor.organisation_id
    ).shared_with_region
    assert toggle.value == before
    toggle.set_value(not before).run()
    after = get_organisation(demo_db, signed.actor, signed.actor.organisation_id)
    assert after.shared_with_region is (not before)


def test_admin_invites_a_member(app_as, demo_db: Engine) -> None:
    from assessment import accounts

    signed = app_as(Role.ORG_ADMIN)
    at = open_page(signed.app, "organisation").run()
    at.text_input(key="organisation_invite_email").input("nouvelle@demo.test")
    next(b for b in at.button if b.label == "Inviter").click().run()
    assert not at.exception
    assert "mot de passe provisoire" in at.success[0].value
    address, password = at.code[0].value.splitlines()
    assert address == "nouvelle@demo.test"
    member = accounts.authenticate(demo_db, "nouvelle@demo.test", password)
    assert member.role is Role.MEMBER and member.must_change_password


def test_regional_dashboard_is_held_to_its_region(app_as) -> None:
    at = app_as(Role.REGIONAL).app.run()
    assert at.title[0].value == "Tableau de bord régional"
    assert any("CRESS Île-de-France" in m.value for m in at.main.markdown)


def test_grids_and_campaigns_lists(app_as) -> None:
    at = open_page(app_as(Role.NATIONAL).app, "grilles-campagnes").run()
    versions, campaigns = (frame.value for frame in at.dataframe)
    assert len(versions) >= 1 and set(versions["Statut"]) == {"Publiée"}
    assert len(campaigns) == 3


def test_no_page_url_collides_with_a_pages_module_name() -> None:
    """Streamlit would take a module of ``pages/`` for a v1 page script (see app.py)."""
    folder = Path(navigation.__file__).parent / "pages"
    names = {page_icon_and_name(path)[1] for path in folder.glob("*.py")}
    assert not names & set(PAGES_BY_URL)
