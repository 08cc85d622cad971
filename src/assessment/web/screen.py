"""What makes long pages read on any screen: tables that fit a phone, the filling
page's sticky progress line and contents, radio groups that do not wrap around.

Public Streamlit APIs only, plus a little CSS and one script through
``st.html``:

* :func:`frame_table` draws a small table as real HTML (``<th scope>``,
  caption): it wraps its headers and cells to the width of a phone, where
  ``st.dataframe`` (a canvas) showed only its first column, and screen readers
  read it as a table.
* :func:`sticky` keeps a keyed container at the top of the page while it
  scrolls (``position: sticky``; the key gives it a ``st-key-…`` class).
* :func:`radio_ends` (the page script) stops the arrow keys at the ends of a
  radio group, and makes the contents links scroll to their section and move
  the focus there.  On the arrows: a
  browser's radio group (and React Aria's, which Streamlit uses) wraps around:
  the right arrow on the last option checks the first one, and the page saves
  each answer as it is checked, so « 4 – Exemplaire » became « 0 – Non
  engagé » with one keystroke.  The arrows still move between options (the
  group keeps its native role, name and « 3 sur 5 » position for screen
  readers); only the jump from one end to the other is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pandas as pd
import streamlit as st

STICKY_TOP = "3.75rem"
"""Below Streamlit's own top bar (``stHeader``, 3.75 rem high)."""


def frame_table(frame: pd.DataFrame, caption: str, *, key: str | None = None) -> None:
    """``frame`` as an HTML table: first column as row headers, every cell as text."""
    columns: Sequence[str] = [str(c) for c in frame.columns]
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = [escape("" if v is None else str(v)) for v in row]
        body.append(
            f'<tr><th scope="row">{cells[0]}</th>'
            + "".join(f"<td>{c}</td>" for c in cells[1:])
            + "</tr>"
        )
    attribute = f' data-key="{escape(key, quote=True)}"' if key else ""
    st.html(
        f'<div class="ess-table-wrap"{attribute}><table class="ess-table ess-table--scores">'
        f"<caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
        "<style>"
        ".ess-table-wrap { overflow-x: auto; }"
        "table.ess-table--scores th[scope='row'] { font-weight: 600; }"
        "table.ess-table--scores td { white-space: nowrap; }"
        "@media (max-width: 640px) {"
        " table.ess-table--scores th, table.ess-table--scores td {"
        " padding: 0.4rem 0.3rem; font-size: 0.8rem; } }"
        "</style>"
    )


def sticky_css(key: str) -> str:
    """CSS keeping the container of ``key`` at the top while the page scrolls.

    Streamlit wraps a keyed container in a ``stLayoutWrapper`` of its own size:
    the wrapper is what sticks (within the page's column), the container draws.
    """
    box = f".st-key-{key}"
    return (
        f'[data-testid="stLayoutWrapper"]:has(> {box}), {box} {{ position: sticky; '
        f"top: {STICKY_TOP}; z-index: 990; }}"
        f"{box} {{ background: var(--ess-background, #ffffff); padding: 0.35rem 0 0.25rem; "
        "border-bottom: 1px solid var(--ess-border, #dddddd); gap: 0.35rem; }"
        f"@media (max-width: 640px) {{ {box} p {{ font-size: 0.8rem; line-height: 1.35; }}"
        f' {box} [data-testid="stHorizontalBlock"] {{ gap: 0.1rem; }} }}'
    )


_RADIO_ENDS = """
<script>
(() => {
  if (window.__essRadioEnds) { return; }
  window.__essRadioEnds = true;
  const forward = new Set(["ArrowRight", "ArrowDown"]);
  const backward = new Set(["ArrowLeft", "ArrowUp"]);
  window.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "radio") { return; }
    if (!forward.has(event.key) && !backward.has(event.key)) { return; }
    const group = input.closest('[role="radiogroup"]');
    if (group === null) { return; }
    const radios = [...group.querySelectorAll('input[type="radio"]:not(:disabled)')];
    const at = radios.indexOf(input);
    const rtl = getComputedStyle(group).direction === "rtl"
      && group.getAttribute("aria-orientation") !== "vertical"
      && (event.key === "ArrowLeft" || event.key === "ArrowRight");
    const next = forward.has(event.key) !== rtl;
    if ((next && at === radios.length - 1) || (!next && at === 0)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  // « Aller à » : scroll to the section (clear of the sticky line, CSS scroll-margin)
  // and move the focus there, without a change of URL that the app would react to
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element
      ? event.target.closest('nav.ess-contents a[href^="#"]') : null;
    if (link === null) { return; }
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (target === null) { return; }
    event.preventDefault();
    target.scrollIntoView({ block: "start" });
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus({ preventScroll: true });
  }, true);
})();
</script>
"""


def radio_ends() -> None:
    """Install (once per browser tab) the script that stops arrows at a radio group's ends."""
    st.html(_RADIO_ENDS, unsafe_allow_javascript=True)


def shown_label(text: str) -> None:
    """The visible label of a widget whose own label is collapsed (its accessible
    name, longer, says more); hidden from screen readers, which hear the name."""
    st.html(f'<p class="ess-answer-label" aria-hidden="true">{escape(text)}</p>')


def contents(links: Sequence[tuple[str, str, str]]) -> None:
    """« Aller à » : a link per section of the page (``#anchor``), with its status."""
    items = "".join(
        f'<li><a href="#{escape(anchor, quote=True)}">{escape(title)}</a>'
        + (f' <span class="ess-contents__status">{escape(status)}</span>' if status else "")
        + "</li>"
        for title, anchor, status in links
    )
    st.html(
        '<nav class="ess-contents" aria-label="Sommaire de l’auto-évaluation">'
        '<span class="ess-contents__title" aria-hidden="true">Aller à\u00a0:</span>'
        f"<ul>{items}</ul></nav>"
    )


def filling_style(sticky_key: str) -> None:
    """The filling page's CSS (sticky progress and contents, answer labels, anchors
    clear of the sticky line) and the radio script."""
    css_key = sticky_key.replace(":", "-")
    st.html(
        "<style>"
        + sticky_css(css_key)
        + ".ess-contents { display: flex; align-items: baseline; gap: 0.5rem; "
        "font-size: 0.875rem; line-height: 1.5; }"
        ".ess-contents ul { display: flex; flex-wrap: wrap; gap: 0.1rem 0.9rem; margin: 0; "
        "padding: 0; list-style: none; }"
        ".ess-contents li { margin: 0; padding: 0; }"
        ".ess-contents__title { color: var(--ess-muted, #3a3a3a); font-weight: 600; "
        "white-space: nowrap; }"
        ".ess-contents__status { color: var(--ess-muted, #3a3a3a); font-size: 0.8rem; }"
        "@media (max-width: 640px) {"
        " .ess-contents ul { flex-wrap: nowrap; overflow-x: auto; white-space: nowrap; "
        "padding-bottom: 0.25rem; } }"
        ".ess-answer-label { font-size: 0.875rem; margin: 0 0 0.25rem; "
        "color: var(--ess-text, #161616); }"
        '[id^="theme-"], #vue-systemique, #soumettre, a[id^="q-"] '
        "{ scroll-margin-top: 11rem !important; }"
        "</style>"
    )
    radio_ends()
