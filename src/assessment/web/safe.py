"""Showing user-supplied text as text: the one escaping helper of the web layer.

Streamlit reads Markdown (with its own additions: ``:red[…]`` colours,
``$…$`` maths, ``:material/…:`` icons) in ``st.markdown``, titles, captions,
alerts, toasts, widget and expander labels.  Text that people typed —
organisation names, e-mail addresses, action titles, text answers, comments,
error messages that quote them — must never become a link, an image (a
tracking pixel fetched by every viewer), emphasis or a formula.  So it goes
through :func:`md_escape` wherever it is drawn as Markdown; where a widget
shows plain text (``st.text``, ``st.code``, ``st.dataframe``, option labels,
``st.html`` with :func:`html.escape`), it is passed as is.

Grid texts (titles, help) are written by the national body and may use
Markdown on purpose: they are not escaped.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation character: CommonMark lets each be backslash-escaped,
which leaves it shown as itself and starting nothing (link, image, emphasis,
code, HTML, heading, list, table, maths, directive, autolink, e-mail link)."""
_LINE_START_SPACES = re.compile(r"(?m)^[ \t]+")


def md_escape(text: object) -> str:
    """``text`` as Markdown that Streamlit shows literally.

    Line breaks are kept (as hard breaks); leading spaces of a line are
    dropped, so that nothing turns into a code block.
    """
    shown = "" if text is None else str(text)
    shown = _PUNCTUATION.sub(r"\\\1", shown.replace("\r\n", "\n").replace("\r", "\n"))
    shown = _LINE_START_SPACES.sub("", shown)
    return shown.replace("\n", "  \n")
