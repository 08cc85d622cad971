"""The grid loader: API, YAML pitfalls, and hostile files that must fail fast."""

from __future__ import annotations

import signal
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from assessment import gridfile
from assessment.cli.grid_commands import outline
from assessment.grid import Grid
from assessment.gridfile import (
    GridError,
    GridLoadResult,
    GridProblem,
    check_grid_dir,
    grid_json_schema,
    load_grid,
    load_grid_dir,
    load_grid_file,
    load_grid_text,
    reader,
)

VALID = """\
id: test-grid
version: "2026.1"
title: Grille de test
scale:
  - {value: 0, label: Absent}
  - {value: 1, label: Émergent}
  - {value: 2, label: Établi}
horizons:
  - {id: now, label: Aujourd'hui}
  - {id: y1, label: Dans un an}
items:
  - id: gouvernance
    title: {fr: Gouvernance, en: Governance}
    questions:
      - id: q1
        type: level
        label: Les salariés participent-ils aux décisions ?
        levels: {0: Jamais, 2: Toujours}
      - id: statut
        type: choice
        label: Statut
        horizons: [now]
        options:
          - {value: asso, label: Association}
          - {value: scop, label: SCOP}
      - id: ecart
        type: number
        label: Écart de salaires
        unit: ratio
        min: 1
        better: lower
        show_if: {question: statut, equals: scop}
  - id: utilite
    title: Utilité sociale
    optional: true
    questions:
      - id: esus
        type: yes_no
        label: Agrément ESUS ?
        score: {yes: 100, no: 0}
systemic:
  title: Vue d'ensemble
  questions:
    - id: bilan
      type: text
      label: Quels liens entre les thèmes ?
      horizons: [now]
"""


@contextmanager
def does_not_hang() -> Iterator[None]:
    """Fail if the block hangs (alarm after 30 s); no time bound: speed is benchmarked."""

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeoutError("grid loading hung")

    if not hasattr(signal, "SIGALRM"):  # not on Windows
        yield
        return
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a test with PyYAML's C loader and with its pure-Python fallback."""
    if request.param == "libyaml":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML built without libyaml")
        monkeypatch.setattr(reader, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(reader, "_Loader", yaml.SafeLoader)


def only_problem(result: GridLoadResult) -> GridProblem:
    assert result.grid is None
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


# ---- the happy path -------------------------------------------------------
def test_valid_grid_loads() -> None:
    result = load_grid_text(VALID, "valid.yaml")
    assert result.ok
    assert result.problems == [] and result.warnings == []
    assert isinstance(result.grid, Grid)
    assert result.grid.key == "test-grid@2026.1"
    assert result.grid.question("q1").levels == {0: "Jamais", 2: "Toujours"}  # type: ignore[union-attr]
    assert result.grid.question("esus").score.yes == 100  # type: ignore[union-attr]


def test_bytes_and_bom_are_accepted() -> None:
    assert load_grid_text(VALID.encode()).ok
    assert load_grid_text(b"\xef\xbb\xbf" + VALID.encode()).ok
    assert load_grid_text("\ufeff" + VALID).ok


def test_locate_gives_one_based_positions() -> None:
    result = load_grid_text(VALID)
    assert result.locate(("items", 0, "questions", 1, "id")) == (19, 13)
    assert result.locate(("items", 99)) == result.locate(("items",))


def test_problem_str_is_file_line_column_message() -> None:
    problem = GridProblem("missing_key", "a.b : champ obligatoire manquant", "g.yaml", 4, 2, "a.b")
    assert str(problem) == "g.yaml:4:2: a.b : champ obligatoire manquant"


def test_yaml_merge_keys_and_small_aliases_work() -> None:
    text = VALID.replace(
        "      - id: statut\n        type: choice\n",
        "      - &choice_base\n        id: statut\n        type: choice\n",
    ).replace(
        "systemic:\n",
        "  - id: autre\n    title: Autre\n    questions:\n"
        "      - <<: *choice_base\n        id: statut-bis\n"
        "systemic:\n",
    )
    result = load_grid_text(text)
    assert result.ok, result.problems
    assert result.grid is not None
    assert [o.value for o in result.grid.question("statut-bis").options] == ["asso", "scop"]  # type: ignore[union-attr]


def test_dates_stay_text() -> None:
    result = load_grid_text(VALID.replace('version: "2026.1"', "version: 2026-01-15"))
    assert result.ok and result.grid is not None
    assert result.grid.version == "2026-01-15"


# ---- YAML 1.1 pitfalls ------------------------------------------------------
def test_yes_no_keys_stay_words() -> None:
    """``score: {yes: 100, no: 0}`` and a Norwegian ``no:`` label must not become booleans."""
    text = VALID.replace("title: Utilité sociale", "title: {fr: Utilité sociale, no: Sosial}")
    assert load_grid_text(text).ok


def test_unquoted_yes_as_boolean_value_warns() -> None:
    result = load_grid_text(VALID.replace("optional: true", "optional: yes"), "g.yaml")
    assert result.ok
    (warning,) = result.warnings
    assert warning.code == "yaml_bool_word"
    assert str(warning) == (
        "g.yaml:35:15: items[1].optional : attention : « yes » est compris comme true ; "
        'écrivez true (ou "yes" entre guillemets si c\'est un texte)'
    )


def test_unquoted_yes_in_a_condition_on_options_is_explained() -> None:
    text = VALID.replace("equals: scop", "equals: yes")
    result = load_grid_text(text, "g.yaml")
    problem = only_problem(result)
    assert problem.code == "condition_unknown_option"
    assert str(problem) == (
        "g.yaml:32:18: items[0].questions[2].show_if : « true » n'est pas une option de la "
        "question « statut » ; options : asso, scop — « yes » sans guillemets est compris comme "
        'un booléen : écrivez "yes"'
    )
    assert result.warnings == []  # the hint already said it


def test_number_where_text_expected_suggests_quotes() -> None:
    problem = only_problem(load_grid_text(VALID.replace("value: scop", "value: 1"), "g.yaml"))
    assert str(problem) == (
        "g.yaml:25:21: items[0].questions[1].options[1].value : texte attendu, pas le nombre 1 "
        '— pour un texte, écrivez "1" entre guillemets'
    )


def test_text_or_translations_union_gives_one_message() -> None:
    problem = only_problem(load_grid_text(VALID.replace("title: Grille de test", "title: [a]")))
    assert problem.code == "expected_text"
    assert problem.message == (
        "title : texte attendu (ou une table de traductions, par ex. « fr: … »), pas une liste"
    )
    problem = only_problem(load_grid_text(VALID.replace("en: Governance", "en: ''")))
    assert (problem.code, problem.path) == ("empty_text", "items[0].title.en")
    problem = only_problem(load_grid_text(VALID.replace("en: Governance", "eng: Governance")))
    assert (problem.code, problem.line, problem.column) == ("bad_language", 13, 30)


def test_other_structural_messages() -> None:
    cases = {
        ("better: lower", "better: lowr"): (
            "bad_choice",
            "items[0].questions[2].better : valeur « lowr » non reconnue (vouliez-vous dire "
            "« lower » ?) ; valeurs possibles : higher, lower, neither",
        ),
        ("unit: ratio", "unit: ratio\n        weight: -2"): (
            "value_too_small",
            "items[0].questions[2].weight : valeur -2 trop petite : 0 au minimum",
        ),
        ("score: {yes: 100, no: 0}", "score: {yes: 120, no: 0}"): (
            "value_too_large",
            "items[1].questions[0].score.yes : valeur 120 trop grande : 100 au maximum",
        ),
        ("levels: {0: Jamais, 2: Toujours}", "levels: {zéro: Jamais}"): (
            "expected_integer",
            "items[0].questions[0].levels.zéro : nombre entier attendu, pas le texte « zéro »",
        ),
        ("horizons: [now]\n        options", "horizons: now\n        options"): (
            "expected_list",
            "items[0].questions[1].horizons : liste attendue (lignes commençant par « - »), "
            "pas le texte « now »",
        ),
        ("systemic:\n  title: Vue d'ensemble", "systemic: oui\nx:\n  title: Vue d'ensemble"): (
            "expected_mapping",
            "systemic : table « clé: valeur » attendue, pas le texte « oui »",
        ),
        ("equals: scop}", "equals: scop, answered: true}"): (
            "condition_needs_one_test",
            "items[0].questions[2].show_if : la condition doit contenir exactement un test parmi "
            "« equals », « in » et « answered »",
        ),
        ("type: yes_no", "type: 4"): (
            "unknown_question_type",
            "items[1].questions[0].type : type de question inconnu « 4 » ; types possibles : "
            "level, number, text, yes_no, choice",
        ),
    }
    for (old, new), (code, message) in cases.items():
        text = VALID.replace(old, new, 1)
        assert text != VALID, old
        problems = [p for p in load_grid_text(text).problems if p.code == code]
        assert [p.message for p in problems][:1] == [message], (old, problems)


def test_missing_question_type_points_at_the_question() -> None:
    problem = only_problem(load_grid_text(VALID.replace("        type: yes_no\n", ""), "g.yaml"))
    assert str(problem) == (
        "g.yaml:37:9: items[1].questions[0].type : champ « type » manquant : indiquez le type "
        "de la question (level, number, text, yes_no, choice)"
    )


# ---- YAML syntax -------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("id: a: b\n", "yaml_colon", 1, 6),
        ("id: a\nversion\ntitle: x\n", "yaml_missing_colon", 2, 1),
        ("id: a\n  version: 1\n", "yaml_colon", 2, 10),
        ("items:\n    - a\n  - b\n", "yaml_indent", 3, 3),
        ('id: "abc\nversion: 1\n', "yaml_unclosed_quote", 1, 5),
        ("id: [a, b\nversion: 1\n", "yaml_unclosed_flow", 1, 5),
        ("id: *nope\n", "yaml_undefined_alias", 1, 5),
        ("id: @x\n", "yaml_reserved_char", 1, 5),
        ("id: a\n---\nid: b\n", "multiple_documents", 2, 1),
        ("id: a\x07\n", "yaml_bad_char", 1, 6),
        ("title: !!binary aGk=\n", "unsupported_tag", 1, 8),
        ("title: !foo x\n", "unsupported_tag", 1, 8),
        ("? [a, b]\n: c\n", "bad_key", 1, 3),
        ("a: &x [*x]\n", "alias_recursive", 1, 4),
        ("", "empty_file", 1, 1),
        ("# only a comment\n", "empty_file", 1, 1),
        ("- id: a\n", "not_a_mapping", 1, 1),
        (b"title: \xe9t\xe9\n", "not_utf8", 1, 8),
        ("title: x\n".encode("utf-16"), "not_utf8", 1, 1),
    ],
)
def test_yaml_problems(
    text: str | bytes, code: str, line: int, column: int, yaml_loader: None
) -> None:
    result = load_grid_text(text, "g.yaml")
    assert result.grid is None
    first = next(p for p in result.problems if p.code == code)
    assert (first.line, first.column) == (line, column), result.problems


def test_yaml_messages_are_french_and_actionable() -> None:
    problem = load_grid_text("id: a: b\n", "g.yaml").problems[0]
    assert str(problem) == (
        "g.yaml:1:6: deux-points « : » inattendu : si la valeur contient « : », mettez-la entre "
        "guillemets ; sinon vérifiez l'indentation"
    )
    problem = load_grid_text("- id: a\n", "g.yaml").problems[0]
    assert problem.message == (
        "le fichier doit contenir une table « clé: valeur » (id, version, title…), pas une liste"
    )
    problem = load_grid_text(b"title: \xe9t\xe9\n", "g.yaml").problems[0]
    assert problem.message == (
        "le fichier n'est pas encodé en UTF-8 (octet 0xE9) : enregistrez-le en UTF-8 depuis "
        "votre éditeur de texte"
    )


def test_bad_tag_value_is_not_reported_twice() -> None:
    result = load_grid_text(VALID.replace("title: Grille de test", "title: !!set {a}"))
    assert [p.code for p in result.problems] == ["unsupported_tag"]


# ---- hostile files: a clear error, fast, bounded memory ---------------------
def test_billion_laughs_stops_early_with_bounded_memory(yaml_loader: None) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefghijklmnopqrstuvwxy", "bcdefghijklmnopqrstuvwxyz", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    tracemalloc.start()
    try:
        with does_not_hang():
            problem = only_problem(load_grid_text("\n".join(lines)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problem.code == "alias_expansion"
    assert peak < 200 * 1024 * 1024


def test_deeply_nested_flow_collections(yaml_loader: None) -> None:
    for text in ("[" * 100_000, "{a: " * 100_000, "a:\n" + "- " * 50_000 + "x\n"):
        with does_not_hang():
            problem = only_problem(load_grid_text(text, "g.yaml"))
        assert problem.code == "too_deep"
        assert problem.message.startswith("imbrication trop profonde (plus de 64 niveaux)")


def test_deep_nesting_through_aliases(yaml_loader: None) -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [[[[[[[[*a{i - 1}]]]]]]]]" for i in range(1, 12)]
    with does_not_hang():
        problem = only_problem(load_grid_text("\n".join(lines)))
    assert problem.code == "too_deep"


def test_huge_text_is_refused_before_parsing() -> None:
    with does_not_hang():
        problem = only_problem(load_grid_text("a: " + "x" * (50 * 1024 * 1024), "g.yaml"))
    assert str(problem) == (
        "g.yaml:1:1: fichier trop volumineux (50 Mio) : une grille ne doit pas dépasser 2 Mio"
    )


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as stream:
        stream.truncate(50 * 1024 * 1024)  # sparse: nothing to read if we tried
    with does_not_hang():
        problem = only_problem(load_grid_file(path))
    assert problem.code == "file_too_large"


def test_too_many_values(yaml_loader: None) -> None:
    text = "a: [" + ", ".join(["1"] * 150_000) + "]\n"
    with does_not_hang():
        problem = only_problem(load_grid_text(text))
    assert problem.code == "too_many_nodes"


def test_python_tags_are_never_executed(tmp_path: Path, yaml_loader: None) -> None:
    marker = tmp_path / "pwned"
    text = f"title: !!python/object/apply:os.system ['touch {marker}']\n"
    result = load_grid_text(text)
    assert "unsafe_tag" in [p.code for p in result.problems]
    assert not marker.exists()


SMALL_HEAD = """\
id: big
version: "1"
title: Grosse grille
scale: [{value: 0, label: a}, {value: 1, label: b}]
horizons: [{id: now, label: Maintenant}]
items:
  - id: theme
    title: Thème
    questions:
"""


def test_long_chains_of_conditions_stay_fast() -> None:
    questions = ["      - {id: q0, type: yes_no, label: x}\n"]
    questions += [
        f"      - {{id: q{i}, type: yes_no, label: x, show_if: {{question: q{i - 1}, "
        "answered: true}}\n"
        for i in range(1, 4000)
    ]
    with does_not_hang():
        result = load_grid_text(SMALL_HEAD + "".join(questions))
    assert result.ok, result.problems[:3]


def test_many_problems_are_capped_and_fast() -> None:
    questions = "".join("      - {id: same, type: yes_no, label: x}\n" for _ in range(6000))
    with does_not_hang():
        result = load_grid_text(SMALL_HEAD + questions)
    assert len(result.problems) == gridfile.MAX_PROBLEMS + 1
    assert result.problems[0].message == (
        "items[0].questions[1].id : identifiant de question « same » en double "
        "(première apparition ligne 10)"
    )
    assert result.problems[-1].code == "too_many_problems"
    assert result.problems[-1].message == (
        "… et 5\u202f799\u00a0autres problèmes non affichés : corrigez d'abord ceux-ci"
    )


def test_limits_can_be_lowered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_BYTES", 100)
    assert only_problem(load_grid_text(VALID)).code == "file_too_large"


# ---- file, folder and exception wrappers -------------------------------------
def test_load_grid_file_and_load_grid(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_grid_file(path).ok
    assert load_grid(path).id == "test-grid"
    path.write_text(VALID.replace("id: test-grid", "id: Test"), encoding="utf-8")
    with pytest.raises(GridError) as caught:
        load_grid(path)
    assert [p.code for p in caught.value.problems] == ["bad_id"]
    assert str(caught.value).startswith(f"{path}:1:5: id : identifiant « Test » invalide")


def test_unreadable_file(tmp_path: Path) -> None:
    problem = only_problem(load_grid_file(tmp_path / "absent.yaml"))
    assert problem.code == "file_unreadable"
    assert problem.line == 1 and problem.column == 1


def test_load_grid_dir_registry(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yml").write_text(VALID.replace('"2026.1"', '"2026.2"'), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a grid", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "broken.yaml").write_text("[", encoding="utf-8")
    grids = load_grid_dir(tmp_path)
    assert sorted(grids) == [("test-grid", "2026.1"), ("test-grid", "2026.2")]


def test_duplicate_id_and_version_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(VALID, encoding="utf-8")
    outcome = check_grid_dir(tmp_path)
    assert not outcome.ok
    assert list(outcome.grids) == [("test-grid", "2026.1")]
    (problem,) = outcome.problems
    assert str(problem) == (
        f"{tmp_path / 'b.yaml'}:1:5: la grille « test-grid » version « 2026.1 » est déjà "
        f"définie dans {tmp_path / 'a.yaml'} : changez l'identifiant ou la version"
    )
    with pytest.raises(GridError):
        load_grid_dir(tmp_path)


def test_empty_folder(tmp_path: Path) -> None:
    outcome = check_grid_dir(tmp_path)
    assert [p.code for p in outcome.problems] == ["no_grid_files"]


def test_folder_reports_every_broken_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a: b\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("- x\n", encoding="utf-8")
    with pytest.raises(GridError) as caught:
        load_grid_dir(tmp_path)
    assert [p.code for p in caught.value.problems] == ["yaml_colon", "not_a_mapping"]


# ---- outline and schema -------------------------------------------------------
def test_outline() -> None:
    grid = load_grid_text(VALID).grid
    assert grid is not None
    shown = outline(grid)
    assert shown.startswith(
        "Grille « Grille de test » — id : test-grid, version : 2026.1, langue : fr\n"
    )
    for expected in (
        "  0 = Absent",
        "  y1 — Dans un an",
        "Thèmes (2) :",
        "  1. gouvernance — Gouvernance",
        "  2. utilite — Utilité sociale [item facultatif]",
        "     - q1 [level] Les salariés participent-ils aux décisions ?",
        "       (obligatoire ; niveaux décrits : 0, 2)",
        "       (facultative ; horizons : now ; options : asso, scop)",
        "       (facultative ; unité : ratio ; de 1 à … ; si statut = scop)",
        "Approche systémique — Vue d'ensemble",
        "     - bilan [text] Quels liens entre les thèmes ?",
    ):
        assert expected in shown.splitlines(), expected


def test_json_schema_is_usable_by_editors() -> None:
    schema = grid_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "Grille d'auto-évaluation ESS"
    assert schema["type"] == "object"
    assert {"id", "version", "title", "scale", "horizons", "items"} <= set(schema["required"])
    assert schema["properties"]["version"]["type"] == "string"
