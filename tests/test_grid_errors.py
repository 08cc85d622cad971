"""Each kind of broken grid gets its code, its French message and its FILE:LINE:COL.

Fixtures live in ``tests/grids/broken/``; the catalogue in
:mod:`assessment.messages` is checked to cover every code the grid can emit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assessment import grid as grid_module
from assessment.grid import QUESTION_TYPES
from assessment.gridfile import GridProblem, load_grid_file, load_grid_text
from assessment.messages import MESSAGES, describe, did_you_mean, render, show_value

BROKEN = Path(__file__).parent / "grids" / "broken"


def problems_of(name: str) -> list[GridProblem]:
    """Problems of a broken fixture, reported under the source ``broken/NAME``."""
    result = load_grid_text((BROKEN / name).read_bytes(), f"broken/{name}")
    assert result.grid is None
    assert not result.ok
    return result.problems


# (fixture, code, the exact line printed for its first problem of that code)
CASES = [
    (
        "duplicate-ids.yaml",
        "duplicate_id",
        "broken/duplicate-ids.yaml:17:13: items[0].questions[1].id : identifiant de question "
        "« q1 » en double (première apparition ligne 14)",
    ),
    (
        "scale-not-increasing.yaml",
        "scale_not_increasing",
        "broken/scale-not-increasing.yaml:7:13: scale[2].value : les valeurs de l'échelle "
        "doivent être strictement croissantes : 1 vient après 2",
    ),
    (
        "unknown-type.yaml",
        "unknown_question_type",
        "broken/unknown-type.yaml:14:15: items[0].questions[0].type : type de question "
        "inconnu « levle » (vouliez-vous dire « level » ?) ; types possibles : level, number, "
        "text, yes_no, choice",
    ),
    (
        "unknown-key.yaml",
        "unknown_key",
        "broken/unknown-key.yaml:15:9: items[0].questions[0] : clé inconnue « lable » "
        "(vouliez-vous dire « label » ?)",
    ),
    (
        "condition-unknown-question.yaml",
        "condition_unknown_question",
        "broken/condition-unknown-question.yaml:22:29: items[0].questions[1].show_if.question : "
        "la condition porte sur une question inconnue « statu » (vouliez-vous dire « statut » ?)",
    ),
    (
        "tabs.yaml",
        "yaml_tab",
        "broken/tabs.yaml:5:1: caractère de tabulation interdit dans l'indentation : "
        "en YAML, indentez uniquement avec des espaces",
    ),
    (
        "billion-laughs.yaml",
        "alias_expansion",
        "broken/billion-laughs.yaml:6:1: f : les alias (*nom) produisent trop de données "
        "(plus de 100000 valeurs) : n'utilisez les ancres et alias que pour de petits blocs "
        "répétés",
    ),
    (
        "version-float.yaml",
        "version_not_string",
        "broken/version-float.yaml:2:10: version : la version doit être un texte entre "
        'guillemets : écrivez version: "2026.10"',
    ),
    (
        "missing-key.yaml",
        "missing_key",
        "broken/missing-key.yaml:13:9: items[0].questions[0].label : champ obligatoire manquant",
    ),
    (
        "wrong-type.yaml",
        "expected_number",
        "broken/wrong-type.yaml:12:13: items[0].weight : nombre attendu, pas le texte « beaucoup »",
    ),
    (
        "duplicate-yaml-key.yaml",
        "duplicate_key",
        "broken/duplicate-yaml-key.yaml:16:9: items[0].questions[0] : clé « label » en double "
        "dans ce bloc (déjà présente ligne 15) : gardez-en une seule",
    ),
    (
        "python-tag.yaml",
        "unsafe_tag",
        "broken/python-tag.yaml:3:8: title : étiquette « !!python/object/apply:os.system » "
        "interdite : un fichier de grille ne contient que des textes, nombres, booléens, listes "
        "et tables",
    ),
]


@pytest.mark.parametrize(("name", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_grid_is_reported_with_code_message_and_location(
    name: str, code: str, expected: str
) -> None:
    problems = problems_of(name)
    assert code in [p.code for p in problems]
    first = next(p for p in problems if p.code == code)
    assert str(first) == expected


def test_fixture_problems_are_alone() -> None:
    """Each single-defect fixture reports its defect and nothing else."""
    single = {"duplicate-ids.yaml", "scale-not-increasing.yaml", "unknown-type.yaml"}
    single |= {"condition-unknown-question.yaml", "version-float.yaml", "missing-key.yaml"}
    single |= {"wrong-type.yaml", "duplicate-yaml-key.yaml", "python-tag.yaml"}
    for name in sorted(single):
        assert len(problems_of(name)) == 1, name


def test_unknown_key_also_reports_the_missing_field_it_replaces() -> None:
    codes = [(p.code, p.line, p.column) for p in problems_of("unknown-key.yaml")]
    assert codes == [("missing_key", 13, 9), ("unknown_key", 15, 9)]


def test_tabs_are_reported_on_every_line() -> None:
    assert [(p.code, p.line) for p in problems_of("tabs.yaml")] == [
        ("yaml_tab", 5),
        ("yaml_tab", 6),
    ]


def test_all_errors_of_a_file_are_reported_at_once() -> None:
    problems = problems_of("many-errors.yaml")
    assert [(p.code, p.line, p.column) for p in problems] == [
        ("bad_id", 1, 5),
        ("version_not_string", 2, 10),
        ("too_few", 5, 3),
        ("expected_string", 16, 21),
        ("expected_string", 17, 21),
        ("number_bounds_reversed", 21, 14),
        ("missing_key", 23, 9),
        ("unknown_key", 25, 9),
    ]
    messages = [p.message for p in problems]
    assert messages[0] == (
        "id : identifiant « Test Grid » invalide : uniquement des minuscules sans accents, "
        "des chiffres, « - » et « _ » (63 caractères au plus) (vouliez-vous dire « test-grid » ?)"
    )
    assert (
        messages[1]
        == 'version : la version doit être un texte entre guillemets : écrivez version: "2"'
    )
    assert messages[2] == "scale : trop peu d'éléments : il en faut au moins 2, il y en a 1"
    assert messages[3] == (
        "items[0].questions[0].options[0].value : texte attendu, pas le booléen true — "
        '« yes » sans guillemets est compris comme un booléen : écrivez "yes"'
    )
    assert messages[5] == "items[0].questions[1].min : « min » (10) est plus grand que « max » (1)"
    assert messages[6] == "items[0].questions[2].id : champ obligatoire manquant"
    assert messages[7].startswith(
        "items[0].questions[2] : clé inconnue « colour » ; clés possibles"
    )
    assert "max_length" in messages[7]  # the keys of a text question


def test_all_semantic_errors_of_a_file_are_reported_at_once() -> None:
    problems = problems_of("semantic-errors.yaml")
    assert [str(p) for p in problems] == [
        "broken/semantic-errors.yaml:17:25: items[0].questions[0].horizons[1] : horizon inconnu "
        "« y3 » ; horizons définis : now, y1",
        "broken/semantic-errors.yaml:18:27: items[0].questions[0].levels[5] : le niveau 5 "
        "n'existe pas sur l'échelle (valeurs possibles : 0, 1)",
        "broken/semantic-errors.yaml:22:18: items[0].questions[1].show_if : conditions "
        "circulaires : q2 → q3 → q2",
        "broken/semantic-errors.yaml:30:18: items[0].questions[3].show_if : « 7 » n'est pas un "
        "niveau de l'échelle (question « q1 » ; niveaux : 0, 1)",
    ]


def test_file_source_is_the_path_given() -> None:
    result = load_grid_file(BROKEN / "missing-key.yaml")
    assert str(result.problems[0]).startswith(f"{BROKEN / 'missing-key.yaml'}:13:9: ")


# ---- the catalogue --------------------------------------------------------
def _codes_emitted_by_grid_module() -> set[str]:
    source = Path(grid_module.__file__).read_text(encoding="utf-8")
    semantic = set(re.findall(r'add\(\s*"([a-z_]+)"', source))
    tokens = set(re.findall(r'ValueError\("([a-z_]+)"\)', source))
    return semantic | tokens


def test_catalogue_covers_every_code_of_the_grid_module() -> None:
    codes = _codes_emitted_by_grid_module()
    assert {"duplicate_id", "condition_cycle", "version_not_string"} <= codes
    assert codes - MESSAGES.keys() == set()


REQUIRED_CODES = {
    "yaml_syntax",
    "yaml_tab",
    "file_too_large",
    "too_deep",
    "alias_expansion",
    "not_a_mapping",
    "empty_file",
    "not_utf8",
    "unknown_key",
    "missing_key",
    "expected_string",
    "expected_integer",
    "expected_list",
    "expected_mapping",
    "bad_id",
    "unknown_question_type",
    "missing_question_type",
    "value_too_small",
    "value_too_large",
    "too_few",
    "duplicate_key",
    "unsafe_tag",
    "invalid",
}


def test_catalogue_has_the_loader_codes() -> None:
    assert REQUIRED_CODES - MESSAGES.keys() == set()


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_renders_in_plain_french(code: str) -> None:
    params = {name: "x" for name in re.findall(r"{(\w+)[}:]", MESSAGES[code])}
    rendered = render(code, **params)
    assert "{" not in rendered
    assert "?" not in rendered.replace(" ?)", "")  # no parameter left unfilled
    assert "Error" not in rendered


def test_render_examples() -> None:
    assert (
        render("unknown_key", key="foo", suggestion=did_you_mean("lable", ["id", "label"]))
        == "clé inconnue « foo » (vouliez-vous dire « label » ?)"
    )
    assert render("missing_key") == "champ obligatoire manquant"
    assert render("value_too_large", value=200, limit=100.0) == (
        "valeur 200 trop grande : 100 au maximum"
    )
    assert render("no_such_code", detail="boom") == "valeur invalide (boom)"
    assert render("unknown_question_type", type="x", known=list(QUESTION_TYPES)).endswith(
        "types possibles : level, number, text, yes_no, choice"
    )


def test_did_you_mean() -> None:
    assert did_you_mean("Label", ["id", "label"]) == " (vouliez-vous dire « label » ?)"
    assert did_you_mean("zzz", ["id", "label"]) == ""
    assert did_you_mean("label", ["id", "label"]) == ""


def test_values_are_shown_as_written_in_yaml() -> None:
    assert show_value(True) == "true"
    assert show_value(None) == "null"
    assert show_value(2.0) == "2"
    assert show_value(["a", 1]) == "a, 1"
    assert describe(False) == "le booléen false"
    assert describe([1]) == "une liste"
    assert describe({}) == "une table « clé: valeur »"
    long = render("found_string", value="x" * 200)
    assert long.endswith("…»") or long.endswith("… »")
