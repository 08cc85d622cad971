"""French formatting and typography: the one helper every label goes through.

* :func:`typo` applies French typographic rules to a plain French text: a
  narrow no-break space (U+202F) before ``?``, ``!`` and ``;``, a no-break
  space (U+00A0) before ``:``, inside « guillemets », between a number and
  ``%`` and after ``n°``; curly apostrophes.  It is idempotent and leaves
  times (``12:18``), URLs, Markdown ``code`` spans and escapes (``\\!``) and
  Streamlit icon codes (``:material/lock:``) alone.
* :func:`typography_problems` says what breaks those rules (tests use it to
  fail on any UI or grid string that does).
* :func:`number`, :func:`percent`, :func:`parse_number`: numbers the French
  way (``1 234 567``, ``52,3``), with Babel's CLDR data.
* :func:`plural`: ``1 réponse``, ``0 réponse``, ``42 réponses`` (CLDR plural
  rule for French: 0 and 1 are singular); :func:`agree`: the word alone.
* :func:`date` / :func:`saved_at`: dates as ``12/03/2026``; a time alone
  when it is today.

No Streamlit import: the core, the exports and the pages all use it.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import NumberFormatError, format_decimal, parse_decimal

from assessment.errors import UserError

LOCALE = "fr_FR"
NBSP = "\u00a0"
"""No-break space: before ``:``, inside guillemets, after ``n°``, before ``%``."""
NNBSP = "\u202f"
"""Narrow no-break space: before ``?``, ``!``, ``;`` and as thousands separator."""

_FR = Locale.parse(LOCALE)

# A space (or none) before ?, !, ; after a character that is not a space,
# another such mark or an opening bracket.  Not inside URLs (``?q=``), hence
# the look-ahead: the mark ends a word (followed by space, end, closing
# punctuation or another mark).
_MARK_END = r"(?=$|\\?[\s?!)\]»*_.,\"'’])"
# A Markdown backslash escape (``\!``, written by ``md_escape``) counts as the
# mark itself: the space goes before the backslash.
_TIGHT_MARKS = re.compile(r"(?<=[^\s?!;(\[{«\u202f\u00a0\\])[ \u00a0]?(\\?[?!;])" + _MARK_END)
_SPACED_MARKS = re.compile(r"(?<=\S) (\\?[?!;])" + _MARK_END)
# A colon that ends a word and is followed by a space or the end: not a time
# (12:18), a URL (https://), an icon code (:material/x:), a Markdown
# directive (:red[...]), a quoted YAML key (« id: ») or YAML (version: "x").
_COLON = re.compile(
    r"(?<=[^\s:\u00a0\u202f/\\])[ \u202f]?(\\?):(?=[*_]*(?:\s|$))(?![ \u00a0\u202f]*[»\"])"
)
_PERCENT = re.compile(r"(?<=\d)[ \u202f]?(\\?)%")
_NUMERO = re.compile(r"\b([nN]°)[ \u202f]?(?=\d)")
_GUILLEMET_OPEN = re.compile(r"«[ \u202f]?(?=\S)")
_GUILLEMET_CLOSE = re.compile(r"(?<=\S)[ \u202f]?»")
_APOSTROPHE = re.compile(r"(?<=[A-Za-zÀ-ÿ])\\?'(?=[A-Za-zÀ-ÿ])")
_ICON = re.compile(
    r":material/[a-z0-9_]+:|`[^`\n]+`|\bhttps?://[^\s<>()\[\]]+"
    r"|(?:(?<=«[ \u00a0])|(?<=«))[\w<]+:(?=\s)|&(?:[A-Za-z]+|#x?[0-9A-Fa-f]+);"
)
"""Left as they are: icon codes, Markdown code spans, web addresses, a YAML key
quoted in guillemets (« clé: valeur ») and HTML entities (``&amp;``)."""


def typo(text: str) -> str:
    """``text`` with French typographic spaces and apostrophes (idempotent)."""
    if not text:
        return text
    icons: list[str] = []

    def _keep(match: re.Match[str]) -> str:
        icons.append(match.group(0))
        return f"\x00{len(icons) - 1}\x00"

    out = _ICON.sub(_keep, text)
    out = _APOSTROPHE.sub("’", out)
    out = _TIGHT_MARKS.sub(NNBSP + r"\1", out)
    out = _COLON.sub(NBSP + r"\1:", out)
    out = _PERCENT.sub(NBSP + r"\1%", out)
    out = _NUMERO.sub(r"\1" + NBSP, out)
    out = _GUILLEMET_OPEN.sub("«" + NBSP, out)
    out = _GUILLEMET_CLOSE.sub(NBSP + "»", out)
    if icons:
        out = re.sub(r"\x00(\d+)\x00", lambda m: icons[int(m.group(1))], out)
    return out


def typography_problems(text: str) -> list[str]:
    """What breaks the French rules in ``text`` (empty: nothing)."""
    problems: list[str] = []
    fixed = typo(text)
    if fixed == text:
        return problems
    if _APOSTROPHE.search(text):
        problems.append("apostrophe droite (') au lieu de ’")
    if _SPACED_MARKS.search(_ICON.sub("", text)) or _TIGHT_MARKS.search(_ICON.sub("", text)):
        problems.append("espace fine insécable manquante avant ? ! ou ;")
    if _COLON.search(_ICON.sub("", text)) and NBSP + ":" not in text:
        problems.append("espace insécable manquante avant :")
    if not problems:
        problems.append("espace insécable manquante (%, n°, « »)")
    return problems


# ---------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------


def number(value: float | int | Decimal | None, decimals: int = 2, *, empty: str = "") -> str:
    """``1234567`` → ``1 234 567``; ``52.3`` → ``52,3`` (at most ``decimals`` digits)."""
    if value is None:
        return empty
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def fixed(value: float | int | Decimal | None, decimals: int, *, empty: str = "") -> str:
    """Exactly ``decimals`` digits after the comma: ``fixed(52.3, 2)`` → ``52,30``."""
    if value is None:
        return empty
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def percent(value: float | int | None, decimals: int = 1, *, empty: str = "") -> str:
    """A value already in percent: ``52.3`` → ``52,3 %``."""
    if value is None:
        return empty
    return number(value, decimals) + NBSP + "%"


def with_unit(value: float | int | None, unit: str | None, decimals: int = 2) -> str:
    """``number`` followed by its unit, with a no-break space (``12,5 %``, ``3 jours``)."""
    shown = number(value, decimals)
    if not unit or not shown:
        return shown
    return shown + NBSP + unit


class NumberParseError(UserError, ValueError):
    """Text that is not a number, French or not (French message)."""

    def __init__(self, text: str) -> None:
        super().__init__(typo(f"« {text.strip()} » n'est pas un nombre (exemple : 45,5)."))
        self.text = text


def parse_number(text: str) -> float:
    """``45,5`` / ``45.5`` / ``1 234,5`` / ``-3`` → float; :class:`NumberParseError` otherwise."""
    cleaned = text.strip().replace(NNBSP, "").replace(NBSP, "").replace(" ", "")
    cleaned = cleaned.replace("−", "-")
    if not cleaned:
        raise NumberParseError(text)
    if "," in cleaned and "." in cleaned:
        raise NumberParseError(text)
    try:
        if "," in cleaned:
            return float(parse_decimal(cleaned, locale=LOCALE, strict=False))
        return float(Decimal(cleaned))
    except (NumberFormatError, InvalidOperation, ValueError) as exc:
        raise NumberParseError(text) from exc


# ---------------------------------------------------------------------------
# words
# ---------------------------------------------------------------------------


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``plural(1, "réponse")`` → ``1 réponse``; ``plural(42, "réponse")`` → ``42 réponses``.

    French (CLDR): 0 and 1 take the singular.  ``plural_form`` for irregular
    words (``plural(2, "travail", "travaux")``).  The number is formatted
    with :func:`number` and joined with a no-break space.
    """
    return number(count, 0) + NBSP + agree(count, singular, plural_form)


def agree(count: float, singular: str, plural_form: str | None = None) -> str:
    """The word alone, agreed with ``count``: ``agree(2, "colonne inconnue")`` →
    ``colonnes inconnues`` (for a list that follows: « colonnes inconnues : a, b »)."""
    form = _FR.plural_form(abs(count))
    return singular if form == "one" else (plural_form or _regular_plural(singular))


def _regular_plural(words: str) -> str:
    """Every word of a short phrase takes an ``s`` (``réponse obligatoire``)."""
    out = []
    for word in words.split(" "):
        if not word or word[-1] in "sxz" or not word[-1].isalpha():
            out.append(word)
        elif word.endswith(("au", "eu")):
            out.append(word + "x")
        else:
            out.append(word + "s")
    return " ".join(out)


# ---------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------


def date(value: _dt.date | _dt.datetime | None, *, empty: str = "") -> str:
    """``12/03/2026`` (local date of an aware datetime)."""
    if value is None:
        return empty
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone()
    return value.strftime("%d/%m/%Y")


def saved_at(moment: _dt.datetime, *, now: _dt.datetime | None = None) -> str:
    """``à 12:18`` today, ``le 12/03/2026 à 12:18`` another day (local time)."""
    local = moment.astimezone() if moment.tzinfo is not None else moment
    today = (now or _dt.datetime.now(local.tzinfo)).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"à {clock}"
    return f"le {local.strftime('%d/%m/%Y')} à {clock}"


# ---------------------------------------------------------------------------
# scores shown as whole numbers
# ---------------------------------------------------------------------------


def whole(value: float | int) -> int:
    """A score as shown: the nearest whole number, halves away from zero
    (``62.5`` → ``63``, ``87.5`` → ``88``; Python's ``round`` would give 62 and 88).

    The one rounding of every score the pages, charts and reports show, so that
    the same score never reads differently in two places.
    """
    exact = Decimal(str(value))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def points_between(start: float | int, end: float | int) -> int:
    """The difference the reader sees: ``whole(end) − whole(start)``, so that
    « de 63 à 88 » always says « +25 », whatever the decimals behind."""
    return whole(end) - whole(start)
