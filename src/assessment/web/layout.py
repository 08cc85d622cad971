"""The app's frame: style, header, footer, and moving the browser (sign-in, sign-out).

The look is that of a careful French public-service form: white background,
deep blue (#000091) for actions and titles, a sober system sans-serif, clear
focus outlines, generous line height.  Inspired by the State's design system
(DSFR) but shipping none of its assets, fonts or logos, which are reserved to
the State.
"""

from __future__ import annotations

import json
from html import escape

import streamlit as st

from assessment import accounts
from assessment.french import typo
from assessment.web import auth_routes, state

FOOTER = typo(
    "Auto-évaluation ESS, logiciel libre (AGPL-3.0) — loi n° 2014-856 du 31 juillet 2014 "
    "relative à l'économie sociale et solidaire, article 3 — Guide des bonnes "
    "pratiques des entreprises de l'ESS."
)
"""What Streamlit's « About » menu said (the menu is gone: its box is in English)."""

FRENCH_CHROME: dict[str, str] = {
    "Skip to main content": "Aller au contenu principal",
    "Press Enter to apply": "Appuyez sur Entrée pour valider",
    "Press Enter to submit form": "Appuyez sur Entrée pour envoyer le formulaire",
    "Press Ctrl+Enter to apply": "Appuyez sur Ctrl+Entrée pour valider",
    "Press ⌘+Enter to apply": "Appuyez sur ⌘+Entrée pour valider",
    "Press Ctrl+Enter to submit form": "Appuyez sur Ctrl+Entrée pour envoyer le formulaire",
    "Press ⌘+Enter to submit form": "Appuyez sur ⌘+Entrée pour envoyer le formulaire",
    "Drag and drop file here": "Glissez-déposez un fichier ici",
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "Browse files": "Parcourir",
    "Upload": "Téléverser",
    "Collapse sidebar": "Replier le menu",
    "Expand sidebar": "Déplier le menu",
    "Main menu": "Menu principal",
    "App pages": "Pages",
    "Sidebar": "Menu latéral",
    "Close": "Fermer",
    "Open": "Ouvrir",
    "Clear value": "Effacer",
    "Clear all": "Tout effacer",
    "Clear date": "Effacer la date",
    "Choose date": "Choisir une date",
    "Previous month": "Mois précédent",
    "Next month": "Mois suivant",
    "Increment": "Augmenter",
    "Decrement": "Diminuer",
    "Link to heading": "Lien vers ce titre",
    "Selected values": "Valeurs choisies",
    "Notifications": "Notifications",
    "Running...": "Calcul en cours…",
    "Stop": "Arrêter",
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Download": "Télécharger",
    "Choose an option": "Choisissez une option",
    "Choose options": "Choisissez des options",
    "No options to select": "Aucune option",
    "No results": "Aucun résultat",
    "DD/MM/YYYY": "JJ/MM/AAAA",
}
"""English texts of Streamlit's own interface that no option sets, shown (or read
by screen readers as labels) in French by :data:`_FRENCH_CHROME_JS`."""

_FRENCH_CHROME_JS = """
<script>
(() => {
  if (window.essFrenchChrome) return;
  window.essFrenchChrome = true;
  const words = %s;
  const attrs = ["aria-label", "title", "placeholder"];
  const fixText = (node) => {
    const said = node.nodeValue && words[node.nodeValue.trim()];
    if (said) node.nodeValue = said;
  };
  const fixElement = (el) => {
    for (const name of attrs) {
      const said = el.getAttribute && words[(el.getAttribute(name) || "").trim()];
      if (said) el.setAttribute(name, said);
    }
  };
  const fixTree = (root) => {
    if (root.nodeType === 3) { fixText(root); return; }
    if (root.nodeType !== 1) return;
    fixElement(root);
    for (const el of root.querySelectorAll("[aria-label],[title],[placeholder]")) fixElement(el);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) fixText(walker.currentNode);
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "characterData") fixText(change.target);
      else if (change.type === "attributes") fixElement(change.target);
      else for (const node of change.addedNodes) fixTree(node);
    }
  }).observe(document.body, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: attrs,
  });
  fixTree(document.body);
})();
</script>
"""

BLUE = "#000091"
BLUE_HOVER = "#1212ff"
TEXT = "#161616"
MUTED = "#3a3a3a"
BORDER = "#dddddd"
FOCUS = "#0a76f6"

_CSS = f"""
<style>
:root {{
  --ess-blue: {BLUE};
  --ess-text: {TEXT};
  --ess-muted: {MUTED};
  --ess-border: {BORDER};
}}
.stMainBlockContainer {{ max-width: 78rem; padding-top: 4.5rem; }}
.stMarkdown p, .stMarkdown li {{ line-height: 1.6; }}
h1, h2, h3 {{ color: var(--ess-text); letter-spacing: -0.01em; }}
h1 {{ font-weight: 700; }}
a {{ color: var(--ess-blue); text-decoration: underline; text-underline-offset: 0.2em; }}
:focus-visible {{ outline: 2px solid {FOCUS} !important; outline-offset: 2px !important; }}
.stButton button[kind="primary"], .stFormSubmitButton button[kind="primaryFormSubmit"] {{
  background: var(--ess-blue); border-color: var(--ess-blue); color: #fff;
}}
.stButton button[kind="primary"]:hover,
.stFormSubmitButton button[kind="primaryFormSubmit"]:hover {{
  background: {BLUE_HOVER}; border-color: {BLUE_HOVER};
}}
[data-testid="stForm"] {{ border: 1px solid var(--ess-border); padding: 1.5rem 1.5rem 1rem; }}
.ess-header {{
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.25rem 1rem;
  border-bottom: 1px solid var(--ess-border); padding: 0 0 0.75rem; margin-bottom: 0.5rem;
}}
.ess-header__brand {{ color: var(--ess-blue); font-weight: 700; font-size: 1.25rem; }}
.ess-header__tagline {{ color: var(--ess-muted); font-size: 0.9rem; }}
.ess-identity {{ font-size: 0.875rem; line-height: 1.5; color: var(--ess-muted); }}
.ess-identity strong {{ color: var(--ess-text); }}
table.ess-table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
table.ess-table caption {{ text-align: left; color: var(--ess-muted); padding-bottom: 0.5rem; }}
table.ess-table th, table.ess-table td {{
  text-align: left; padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--ess-border);
  vertical-align: top;
}}
table.ess-table thead th {{ background: #f6f6f6; border-bottom: 2px solid var(--ess-text); }}
table.ess-table code {{ font-size: 0.85rem; }}
.ess-footer {{
  border-top: 1px solid var(--ess-border); margin-top: 3rem; padding-top: 0.75rem;
  color: var(--ess-muted); font-size: 0.8rem;
}}
[data-testid="stSidebar"] {{ border-right: 1px solid var(--ess-border); }}
</style>
"""


def apply_style() -> None:
    st.html(_CSS)


def header() -> None:
    """The brand line on top of every page (and ``<html lang="fr">``)."""
    st.html(
        '<div class="ess-header" role="banner">'
        '<span class="ess-header__brand">Auto-évaluation ESS</span>'
        '<span class="ess-header__tagline">Guide des bonnes pratiques de '
        "l’économie sociale et solidaire</span></div>"
        '<script>document.documentElement.lang = "fr";</script>'
        + _FRENCH_CHROME_JS
        % _js_string_map(FRENCH_CHROME),
        unsafe_allow_javascript=True,
    )


def footer() -> None:
    st.html(f'<div class="ess-footer" role="contentinfo">{escape(FOOTER)}</div>')


def identity(email: str, role_label: str) -> None:
    """Who is signed in (plain text: an address must not turn into a mail link)."""
    st.html(
        f'<div class="ess-identity"><strong>{escape(email)}</strong><br>'
        f"{escape(typo(role_label))}</div>"
    )


def table(caption: str, header: list[str], rows: list[list[str]], *, code_columns: int = 0) -> None:
    """A small, accessible HTML table (plain text cells, French typography;
    ``code_columns``: last columns shown as code, as they are)."""
    first_code = len(header) - code_columns

    def cell(index: int, value: str) -> str:
        if index >= first_code:
            return f"<td><code>{escape(value)}</code></td>"
        return f"<td>{escape(typo(value))}</td>"

    head = "".join(f'<th scope="col">{escape(typo(h))}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    st.html(
        f'<table class="ess-table"><caption>{escape(typo(caption))}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _js_string(value: str) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


def _js_string_map(values: dict[str, str]) -> str:
    return json.dumps(values, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")


def go_to(url: str, label: str) -> None:
    """Send the whole tab to a local ``url`` (with a link if scripts are blocked)."""
    st.html(
        f'<p><a href="{_attr(url)}" target="_self">{escape(typo(label))}</a></p>'
        f"<script>window.location.replace({_js_string(url)});</script>",
        unsafe_allow_javascript=True,
    )


def _attr(value: str) -> str:
    return escape(value, quote=True)


def base_path() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def sign_out() -> None:
    """Button callback: end the session now (server side); the next run clears the cookie."""
    token = state.session_token()
    if token is not None:
        accounts.close_web_session(state.engine(), token)
    st.session_state[state.SIGNED_OUT_KEY] = True
    state.forget_actor()


def signed_out_here() -> bool:
    return bool(st.session_state.get(state.SIGNED_OUT_KEY))


def clear_cookie() -> None:
    """POST to ``/auth/signout`` from the top window: the server clears the cookie."""
    action = f"{base_path()}{auth_routes.SIGNOUT_PATH}"
    st.html(
        f'<form id="ess-signout" method="post" action="{_attr(action)}">'
        '<button type="submit">Terminer la déconnexion</button></form>'
        '<script>document.getElementById("ess-signout").submit();</script>',
        unsafe_allow_javascript=True,
    )
