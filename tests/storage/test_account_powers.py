"""No role combines its account powers to read answers it may not read (issue 7 §3).

Each attack below worked on today's main: staff created an account in an
organisation, or set one's password, then signed in with it and read the
organisation's answers.
"""

from __future__ import annotations

import pytest

from assessment import accounts, assessments
from assessment.accounts import (
    AccountError,
    Invitation,
    actor_for_session,
    authenticate,
    change_password,
    create_user,
    invite_user,
    issue_reset,
    list_users,
    open_web_session,
    organisation_has_admin,
    set_user_active,
    staff_trail,
)
from assessment.db import NotFound
from assessment.organisations import organisation_trail
from assessment.permissions import MUST_CHANGE_PASSWORD_FR, Actor, PermissionDenied, Role

from .conftest import SYSTEM, World

PASSWORD = "correct horse battery"
NEW_PASSWORD = "un tout nouveau mot de passe"


def _account(
    world: World,
    email: str,
    role: Role,
    *,
    organisation_id: int | None = None,
    region: str | None = None,
) -> Actor:
    """A real account (created by the operator) and its signed-in actor."""
    create_user(
        world.engine,
        SYSTEM,
        email=email,
        password=PASSWORD,
        role=role,
        organisation_id=organisation_id,
        region=region,
    )
    return authenticate(world.engine, email, PASSWORD)


def _answers_of_b(world: World) -> int:
    state = assessments.open_assessment(world.engine, SYSTEM, world.org_b, world.campaign)
    assessments.save_answer(
        world.engine, SYSTEM, state.id, "gouv-regles", "current", 2, expected_revision=0
    )
    return state.id


def _kinds(world: World, organisation_id: int) -> list[str]:
    return [e.kind for e in organisation_trail(world.engine, SYSTEM, organisation_id)]


def test_national_cannot_create_a_member_of_an_organisation(world: World) -> None:
    national = _account(world, "national@ess.test", Role.NATIONAL)
    with pytest.raises(PermissionDenied):
        create_user(
            world.engine,
            national,
            email="espion@b.test",
            password=PASSWORD,
            role="member",
            organisation_id=world.org_b,
        )
    with pytest.raises(PermissionDenied, match="premier référent de l'auto-évaluation"):
        invite_user(
            world.engine,
            national,
            email="espion@b.test",
            role="member",
            organisation_id=world.org_b,
        )
    assert list_users(world.engine, SYSTEM, organisation_id=world.org_b) == []


def test_staff_may_not_join_an_organisation_that_has_an_admin(world: World) -> None:
    _account(world, "admin@b.test", Role.ORG_ADMIN, organisation_id=world.org_b)
    national = _account(world, "national@ess.test", Role.NATIONAL)
    chamber = _account(world, "cress84@ess.test", Role.REGIONAL, region="84")
    for staff in (national, chamber):
        with pytest.raises(PermissionDenied, match="déjà un référent de l'auto-évaluation"):
            invite_user(
                world.engine,
                staff,
                email="second@b.test",
                role="org_admin",
                organisation_id=world.org_b,
            )


def test_staff_cannot_deactivate_the_admins_then_invite_a_first_admin(world: World) -> None:
    """Deactivate B's only admin, then invite a "first" admin whose temporary password
    the staff would hold: refused, since someone of B has already signed in."""
    admin = _account(world, "admin@b.test", Role.ORG_ADMIN, organisation_id=world.org_b)
    national = _account(world, "national@ess.test", Role.NATIONAL)
    chamber = _account(world, "cress84@ess.test", Role.REGIONAL, region="84")
    assert admin.user_id is not None
    set_user_active(world.engine, national, admin.user_id, False)
    assert organisation_has_admin(world.engine, national, world.org_b)
    for staff in (national, chamber):
        with pytest.raises(PermissionDenied):
            invite_user(
                world.engine,
                staff,
                email="taker@b.test",
                role="org_admin",
                organisation_id=world.org_b,
            )
    assert all(u.email != "taker@b.test" for u in list_users(world.engine, SYSTEM))


def test_national_cannot_set_the_password_of_an_organisation_admin(world: World) -> None:
    """change_password by the national role needed no current password on today's main."""
    admin_b = _account(world, "admin@b.test", Role.ORG_ADMIN, organisation_id=world.org_b)
    national = _account(world, "national@ess.test", Role.NATIONAL)
    assert admin_b.user_id is not None
    for current in (PASSWORD, "je ne sais pas"):
        with pytest.raises(PermissionDenied):
            change_password(
                world.engine,
                national,
                admin_b.user_id,
                new_password=NEW_PASSWORD,
                current_password=current,
            )
    with pytest.raises(PermissionDenied, match="auto-évaluation de son organisation"):
        issue_reset(world.engine, national, admin_b.user_id)
    assert authenticate(world.engine, "admin@b.test", PASSWORD) == admin_b


def test_the_first_admin_invitation_must_be_completed_before_anything(world: World) -> None:
    national = _account(world, "national@ess.test", Role.NATIONAL)
    assessment_id = _answers_of_b(world)
    invitation = invite_user(
        world.engine,
        national,
        email="Presidente@B.test",
        role="org_admin",
        organisation_id=world.org_b,
    )
    assert isinstance(invitation, Invitation) and invitation.email == "presidente@b.test"
    first = authenticate(world.engine, "presidente@b.test", invitation.temporary_password)
    assert first.must_change_password and first.user_id is not None
    token = open_web_session(world.engine, first)
    session_actor = actor_for_session(world.engine, token)
    assert session_actor is not None and session_actor.must_change_password
    with pytest.raises(PermissionDenied) as refused:
        assessments.get_assessment(world.engine, session_actor, assessment_id)
    assert refused.value.message == MUST_CHANGE_PASSWORD_FR
    with pytest.raises(PermissionDenied):
        invite_user(
            world.engine,
            session_actor,
            email="x@b.test",
            role="member",
            organisation_id=world.org_b,
        )
    change_password(
        world.engine,
        session_actor,
        first.user_id,
        new_password=NEW_PASSWORD,
        current_password=invitation.temporary_password,
    )
    assert actor_for_session(world.engine, token) is None  # every session ended
    admin = authenticate(world.engine, "presidente@b.test", NEW_PASSWORD)
    assert not admin.must_change_password
    assert assessments.get_assessment(world.engine, admin, assessment_id).organisation_id == (
        world.org_b
    )
    # the organisation's admins see who gave it its first admin
    trail = organisation_trail(world.engine, admin, world.org_b)
    assert [(e.kind, e.actor_email, e.subject_email) for e in trail] == [
        ("temporary_password_replaced", "presidente@b.test", "presidente@b.test"),
        ("first_admin_invited", "national@ess.test", "presidente@b.test"),
    ]


def test_a_chamber_invites_first_admins_of_its_region_only(world: World) -> None:
    chamber = _account(world, "cress84@ess.test", Role.REGIONAL, region="84")
    invite_user(
        world.engine, chamber, email="admin@b.test", role="org_admin", organisation_id=world.org_b
    )
    with pytest.raises(NotFound):
        invite_user(
            world.engine,
            chamber,
            email="admin@c.test",
            role="org_admin",
            organisation_id=world.org_other_region,
        )


def test_a_reset_is_completed_by_the_user_and_audited(world: World) -> None:
    admin = _account(world, "admin@a.test", Role.ORG_ADMIN, organisation_id=world.org_a)
    member = _account(world, "membre@a.test", Role.MEMBER, organisation_id=world.org_a)
    assert member.user_id is not None
    token = open_web_session(world.engine, member)
    invitation = issue_reset(world.engine, admin, member.user_id)
    assert actor_for_session(world.engine, token) is None  # its sessions ended
    with pytest.raises(accounts.SignInError):
        authenticate(world.engine, "membre@a.test", PASSWORD)
    again = authenticate(world.engine, "membre@a.test", invitation.temporary_password)
    assert again.must_change_password
    with pytest.raises(AccountError, match="différent"):
        change_password(
            world.engine,
            again,
            member.user_id,
            new_password=invitation.temporary_password,
            current_password=invitation.temporary_password,
        )
    assert _kinds(world, world.org_a)[:1] == ["account_reset"]


def test_national_manages_the_chambers_accounts(world: World) -> None:
    national = _account(world, "national@ess.test", Role.NATIONAL)
    invitation = invite_user(
        world.engine, national, email="cress53@ess.test", role="regional", region="53"
    )
    chamber = authenticate(world.engine, "cress53@ess.test", invitation.temporary_password)
    assert chamber.region == "53" and chamber.user_id is not None
    reset = issue_reset(world.engine, national, chamber.user_id)
    assert reset.temporary_password != invitation.temporary_password
    set_user_active(world.engine, national, chamber.user_id, False)
    with pytest.raises(accounts.SignInError):
        authenticate(world.engine, "cress53@ess.test", reset.temporary_password)
    kinds = [e.kind for e in staff_trail(world.engine, national)]
    assert kinds[:3] == ["account_deactivated", "account_reset", "account_invited"]
    staff = list_users(world.engine, national, staff_only=True)
    assert {u.email for u in staff} == {"national@ess.test", "cress53@ess.test"}
    # a chamber manages no staff account
    other = _account(world, "cress84@ess.test", Role.REGIONAL, region="84")
    with pytest.raises(NotFound):
        set_user_active(world.engine, other, chamber.user_id, True)
    with pytest.raises(PermissionDenied):
        invite_user(world.engine, other, email="cress11@ess.test", role="regional", region="11")


def test_deactivation_by_staff_is_in_the_organisations_trail(world: World) -> None:
    chamber = _account(world, "cress84@ess.test", Role.REGIONAL, region="84")
    member = _account(world, "membre@a.test", Role.MEMBER, organisation_id=world.org_a)
    assert member.user_id is not None
    set_user_active(world.engine, chamber, member.user_id, False)
    event = organisation_trail(world.engine, SYSTEM, world.org_a)[0]
    assert (event.kind, event.actor_email, event.subject_email) == (
        "account_deactivated",
        "cress84@ess.test",
        "membre@a.test",
    )
    other_chamber = _account(world, "cress11@ess.test", Role.REGIONAL, region="11")
    with pytest.raises(NotFound):
        set_user_active(world.engine, other_chamber, member.user_id, True)


def test_unknown_and_invisible_accounts_look_alike(world: World) -> None:
    member = _account(world, "membre@a.test", Role.MEMBER, organisation_id=world.org_a)
    outsider = _account(world, "admin@b.test", Role.ORG_ADMIN, organisation_id=world.org_b)
    assert member.user_id is not None
    unknown = member.user_id + 1000
    for call in (
        lambda user_id: set_user_active(world.engine, outsider, user_id, False),
        lambda user_id: issue_reset(world.engine, outsider, user_id),
        lambda user_id: accounts.revoke_sessions(world.engine, outsider, user_id),
    ):
        with pytest.raises(NotFound) as invisible:
            call(member.user_id)
        with pytest.raises(NotFound) as missing:
            call(unknown)
        assert str(invisible.value).replace(str(member.user_id), "N") == str(missing.value).replace(
            str(unknown), "N"
        )


def test_inviting_an_address_registered_elsewhere_reveals_nothing(world: World) -> None:
    _account(world, "direction@b.test", Role.ORG_ADMIN, organisation_id=world.org_b)
    admin_a = _account(world, "admin@a.test", Role.ORG_ADMIN, organisation_id=world.org_a)
    elsewhere = invite_user(
        world.engine, admin_a, email="Direction@B.test", role="member", organisation_id=world.org_a
    )
    fresh = invite_user(
        world.engine, admin_a, email="nouveau@a.test", role="member", organisation_id=world.org_a
    )
    assert type(elsewhere) is type(fresh)
    assert elsewhere.email == "direction@b.test"
    assert len(elsewhere.temporary_password) == len(fresh.temporary_password)
    # nothing was created or changed: the other account keeps its password
    assert authenticate(world.engine, "direction@b.test", PASSWORD).organisation_id == world.org_b
    with pytest.raises(accounts.SignInError):
        authenticate(world.engine, "direction@b.test", elsewhere.temporary_password)
    # both look the same in the organisation's trail; the staff's trail says what happened
    assert _kinds(world, world.org_a)[:2] == ["account_invited", "account_invited"]
    assert [e.kind for e in staff_trail(world.engine, SYSTEM)] == ["invitation_to_existing_address"]
    # an address the inviter may see is refused plainly
    with pytest.raises(AccountError, match="existe déjà"):
        invite_user(
            world.engine,
            admin_a,
            email="nouveau@a.test",
            role="member",
            organisation_id=world.org_a,
        )
