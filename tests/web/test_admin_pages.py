"""The network's accounts and organisations in the app (issue 9), and temporary passwords."""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, select
from streamlit.testing.v1 import AppTest

from assessment import accounts, demo
from assessment.db import read_session
from assessment.french import typo
from assessment.organisations import list_organisations
from assessment.permissions import MUST_CHANGE_PASSWORD_FR, Actor, Role
from assessment.tables import DatabaseMark, Organisation
from assessment.web import auth_routes
from assessment.web.navigation import VISIBLE_PAGES_KEY
from assessment.web.views import _accounts, organisations_admin

from .conftest import errors_text, new_app, open_page, sign_in_cookie, warnings_text

SYSTEM = Actor.system()
HEADER = "name,siren,rna,region,legal_family,size_band,sector"


def _button(at: AppTest, label: str):  # AppTest's Button
    return next(b for b in at.button if b.label == label)


def _organisations(engine: Engine) -> int:
    with read_session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Organisation)) or 0)


def test_national_invites_then_deactivates_a_chamber_account(app_as, demo_db: Engine) -> None:
    signed = app_as(Role.NATIONAL)
    at = open_page(signed.app, "comptes-reseau").run()
    assert not at.exception
    at.text_input[0].input("cress.bretagne@ess.test")
    at.radio[0].set_value(Role.REGIONAL)
    region = at.selectbox[0]
    region.select_index(next(i for i, o in enumerate(region.options) if o.startswith("Bretagne")))
    _button(at, "Inviter").click().run()
    assert not at.exception
    assert "mot de passe provisoire" in at.success[0].value
    address, password = at.code[0].value.splitlines()
    assert address == "cress.bretagne@ess.test"
    chamber = accounts.authenticate(demo_db, address, password)
    assert (chamber.role, chamber.region, chamber.must_change_password) == (
        Role.REGIONAL,
        "53",
        True,
    )
    # shown once: gone once handed over, and never shown to another tab
    _button(at, typo(_accounts.HANDED_OVER)).click().run()
    assert not at.code
    assert not open_page(new_app(), "comptes-reseau").run().code

    pick = next(s for s in at.selectbox if s.label == "Compte")
    pick.select_index(pick.options.index(address)).run()
    _button(at, "Désactiver le compte").click().run()
    assert not at.exception
    user = next(u for u in accounts.list_users(demo_db, SYSTEM) if u.email == address)
    assert not user.active
    journal = at.dataframe[-1].value
    assert list(journal["Action"][:2]) == ["Compte désactivé", accounts_invited_label()]


def accounts_invited_label() -> str:
    from assessment.admin_audit import KIND_LABELS_FR

    return KIND_LABELS_FR["account_invited"]


def test_a_faulty_csv_line_is_reported_and_nothing_is_imported(app_as, demo_db: Engine) -> None:
    with demo_db.begin() as conn:  # a real database: a demo one refuses real organisations
        conn.execute(delete(DatabaseMark))
    before = _organisations(demo_db)
    signed = app_as(Role.REGIONAL)
    at = open_page(signed.app, "organisations-reseau").run()
    assert not at.exception
    region = signed.actor.region
    data = (
        f"{HEADER}\n"
        f"Coopérative des Deux Rives,542051180,,{region},cooperative,10-49,C\n"
        f"Association Sans Clé,732829321,,{region},association,0,\n"
    ).encode()
    at.file_uploader[0].upload("organisations.csv", data, "text/csv")
    at.run()
    _button(at, "Importer").click().run()
    assert not at.exception
    assert "1\u00a0problème\u00a0: aucune organisation importée." in errors_text(at)
    problems = at.dataframe[-1].value["Problème"].tolist()
    assert problems == ["ligne 3, siren : 732829321 n'est pas un SIREN valide (clé de contrôle)"]
    assert _organisations(demo_db) == before

    fixed = data.replace(b"732829321", b"732829320")
    at.file_uploader[0].upload("organisations.csv", fixed, "text/csv")
    at.run()
    _button(at, "Importer").click().run()
    assert any("2\u00a0organisations importées" in s.value for s in at.success)
    assert _organisations(demo_db) == before + 2


def test_a_chamber_invites_the_first_admin_of_an_organisation(app_as, demo_db: Engine) -> None:
    signed = app_as(Role.REGIONAL)
    without_admin = next(
        o
        for o in list_organisations(demo_db, signed.actor)
        if not accounts.organisation_has_admin(demo_db, signed.actor, o.id)
    )
    at = open_page(signed.app, "organisations-reseau").run()
    at.text_input(key="organisations_admin_search").input(without_admin.name).run()
    assert not at.exception
    label = typo(organisations_admin.ADMIN_EMAIL_LABEL)
    email_box = next(t for t in at.text_input if t.label == label)
    email_box.input("presidence@exemple.test")
    _button(at, "Inviter").click().run()
    assert not at.exception
    address, password = at.code[0].value.splitlines()
    admin = accounts.authenticate(demo_db, address, password)
    assert admin.organisation_id == without_admin.id and admin.role is Role.ORG_ADMIN
    assert typo("a un référent de l'auto-évaluation") in " ".join(c.value for c in at.caption)


def test_a_temporary_password_opens_only_my_account(
    demo_db: Engine, cookies: dict[str, str]
) -> None:
    invitation = accounts.invite_user(
        demo_db,
        accounts.authenticate(demo_db, "national@demo.test", demo.DEMO_PASSWORD),
        email="cress.corse@ess.test",
        role="regional",
        region="94",
    )
    cookies[auth_routes.SESSION_COOKIE] = sign_in_cookie(
        demo_db, "cress.corse@ess.test", invitation.temporary_password
    )
    at = new_app().run()
    assert not at.exception
    assert at.session_state[VISIBLE_PAGES_KEY] == ["compte"]
    assert "provisoire" in warnings_text(at)
    refused = open_page(new_app(), "tableau-regional").run()
    assert typo(MUST_CHANGE_PASSWORD_FR) in warnings_text(refused)

    at.text_input[0].input(invitation.temporary_password)
    at.text_input[1].input("mon nouveau mot de passe")
    at.text_input[2].input("mon nouveau mot de passe")
    _button(at, "Changer le mot de passe").click().run()
    assert not at.exception
    actor = accounts.authenticate(demo_db, "cress.corse@ess.test", "mon nouveau mot de passe")
    assert not actor.must_change_password


def test_an_admin_cannot_move_the_organisation_from_its_page(app_as, demo_db: Engine) -> None:
    signed = app_as(Role.ORG_ADMIN)
    at = open_page(signed.app, "organisation").run()
    region = next(s for s in at.selectbox if s.label == "Région")
    before = region.value
    region.select_index(next(i for i, o in enumerate(region.options) if o == "Corse"))
    next(t for t in at.text_input if t.label == "Téléphone").input("04 70 00 00 00")
    _button(at, "Enregistrer").click().run()
    assert not at.exception
    from assessment.organisations import get_organisation

    assert signed.actor.organisation_id is not None
    info = get_organisation(demo_db, signed.actor, signed.actor.organisation_id)
    assert (info.region, info.contact_phone) == (before, "04 70 00 00 00")
    assert any("en attente" in i.value for i in at.info)


def test_staff_actions_show_in_the_organisations_trail(app_as, demo_db: Engine) -> None:
    admin = app_as(Role.ORG_ADMIN)
    assert admin.actor.organisation_id is not None
    member = next(
        u
        for u in accounts.list_users(demo_db, SYSTEM, organisation_id=admin.actor.organisation_id)
        if u.role is Role.MEMBER
    )
    chamber = accounts.authenticate(demo_db, "cress@demo.test", demo.DEMO_PASSWORD)
    accounts.set_user_active(demo_db, chamber, member.id, False)
    at = open_page(admin.app, "organisation").run()
    assert not at.exception
    journal = at.dataframe[-1].value
    first = journal.iloc[0]
    assert (first["Par"], first["Action"], first["Compte"]) == (
        "cress@demo.test",
        "Compte désactivé",
        member.email,
    )
