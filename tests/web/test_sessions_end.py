"""Sessions that really end: a tab opened before writes nothing afterwards.

The attack measured on the old code: a member's sessions are revoked (or the
account is deactivated, or the password changed, or the member signed out in
another tab), yet the tab that was already open keeps saving answers, because
widget callbacks run before the script and fragment reruns never reach the
entry point, both with the actor kept from the previous run.  Every write
now asks :func:`assessment.web.state.writer`, which checks the cookie against
the database at that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from unittest.mock import patch

import pytest
from sqlalchemy import Engine, update
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import local_script_runner as runner_module

from assessment import accounts, assessments
from assessment.db import write_session
from assessment.french import typo
from assessment.organisations import get_organisation
from assessment.tables import WebSession, utcnow
from assessment.web import auth_routes, state

from .test_filling import FILLING, PASSWORD, SYSTEM, Env, key, make_env

ENDED_NOTICE = "Votre session a pris fin"
NOT_SAVED = typo("n'a pas été enregistrée")


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    return make_env(web_db, cookies)


def _token(env: Env, cookie: str) -> str:
    token = auth_routes.token_from_cookie(env.engine, cookie)
    assert token is not None
    return token


def _revoke(env: Env, user_id: int, cookie: str) -> None:
    accounts.revoke_sessions(env.engine, SYSTEM, user_id)


def _deactivate(env: Env, user_id: int, cookie: str) -> None:
    accounts.set_user_active(env.engine, SYSTEM, user_id, False)


def _password_changed(env: Env, user_id: int, cookie: str) -> None:
    """The user changes the password in another tab (only oneself may)."""
    email = next(a.email for a in (env.admin, env.member) if a.user_id == user_id)
    me = accounts.authenticate(env.engine, email, PASSWORD)
    accounts.change_password(
        env.engine, me, user_id, new_password=PASSWORD + " neuf", current_password=PASSWORD
    )


def _signed_out_elsewhere(env: Env, user_id: int, cookie: str) -> None:
    accounts.close_web_session(env.engine, _token(env, cookie))


def _idle_too_long(env: Env, user_id: int, cookie: str) -> None:
    long_ago = utcnow() - timedelta(days=1)
    with write_session(env.engine) as session:
        session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id)
            .values(last_seen_at=long_ago, created_at=long_ago)
        )


ENDINGS: dict[str, Callable[[Env, int, str], None]] = {
    "revoked": _revoke,
    "deactivated": _deactivate,
    "password changed": _password_changed,
    "signed out in another tab": _signed_out_elsewhere,
    "expired": _idle_too_long,
}


def _stored(env: Env) -> dict[str, dict[str, object]]:
    found = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert found is not None
    return dict(found.answers)


def _shows_sign_in(at: AppTest, *, change_refused: bool = True) -> None:
    """The sign-in page, saying the session ended (and that the change was lost, when a
    change was refused; a full run finds the session ended before any change)."""
    assert not at.exception
    assert [t.value for t in at.title] == ["Connexion"]
    notices = "\n".join(str(i.value) for i in [*at.info, *at.warning])
    assert ENDED_NOTICE in notices
    assert (NOT_SAVED in notices) is change_refused
    assert not at.radio  # the form is gone


def run_fragment(at: AppTest, fragment_id: str) -> AppTest:
    """Run ``at`` as the browser does after a change inside an ``st.fragment``: the
    widget's callback, then that fragment alone (not the app's entry point).

    AppTest always reruns the whole script and has no public way to ask for a
    fragment run, so the rerun request it builds gets the fragment's id.
    """
    original = runner_module.RerunData

    def fragment_rerun(**kwargs: object) -> object:
        return original(fragment_id_queue=[fragment_id], **kwargs)  # type: ignore[arg-type]

    with patch.object(runner_module, "RerunData", fragment_rerun):
        return at.run()


def _first_fragment(at: AppTest) -> str:
    """The id of the page's first fragment (on « Mon auto-évaluation »: the first item)."""
    return next(iter(at._fragment_storage._fragments))


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_an_ended_session_saves_nothing_from_a_callback(env: Env, ending: str) -> None:
    at = env.app(who="member").run()
    at.radio(key=key("gouv-regles", "current")).set_value(2).run()
    assert _stored(env)["gouv-regles"] == {"current": 2}  # the session works

    ENDINGS[ending](env, env.member.user_id or 0, env.member_cookie)
    at.radio(key=key("gouv-regles", "current")).set_value(4).run()
    assert _stored(env)["gouv-regles"] == {"current": 2}
    _shows_sign_in(at)


def test_a_revoked_session_saves_nothing_from_a_fragment_rerun(env: Env) -> None:
    at = env.app(who="member").run()
    fragment = _first_fragment(at)
    run_fragment(at.radio(key=key("gouv-regles", "current")).set_value(2), fragment)
    assert not at.exception
    assert _stored(env)["gouv-regles"] == {"current": 2}  # a fragment run saves normally

    accounts.revoke_sessions(env.engine, SYSTEM, env.member.user_id or 0)
    for value in (3, 4, 1):  # the attack measured: several changes in a row
        run_fragment(at.radio(key=key("gouv-regles", "goal_1y")).set_value(value), fragment)
        if not at.radio:
            break
    assert _stored(env)["gouv-regles"] == {"current": 2}
    _shows_sign_in(at)


def test_a_deactivated_admin_cannot_stop_sharing(env: Env) -> None:
    from assessment.organisations import set_shared_with_region

    set_shared_with_region(env.engine, SYSTEM, env.org, True)
    at = env.app("organisation").run()
    toggle = at.toggle(key="organisation_share_toggle")
    assert toggle.value is True

    accounts.set_user_active(env.engine, SYSTEM, env.admin.user_id or 0, False)
    toggle.set_value(False).run()
    assert get_organisation(env.engine, SYSTEM, env.org).shared_with_region is True
    _shows_sign_in(at)


def test_a_revoked_admin_cannot_submit(env: Env) -> None:
    from .test_filling import fill_required

    fill_required(env.engine, env.grid, env.org, env.campaign)
    at = env.app().run()
    at.button(key="fill:submit").click().run()
    accounts.revoke_sessions(env.engine, SYSTEM, env.admin.user_id or 0)
    at.button(key="fill:confirm").click().run()
    found = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert found is not None and found.status == "draft"
    _shows_sign_in(at, change_refused=False)


def test_a_revoked_member_cannot_add_an_action(env: Env) -> None:
    from assessment import action_plan

    at = env.app("plan-action", who="member").run()
    accounts.revoke_sessions(env.engine, SYSTEM, env.member.user_id or 0)
    at.text_input(key="plan:new:title").input("Réviser les statuts")
    next(b for b in at.button if b.label == "Ajouter").click().run()
    assert action_plan.list_actions(env.engine, SYSTEM, env.org) == []
    _shows_sign_in(at, change_refused=False)


def test_writer_refuses_a_signed_out_tab(env: Env, cookies: dict[str, str]) -> None:
    """The check itself: no cached actor, or no valid cookie, means no write."""

    def script() -> None:
        from assessment.web import state

        state.begin_run()
        try:
            state.writer()
        except state.SessionEnded:
            import streamlit as st

            st.write("refusé")

    env.cookies[auth_routes.SESSION_COOKIE] = "forged.value"
    at = AppTest.from_function(script).run()
    assert [str(m.value) for m in at.markdown] == ["refusé"]
    assert state.WRITE_REFUSED_KEY in at.session_state


def test_a_live_session_still_writes(env: Env) -> None:
    """No false alarm: a session used within the idle timeout keeps working."""
    at = env.app(FILLING, who="member").run()
    with write_session(env.engine) as session:
        session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=5)))
    at.radio(key=key("gouv-regles", "current")).set_value(3).run()
    assert _stored(env)["gouv-regles"] == {"current": 3}
    # only the parts the answer changes reran (its item, progress, submission)...
    assert at.radio(key=key("gouv-regles", "current")).value == 3
    at.run()  # ...and the whole page is still there, signed in
    assert [t.value for t in at.title] == ["Mon auto-évaluation"]
