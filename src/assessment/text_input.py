"""The one cleaning rule for text typed by users, applied where it enters the core.

Every core function that takes user text (e-mail addresses, passwords, names,
titles, comments, text answers, grid sources…) passes it through
:func:`clean_text` with the :class:`TextKind` of its field, *before* anything
is written, so a refused value leaves nothing half-saved.  The rule:

* lone surrogates (``"\\ud800"``: text that is not valid Unicode, which
  neither UTF-8 nor PostgreSQL can store) are refused;
* control characters (Unicode category ``Cc``: NUL, ``\\x01``–``\\x1f``,
  ``\\x7f``, ``\\x80``–``\\x9f``) are refused, except line feed and tab in a
  multi-line field (carriage returns there become line feeds);
* bidirectional embedding, override and isolate controls (U+202A–U+202E,
  U+2066–U+2069), which reorder what a reader sees, are refused;
* identifiers (e-mail addresses) also refuse every invisible format character
  (zero-width space, joiners, BOM…) and any space;
* the value is stripped (except passwords and sources) and limited to the
  kind's number of characters.

Ordinary Unicode (accents, other scripts, emoji, zero-width joiners inside
free text) is kept as typed.  :class:`TextInputError` names the field and
says what is wrong, in French.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from assessment.errors import UserError
from assessment.french import number, typo

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embeddings, overrides and isolates (the « Trojan Source » characters)."""


@dataclass(frozen=True, slots=True)
class TextKind:
    """What a field accepts."""

    max_length: int
    multiline: bool = False
    """Line feeds and tabs allowed (carriage returns become line feeds)."""
    strip: bool = True
    """Leading and trailing whitespace removed."""
    identifier: bool = False
    """No space and no invisible character at all (e-mail addresses)."""


EMAIL = TextKind(320, identifier=True)
PASSWORD = TextKind(1024, strip=False)
NAME = TextKind(300)
"""Organisation names."""
TITLE = TextKind(300)
"""Action titles."""
SHORT_TEXT = TextKind(200)
"""Action owners, contact details, grid file names, search terms."""
CODE = TextKind(64)
"""Identifiers typed by hand: SIREN, RNA, region and category codes, grid ids."""
COMMENT = TextKind(5000, multiline=True)
NOTES = TextKind(5000, multiline=True)
ANSWER = TextKind(100_000, multiline=True)
"""Text answers (each question also has its own, smaller ``max_length``)."""
GRID_SOURCE = TextKind(2 * 1024 * 1024, multiline=True, strip=False)


class TextInputError(UserError, ValueError):
    """Text refused; ``message`` is ``"<field> : <problem>."``."""

    def __init__(self, field: str, code: str, problem: str) -> None:
        super().__init__(typo(f"{field} : {problem}."))
        self.field = field
        self.code = code
        """``surrogate``, ``control``, ``bidi``, ``invisible``, ``space``, ``too_long``,
        ``type``."""
        self.problem = problem


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_REFUSED_MULTILINE = re.compile(f"[{_CONTROLS}]")
_REFUSED_SINGLE_LINE = re.compile(f"[{_CONTROLS}\t\n\u2028\u2029]")


def _describe(char: str) -> tuple[str, str] | None:
    """``(code, French description)`` of a refused character, ``None`` if it is fine."""
    category = unicodedata.category(char)
    if category == "Cs":
        return "surrogate", "un demi-caractère UTF-16 isolé (texte mal encodé)"
    if char == "\x00":
        return "control", "le caractère nul (U+0000)"
    if char in "\n\r\u2028\u2029":
        return "control", "un retour à la ligne (non permis ici)"
    if category == "Cc":
        return "control", f"un caractère de contrôle ({_codepoint(char)})"
    if char in BIDI_CONTROLS:
        return "bidi", f"un caractère qui inverse le sens d'écriture ({_codepoint(char)})"
    if category.startswith("Z"):
        return "space", "une espace (non permise ici)"
    if category in ("Cf", "Cn", "Co"):
        return "invisible", f"un caractère invisible ou inconnu ({_codepoint(char)})"
    return None


def text_problem(value: str, kind: TextKind, field: str = "Texte") -> TextInputError | None:
    """The first refused character of ``value`` as an error naming ``field``, or ``None``."""
    pattern = _REFUSED_MULTILINE if kind.multiline else _REFUSED_SINGLE_LINE
    found = pattern.search(value)
    position = found.start() if found else -1
    if kind.identifier:
        for index, char in enumerate(value[: position if found else None]):
            if not char.isprintable() or char == " ":
                position = index
                break
    if position < 0:
        return None
    described = _describe(value[position])
    assert described is not None
    code, what = described
    where = number(position + 1, 0)
    return TextInputError(field, code, f"caractère refusé en position {where}, {what}")


def clean_text(
    value: str | None,
    field: str,
    kind: TextKind,
    *,
    max_length: int | None = None,
    error: Callable[[str], UserError] | None = None,
) -> str:
    """``value`` checked and normalised for ``kind`` (``None`` gives ``""``).

    ``field`` names the field in the French message (« Adresse e-mail »,
    « titre »…); ``max_length`` overrides the kind's.  Raises
    :class:`TextInputError`, or ``error(message)`` when given (a module's own
    error class, so that its callers need catch nothing new).
    """
    try:
        return _clean(value, field, kind, kind.max_length if max_length is None else max_length)
    except TextInputError as refused:
        if error is None:
            raise
        raise error(refused.message) from refused


def _clean(value: str | None, field: str, kind: TextKind, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TextInputError(field, "type", "un texte est attendu")
    if kind.multiline and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if kind.strip:
        value = value.strip()
    problem = text_problem(value, kind, field)
    if problem is not None:
        raise problem
    if len(value) > limit:
        raise TextInputError(
            field,
            "too_long",
            f"{number(limit, 0)} caractères au plus ({number(len(value), 0)} donnés)",
        )
    return value
