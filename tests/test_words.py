"""Words and French typography in the source (issue 10, §3).

The pages' texts are rewritten by :mod:`assessment.web.typography` when drawn
(``tests/web/test_typography.py`` checks every rendered page); this module
scans the source for what no rendering pass can fix: « (s) » plurals, the
rejected variants of a term, English role words, and the texts that reach
users without Streamlit (HTML written by hand, exports' headings).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessment import campaigns, dashboards, exports, french, messages
from assessment.action_plan import STATUSES
from assessment.french import NBSP, NNBSP, agree, plural, typo, typography_problems
from assessment.permissions import ROLE_LABELS_FR, Role
from assessment.scoring import score
from gridfactory import item, level, make_grid

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "assessment"
UI_SOURCES = sorted(
    {
        *(SRC / "web").rglob("*.py"),
        *(SRC / "reports").rglob("*.py"),
        *(SRC / "exchange").rglob("*.py"),
        *(SRC / "gridtools").rglob("*.py"),
        SRC / "messages.py",
        SRC / "exports.py",
        SRC / "dashboards.py",
        SRC / "network_charts.py",
        SRC / "charts.py",
        SRC / "permissions.py",
        SRC / "action_plan.py",
        SRC / "admin_audit.py",
        SRC / "accounts.py",
        SRC / "assessments.py",
        SRC / "organisations.py",
        SRC / "campaigns.py",
        SRC / "demo.py",
    }
)
FRENCH = re.compile(
    r"[àâçéèêëîïôûùüœ]|\b(le|la|les|des|du|une|un|et|est|pas|vous|votre|vos|aucun|aucune)\b",
    re.IGNORECASE,
)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
        # attribute docstrings: a string statement right after an assignment
        if hasattr(node, "body") and isinstance(node.body, list):
            for statement in node.body:
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                    found.add(id(statement.value))
    return found


def french_strings(path: Path) -> Iterator[tuple[int, str]]:
    """Every French text of a module (f-strings with ``{}`` for their fields), docstrings
    and comments left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                skipped.add(id(part))
            shown = "".join(
                part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in skipped:
                continue
            shown = node.value
        else:
            continue
        if " " in shown and FRENCH.search(shown):
            yield node.lineno, re.sub(r"\{[^{}]*\}", "{}", shown)  # template fields too


def all_french_strings() -> list[tuple[str, int, str]]:
    return [
        (str(path.relative_to(ROOT)), line, shown)
        for path in UI_SOURCES
        for line, shown in french_strings(path)
    ]


def test_the_scan_sees_the_interface() -> None:
    strings = all_french_strings()
    assert len(strings) > 800
    texts = {shown for _, _, shown in strings}
    assert any("Aucune action pour l'instant" in t for t in texts)


def test_no_parenthesised_plural_anywhere() -> None:
    """« 42 réponse(s) obligatoire(s) »: counts take a real plural (french.plural)."""
    found = [
        f"{where}:{line}: {shown!r}"
        for where, line, shown in all_french_strings()
        if re.search(r"\w\(s\)|\(e\)s?\b", shown)
    ]
    assert found == []


REJECTED_TERMS = {
    r"\bstructures?\b": "« organisation »",
    r"\bitems?\b": "« thème »",
    r"\b[Vv](ue|ision) systémique\b": "« approche systémique »",
    r"\bplans? d['’]actions\b": "« plan d'action »",
    r"(?<![-\w@.])([Ee]?mails?|[Cc]ourriels?)\b": "« e-mail » (« adresse e-mail »)",
    r"\b[Aa]dministrat(eur|rice)s?\b(?! à leur mandat)": "« référent de l'auto-évaluation »",
    r"\b[Mm]embres? d['’]une organisation\b": "« compte » or « contributeur »",
    r"\bCNCRESS\b": "the setting ASSESSMENT_NATIONAL_BODY_NAME",
    r"\b[Cc]onseil national\b": "« instance nationale » (named by ASSESSMENT_NATIONAL_BODY_NAME)",
}
"""Rejected variant → the one term the interface uses.  « administrateurs à leur
mandat » is the board members of the demo's actions: the ESS sense, kept."""


@pytest.mark.parametrize("pattern", sorted(REJECTED_TERMS))
def test_one_word_per_notion_in_the_interface(pattern: str) -> None:
    found = [
        f"{where}:{line}: {shown!r}"
        for where, line, shown in all_french_strings()
        if re.search(pattern, shown)
    ]
    assert found == [], f"say {REJECTED_TERMS[pattern]}"


@pytest.mark.parametrize(
    "path", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_one_word_per_notion_in_the_docs(path: Path) -> None:
    shown = path.read_text(encoding="utf-8")
    for pattern in (r"[Vv](ue|ision) systémique", r"plans? d['’]actions", r"courriel"):
        assert not re.search(pattern, shown), f"{path.name}: {pattern}"
    assert "Administrateur d'une organisation" not in shown
    assert "Membre d'une organisation" not in shown


def test_role_labels() -> None:
    assert ROLE_LABELS_FR[Role.ORG_ADMIN] == "Référent de l’auto-évaluation"
    assert ROLE_LABELS_FR[Role.MEMBER] == "Contributeur à l’auto-évaluation"
    assert ROLE_LABELS_FR[Role.NATIONAL] == "Instance nationale (ESS France)"
    labels = " ".join(ROLE_LABELS_FR.values())
    assert "dministrat" not in labels and "embre" not in labels and "CNCRESS" not in labels


def test_the_national_role_is_named_by_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from assessment.settings import get_settings

    monkeypatch.setenv("ASSESSMENT_NATIONAL_BODY_NAME", "Réseau national")
    get_settings.cache_clear()
    try:
        assert ROLE_LABELS_FR[Role.NATIONAL] == "Instance nationale (Réseau national)"
    finally:
        monkeypatch.delenv("ASSESSMENT_NATIONAL_BODY_NAME")
        get_settings.cache_clear()


# ---- typography of what Streamlit does not draw ----------------------------------------


def _html_calls(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "html"
        ):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                    yield inner.lineno, inner.value


def test_hand_written_html_follows_french_typography() -> None:
    """``st.html`` is not rewritten (it is HTML): its French text is written correctly."""
    found = []
    for path in sorted((SRC / "web").rglob("*.py")):
        for line, source in _html_calls(path):
            for text in re.split(r"<[^>]*>", source):
                if FRENCH.search(text) and typography_problems(text):
                    found.append(f"{path.name}:{line}: {text!r} {typography_problems(text)}")
    assert found == []


def test_footer_and_header_say_what_the_about_menu_said() -> None:
    from assessment.web import layout

    assert "AGPL-3.0" in layout.FOOTER and "n°\u00a02014-856" in layout.FOOTER
    assert not typography_problems(layout.FOOTER)


GRID = make_grid(item("gouv", level("g1"), short_title="Gouvernance d'ensemble"))


def test_export_headings_follow_french_typography() -> None:
    headings = [label for _, label in exports.ACTION_COLUMNS]
    header, _rows = exports.results_table(GRID, score(GRID, {}), {})
    headings += [*header, *dashboards.DIM_LABELS.values(), *campaigns.STATUS_LABELS_FR.values()]
    headings += [*STATUSES.values(), dashboards.OVERALL_LABEL, dashboards.FRANCE]
    for heading in headings:
        assert not typography_problems(heading), heading


# ---- plurals and the helpers ---------------------------------------------------------------


def test_plural_rule_of_french() -> None:
    assert plural(0, "réponse obligatoire") == f"0{NBSP}réponse obligatoire"
    assert plural(1, "réponse obligatoire") == f"1{NBSP}réponse obligatoire"
    assert plural(42, "réponse obligatoire") == f"42{NBSP}réponses obligatoires"
    assert plural(1234, "action") == f"1{NNBSP}234{NBSP}actions"
    assert agree(1, "manque", "manquent") == "manque"
    assert agree(2, "manque", "manquent") == "manquent"
    assert agree(1.5, "point") == "point" and agree(2.5, "point") == "points"


@pytest.mark.parametrize(
    ("code", "params", "expected"),
    [
        ("cli_ok_summary", {"count": 1}, f"OK : 1{NBSP}grille valide"),
        ("cli_ok_summary", {"count": 3}, f"OK : 3{NBSP}grilles valides"),
        ("cli_failed_summary", {"errors": 1, "files": 1}, f"1{NBSP}erreur dans 1{NBSP}fichier"),
        (
            "cli_failed_summary",
            {"errors": 8, "files": 2},
            f"8{NBSP}erreurs dans 2{NBSP}fichiers",
        ),
        ("cli_warnings_summary", {"warnings": 2}, f"2{NBSP}avertissements"),
        (
            "too_many_problems",
            {"count": 1},
            f"… et 1{NBSP}autre problème non affiché : corrigez d'abord ceux-ci",
        ),
    ],
)
def test_catalogue_counts_agree(code: str, params: dict[str, int], expected: str) -> None:
    assert messages.render(code, **params) == expected


def test_typo_handles_markdown_escapes_and_code() -> None:
    """User text is escaped for Markdown (``\\!``): the space goes before the escape."""
    assert typo("Bravo \\!") == f"Bravo{NNBSP}\\!"
    assert typo("Bravo\\!") == f"Bravo{NNBSP}\\!"
    assert typo("l\\'action") == "l’action"
    assert typo("Note \\: x") == f"Note{NBSP}\\: x"
    assert typo("`a: b` et c : d") == f"`a: b` et c{NBSP}: d"
    assert typo("voir https://exemple.fr/a?b=c;d") == "voir https://exemple.fr/a?b=c;d"
    assert typo("table « clé: valeur »") == f"table «{NBSP}clé: valeur{NBSP}»"
    for text in ("Bravo \\!", "l\\'action", "Statut :", "50 %", "n° 3", "« x »"):
        once = typo(text)
        assert typo(once) == once and not typography_problems(once)


def test_french_module_is_the_one_helper() -> None:
    assert french.typo("Plan d'action : 50 % ; n° 3 ?") == (
        f"Plan d’action{NBSP}: 50{NBSP}%{NNBSP}; n°{NBSP}3{NNBSP}?"
    )
