"""Every role × every service operation: allowed ones succeed, the others raise PermissionDenied.

Roles: a member and an admin of organisation A, the CRESS of A's region and of
another region, the national council, and a member of another organisation B
(same region as A).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from assessment import (
    accounts,
    action_plan,
    assessments,
    campaigns,
    exports,
    grid_store,
    organisations,
)
from assessment.db import NotFound
from assessment.permissions import Action, Actor, PermissionDenied

from .conftest import COMPLETE_ANSWERS, GRIDS_V1, SYSTEM, World

ROLES = ("member", "admin", "regional_same", "regional_other", "national", "member_other_org")
ORG_USERS = {"member", "admin"}
ADMIN = {"admin"}
NATIONAL = {"national"}
CHAMBER = {"regional_same"}
PASSWORD = "un mot de passe"


def _actor(world: World, role: str) -> Actor:
    return getattr(world, role)


def _assessment(world: World, *, complete: bool = False, submitted: bool = False) -> dict[str, Any]:
    state = assessments.open_assessment(world.engine, SYSTEM, world.org_a, world.campaign)
    revision = state.revision
    if complete or submitted:
        for (question, horizon), value in COMPLETE_ANSWERS.items():
            revision = assessments.save_answer(
                world.engine,
                SYSTEM,
                state.id,
                question,
                horizon,
                value,
                expected_revision=revision,
            )
    if submitted:
        revision = assessments.submit(world.engine, SYSTEM, state.id, expected_revision=revision)
    return {"id": state.id, "revision": revision}


def _shared(world: World) -> dict[str, Any]:
    organisations.set_shared_with_region(world.engine, SYSTEM, world.org_a, True)
    return _assessment(world, submitted=True)


def _nothing(world: World) -> dict[str, Any]:
    return {}


def _with_action(world: World) -> dict[str, Any]:
    return {
        "action": action_plan.add_action(
            world.engine, SYSTEM, world.org_a, item_id="gouvernance", title="Réviser les statuts"
        )
    }


def _with_draft_grid(world: World) -> dict[str, Any]:
    source = (
        (GRIDS_V1 / "small-v1.yaml")
        .read_text(encoding="utf-8")
        .replace('version: "1"', 'version: "9"')
    )
    grid_store.save_draft(world.engine, SYSTEM, source)
    return {"source": source}


def _with_member_account(world: World) -> dict[str, Any]:
    user_id = accounts.create_user(
        world.engine,
        SYSTEM,
        email="membre.compte@a.test",
        password=PASSWORD,
        role="member",
        organisation_id=world.org_a,
    )
    return {"user": user_id}


def _with_admin_account(world: World) -> dict[str, Any]:
    accounts.create_user(
        world.engine,
        SYSTEM,
        email="admin.compte@a.test",
        password=PASSWORD,
        role="org_admin",
        organisation_id=world.org_a,
    )
    return {}


def _with_chamber_account(world: World) -> dict[str, Any]:
    user_id = accounts.create_user(
        world.engine, SYSTEM, email="cress.compte@test.fr", password=PASSWORD, role="regional",
        region="84",
    )  # fmt: skip
    return {"user": user_id}


def _with_change_request(world: World) -> dict[str, Any]:
    organisations.update_organisation(world.engine, world.admin, world.org_a, size_band="50-249")
    request = organisations.pending_change_request(world.engine, world.admin, world.org_a)
    assert request is not None
    return {"request": request.id}


def _imported(actor: Actor, result: organisations.ImportResult) -> None:
    """A chamber importing another region's organisations is refused line by line."""
    if not result.ok:
        raise PermissionDenied(actor, Action.MANAGE_ORGANISATIONS, "; ".join(result.problems))


CSV = (
    "name,siren,rna,region,legal_family,size_band,sector\n"
    "Mutuelle du Test,542051180,,84,mutual,50-249,K\n"
)


@dataclass(frozen=True)
class Operation:
    setup: Callable[[World], dict[str, Any]]
    run: Callable[[World, Actor, dict[str, Any]], object]
    allowed: frozenset[str]


OPERATIONS: dict[str, Operation] = {
    "read assessment (not shared)": Operation(
        _assessment,
        lambda w, a, c: assessments.get_assessment(w.engine, a, c["id"]),
        frozenset(ORG_USERS),
    ),
    "read assessment (shared with the CRESS)": Operation(
        _shared,
        lambda w, a, c: assessments.get_assessment(w.engine, a, c["id"]),
        frozenset(ORG_USERS | {"regional_same"}),
    ),
    "find assessment (not shared)": Operation(
        _assessment,
        lambda w, a, c: assessments.find_assessment(w.engine, a, w.org_a, w.campaign),
        frozenset(ORG_USERS),
    ),
    "list assessments (shared)": Operation(
        _shared,
        lambda w, a, c: assessments.list_assessments(w.engine, a, w.org_a),
        frozenset(ORG_USERS | {"regional_same"}),
    ),
    "submission history (shared)": Operation(
        _shared,
        lambda w, a, c: assessments.list_submissions(w.engine, a, c["id"]),
        frozenset(ORG_USERS | {"regional_same"}),
    ),
    "audit trail (not shared)": Operation(
        _assessment,
        lambda w, a, c: assessments.audit_trail(w.engine, a, c["id"]),
        frozenset(ORG_USERS),
    ),
    "start assessment": Operation(
        _nothing,
        lambda w, a, c: assessments.open_assessment(w.engine, a, w.org_a, w.campaign),
        frozenset(ORG_USERS),
    ),
    "edit assessment (answer)": Operation(
        _assessment,
        lambda w, a, c: assessments.save_answer(
            w.engine, a, c["id"], "gouv-regles", "current", 2, expected_revision=c["revision"]
        ),
        frozenset(ORG_USERS),
    ),
    "edit assessment (comment)": Operation(
        _assessment,
        lambda w, a, c: assessments.save_comment(
            w.engine, a, c["id"], "gouv-regles", "current", "Vu", expected_revision=c["revision"]
        ),
        frozenset(ORG_USERS),
    ),
    "edit assessment (not addressed)": Operation(
        _assessment,
        lambda w, a, c: assessments.set_not_addressed(
            w.engine, a, c["id"], ["environnement"], expected_revision=c["revision"]
        ),
        frozenset(ORG_USERS),
    ),
    "submit assessment": Operation(
        lambda w: _assessment(w, complete=True),
        lambda w, a, c: assessments.submit(w.engine, a, c["id"], expected_revision=c["revision"]),
        frozenset(ADMIN),
    ),
    "reopen assessment": Operation(
        lambda w: _assessment(w, submitted=True),
        lambda w, a, c: assessments.reopen(w.engine, a, c["id"], expected_revision=c["revision"]),
        frozenset(ADMIN),
    ),
    "share with the CRESS": Operation(
        _nothing,
        lambda w, a, c: organisations.set_shared_with_region(w.engine, a, w.org_a, True),
        frozenset(ADMIN),
    ),
    "invite member": Operation(
        _nothing,
        lambda w, a, c: accounts.invite_user(
            w.engine, a, email="nouveau@a.test", role="member", organisation_id=w.org_a
        ),
        frozenset(ADMIN),
    ),
    "invite the first admin (organisation without one)": Operation(
        _nothing,
        lambda w, a, c: accounts.invite_user(
            w.engine, a, email="nouveau@a.test", role="org_admin", organisation_id=w.org_a
        ),
        frozenset(ADMIN | NATIONAL | CHAMBER),
    ),
    "invite an admin (organisation with one)": Operation(
        _with_admin_account,
        lambda w, a, c: accounts.invite_user(
            w.engine, a, email="nouveau@a.test", role="org_admin", organisation_id=w.org_a
        ),
        frozenset(ADMIN),
    ),
    "invite a chamber's account": Operation(
        _nothing,
        lambda w, a, c: accounts.invite_user(
            w.engine, a, email="cress53@test.fr", role="regional", region="53"
        ),
        frozenset(NATIONAL),
    ),
    "reset an organisation's account": Operation(
        _with_member_account,
        lambda w, a, c: accounts.issue_reset(w.engine, a, c["user"]),
        frozenset(ADMIN),
    ),
    "reset a chamber's account": Operation(
        _with_chamber_account,
        lambda w, a, c: accounts.issue_reset(w.engine, a, c["user"]),
        frozenset(NATIONAL),
    ),
    "deactivate an organisation's account": Operation(
        _with_member_account,
        lambda w, a, c: accounts.set_user_active(w.engine, a, c["user"], False),
        frozenset(ADMIN | NATIONAL | CHAMBER),
    ),
    "deactivate a chamber's account": Operation(
        _with_chamber_account,
        lambda w, a, c: accounts.set_user_active(w.engine, a, c["user"], False),
        frozenset(NATIONAL),
    ),
    "set another account's password": Operation(
        _with_member_account,
        lambda w, a, c: accounts.change_password(
            w.engine, a, c["user"], new_password="un autre mot de passe", current_password=PASSWORD
        ),
        frozenset(),
    ),
    "list the organisation's accounts": Operation(
        _nothing,
        lambda w, a, c: accounts.list_users(w.engine, a, organisation_id=w.org_a),
        frozenset(ADMIN | NATIONAL | CHAMBER),
    ),
    "read the organisation's trail": Operation(
        _nothing,
        lambda w, a, c: organisations.organisation_trail(w.engine, a, w.org_a),
        frozenset(ADMIN | NATIONAL | CHAMBER),
    ),
    "review a change of category": Operation(
        _with_change_request,
        lambda w, a, c: organisations.review_change_request(w.engine, a, c["request"], accept=True),
        frozenset(NATIONAL | CHAMBER),
    ),
    "read organisation": Operation(
        _nothing,
        lambda w, a, c: organisations.get_organisation(w.engine, a, w.org_a),
        frozenset(ORG_USERS | {"regional_same"} | NATIONAL),
    ),
    "edit organisation": Operation(
        _nothing,
        lambda w, a, c: organisations.update_organisation(
            w.engine, a, w.org_a, name="Association Les Jardins de Bellevue et d'Ailleurs"
        ),
        frozenset(ADMIN | NATIONAL | CHAMBER),
    ),
    "read action plan (not shared)": Operation(
        _with_action,
        lambda w, a, c: action_plan.list_actions(w.engine, a, w.org_a),
        frozenset(ORG_USERS),
    ),
    "export action plan (shared)": Operation(
        lambda w: _shared(w) | _with_action(w),
        lambda w, a, c: exports.action_plan_csv(
            None, action_plan.list_actions(w.engine, a, w.org_a)
        ),
        frozenset(ORG_USERS | {"regional_same"}),
    ),
    "edit action plan (add)": Operation(
        _nothing,
        lambda w, a, c: action_plan.add_action(
            w.engine,
            a,
            w.org_a,
            item_id="gouvernance",
            title="Former les élus",
            campaign_id=w.campaign,
            horizon_id="goal_1y",
        ),
        frozenset(ORG_USERS),
    ),
    "edit action plan (update)": Operation(
        _with_action,
        lambda w, a, c: action_plan.update_action(w.engine, a, c["action"], status="done"),
        frozenset(ORG_USERS),
    ),
    "edit action plan (delete)": Operation(
        _with_action,
        lambda w, a, c: action_plan.delete_action(w.engine, a, c["action"]),
        frozenset(ORG_USERS),
    ),
    "manage campaigns (create)": Operation(
        _nothing,
        lambda w, a, c: campaigns.create_campaign(
            w.engine,
            a,
            year=date.today().year + 3,
            opens_on=date.today(),
            closes_on=date.today() + timedelta(days=90),
            grid_id="petite-grille",
        ),
        frozenset(NATIONAL),
    ),
    "manage campaigns (close)": Operation(
        _nothing,
        lambda w, a, c: campaigns.close_campaign(w.engine, a, w.campaign),
        frozenset(NATIONAL),
    ),
    "manage grids (save draft)": Operation(
        _nothing,
        lambda w, a, c: grid_store.save_draft(
            w.engine,
            a,
            (GRIDS_V1 / "small-v1.yaml")
            .read_text(encoding="utf-8")
            .replace('version: "1"', 'version: "8"'),
        ),
        frozenset(NATIONAL),
    ),
    "manage grids (publish)": Operation(
        _with_draft_grid,
        lambda w, a, c: grid_store.publish(w.engine, a, "petite-grille", "9"),
        frozenset(NATIONAL),
    ),
    "create an account with a password (operator only)": Operation(
        _nothing,
        lambda w, a, c: accounts.create_user(
            w.engine,
            a,
            email="cress53@test.fr",
            password="un mot de passe",
            role="regional",
            region="53",
        ),
        frozenset(),
    ),
    "manage users (list all)": Operation(
        _nothing,
        lambda w, a, c: accounts.list_users(w.engine, a),
        frozenset(NATIONAL),
    ),
    "import organisations": Operation(
        _nothing,
        lambda w, a, c: _imported(a, organisations.import_organisations_csv(w.engine, a, CSV)),
        frozenset(NATIONAL | CHAMBER),
    ),
    "create organisation": Operation(
        _nothing,
        lambda w, a, c: organisations.create_organisation(
            w.engine,
            a,
            name="Fondation du Test",
            siren="542051180",
            region="84",
            legal_family="foundation",
            size_band="50-249",
        ),
        frozenset(NATIONAL | CHAMBER),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_permission_matrix(world: World, operation: str, role: str) -> None:
    spec = OPERATIONS[operation]
    context = spec.setup(world)
    actor = _actor(world, role)
    if role in spec.allowed:
        spec.run(world, actor, context)
    else:
        # refused; an organisation or account the actor may not see is "not found"
        with pytest.raises((PermissionDenied, NotFound)) as caught:
            spec.run(world, actor, context)
        assert caught.value.message  # French, safe to show


def test_regional_sees_a_shared_assessment_no_more_once_sharing_is_undone(world: World) -> None:
    context = _shared(world)
    assessments.get_assessment(world.engine, world.regional_same, context["id"])
    organisations.set_shared_with_region(world.engine, world.admin, world.org_a, False)
    with pytest.raises(PermissionDenied):
        assessments.get_assessment(world.engine, world.regional_same, context["id"])


def test_organisation_lists_are_scoped(world: World) -> None:
    def names(actor: Actor) -> set[int]:
        return {o.id for o in organisations.list_organisations(world.engine, actor)}

    everyone = {world.org_a, world.org_b, world.org_other_region}
    assert names(world.national) == everyone
    assert names(SYSTEM) == everyone
    assert names(world.regional_same) == {world.org_a, world.org_b}
    assert names(world.regional_other) == {world.org_other_region}
    assert names(world.member) == {world.org_a}
    assert names(world.member_other_org) == {world.org_b}
    with pytest.raises(PermissionDenied):
        organisations.list_organisations(world.engine, world.regional_same, region="11")


def test_drafts_of_grids_are_listed_for_the_national_council_only(world: World) -> None:
    _with_draft_grid(world)
    national = grid_store.list_grid_versions(world.engine, world.national)
    member = grid_store.list_grid_versions(world.engine, world.member)
    assert {(v.version, v.status) for v in national} == {("1", "published"), ("9", "draft")}
    assert {(v.version, v.status) for v in member} == {("1", "published")}
    with pytest.raises(PermissionDenied):
        grid_store.get_grid_source(world.engine, world.member, "petite-grille", "9")


def test_the_national_role_is_named_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from assessment.permissions import ROLE_LABELS_FR, Role, role_label
    from assessment.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.delenv("ASSESSMENT_NATIONAL_BODY_NAME", raising=False)
    try:
        assert ROLE_LABELS_FR[Role.NATIONAL] == "Instance nationale (ESS France)"
        assert "CNCRESS" not in " ".join(ROLE_LABELS_FR.values())
        monkeypatch.setenv("ASSESSMENT_NATIONAL_BODY_NAME", "Réseau national")
        get_settings.cache_clear()
        assert role_label(Role.NATIONAL) == "Instance nationale (Réseau national)"
        assert ROLE_LABELS_FR[Role.REGIONAL] == "Chambre régionale (CRESS)"
    finally:
        get_settings.cache_clear()
