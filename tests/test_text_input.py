"""The one text-cleaning rule (pure): what it refuses, what it keeps, what it says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment import text_input
from assessment.text_input import (
    COMMENT,
    EMAIL,
    NAME,
    PASSWORD,
    TextInputError,
    TextKind,
    clean_text,
)

CONTROLS = [chr(c) for c in [*range(0x00, 0x20), 0x7F, 0x85, 0x9F]]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def refusal(value: str, kind: TextKind, field: str = "Champ") -> TextInputError:
    with pytest.raises(TextInputError) as caught:
        clean_text(value, field, kind)
    return caught.value


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_characters_are_refused_in_one_line_fields(char: str) -> None:
    error = refusal(f"Les Jardins{char}du Nord", NAME, "Nom")
    assert error.code == "control"
    assert error.message.startswith("Nom\u00a0: caractère refusé en position 12, ")


@pytest.mark.parametrize(
    "char", [c for c in CONTROLS if c not in "\t\n\r"], ids=lambda c: f"U+{ord(c):04X}"
)
def test_multi_line_fields_keep_only_line_feeds_and_tabs(char: str) -> None:
    assert clean_text("un\n\tdeux\r\ntrois\rquatre", "Commentaire", COMMENT) == (
        "un\n\tdeux\ntrois\nquatre"
    )
    assert refusal(f"un{char}deux", COMMENT).code == "control"


def test_nul_is_named() -> None:
    error = refusal("membre\x00@demo.test", EMAIL, "Adresse e-mail")
    assert error.message == (
        "Adresse e-mail\u00a0: caractère refusé en position 7, le caractère nul (U+0000)."
    )


def test_lone_surrogates_are_refused_everywhere() -> None:
    for kind in (EMAIL, PASSWORD, NAME, COMMENT):
        error = refusal("abc\ud800", kind)
        assert error.code == "surrogate"
        assert "demi-caractère UTF-16 isolé" in error.message


@pytest.mark.parametrize("char", BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_bidirectional_overrides_are_refused(char: str) -> None:
    assert refusal(f"facture{char}fdp.exe", NAME).code == "bidi"


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060", "\u00a0"])
def test_e_mail_addresses_refuse_invisible_characters(char: str) -> None:
    assert refusal(f"admin{char}@demo.test", EMAIL).code in {"invisible", "space"}
    assert refusal("ad min@demo.test", EMAIL).code == "space"


def test_free_text_keeps_ordinary_unicode() -> None:
    # zero-width joiner inside an emoji sequence, Arabic, no-break spaces: all kept
    value = "Équipe 👩\u200d👩\u200d👧 — جمعية\u00a0: « oui »"
    assert clean_text(f"  {value}  ", "Nom", NAME) == value


def test_length_limit_counts_after_stripping() -> None:
    assert clean_text("  " + "x" * 300 + "  ", "Nom", NAME) == "x" * 300
    error = refusal("x" * 301, NAME, "Nom")
    assert (error.code, error.message) == (
        "too_long",
        "Nom\u00a0: 300 caractères au plus (301 donnés).",
    )
    assert clean_text("x" * 20, "Nom", NAME, max_length=20) == "x" * 20
    assert refusal("x" * 100_000, COMMENT).code == "too_long"


def test_passwords_are_not_stripped() -> None:
    assert clean_text("  secret  ", "Mot de passe", PASSWORD) == "  secret  "


def test_none_is_empty_and_other_types_are_refused() -> None:
    assert clean_text(None, "Nom", NAME) == ""
    assert refusal(12, NAME).code == "type"  # type: ignore[arg-type]


def test_a_module_error_class_can_be_raised_instead() -> None:
    class ModuleError(text_input.UserError):
        pass

    with pytest.raises(ModuleError, match=r"^Nom\u00a0: caractère refusé") as caught:
        clean_text("a\x00", "Nom", NAME, error=ModuleError)
    assert isinstance(caught.value.__cause__, TextInputError)


@given(st.text())
def test_whatever_is_accepted_can_be_stored_and_encoded(value: str) -> None:
    """Property: an accepted value holds no control character (except line feed and
    tab in a multi-line field), no surrogate, no bidi override, and encodes to UTF-8."""
    for kind in (NAME, COMMENT, EMAIL):
        try:
            cleaned = clean_text(value, "Champ", kind)
        except TextInputError as error:
            assert error.message.startswith("Champ\u00a0: ")
            continue
        cleaned.encode("utf-8")
        allowed = "\n\t" if kind.multiline else ""
        assert all(ord(c) >= 0x20 or c in allowed for c in cleaned)
        assert not set(cleaned) & text_input.BIDI_CONTROLS
        assert len(cleaned) <= kind.max_length
        assert cleaned == cleaned.strip()


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs"))))
def test_printable_text_is_kept_as_typed(value: str) -> None:
    """Property: text without control or format characters comes back unchanged
    (stripped, and within the limit)."""
    if len(value.strip()) <= COMMENT.max_length:
        assert clean_text(value, "Commentaire", COMMENT) == value.strip()
