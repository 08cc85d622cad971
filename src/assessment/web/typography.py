"""French typography on everything the pages draw: the one place every label goes through.

Pages write their texts as plain French (``"Plan d'action"``, ``"Statut :"``,
``"50 %"``); :func:`install` makes every element Streamlit sends to the
browser pass its texts through :func:`assessment.french.typo` (no-break
spaces before ``: ; ! ?``, inside « » and ``50 %``, after ``n°``; curly
apostrophes).  So no page, however written, shows a text that breaks the
rule, and pages need no ``typo()`` call of their own.

What is rewritten: titles, headers, Markdown, captions, alerts, toasts,
metrics, spinners, alternative texts, and every widget's label, help,
placeholder and validation message; expander, tab, popover and dialog titles.
What is never touched: what users typed (widget
values, the options they pick from, which keep the page's own formatting so
that the widget returns the right value), code blocks, HTML (``st.html``; in
Markdown with ``unsafe_allow_html`` only the text between tags is rewritten),
data frames and charts.

Streamlit has no public hook for this: :func:`install` wraps
``DeltaGenerator._enqueue`` and ``_block``, the two methods every element
and container goes through.  ``tests/web/test_typography.py`` opens every
page of every role and fails on any text that breaks the rule, so a
Streamlit upgrade that changes those methods is caught at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from streamlit.delta_generator import DeltaGenerator

from assessment.french import typo as _typo

Message = Any
"""A Streamlit protobuf message (protobuf ships no type stubs)."""

_CACHED_UP_TO = 2_000
_cached_typo = lru_cache(maxsize=16_384)(_typo)


def typo(text: str) -> str:
    """:func:`assessment.french.typo`, remembered for short texts: a page draws the
    same labels on every rerun."""
    return _cached_typo(text) if len(text) <= _CACHED_UP_TO else _typo(text)


TEXT_FIELDS = (
    "label",
    "help",
    "placeholder",
    "title",
    "text",
    "caption",
    "alt",
    "validate_message",
    "delta_description",
)
"""Fields of an element that are UI text (never a value the user typed)."""
LIST_FIELDS = ("captions",)
"""Repeated fields that are UI text (a radio's captions; never its options)."""
_MARKDOWN_LIKE = {"markdown", "heading", "alert", "toast", "metric"}
"""Element types whose ``body`` is UI text too."""
_BLOCK_KINDS = ("expandable", "tab", "popover", "dialog")

_INSTALLED_FLAG = "_ess_typography"


def _fix_fields(proto: Message, names: tuple[str, ...]) -> None:
    fields = proto.DESCRIPTOR.fields_by_name
    for name in LIST_FIELDS:
        if name in fields and fields[name].type == fields[name].TYPE_STRING:
            values = getattr(proto, name)
            values[:] = [typo(v) for v in values]
    for name in names:
        field = fields.get(name)
        if field is None or field.type != field.TYPE_STRING or field.is_repeated:
            continue
        value = getattr(proto, name)
        if value:
            fixed = typo(value)
            if fixed != value:
                setattr(proto, name, fixed)


_TAG = re.compile(r"(<(script|style)\b.*?</\2\s*>|<[^>]*>)", re.IGNORECASE | re.DOTALL)


def typo_html(source: str) -> str:
    """:func:`typo` on the text between the tags (never inside a tag, a script or a style)."""
    parts = _TAG.split(source)
    out: list[str] = []
    index = 0
    while index < len(parts):
        out.append(typo(parts[index]))
        if index + 1 < len(parts):
            out.append(parts[index + 1])  # the tag (or script / style block) as is
        index += 3  # text, tag, the name captured inside script|style
    return "".join(out)


def fix_element(delta_type: str, proto: Message) -> None:
    """Apply French typography to the UI texts of one element proto (in place)."""
    if delta_type in ("code", "html", "json", "text", "exception"):
        return
    if delta_type == "markdown" and getattr(proto, "allow_html", False):
        _fix_fields(proto, ("help",))
        body = getattr(proto, "body", "")
        fixed = typo_html(body)
        if fixed != body:
            proto.body = fixed
        return
    _fix_fields(proto, (*TEXT_FIELDS, "body") if delta_type in _MARKDOWN_LIKE else TEXT_FIELDS)


def fix_block(block: Message) -> None:
    """Apply French typography to a container's title (expander, tab, popover, dialog)."""
    kind = block.WhichOneof("type")
    if kind in _BLOCK_KINDS:
        _fix_fields(getattr(block, kind), TEXT_FIELDS)


def install() -> None:
    """Make every element and container go through :func:`fix_element` / :func:`fix_block`
    (once per process; later calls do nothing)."""
    if getattr(DeltaGenerator, _INSTALLED_FLAG, False):
        return
    enqueue: Callable[..., DeltaGenerator] = DeltaGenerator._enqueue
    block: Callable[..., DeltaGenerator] = DeltaGenerator._block

    def _enqueue(
        self: DeltaGenerator, delta_type: str, element_proto: Message, *args: Any, **kwargs: Any
    ) -> DeltaGenerator:
        fix_element(delta_type, element_proto)
        return enqueue(self, delta_type, element_proto, *args, **kwargs)

    def _block(
        self: DeltaGenerator, block_proto: Message | None = None, *args: Any, **kwargs: Any
    ) -> DeltaGenerator:
        if block_proto is not None:
            fix_block(block_proto)
        return block(self, block_proto, *args, **kwargs)

    DeltaGenerator._enqueue = _enqueue  # type: ignore[method-assign]
    DeltaGenerator._block = _block  # type: ignore[method-assign]
    setattr(DeltaGenerator, _INSTALLED_FLAG, True)
