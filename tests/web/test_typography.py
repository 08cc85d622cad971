"""Every page, for every demo role, as drawn: French typography, real plurals, French
words only, the role labels, and a page icon served by the app itself (issue 10, §3–4)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from google.protobuf.message import Message
from sqlalchemy import Engine
from streamlit.proto.Block_pb2 import Block as BlockProto
from streamlit.proto.Markdown_pb2 import Markdown
from streamlit.testing.v1 import AppTest

from assessment.french import typo, typography_problems
from assessment.permissions import ROLE_LABELS_FR, Role
from assessment.web import navigation, typography

from .conftest import SignedIn, new_app, open_page
from .markdown_text import shown

_SKIPPED_TYPES = {"html", "code", "text", "json", "exception", "arrow_vega_lite_chart"}
_MARKDOWN_FIELDS = ("body", *typography.TEXT_FIELDS)
ENGLISH = re.compile(
    r"\b(Choose|Press Enter|Skip to|Made with Streamlit|Drag and drop|Browse files|"
    r"No options|Select all)\b"
)
REJECTED = re.compile(r"\w\(s\)|CNCRESS|[Aa]dministrateur d['’]une|[Mm]embre d['’]une organisation")


def _proto_texts(kind: str, proto: Message) -> Iterator[str]:
    if isinstance(proto, BlockProto):
        which = proto.WhichOneof("type")
        if which in ("expandable", "tab", "popover", "dialog"):
            inner = getattr(proto, which)
            for name in ("label", "title", "help"):
                if name in inner.DESCRIPTOR.fields_by_name and getattr(inner, name):
                    yield shown(getattr(inner, name))
        return
    if kind in _SKIPPED_TYPES:
        return
    fields = proto.DESCRIPTOR.fields_by_name
    for name in _MARKDOWN_FIELDS:
        field = fields.get(name)
        if field is None or field.type != field.TYPE_STRING:
            continue
        if field.is_repeated:
            continue
        value = getattr(proto, name)
        if value:
            yield shown(value)
    for name in ("options", "captions"):
        field = fields.get(name)
        if field is not None and field.type == field.TYPE_STRING:
            yield from (str(o) for o in getattr(proto, name))


def page_texts(at: AppTest) -> list[str]:
    """Every text the page shows: titles, Markdown, alerts, labels, help, placeholders,
    options, expander and tab titles, table headings (not what users typed)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        kind = str(getattr(node, "type", ""))
        proto = getattr(node, "proto", None)
        if proto is not None:
            found.extend(_proto_texts(kind, proto))
        if kind == "arrow_data_frame":
            found.extend(str(c) for c in node.value.columns)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def problems_of(texts: list[str]) -> list[str]:
    bad = [f"{text!r}: {typography_problems(text)}" for text in texts if typography_problems(text)]
    bad += [f"{text!r}: English" for text in texts if ENGLISH.search(text)]
    bad += [f"{text!r}: rejected word or « (s) »" for text in texts if REJECTED.search(text)]
    return sorted(set(bad))


ROLES = [Role.MEMBER, Role.ORG_ADMIN, Role.REGIONAL, Role.NATIONAL]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_every_page_of_every_role_follows_french_typography(
    app_as: Callable[[Role], SignedIn], role: Role
) -> None:
    signed = app_as(role)
    at = signed.app.run()
    assert not at.exception
    checked = 0
    found: list[str] = []
    for spec in navigation.visible_pages(signed.actor):
        open_page(at, spec.url_path).run()
        assert not at.exception, spec.url_path
        texts = page_texts(at)
        assert texts, spec.url_path
        found += [f"{spec.url_path}: {problem}" for problem in problems_of(texts)]
        checked += len(texts)
    assert found == [], "\n".join(found)
    assert checked > 100


def test_the_sign_in_page_follows_french_typography(
    demo_db: Engine, cookies: dict[str, str]
) -> None:
    at = new_app().run()
    assert not at.exception
    texts = page_texts(at)
    assert any("Connexion" in t for t in texts)
    assert problems_of(texts) == [], "\n".join(problems_of(texts))


def test_the_scan_would_catch_a_bad_label() -> None:
    """What the hook does not rewrite (options) is seen by the scan."""
    assert problems_of(["Plan d'action"]) and problems_of(["Statut : fait"])
    assert problems_of(["3 réponse(s)"]) and problems_of(["Choose options"])
    assert problems_of([typo("Plan d'action : 50 % ; n° 3 ?")]) == []


def test_the_hook_rewrites_labels_but_never_values() -> None:
    from streamlit.proto.TextInput_pb2 import TextInput

    proto = TextInput(label="Statut :", help="Voir l'aide", placeholder="Ex. : 50 %", value="a : b")
    typography.fix_element("text_input", proto)
    assert proto.label == typo("Statut :") and proto.help == typo("Voir l'aide")
    assert proto.placeholder == typo("Ex. : 50 %")
    assert proto.default == "" and proto.value == "a : b"
    html = Markdown(body='<b style="color: red;">a : b</b>', allow_html=True)
    typography.fix_element("markdown", html)
    assert html.body == '<b style="color: red;">a\u00a0: b</b>'  # the text, never the tags


def _sidebar_html(at: AppTest) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if getattr(node, "type", "") == "html":
            out.append(str(node.proto.body))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.sidebar)
    return "\n".join(out)


@pytest.mark.parametrize(
    ("role", "label"),
    [
        (Role.MEMBER, "Contributeur à l’auto-évaluation"),
        (Role.ORG_ADMIN, "Référent de l’auto-évaluation"),
        (Role.REGIONAL, "Chambre régionale (CRESS)"),
        (Role.NATIONAL, "Instance nationale (ESS France)"),
    ],
    ids=lambda v: v.value if isinstance(v, Role) else None,
)
def test_the_sidebar_names_each_role(
    app_as: Callable[[Role], SignedIn], role: Role, label: str
) -> None:
    at = app_as(role).app.run()
    assert label == ROLE_LABELS_FR[role]
    sidebar = _sidebar_html(at)
    assert label in sidebar
    assert "dministrateur" not in sidebar and "CNCRESS" not in sidebar


def test_the_national_role_is_named_by_the_setting(
    app_as: Callable[[Role], SignedIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assessment.settings import get_settings

    monkeypatch.setenv("ASSESSMENT_NATIONAL_BODY_NAME", "Réseau national de l'ESS")
    get_settings.cache_clear()
    at = app_as(Role.NATIONAL).app.run()
    assert typo("Instance nationale (Réseau national de l'ESS)") in _sidebar_html(at)


def test_the_invitation_offers_the_new_role_names(app_as: Callable[[Role], SignedIn]) -> None:
    at = app_as(Role.ORG_ADMIN).app.run()
    open_page(at, "organisation").run()
    radio = next(r for r in at.radio if r.label == "Rôle")
    assert list(radio.options) == [
        "Contributeur à l’auto-évaluation",
        "Référent de l’auto-évaluation",
    ]


def test_the_page_icon_is_a_file_of_the_package(
    app_as: Callable[[Role], SignedIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Material icon (the browser would fetch it from Google's font server) and no
    « About » menu (its box says « Made with Streamlit »)."""
    seen: dict[str, Any] = {}
    real = st.set_page_config

    def spy(**kwargs: Any) -> None:
        seen.update(kwargs)
        real(**kwargs)

    monkeypatch.setattr(st, "set_page_config", spy)
    at = app_as(Role.MEMBER).app.run()
    assert not at.exception
    icon = seen["page_icon"]
    package = Path(typography.__file__).resolve().parent  # src/assessment/web
    assert isinstance(icon, Path) and icon == package / "static" / "favicon.png"
    assert icon.is_file() and icon.read_bytes().startswith(b"\x89PNG")
    assert seen["menu_items"] == {"Get help": None, "Report a bug": None, "About": None}
    assert not [m for m in at.markdown if "icon" in str(m.value)]  # no stray text drawn
    config = (Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text()
    assert 'toolbarMode = "minimal"' in config


def test_the_package_ships_the_icon() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"web/static/*.png"' in pyproject


@pytest.mark.parametrize(
    ("role", "page"), [(Role.ORG_ADMIN, "plan-action"), (Role.REGIONAL, "tableau-regional")]
)
def test_pickers_have_french_placeholders_and_dates(
    app_as: Callable[[Role], SignedIn], role: Role, page: str
) -> None:
    """« Choose options » and « YYYY/MM/DD » are Streamlit's defaults: every picker sets its own."""
    at = app_as(role).app.run()
    open_page(at, page).run()
    assert not at.exception
    pickers = [*at.multiselect, *at.selectbox]
    assert pickers or at.date_input
    for picker in pickers:
        assert not ENGLISH.search(picker.proto.placeholder), picker.label
    for multiselect in at.multiselect:
        assert multiselect.proto.placeholder, multiselect.label
    for day in at.date_input:
        assert day.proto.format == "DD/MM/YYYY", day.label
