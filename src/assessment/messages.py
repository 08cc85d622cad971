"""The catalogue of every message shown to grid authors, keyed by stable code.

Grid authors (the national council editing ``guide/*.yaml``) are French and not
programmers, so every message is in French, in plain words, and says what to do.
Codes are stable: tests, the CLI and the web front-end rely on them; the wording
may improve over time.

Use :func:`render` to turn a code and its parameters into a sentence::

    >>> render("unknown_key", key="lable", suggestion=did_you_mean("lable", ["label", "id"]))
    'clé inconnue « lable » (vouliez-vous dire « label » ?)'
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Iterable, Mapping
from typing import Any

from assessment.french import plural

MAX_SHOWN_CHARS = 60
"""Longest value quoted in a message; longer values are cut with an ellipsis."""

MESSAGES: dict[str, str] = {
    # ---- reading the file --------------------------------------------------
    "file_unreadable": "impossible de lire le fichier : {reason}",
    "file_too_large": (
        "fichier trop volumineux ({size}) : une grille ne doit pas dépasser {limit}"
    ),
    "not_utf8": (
        "le fichier n'est pas encodé en UTF-8 ({detail}) : "
        "enregistrez-le en UTF-8 depuis votre éditeur de texte"
    ),
    "empty_file": (
        "le fichier est vide : une grille commence par « id: », « version: », « title: »…"
    ),
    "not_a_mapping": (
        "le fichier doit contenir une table « clé: valeur » (id, version, title…), pas {found}"
    ),
    "no_grid_files": "aucun fichier de grille (*.yaml ou *.yml) dans ce dossier",
    "duplicate_grid": (
        "la grille « {id} » version « {version} » est déjà définie dans {other} : "
        "changez l'identifiant ou la version"
    ),
    # ---- YAML syntax -------------------------------------------------------
    "yaml_syntax": "erreur de syntaxe YAML : {problem}",
    "yaml_tab": (
        "caractère de tabulation interdit dans l'indentation : "
        "en YAML, indentez uniquement avec des espaces"
    ),
    "yaml_bad_char": (
        "caractère invisible non autorisé ({character}) : supprimez-le "
        "(il vient souvent d'un copier-coller)"
    ),
    "yaml_reserved_char": (
        "une valeur ne peut pas commencer par « {character} » : mettez la valeur entre guillemets"
    ),
    "yaml_colon": (
        "deux-points « : » inattendu : si la valeur contient « : », mettez-la entre "
        "guillemets ; sinon vérifiez l'indentation"
    ),
    "yaml_missing_colon": (
        "« clé: valeur » attendu : il manque « : » après la clé, "
        "ou l'indentation de cette ligne est incorrecte"
    ),
    "yaml_indent": (
        "indentation incohérente : alignez cette ligne sur les autres clés du même niveau"
    ),
    "yaml_unclosed_quote": (
        "guillemet ouvert ici mais jamais refermé : ajoutez le guillemet fermant"
    ),
    "yaml_unclosed_flow": (
        "« {opening} » ouvert ici mais jamais refermé : ajoutez « {closing} » "
        "ou une virgule manquante entre deux éléments"
    ),
    "yaml_undefined_alias": (
        "alias « *{name} » inconnu : aucune ancre « &{name} » n'est définie avant"
    ),
    "yaml_duplicate_anchor": "ancre « &{name} » définie deux fois : donnez-lui un autre nom",
    "multiple_documents": (
        "le fichier contient plusieurs documents YAML (séparés par « --- ») : "
        "une grille par fichier"
    ),
    "too_deep": (
        "imbrication trop profonde (plus de {limit} niveaux) : "
        "le fichier n'a pas la forme d'une grille"
    ),
    "too_many_nodes": (
        "le fichier contient trop de valeurs (plus de {limit}) : "
        "le fichier n'a pas la forme d'une grille"
    ),
    "alias_expansion": (
        "les alias (*nom) produisent trop de données (plus de {limit} valeurs) : "
        "n'utilisez les ancres et alias que pour de petits blocs répétés"
    ),
    "alias_recursive": (
        "l'alias « *{name} » se contient lui-même : une ancre ne peut pas être "
        "utilisée à l'intérieur de son propre bloc"
    ),
    "unsafe_tag": (
        "étiquette « {tag} » interdite : un fichier de grille ne contient que des "
        "textes, nombres, booléens, listes et tables"
    ),
    "unsupported_tag": (
        "étiquette « {tag} » non prise en charge : retirez-la "
        "(utilisez des textes, nombres, booléens, listes et tables)"
    ),
    "bad_scalar": "valeur « {value} » illisible comme {tag}",
    "bad_key": "une clé doit être un simple mot, pas {found}",
    "bad_merge": "« << » doit être suivi d'un alias vers une table (par ex. « <<: *base »)",
    "duplicate_key": (
        "clé « {key} » en double dans ce bloc (déjà présente ligne {first_line}) : "
        "gardez-en une seule"
    ),
    # ---- structure (pydantic) ---------------------------------------------
    "missing_key": "champ obligatoire manquant",
    "unknown_key": "clé inconnue « {key} »{suggestion}",
    "expected_string": "texte attendu, pas {found}{hint}",
    "expected_text": (
        "texte attendu (ou une table de traductions, par ex. « fr: … »), pas {found}{hint}"
    ),
    "expected_integer": "nombre entier attendu, pas {found}{hint}",
    "expected_number": "nombre attendu, pas {found}{hint}",
    "expected_boolean": "true ou false attendu, pas {found}{hint}",
    "expected_list": "liste attendue (lignes commençant par « - »), pas {found}{hint}",
    "expected_mapping": "table « clé: valeur » attendue, pas {found}{hint}",
    "expected_scalar": "valeur simple attendue (texte, nombre ou booléen), pas {found}{hint}",
    "expected_one_of": "{expected} attendu, pas {found}{hint}",
    "bad_id": (
        "identifiant « {value} » invalide : uniquement des minuscules sans accents, "
        "des chiffres, « - » et « _ » (63 caractères au plus){suggestion}"
    ),
    "bad_language": "code de langue « {value} » invalide : deux lettres minuscules (fr, en…)",
    "bad_pattern": "valeur « {value} » mal formée (format attendu : {pattern})",
    "bad_choice": "valeur « {value} » non reconnue{suggestion} ; valeurs possibles : {expected}",
    "empty_text": "texte vide : écrivez un texte ou retirez la clé",
    "text_too_long": "texte trop long ({length} caractères, {limit} au plus)",
    "value_too_small": "valeur {value} trop petite : {limit} au minimum",
    "value_too_large": "valeur {value} trop grande : {limit} au maximum",
    "too_few": "trop peu d'éléments : il en faut au moins {minimum}, il y en a {actual}",
    "too_many": "trop d'éléments : {maximum} au plus, il y en a {actual}",
    "unknown_question_type": (
        "type de question inconnu « {type} »{suggestion} ; types possibles : {known}"
    ),
    "missing_question_type": (
        "champ « type » manquant : indiquez le type de la question ({known})"
    ),
    "invalid": "valeur invalide ({detail})",
    "too_many_problems": (
        "… et {count:autre problème non affiché|autres problèmes non affichés} : "
        "corrigez d'abord ceux-ci"
    ),
    "internal_error": (
        "erreur interne en lisant la grille ({detail}) : signalez-la à l'équipe technique"
    ),
    # ---- ValueError tokens raised by the grid models ------------------------
    "version_not_string": (
        'la version doit être un texte entre guillemets : écrivez version: "{raw}"'
    ),
    "condition_needs_one_test": (
        "la condition doit contenir exactement un test parmi « equals », « in » et « answered »"
    ),
    "number_score_flat": (
        "« worst » et « best » ont la même valeur ({value}) : le score ne pourrait pas varier"
    ),
    "number_bounds_reversed": "« min » ({min}) est plus grand que « max » ({max})",
    # ---- rules across the grid (grid.semantic_issues) -----------------------
    "duplicate_id": "{kind} « {id} » en double{first}",
    "scale_not_increasing": (
        "les valeurs de l'échelle doivent être strictement croissantes : "
        "{value} vient après {previous}"
    ),
    "unknown_horizon": "horizon inconnu « {horizon} »{suggestion} ; horizons définis : {known}",
    "no_horizon": (
        "liste d'horizons vide : indiquez au moins un horizon, "
        "ou retirez « horizons » pour poser la question à tous"
    ),
    "level_not_on_scale": (
        "le niveau {value} n'existe pas sur l'échelle (valeurs possibles : {scale})"
    ),
    "condition_unknown_question": (
        "la condition porte sur une question inconnue « {question} »{suggestion}"
    ),
    "condition_self": "la question « {question} » ne peut pas dépendre d'elle-même",
    "condition_unknown_horizon": (
        "la question « {question} » n'est pas posée à l'horizon « {horizon} » "
        "(horizons de cette question : {known})"
    ),
    "condition_unknown_option": (
        "« {value} » n'est pas une option de la question « {question} »{suggestion} ; "
        "options : {options}{hint}"
    ),
    "condition_value_off_scale": (
        "« {value} » n'est pas un niveau de l'échelle (question « {question} » ; "
        "niveaux : {scale}){hint}"
    ),
    "condition_cycle": "conditions circulaires : {chain}",
    "action_plan_at_current": (
        "« action_plan: true » ne vaut que pour des horizons d'objectif : les actions prévues "
        "ne se posent pas à l'état des lieux (« {horizon} ») ; indiquez par exemple "
        "« horizons: [{goals}] »"
    ),
    "applies_to_unknown_value": (
        "« {value} » n'est pas une valeur connue de « {field} »{suggestion} ; "
        "valeurs possibles : {known}"
    ),
    "applies_to_empty": (
        "liste « {field} » vide : la question ne s'appliquerait à aucune organisation ; "
        "indiquez au moins une valeur, ou retirez « {field} » pour l'appliquer à toutes"
    ),
    "applies_to_no_key": (
        "« applies_to » sans critère : indiquez au moins un critère ({keys}), ou retirez "
        "« applies_to » "
        "pour que la question concerne toutes les organisations"
    ),
    "variant_empty": (
        "cette variante ne change rien : donnez-lui un « label », une « help » "
        "ou des « levels », ou retirez-la"
    ),
    "variant_levels_not_level": (
        "« levels » ne vaut que pour une question de type level (cette question est de type {type})"
    ),
    # ---- rules across versions (grid.lineage_issues) -------------------------
    "replaces_unknown_question": (
        "« replaces » désigne « {id} », qui n'est pas une question de la version "
        "{version}{suggestion} : indiquez l'identifiant d'une question de la version précédente"
    ),
    "replaces_unknown_item": (
        "« replaces » désigne « {id} », qui n'est pas un thème de la version "
        "{version}{suggestion} : indiquez l'identifiant d'un thème de la version précédente"
    ),
    # ---- warnings ----------------------------------------------------------
    "yaml_bool_word": (
        "attention : « {raw} » est compris comme {value} ; écrivez {value} "
        '(ou "{raw}" entre guillemets si c\'est un texte)'
    ),
    # ---- hints appended to other messages (start with a separator) ----------
    "hint_bool_word": (
        ' — « {raw} » sans guillemets est compris comme un booléen : écrivez "{raw}"'
    ),
    "hint_quote": ' — pour un texte, écrivez "{raw}" entre guillemets',
    # ---- pieces of messages -------------------------------------------------
    "did_you_mean": " (vouliez-vous dire « {word} » ?)",
    "allowed_keys": " ; clés possibles : {keys}",
    "first_seen": " (première apparition ligne {line})",
    "kind_horizon": "identifiant d'horizon",
    "kind_item": "identifiant d'item",
    "kind_question": "identifiant de question",
    "kind_option": "valeur d'option",
    "kind_profile": "valeur de profil",
    "found_null": "une valeur vide",
    "found_bool": "le booléen {value}",
    "found_number": "le nombre {value}",
    "found_string": "le texte « {value} »",
    "found_list": "une liste",
    "found_mapping": "une table « clé: valeur »",
    "found_other": "« {value} »",
    "want_string": "un texte",
    "want_integer": "un nombre entier",
    "want_number": "un nombre",
    "want_boolean": "true ou false",
    "want_list": "une liste",
    "want_mapping": "une table",
    "or": " ou ",
    # ---- command line ------------------------------------------------------
    "cli_ok_file": (
        "OK  {source} : « {title} » ({key}), {items:thème|thèmes}, {questions:question|questions}"
    ),
    "cli_ok_summary": "OK : {count:grille valide|grilles valides}",
    "cli_failed_summary": "{errors:erreur|erreurs} dans {files:fichier|fichiers}",
    "cli_warnings_summary": "{warnings:avertissement|avertissements}",
    "schema_title": "Grille d'auto-évaluation ESS",
    "schema_description": (
        "Grille d'auto-évaluation des entreprises de l'économie sociale et solidaire "
        "(loi ESS 2014, art. 3, Guide des bonnes pratiques)"
    ),
    # ---- outline (assessment show) ------------------------------------------
    "outline_grid": "Grille « {title} » — id : {id}, version : {version}, langue : {language}",
    "outline_scale": "Échelle :",
    "outline_horizons": "Horizons (le premier est l'état des lieux) :",
    "outline_items": "Thèmes ({count}) :",
    "outline_item": "{index}. {id} — {title}{flags}",
    "outline_systemic": "Approche systémique — {title}",
    "outline_required": "obligatoire",
    "outline_not_required": "facultative",
    "outline_optional": "peut être « non traitée cette année »",
    "outline_optional_item": "item facultatif",
    "outline_weight": "poids {weight}",
    "outline_horizons_of": "horizons : {horizons}",
    "outline_show_if": "si {condition}",
    "outline_applies_to": "s'applique à {criteria}",
    "outline_may_not_apply": "peut être « non applicable »",
    "outline_variants": "variantes selon le profil : {count}",
    "outline_options": "options : {options}",
    "outline_unit": "unité : {unit}",
    "outline_bounds": "de {min} à {max}",
    "outline_levels": "niveaux décrits : {levels}",
    "outline_answered": "a une réponse",
    "outline_unanswered": "sans réponse",
}

MAX_SUGGESTION_CHOICES = 1000
"""Beyond this many candidates, :func:`did_you_mean` does not look for a suggestion."""

_DEFAULTS: dict[str, str] = {"suggestion": "", "hint": "", "first": "", "flags": ""}
_QUOTED = frozenset({"value", "key", "raw", "id", "type", "question", "horizon", "name", "word"})
"""Parameters holding what the author wrote: long ones are cut."""


class _Params(dict[str, Any]):
    """Format parameters: values rendered for humans, absent ones shown as ``?``."""

    def __missing__(self, key: str) -> str:
        return _DEFAULTS.get(key, "?")


def cut(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` on one line, cut with an ellipsis beyond ``limit`` characters."""
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show_value(value: Any) -> str:
    """Render a data value the way the author wrote it in YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(show_value(v) for v in value)
    return str(value)


# Messages about answers (end users filling an assessment, and the ``score``
# command): ``str.format`` templates keyed by ``AnswerError.code``; the
# question and horizon are prefixed by :mod:`assessment.answers`.
ANSWER_MESSAGES: dict[str, str] = {
    "answers_not_a_mapping": "les réponses doivent être un tableau question → horizon → valeur",
    "unknown_question": "cette question n'existe pas dans la grille",
    "not_a_mapping": "les réponses d'une question doivent être un tableau horizon → valeur "
    "(reçu : {value})",
    "unknown_horizon": "horizon inconnu (horizons de la grille : {horizons})",
    "horizon_not_asked": "cette question n'est pas posée pour cet horizon "
    "(horizons de la question : {horizons})",
    "level_wrong_type": "un niveau de l'échelle ({scale}) est attendu, pas {value}",
    "level_off_scale": "{value} n'est pas un niveau de l'échelle ({scale})",
    "number_wrong_type": "un nombre est attendu, pas {value}",
    "number_not_finite": "{value} n'est pas un nombre utilisable",
    "number_not_integer": "un nombre entier est attendu, pas {value}",
    "number_below_min": "{value} est inférieur au minimum ({min})",
    "number_above_max": "{value} est supérieur au maximum ({max})",
    "text_wrong_type": "un texte est attendu, pas {value}",
    "text_too_long": "le texte fait {length} caractères, au-delà du maximum de {max}",
    "text_refused_character": "{problem}",
    "yes_no_wrong_type": "oui ou non (true / false) est attendu, pas {value}",
    "choice_wrong_type": "une option ({options}) est attendue, pas {value}",
    "choice_multiple_wrong_type": "une liste d'options ({options}) est attendue, pas {value}",
    "choice_unknown_option": "{value} n'est pas une option de la question ({options})",
    "not_addressed_unknown": "« non traité cette année » : {value} n'est ni un thème ni une "
    "question de la grille",
    "not_addressed_not_optional": "{value} ne peut pas être marqué « non traité cette année » : "
    "il n'est pas facultatif",
    "not_applicable_unknown": "« non applicable » : {value} n'est pas une question de la grille",
    "not_applicable_not_allowed": "{value} ne peut pas être marquée « non applicable » : la "
    "grille ne le prévoit pas pour cette question",
}


def render(code: str, **params: Any) -> str:
    """The French sentence for ``code``, filled with ``params``.

    Values are shown as YAML would spell them (``true``, ``null``, lists joined
    with commas, long texts cut).  An unknown code renders as the generic
    ``invalid`` message so that an author always gets a sentence.
    """
    template = MESSAGES.get(code)
    if template is None:
        template = MESSAGES["invalid"]
        params = {"detail": params.get("detail", code)}
    shown = _Params(
        {k: cut(show_value(v)) if k in _QUOTED else show_value(v) for k, v in params.items()}
    )
    return _PluralFormatter().vformat(template, (), shown)


class _PluralFormatter(string.Formatter):
    """``{count:grille valide|grilles valides}`` → ``1 grille valide``, ``3 grilles valides``
    (:func:`assessment.french.plural`: 0 and 1 take the singular)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            singular, plural_form = format_spec.split("|", 1)
            try:
                count = int(value)
            except (TypeError, ValueError):  # a parameter left out: « ? grilles »
                return f"{value} {plural_form}"
            return plural(count, singular, plural_form)
        return str(super().format_field(value, format_spec))


def did_you_mean(word: Any, choices: Iterable[Any]) -> str:
    """`` (vouliez-vous dire « x » ?)`` for the closest choice, or an empty string."""
    options = [str(c) for c in choices]
    if len(str(word)) > MAX_SHOWN_CHARS or len(options) > MAX_SUGGESTION_CHOICES:
        return ""  # nothing sensible to suggest, and difflib would be slow
    lowered = {o.lower(): o for o in options}
    candidate = str(word).strip().lower()
    if candidate in lowered and lowered[candidate] != str(word):
        return render("did_you_mean", word=lowered[candidate])
    close = difflib.get_close_matches(candidate, list(lowered), n=1, cutoff=0.6)
    if not close or lowered[close[0]] == str(word):
        return ""
    return render("did_you_mean", word=lowered[close[0]])


def describe(value: Any) -> str:
    """A short French description of a data value: ``le nombre 3``, ``une liste``…"""
    if value is None:
        return render("found_null")
    if isinstance(value, bool):
        return render("found_bool", value=value)
    if isinstance(value, int | float):
        return render("found_number", value=value)
    if isinstance(value, str):
        return render("found_string", value=value)
    if isinstance(value, list):
        return render("found_list")
    if isinstance(value, Mapping):
        return render("found_mapping")
    return render("found_other", value=value)


def join_or(words: Iterable[str]) -> str:
    """``a, b ou c``."""
    items = list(dict.fromkeys(words))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + render("or") + items[-1]


def human_size(size: int) -> str:
    """``2 Mio``, ``512 Kio``, ``12 octets``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} Mio"
    if size >= 1024:
        return f"{size / 1024:.3g} Kio"
    return f"{size} octets"
