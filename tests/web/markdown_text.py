"""What a reader sees of a Streamlit Markdown source: AppTest gives element
values as Markdown source, so tests render them with a CommonMark parser
(markdown-it-py, with GFM's autolinks, tables and strikethrough, and ``$…$``
maths, as Streamlit's renderer has) and look at the result."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

_MD = MarkdownIt("gfm-like").use(dollarmath_plugin)
_TAG = re.compile(r"<[^>]+>")
_DIRECTIVE = re.compile(r":[a-z]+(?:-[a-z]+)?\[")
"""Streamlit's ``:red[…]``, ``:blue-background[…]``… (text directives)."""


@dataclass(frozen=True)
class Rendered:
    text: str
    """The visible text, blocks separated by line feeds."""
    links: list[str]
    images: list[str]
    markup: set[str]
    """Token types other than plain text and paragraphs (``strong``, ``math_inline``…)."""


def _walk(tokens: list[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        if token.children:
            found.extend(_walk(token.children))
    return found


def render(source: str) -> Rendered:
    tokens = _walk(_MD.parse(source))
    links = [str(t.attrs.get("href")) for t in tokens if t.type == "link_open"]
    images = [str(t.attrs.get("src")) for t in tokens if t.type == "image"]
    plain = {"paragraph_open", "paragraph_close", "inline", "text", "text_special"}
    plain |= {"softbreak", "hardbreak"}
    markup = {t.type for t in tokens} - plain
    text = html.unescape(_TAG.sub("", _MD.render(source).replace("<br />", ""))).strip()
    return Rendered(text, links, images, markup)


def shown(source: object) -> str:
    """The text a reader sees (Markdown syntax gone, escapes resolved)."""
    return render(str(source)).text


def is_literal(source: object, expected: str) -> bool:
    """``source`` shows exactly ``expected``: no link, image, emphasis, code, maths,
    HTML or Streamlit directive made of it."""
    rendered = render(str(source))
    directive = _DIRECTIVE.search(str(source).replace("\\:", "").replace("\\[", ""))
    return (
        expected in rendered.text
        and not rendered.links
        and not rendered.images
        and not (rendered.markup - {"strong_open", "strong_close"})
        and directive is None
    )
