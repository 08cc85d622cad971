"""Accounts: argon2id hashing, sign-in, web sessions, invitations.

Throttling: ``test_sign_in_throttle.py``; what account powers may not reach:
``test_account_powers.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from assessment.accounts import (
    AccountError,
    SignInError,
    actor_for_session,
    authenticate,
    change_password,
    close_web_session,
    create_user,
    hash_password,
    invite_user,
    open_web_session,
    revoke_sessions,
    set_user_active,
    shared_secret,
    verify_password,
)
from assessment.db import NotFound, create_database_engine, read_session
from assessment.permissions import PermissionDenied, Role
from assessment.tables import User, WebSession

from .conftest import SYSTEM, World

PASSWORD = "correct horse battery"


class Clock:
    """A controllable clock for throttling and session expiry."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _user(world: World, email: str = "Admin@A.test", role: Role = Role.ORG_ADMIN) -> int:
    return create_user(
        world.engine,
        SYSTEM,
        email=email,
        password=PASSWORD,
        role=role,
        organisation_id=world.org_a,
    )


def test_hashing_is_argon2id_and_salted() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != PASSWORD and PASSWORD not in first
    assert first.startswith("$argon2id$")
    assert first != second
    assert verify_password(first, PASSWORD)
    assert not verify_password(first, PASSWORD + "!")
    assert not verify_password("not a hash", PASSWORD)


def test_only_the_hash_is_stored(world: World) -> None:
    user_id = _user(world)
    with read_session(world.engine) as session:
        row = session.get(User, user_id)
        assert row is not None
        assert row.email == "admin@a.test"  # case-insensitive: stored lower-cased
        assert row.password_hash != PASSWORD and verify_password(row.password_hash, PASSWORD)


def test_sign_in_is_case_insensitive_and_gives_the_actor(world: World) -> None:
    user_id = _user(world)
    actor = authenticate(world.engine, "  ADMIN@a.TEST ", PASSWORD)
    assert (actor.user_id, actor.role, actor.organisation_id) == (
        user_id,
        Role.ORG_ADMIN,
        world.org_a,
    )


def test_same_message_for_unknown_email_and_wrong_password(world: World) -> None:
    _user(world)
    with pytest.raises(SignInError) as wrong_password:
        authenticate(world.engine, "admin@a.test", "wrong password!")
    with pytest.raises(SignInError) as unknown:
        authenticate(world.engine, "nobody@a.test", PASSWORD)
    assert type(wrong_password.value) is type(unknown.value) is SignInError
    assert (
        str(wrong_password.value)
        == str(unknown.value)
        == "Adresse e-mail ou mot de passe incorrect."
    )


def test_deactivated_account_cannot_sign_in(world: World) -> None:
    user_id = _user(world)
    set_user_active(world.engine, world.national, user_id, False)
    with pytest.raises(SignInError, match="incorrect"):
        authenticate(world.engine, "admin@a.test", PASSWORD)


def test_web_sessions_expire_when_idle_or_too_old(world: World) -> None:
    _user(world)
    clock = Clock()
    actor = authenticate(world.engine, "admin@a.test", PASSWORD, now=clock)
    token = open_web_session(world.engine, actor, now=clock, max_age=timedelta(days=30))
    idle = timedelta(hours=8)
    assert actor_for_session(world.engine, token, now=clock, idle_timeout=idle) == actor
    # kept alive by use
    for _ in range(10):
        clock.advance(hours=7)
        assert actor_for_session(world.engine, token, now=clock, idle_timeout=idle) == actor
    clock.advance(hours=8, seconds=1)
    assert actor_for_session(world.engine, token, now=clock, idle_timeout=idle) is None

    token = open_web_session(world.engine, actor, now=clock, max_age=timedelta(days=1))
    clock.advance(hours=23)
    assert actor_for_session(world.engine, token, now=clock, idle_timeout=timedelta(days=2))
    clock.advance(hours=2)
    assert actor_for_session(world.engine, token, now=clock, idle_timeout=timedelta(days=2)) is None


def test_web_session_token_is_stored_hashed_and_can_be_closed(world: World) -> None:
    _user(world)
    actor = authenticate(world.engine, "admin@a.test", PASSWORD)
    token = open_web_session(world.engine, actor)
    with read_session(world.engine) as session:
        stored = session.scalars(select(WebSession.token_hash)).all()
    assert token not in stored and len(stored[0]) == 64
    close_web_session(world.engine, token)
    assert actor_for_session(world.engine, token) is None
    assert actor_for_session(world.engine, "not-a-token") is None
    assert actor_for_session(world.engine, None) is None


def test_revoke_all_sessions_and_deactivation(world: World) -> None:
    user_id = _user(world)
    actor = authenticate(world.engine, "admin@a.test", PASSWORD)
    tokens = [open_web_session(world.engine, actor) for _ in range(3)]
    assert revoke_sessions(world.engine, actor, user_id) == 3
    assert all(actor_for_session(world.engine, t) is None for t in tokens)
    token = open_web_session(world.engine, actor)
    set_user_active(world.engine, world.national, user_id, False)
    assert actor_for_session(world.engine, token) is None
    with pytest.raises(NotFound, match=f"Compte n° {user_id} introuvable"):
        revoke_sessions(world.engine, world.member_other_org, user_id)


def test_sessions_are_shared_between_engines(world: World) -> None:
    """Another app process (another engine on the same database) sees the sign-in."""
    _user(world)
    actor = authenticate(world.engine, "admin@a.test", PASSWORD)
    token = open_web_session(world.engine, actor)
    url = world.engine.url.render_as_string(hide_password=False)
    kwargs: dict = {}
    if world.engine.dialect.name == "postgresql":
        with world.engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    other = create_database_engine(url, **kwargs)
    try:
        assert actor_for_session(other, token) == actor
    finally:
        other.dispose()


def test_invitation_by_the_organisation_admin(world: World) -> None:
    invitation = invite_user(
        world.engine,
        world.admin,
        email="Nouvelle@A.test",
        role="member",
        organisation_id=world.org_a,
    )
    assert invitation.email == "nouvelle@a.test"
    member = authenticate(world.engine, "nouvelle@a.test", invitation.temporary_password)
    assert member.role is Role.MEMBER and member.organisation_id == world.org_a
    assert member.must_change_password
    with pytest.raises(AccountError, match="existe déjà"):
        invite_user(
            world.engine,
            world.admin,
            email="nouvelle@a.test",
            role="member",
            organisation_id=world.org_a,
        )
    with pytest.raises(AccountError, match="Seuls les comptes d'organisation"):
        invite_user(
            world.engine,
            world.admin,
            email="x@a.test",
            role="national",
            organisation_id=world.org_a,
        )


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"email": "pas-une-adresse"}, "adresse e-mail valide"),
        ({"password": "court"}, "au moins 10 caractères"),
        ({"role": "member", "organisation_id": None}, "rattaché à une organisation"),
        ({"role": "regional", "region": "99"}, "code de région"),
        ({"role": "national", "region": "84"}, "Seuls les comptes de CRESS"),
        ({"role": "system"}, "opérateur"),
    ],
)
def test_invalid_accounts_are_refused(world: World, fields: dict, words: str) -> None:
    values = {"email": "cress@test.fr", "password": PASSWORD, "role": "regional", "region": "84"}
    values |= fields
    with pytest.raises(AccountError, match=words):
        create_user(world.engine, SYSTEM, **values)


def test_change_password(world: World) -> None:
    user_id = _user(world)
    actor = authenticate(world.engine, "admin@a.test", PASSWORD)
    token = open_web_session(world.engine, actor)
    with pytest.raises(AccountError, match="actuel est incorrect"):
        change_password(
            world.engine,
            actor,
            user_id,
            new_password="nouveau mot de passe",
            current_password="faux",
        )
    change_password(
        world.engine, actor, user_id, new_password="nouveau mot de passe", current_password=PASSWORD
    )
    assert actor_for_session(world.engine, token) is None
    authenticate(world.engine, "admin@a.test", "nouveau mot de passe")
    with pytest.raises(PermissionDenied):
        change_password(
            world.engine,
            world.member,
            user_id,
            new_password="encore un autre",
            current_password="nouveau mot de passe",
        )


def test_shared_secret_is_stable(engine: Engine) -> None:
    first = shared_secret(engine, "cookie")
    assert len(first) > 40
    assert shared_secret(engine, "cookie") == first
    assert shared_secret(engine, "other") != first
