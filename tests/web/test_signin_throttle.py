"""The sign-in page counts failures per connection: an attacker elsewhere does not
lock the user out (issue 7 §2)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from assessment import demo
from assessment.permissions import Role
from assessment.web.views import signin

from .conftest import DEMO_EMAILS, errors_text, new_app
from .test_signin import _submit


def test_the_page_counts_per_connection(
    demo_db: Engine, cookies: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin, "client_address", lambda: "203.0.113.9")
    attacker = new_app().run()
    for _ in range(7):
        attacker = _submit(attacker, DEMO_EMAILS[Role.NATIONAL], "not-the-password")
    assert "Trop de tentatives" in errors_text(attacker)
    # the user, from another connection, with the right password
    monkeypatch.setattr(signin, "client_address", lambda: "198.51.100.7")
    user = _submit(new_app().run(), DEMO_EMAILS[Role.NATIONAL], demo.DEMO_PASSWORD)
    assert not user.exception
    assert not errors_text(user)
    assert any("Connexion réussie" in s.value for s in user.success)
