"""Sign-in tickets are single-use, even when redeemed many times at once (both engines).

Measured on the old code: one ticket redeemed 8 times at once from one browser
gave 2 sessions (the ticket was read, then closed, in two steps).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, func, select, update

from assessment import accounts
from assessment.db import read_session, write_session
from assessment.permissions import Role
from assessment.tables import User, WebSession
from assessment.web import auth_routes

from .conftest import SYSTEM, World

PASSWORD = "Un mot de passe assez long 42"
BROWSER = "browser-0001"
ATTEMPTS = 8


def _open_sessions(engine: Engine, user_id: int) -> int:
    with read_session(engine) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(WebSession)
                .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            )
            or 0
        )


def test_a_ticket_redeemed_at_once_by_many_gives_one_session(world: World) -> None:
    engine = world.engine
    auth_routes.forget_secrets()
    user_id = accounts.create_user(
        engine,
        SYSTEM,
        email="admin@a.test",
        password=PASSWORD,
        role=Role.ORG_ADMIN,
        organisation_id=world.org_a,
    )
    actor = accounts.authenticate(engine, "admin@a.test", PASSWORD)
    ticket = auth_routes.issue_ticket(engine, actor, BROWSER)
    start = threading.Barrier(ATTEMPTS)

    def redeem(_: int) -> str | None:
        start.wait()
        return auth_routes.redeem_ticket(engine, ticket, BROWSER)

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        tokens = list(pool.map(redeem, range(ATTEMPTS)))
    auth_routes.forget_secrets()
    won = [token for token in tokens if token is not None]
    assert len(won) == 1, tokens
    assert _open_sessions(engine, user_id) == 1  # the ticket itself is closed
    assert accounts.actor_for_session(engine, won[0]) == actor


def test_a_consumed_session_is_used_once_and_needs_an_active_account(world: World) -> None:
    engine = world.engine
    user_id = accounts.create_user(
        engine,
        SYSTEM,
        email="membre@a.test",
        password=PASSWORD,
        role=Role.MEMBER,
        organisation_id=world.org_a,
    )
    actor = accounts.authenticate(engine, "membre@a.test", PASSWORD)
    once = accounts.open_web_session(engine, actor)
    assert accounts.consume_web_session(engine, once) == actor
    assert accounts.consume_web_session(engine, once) is None
    inactive = accounts.open_web_session(engine, actor)
    with write_session(engine) as session:
        session.execute(update(User).where(User.id == user_id).values(active=False))
    assert accounts.consume_web_session(engine, inactive) is None
    assert accounts.consume_web_session(engine, None) is None
