"""User text is shown as text: no link, image (tracking pixel), emphasis, maths or
colour made of what people typed, on every page that shows it.

AppTest gives each element's Markdown source; :mod:`.markdown_text` renders it
as a CommonMark (GFM) parser does, and the tests look at what a reader sees.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from assessment import action_plan, assessments, organisations
from assessment.french import typo
from assessment.web.safe import md_escape
from assessment.web.views import signin

from .markdown_text import is_literal, render
from .test_filling import SYSTEM, Env, env, fill_required

__all__ = ["env"]  # the fixture, shared with the filling tests

MARKUP = [
    "[x](javascript:alert(1))",
    "[site](https://evil.example/)",
    "![](http://evil/p.png)",
    '![alt](http://evil/p.png "t")',
    "**gras** __gras__ *it* _it_",
    "$x$ et $$y$$",
    ":red[x] :blue-background[y]",
    ":material/home: :smile:",
    "<img src=x onerror=alert(1)> <b>html</b> &lt;",
    "https://evil.example/p www.evil.example a@evil.fr",
    "`code` ~~barré~~",
    "| a | b |",
    "\\*pas gras\\*",
]
LINE_STARTS = ["# Titre", "- item", "+ item", "1. item", "> cité", "    code", "===", "---"]
NAME = "Asso [x](javascript:alert(1)) ![](http://evil/p.png) **gras** $x$ :red[x] <b>b</b>"
"""One organisation name holding the main payloads (names are single-line)."""


@pytest.mark.parametrize("payload", MARKUP + LINE_STARTS)
def test_md_escape_shows_every_payload_literally(payload: str) -> None:
    for source in (md_escape(payload), f"**Nom :** {md_escape(payload)}"):
        rendered = render(source)
        assert payload.strip() in rendered.text
        assert not rendered.links and not rendered.images
        assert rendered.markup <= {"strong_open", "strong_close"}
    assert is_literal(md_escape(payload), payload.strip())


def test_lines_stay_lines() -> None:
    source = md_escape("un\n# deux\n\n- trois")
    assert render(source).text.splitlines() == ["un", "# deux", "- trois"]


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_any_line_is_shown_as_typed(value: str) -> None:
    """Property: one line of text, escaped, renders as exactly that text (spaces at
    both ends aside), with no link or image."""
    rendered = render(md_escape(value))
    assert rendered.text.strip() == value.strip()
    assert not rendered.links and not rendered.images


# ---------------------------------------------------------------------------
# pages
# ---------------------------------------------------------------------------


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception
    return at


def test_organisation_name_and_addresses_are_text(env: Env) -> None:
    organisations.update_organisation(env.engine, SYSTEM, env.org, name=NAME)
    at = _run(env.app("organisation"))
    assert is_literal(at.header[0].value, NAME)
    # an address the validator accepts, quoted back after the invitation
    address = "[x](javascript:alert(1))@evil.fr"
    next(t for t in at.text_input if t.label.startswith("Adresse e-mail")).input(address)
    next(b for b in at.button if b.label == "Inviter").click()
    at = _run(at)
    # the address is shown in a code block (plain text), never as Markdown
    assert address in at.code[0].value.splitlines()
    assert all("javascript" not in m.value for m in at.markdown)
    account = _run(env.app("compte"))
    assert any(is_literal(m.value, NAME) for m in account.markdown)


def test_action_titles_in_labels_flash_messages_and_alerts(env: Env) -> None:
    title = "Revoir **les statuts** [ici](https://evil.example/) ![](http://evil/p.png)"
    at = _run(env.app("plan-action", who="member"))
    at.text_input(key="plan:new:title").input(title)
    at.button(key="plan:add:submit").click()
    at = _run(at)
    assert is_literal(at.success[0].value, typo(f"Action ajoutée : {title}"))
    (expander,) = at.expander[1:]
    assert is_literal(expander.label, title)
    # an action past its due date: quoted in the results page's alert
    (action,) = action_plan.list_actions(env.engine, env.member, env.org)
    action_plan.update_action(
        env.engine, env.member, action.id, due_on=date.today() - timedelta(days=3)
    )
    fill_required(env.engine, env.grid, env.org, env.campaign)
    results = _run(env.app("resultats"))
    late = [e.value for e in results.error if "Actions en retard" in render(e.value).text]
    assert late and is_literal(late[0], title)


def test_text_answers_in_the_read_only_view(env: Env) -> None:
    answer = "Voir [le site](https://evil.example/)\n# Titre\n![](http://evil/p.png) $x$"
    assessment_id = fill_required(env.engine, env.grid, env.org, env.campaign)
    state = assessments.get_assessment(env.engine, SYSTEM, assessment_id)
    rev = assessments.save_answer(
        env.engine, SYSTEM, assessment_id, "gouv-enjeux", "current", answer,
        expected_revision=state.revision,
    )  # fmt: skip
    assessments.submit(env.engine, SYSTEM, assessment_id, expected_revision=rev)
    at = _run(env.app())
    (block,) = [m.value for m in at.markdown if "Enjeux et axes" in str(m.value)]
    rendered = render(block)
    assert not rendered.links and not rendered.images
    assert rendered.markup <= {"strong_open", "strong_close"}  # the question label only
    assert "Voir [le site](https://evil.example/)\n# Titre\n![](http://evil/p.png) $x$" in (
        rendered.text
    )


def test_sign_in_refusal_is_text(web_db: object, cookies: dict[str, str]) -> None:
    """The sign-in page quotes the core's message: escaped too (here, no user text)."""
    from .conftest import new_app

    at = _run(new_app())
    at.text_input(key=signin.EMAIL_KEY).input("membre\x00@demo.test")
    at.text_input(key=signin.PASSWORD_KEY).input("mot de passe")
    next(b for b in at.button if b.label == "Se connecter").click()
    at = _run(at)
    expected = "Adresse e-mail\u00a0: caractère refusé en position 7, le caractère nul"
    assert is_literal(at.error[0].value, expected)
