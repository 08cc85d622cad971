"""Content of the shipped grid, and the test grids that prove other shapes need no code change.

These tests read the YAML with ``yaml.safe_load`` and validate it with ``Grid.model_validate``
directly, so that they do not depend on the loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    TextQuestion,
    YesNoQuestion,
    text,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GRID = ROOT / "guide" / "guide-bonnes-pratiques-ess.yaml"
TEST_GRIDS = ROOT / "tests" / "grids"

# The eight themes of the guide, in the official order, with their short code (question ids
# are prefixed with it) and their official French title.
OFFICIAL_ITEMS = [
    ("gouvernance", "gouv", "Modalités effectives de gouvernance démocratique"),
    ("concertation", "conc", "Concertation dans l’élaboration de la stratégie de l’entreprise"),
    ("territorialisation", "terr", "Territorialisation de l’activité économique et des emplois"),
    (
        "politique-salariale",
        "soc",
        "Politique salariale et exemplarité sociale, formation professionnelle, négociations "
        "annuelles obligatoires, santé et sécurité au travail et qualité des emplois",
    ),
    (
        "usagers",
        "usag",
        "Lien avec les usagers (bénéficiaires, clients) et réponse aux besoins non couverts "
        "des populations",
    ),
    (
        "diversite",
        "div",
        "Diversité, lutte contre les discriminations et égalité réelle entre les femmes et les "
        "hommes, au travail et dans les instances élues",
    ),
    ("environnement", "env", "Dimension environnementale du développement durable"),
    ("ethique", "eth", "Éthique et déontologie"),
]
GOALS = ["goal_1y", "goal_3y"]
PLACEHOLDER = re.compile(r"lorem|ipsum|\btodo\b|\btbd\b|fixme|xxx|\.\.\.|…|\?\?|<[a-z_]+>", re.I)


def _load(path: Path) -> tuple[dict[str, Any], Grid]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return raw, Grid.model_validate(raw)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return _load(DEFAULT_GRID)[0]


@pytest.fixture(scope="module")
def grid() -> Grid:
    return _load(DEFAULT_GRID)[1]


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string value of the raw YAML data, with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node


def _texts(grid: Grid) -> Iterator[tuple[str, Any]]:
    """Every translatable label of a validated grid (``Text`` fields), with where it is."""
    yield "title", grid.title
    yield "description", grid.description
    for level in grid.scale:
        yield f"scale[{level.value}].label", level.label
        yield f"scale[{level.value}].description", level.description
    for horizon in grid.horizons:
        yield f"horizon {horizon.id}", horizon.label
        yield f"horizon {horizon.id} description", horizon.description
    for item in grid.items:
        for field in ("title", "short_title", "description", "help"):
            yield f"{item.id}.{field}", getattr(item, field)
    if grid.systemic is not None:
        for field in ("title", "description", "help"):
            yield f"systemic.{field}", getattr(grid.systemic, field)
    for _, question in grid.questions():
        for field in ("label", "description", "help"):
            yield f"{question.id}.{field}", getattr(question, field)
        if isinstance(question, LevelQuestion) and question.levels:
            for value, descriptor in question.levels.items():
                yield f"{question.id}.levels[{value}]", descriptor
        if isinstance(question, NumberQuestion):
            yield f"{question.id}.unit", question.unit
        if isinstance(question, ChoiceQuestion):
            for option in question.options:
                yield f"{question.id}.options.{option.value}", option.label


def _yaml_hygiene(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert "\t" not in source, f"{path.name}: tabs"
    for event in yaml.parse(source):
        assert not isinstance(event, yaml.AliasEvent), f"{path.name}: alias at {event.start_mark}"
        assert getattr(event, "anchor", None) is None, f"{path.name}: anchor at {event.start_mark}"
    raw = yaml.safe_load(source)
    assert isinstance(raw["version"], str), f"{path.name}: version must be a quoted string"


# ---- the default grid ---------------------------------------------------------------------


def test_default_grid_identity(raw: dict[str, Any], grid: Grid) -> None:
    _yaml_hygiene(DEFAULT_GRID)
    assert grid.id == "guide-bonnes-pratiques-ess"
    assert raw["version"] == "2026.1"
    assert grid.key == "guide-bonnes-pratiques-ess@2026.1"
    assert grid.language == "fr"
    assert text(grid.title, "fr") == "Guide des bonnes pratiques des entreprises de l’ESS"
    assert text(grid.title, "en") != text(grid.title, "fr")


def test_scale_has_five_described_levels(grid: Grid) -> None:
    assert grid.scale_values == [0, 1, 2, 3, 4]
    for level in grid.scale:
        assert isinstance(level.label, dict) and set(level.label) == {"fr", "en"}
        assert level.description is not None
    assert len({text(level.label) for level in grid.scale}) == 5


def test_horizons_are_current_then_goals(grid: Grid) -> None:
    assert grid.horizon_ids == ["current", *GOALS]
    assert grid.current_horizon == "current"
    assert grid.goal_horizons == GOALS
    labels = {h.id: text(h.label) for h in grid.horizons}
    assert labels == {
        "current": "État des lieux",
        "goal_1y": "Objectif à 1 an",
        "goal_3y": "Objectif à 3 ans",
    }


def test_eight_official_items_in_order(grid: Grid) -> None:
    assert [item.id for item in grid.items] == [item_id for item_id, _, _ in OFFICIAL_ITEMS]
    for item, (_, _, title) in zip(grid.items, OFFICIAL_ITEMS, strict=True):
        assert text(item.title, "fr") == title


@pytest.mark.parametrize(("item_id", "code"), [(i, c) for i, c, _ in OFFICIAL_ITEMS])
def test_item_presentation(grid: Grid, item_id: str, code: str) -> None:
    item = grid.item(item_id)
    assert item.optional is True, "the guide lets each organisation choose its themes"
    assert item.weight == 1.0, "the guide sets no hierarchy between themes"
    assert isinstance(item.title, dict) and item.title.get("en")
    assert isinstance(item.short_title, dict) and item.short_title.get("en")
    assert len(text(item.short_title)) <= 20, "short titles are for charts"
    assert item.description is not None and len(text(item.description)) >= 200
    assert item.help is not None and len(text(item.help)) >= 150
    for question in item.questions:
        assert question.id.startswith(f"{code}-"), question.id


@pytest.mark.parametrize("item_id", [i for i, _, _ in OFFICIAL_ITEMS])
def test_level_questions(grid: Grid, item_id: str) -> None:
    levels = [q for q in grid.item(item_id).questions if isinstance(q, LevelQuestion)]
    assert 3 <= len(levels) <= 6
    for question in levels:
        assert question.is_required or question.optional
        assert question.horizons is None, "a level question is rated at every horizon"
        assert question.help is not None
        assert text(question.label).endswith(" ?"), question.id
        assert question.levels is not None
        assert sorted(question.levels) == grid.scale_values, question.id
        descriptors = [text(d) for d in question.levels.values()]
        assert len(set(descriptors)) == len(descriptors), f"{question.id}: repeated descriptor"


def test_level_labels_and_descriptors_are_not_copied_between_questions(grid: Grid) -> None:
    labels = [text(q.label) for _, q in grid.questions() if isinstance(q, LevelQuestion)]
    assert len(set(labels)) == len(labels)
    top = [text(q.levels[4]) for _, q in grid.questions() if isinstance(q, LevelQuestion)]
    assert len(set(top)) == len(top)


@pytest.mark.parametrize("item_id", [i for i, _, _ in OFFICIAL_ITEMS])
def test_number_indicators(grid: Grid, item_id: str) -> None:
    numbers = [q for q in grid.item(item_id).questions if isinstance(q, NumberQuestion)]
    assert 1 <= len(numbers) <= 2
    for question in numbers:
        assert question.is_required is False
        assert question.unit is not None
        assert question.min is not None
        if text(question.unit) == "%":
            assert (question.min, question.max) == (0, 100)
        assert question.horizons is None, "an indicator has a current value and targets"


def test_example_indicators_from_the_guide(grid: Grid) -> None:
    by_label = {text(q.label): q for _, q in grid.questions() if isinstance(q, NumberQuestion)}
    assert by_label["Taux de participation à la dernière assemblée générale"].better == "higher"
    assert by_label["Part des achats auprès de fournisseurs locaux"].better == "higher"
    assert by_label["Écart entre la rémunération la plus haute et la plus basse"].better == "lower"
    assert "Part de femmes au conseil d’administration" in by_label
    assert "Heures de formation par salarié" in by_label


@pytest.mark.parametrize(("item_id", "code"), [(i, c) for i, c, _ in OFFICIAL_ITEMS])
def test_enjeux_and_actions(grid: Grid, item_id: str, code: str) -> None:
    item = grid.item(item_id)
    expected = {f"{code}-enjeux": "Enjeux et axes de progrès", f"{code}-actions": "Actions prévues"}
    for question_id, label in expected.items():
        question = grid.question(question_id)
        assert grid.item_of(question_id) is item
        assert isinstance(question, TextQuestion)
        assert text(question.label) == label
        assert question.horizons == GOALS
        assert question.is_required is False


def test_show_if_conditions(grid: Grid) -> None:
    conditional = {q.id: q for _, q in grid.questions() if q.show_if is not None}
    assert set(conditional) == {
        "gouv-vote-distance-precisions",
        "env-bilan-ges-precisions",
        "sys-retours-ag",
    }
    vote = conditional["gouv-vote-distance-precisions"].show_if
    assert isinstance(grid.question(vote.question), YesNoQuestion)
    assert vote.equals is True
    for question in conditional.values():
        target = grid.question(question.show_if.question)
        assert grid.item_of(target.id) is grid.item_of(question.id), "condition within a section"
        assert grid.question_horizons(question) == grid.question_horizons(target)


def test_systemic_section(grid: Grid) -> None:
    systemic = grid.systemic
    assert systemic is not None
    assert text(systemic.title) == "Approche systémique et transversale"
    assert isinstance(systemic.title, dict) and systemic.title.get("en")
    levels = [q for q in systemic.questions if isinstance(q, LevelQuestion)]
    texts = [q for q in systemic.questions if isinstance(q, TextQuestion)]
    assert 2 <= len(levels) <= 3
    for question in levels:
        assert question.levels is not None and sorted(question.levels) == grid.scale_values
    assert len(texts) >= 2
    asked_once = [q for q in texts if q.horizons == ["current"]]
    assert asked_once, "interactions between themes are asked once, on the current state"
    for question in systemic.questions:
        assert question.id.startswith("sys-")


def test_ids_are_unique(grid: Grid) -> None:
    ids = [item.id for item in grid.items] + [q.id for _, q in grid.questions()]
    assert len(ids) == len(set(ids))
    for id_ in ids:
        assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", id_)


def test_no_empty_string_and_no_placeholder(raw: dict[str, Any]) -> None:
    strings = list(_strings(raw))
    assert len(strings) > 300
    for path, value in strings:
        assert value.strip(), f"{path} is empty"
        assert not PLACEHOLDER.search(value), f"{path} looks like a placeholder: {value!r}"


def test_french_everywhere(grid: Grid) -> None:
    for where, value in _texts(grid):
        if value is None:
            continue
        if isinstance(value, dict):
            assert "fr" in value, f"{where} has no French"
        assert text(value, "fr").strip(), where


def test_french_typography(raw: dict[str, Any]) -> None:
    strings = [value for path, value in _strings(raw) if not path.endswith(".en")]
    assert not any('"' in value for value in strings), "use « » for quotes"
    straight = any("'" in value for value in strings)
    curly = any("’" in value for value in strings)
    assert not (straight and curly), "one apostrophe style throughout"
    for value in strings:
        assert "  " not in value, f"double space in {value!r}"
        assert not re.search(r"\w[?!;]", value), f"French wants a space before ?!; in {value!r}"


# ---- test grids with other shapes ---------------------------------------------------------

TEST_GRID_FILES = sorted(TEST_GRIDS.glob("*.yaml"))


def test_test_grids_are_there() -> None:
    names = {path.name for path in TEST_GRID_FILES}
    assert {"mini-3-items.yaml", "single-horizon.yaml"} <= names


@pytest.mark.parametrize("path", TEST_GRID_FILES, ids=lambda p: p.name)
def test_test_grid_validates(path: Path) -> None:
    _yaml_hygiene(path)
    _, grid = _load(path)
    assert grid.id != "guide-bonnes-pratiques-ess"


def test_mini_grid_shape() -> None:
    _, grid = _load(TEST_GRIDS / "mini-3-items.yaml")
    assert len(grid.items) == 3
    assert len(grid.scale) == 4
    assert grid.scale_values == [1, 3, 5, 10], "uneven values"
    assert grid.horizon_ids == ["now", "target_2y"]
    assert len({item.weight for item in grid.items}) > 1
    assert [item.id for item in grid.items if item.optional] == ["environnement"]
    assert len({q.weight for _, q in grid.questions()}) > 2
    questions = [q for _, q in grid.questions()]
    assert any(isinstance(q, NumberQuestion) and q.score is not None for q in questions)
    yes_no = [q for q in questions if isinstance(q, YesNoQuestion)]
    assert yes_no and all(q.score is not None for q in yes_no)
    choices = [q for q in questions if isinstance(q, ChoiceQuestion)]
    assert choices and all(o.score is not None for q in choices for o in q.options)
    assert any(isinstance(q, TextQuestion) for q in questions)
    assert any(q.show_if is not None for q in questions)
    assert any(isinstance(q, LevelQuestion) and q.levels is None for q in questions)


def test_single_horizon_grid_shape() -> None:
    _, grid = _load(TEST_GRIDS / "single-horizon.yaml")
    assert len(grid.items) == 2
    assert grid.scale_values == [0, 1, 2]
    assert grid.horizon_ids == ["now"]
    assert grid.goal_horizons == []
    assert grid.systemic is None
    for _, question in grid.questions():
        assert grid.question_horizons(question) == ["now"]


# ---- the documentation's example -----------------------------------------------------------


def test_documented_complete_example_validates() -> None:
    doc = (ROOT / "docs" / "grid-format.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- complete-example -->\s*```yaml\n(.*?)```", doc, re.S)
    assert match, "docs/grid-format.md lost its complete example"
    grid = Grid.model_validate(yaml.safe_load(match.group(1)))
    assert grid.systemic is not None
    types = {q.type for _, q in grid.questions()}
    assert types == {"level", "number", "text", "yes_no", "choice"}
    assert any(q.show_if is not None for _, q in grid.questions())
