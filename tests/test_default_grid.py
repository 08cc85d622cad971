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

from assessment.answers import missing_required, not_applicable_ids
from assessment.french import typography_problems
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    TextQuestion,
    YesNoQuestion,
    lineage_issues,
    text,
)
from assessment.profiles import LEGAL_FAMILIES, SIZE_BANDS, Profile
from assessment.scoring import score, score_function

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GRID = ROOT / "guide" / "guide-bonnes-pratiques-ess.yaml"
# the version that earlier campaigns answered, kept published byte for byte
PREVIOUS_GRID = ROOT / "guide" / "guide-bonnes-pratiques-ess-2026.1.yaml"
TEST_GRIDS = ROOT / "tests" / "grids"

# The eight themes of the guide, in the official order, with their short code (question ids
# are prefixed with it) and their official French title: the wording of art. 3 of the law
# of 31 July 2014 for themes 1 to 6 and of the CSESS for 7 and 8 (guide-facts.md §1),
# without the leading article.
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
        "Lien avec les usagers et réponse aux besoins non couverts des populations",
    ),
    (
        "diversite",
        "div",
        "Situation de l’entreprise en matière de diversité, de lutte contre les "
        "discriminations et d’égalité réelle entre les femmes et les hommes en matière "
        "d’égalité professionnelle et de présence dans les instances dirigeantes élues",
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
        for k, variant in enumerate(question.variants):
            yield f"{question.id}.variants[{k}].label", variant.label
            yield f"{question.id}.variants[{k}].help", variant.help
            for value, descriptor in (variant.levels or {}).items():
                yield f"{question.id}.variants[{k}].levels[{value}]", descriptor
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
    assert raw["version"] == "2026.2"
    assert grid.key == "guide-bonnes-pratiques-ess@2026.2"
    assert grid.language == "fr"
    # this project's grid built on the guide, not the CSESS guide itself
    title = text(grid.title, "fr")
    assert title == "Grille d’auto-évaluation construite sur le guide des bonnes pratiques de l’ESS"
    assert not title.startswith("Guide")
    assert "n’est pas ce guide" in text(grid.description, "fr")
    assert text(grid.title, "en") != text(grid.title, "fr")


def test_previous_version_stays_published_unchanged(grid: Grid) -> None:
    """Campaigns answered on 2026.1 keep their version: the file is still in guide/ (the
    folder every start publishes), and every id it had is still there or continued."""
    _yaml_hygiene(PREVIOUS_GRID)
    _, previous = _load(PREVIOUS_GRID)
    assert previous.key == "guide-bonnes-pratiques-ess@2026.1"
    assert lineage_issues(grid, previous) == []
    assert [item.id for item in previous.items] == [item.id for item in grid.items]
    kept = {q.id for _, q in grid.questions()}
    for _, question in previous.questions():
        assert question.id in kept, f"{question.id} was dropped"


def test_split_questions_continue_the_question_they_come_from(grid: Grid) -> None:
    # each question that asked two things is now two questions; the new one continues it
    splits = {
        "gouv-transparence": "gouv-equilibre",
        "gouv-moyens-elus": "gouv-mandats",
        "conc-projet-evaluation": "conc-projet",
        "soc-ecarts": "soc-remuneration",
        "soc-conciliation": "soc-qualite-emploi",
        "eth-application": "eth-referentiel",
        "eth-questionnement": "eth-alerte",
    }
    for new, old in splits.items():
        assert grid.question(new).replaces == [old]
        assert grid.item_of(new) is grid.item_of(old)
    labels = {q.id: text(q.label) for _, q in grid.questions()}
    assert " et les élus ont-ils" not in labels["gouv-mandats"]
    assert "transparents" not in labels["gouv-equilibre"]
    assert "évalué" not in labels["conc-projet"]
    assert "appliqués" not in labels["eth-referentiel"]
    assert "questionnement" not in labels["eth-alerte"]


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
    assert 3 <= len(levels) <= 9
    for question in levels:
        assert question.is_required or question.optional
        assert question.horizons is None, "a level question is rated at every horizon"
        assert question.help is not None
        assert text(question.label).endswith("\u202f?"), question.id
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
    assert 2 <= len(numbers) <= 6
    for question in numbers:
        assert question.is_required is False
        assert question.unit is not None
        assert question.min is not None
        if text(question.unit) == "%" and question.id != "soc-rotation":
            assert (question.min, question.max) == (0, 100)
        elif text(question.unit) == "%":  # a turnover rate can pass 100 % (seasonal staff)
            assert (question.min, question.max) == (0, None)
        assert question.horizons is None, "an indicator has a current value and targets"


def test_example_indicators_from_the_guide(grid: Grid) -> None:
    by_label = {text(q.label): q for _, q in grid.questions() if isinstance(q, NumberQuestion)}
    assert by_label["Taux de participation à la dernière assemblée générale"].better == "higher"
    assert by_label["Part des achats auprès de fournisseurs locaux"].better == "higher"
    assert by_label["Écart entre la rémunération la plus haute et la plus basse"].better == "lower"
    assert "Part de femmes au conseil d’administration" in by_label
    assert "Heures de formation par salarié" in by_label


# Indicators and questions the guide's key questions ask for (guide-facts.md §2, issue 11 §3),
# with the direction of progress of each indicator.
GUIDE_INDICATORS = {
    "gouv-heures-formation-elus": "higher",  # total training hours of elected members
    "gouv-temps-elus": "neither",  # time elected members spend on governance
    "gouv-rencontres-elus-salaries": "higher",  # director–employee meetings
    "conc-autres-associes": "higher",  # users, members, volunteers in strategic reflection
    "terr-decisions-locales": "higher",  # share of decisions taken locally
    "terr-stagiaires": "higher",  # interns hosted
    "terr-portes-ouvertes": "higher",  # open days
    "soc-absenteisme": "lower",
    "soc-accidents": "lower",
    "soc-rotation": "lower",
    "soc-part-cdi": "higher",
    "div-femmes-bureau": "neither",
    "div-femmes-encadrement": "neither",
    "div-taux-oeth": "higher",  # employment rate of disabled workers
}
GUIDE_QUESTIONS = {
    "gouv-executif": ChoiceQuestion,  # elected or salaried executive
    "conc-freins": TextQuestion,  # obstacles and incentives to more consultation
    "soc-droit-travail": ChoiceQuestion,  # labour law, the first good practice
    "usag-qualite": LevelQuestion,  # quality of goods and services
    "env-produits": LevelQuestion,  # environmental effect of the goods and services
    "eth-deontologie": LevelQuestion,  # ethics versus deontology, professional codes
    "div-presidence": ChoiceQuestion,  # women chairing
}


def test_indicators_and_questions_for_the_guides_key_questions(grid: Grid) -> None:
    for question_id, better in GUIDE_INDICATORS.items():
        question = grid.question(question_id)
        assert isinstance(question, NumberQuestion), question_id
        assert question.better == better, question_id
    for question_id, kind in GUIDE_QUESTIONS.items():
        assert isinstance(grid.question(question_id), kind), question_id
    # the involvement indicator no longer counts employees only
    involvement = text(grid.question("conc-autres-associes").label)
    assert all(word in involvement for word in ("Usagers", "membres", "bénévoles"))


def test_descriptive_and_compliance_questions_are_not_scored(grid: Grid) -> None:
    """A legal duty, or a choice the guide treats as equally valid, never moves a score."""
    for question_id in (
        "gouv-executif",
        "gouv-convocations",
        "soc-droit-travail",
        "soc-nao",
        "div-presidence",
    ):
        question = grid.question(question_id)
        assert score_function(grid, question) is None, question_id
        assert question.horizons == ["current"], question_id


# Words of a level descriptor that a reader cannot check, or that rate a legal duty.
UNOBSERVABLE = re.compile(
    r"réellement|vrai lieu|vivant|culture du|reconnu|en hausse|progression constante|"
    r"personne n’est écarté",
    re.I,
)
LEGAL_DUTIES = re.compile(
    r"document unique|comité social|\bCSE\b|index de l’égalité|commissaire aux comptes|"
    r"conseil de la vie sociale|négociations? annuelles?|PAPRIPACT|GPEC|GEPP|"
    r"délais de paiement|conventions réglementées|obligations? léga|obligatoire|"
    r"contribution financière",
    re.I,
)
# A level 4 that needs publishing, sharing with others or outside recognition is out of an
# organisation's reach: level 4 is an excellent practice inside the organisation.
OUTSIDE = re.compile(
    r"publi(?:é|e|er|cation)|rendus? publics?|au-delà de ses murs|"
    r"d’autres acteurs|d’autres employeurs|d’autres acheteurs|"
    r"essaim|label|regard extérieur|partagée? avec d’autres|opposable|reconnu",
    re.I,
)


def test_level_descriptors_are_observable_and_leave_compliance_out(grid: Grid) -> None:
    profiles = [Profile(family, band) for family in LEGAL_FAMILIES for band in SIZE_BANDS]
    for _, question in grid.questions():
        if not isinstance(question, LevelQuestion) or not question.levels:
            continue
        # every wording an organisation can see: the question's own and its variants'
        for levels in {tuple(question.wording(p).levels.items()) for p in profiles}:
            for value, descriptor in levels:
                words = text(descriptor, "fr")
                where = f"{question.id}.levels[{value}]"
                assert not UNOBSERVABLE.search(words), f"{where}: {words}"
                assert not LEGAL_DUTIES.search(words), f"{where} rates a legal duty: {words}"
            top = text(dict(levels)[4], "fr")
            assert not OUTSIDE.search(top), f"{question.id}: level 4 needs the outside: {top}"
    assert not OUTSIDE.search(text(grid.scale[-1].description or "", "fr"))


def test_legal_duties_are_labelled_with_their_threshold(grid: Grid) -> None:
    """Where a help text names a duty that depends on the headcount, it says the threshold."""
    thresholds = {
        "soc-droit-travail": ["11 salariés", "50 salariés", "délégué syndical"],
        "soc-dialogue-social": ["11 salariés", "délégué syndical"],
        "soc-sante-securite": ["11 salariés", "50 salariés", "PAPRIPACT", "L4121-3-1"],
        "soc-competences": ["300 salariés", "GEPP"],
        "div-egalite-professionnelle": ["50 salariés", "valeur égale", "L3221-2"],
        "div-diversite-profils": ["20 salariés", "2007-557 DC"],
        "div-index-egalite": ["50 salariés"],
        "eth-alerte": ["50 salariés"],
        "env-impacts": ["500 salariés"],
        "gouv-moyens-elus": ["Mutuelles", "L114-25"],
        "gouv-equilibre": ["commissaire aux comptes", "seuils"],
    }
    for question_id, words in thresholds.items():
        help_text = text(grid.question(question_id).help, "fr").replace("\u202f", " ")
        help_text = help_text.replace("\u00a0", " ")
        for word in words:
            assert word in help_text, f"{question_id}: no « {word} » in its help"
    every = " ".join(text(t, "fr") for _, t in _texts(grid) if t is not None)
    assert "à poste égal" not in every and "GPEC" not in every
    assert "plan de prévention," not in every


def test_the_ess_is_not_defined_by_social_utility(grid: Grid) -> None:
    description = text(grid.item("usagers").description, "fr")
    assert "se définissent par leur utilité sociale" not in description
    assert "art." in description and "1" in description and "2" in description


@pytest.mark.parametrize(("item_id", "code"), [(i, c) for i, c, _ in OFFICIAL_ITEMS])
def test_enjeux_and_actions(grid: Grid, item_id: str, code: str) -> None:
    """The guide's order: état des lieux, then the stakes it brings out (asked on the current
    state), then goals at 1 and 3 years (the goal columns), then the actions."""
    item = grid.item(item_id)
    expected = {
        f"{code}-enjeux": ("Enjeux et axes de progrès", ["current"]),
        f"{code}-actions": ("Actions prévues", GOALS),
    }
    for question_id, (label, horizons) in expected.items():
        question = grid.question(question_id)
        assert grid.item_of(question_id) is item
        assert isinstance(question, TextQuestion)
        assert text(question.label) == label
        assert question.horizons == horizons
        assert question.is_required is False
    order = [q.id for q in item.questions]
    assert order[-2:] == [f"{code}-enjeux", f"{code}-actions"]


def test_description_follows_the_guides_order(grid: Grid) -> None:
    description = text(grid.description, "fr")
    steps = ["état des lieux", "enjeux", "objectifs", "actions", "assemblée générale"]
    positions = [description.index(step) for step in steps]
    assert positions == sorted(positions), description


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
    assert not any("'" in value for value in strings), "curly apostrophes (’) throughout"
    for value in strings:
        assert "  " not in value, f"double space in {value!r}"
        assert not re.search(r"\w[?!;]", value), f"French wants a space before ?!; in {value!r}"


def _french_texts(grid: Grid) -> Iterator[tuple[str, str]]:
    """Every French text of a grid: titles, labels, help, descriptions, levels, options."""
    for where, value in _texts(grid):
        if value is None:
            continue
        if isinstance(value, dict):
            if "fr" in value:
                yield where, value["fr"]
        elif grid.language == "fr":
            yield where, value


def _typography_report(grid: Grid) -> list[str]:
    return [
        f"{where}: {', '.join(problems)} — {value!r}"
        for where, value in _french_texts(grid)
        if (problems := typography_problems(value))
    ]


def test_every_french_text_follows_french_typography(grid: Grid) -> None:
    """Narrow no-break space before ? ! ;, no-break space before : and in « 50 % », curly
    apostrophes, « guillemets »: assessment.french.typography_problems on every text."""
    texts = dict(_french_texts(grid))
    assert len(texts) > 500
    assert _typography_report(grid) == []


@pytest.mark.parametrize(
    "broken",
    [
        "Les règles sont-elles connues ?",  # plain space before ?
        "Les règles sont-elles connues?",
        "Statuts relus ; règles connues",
        "Rassemblez les pièces : statuts, comptes rendus",
        "Un conseil composé à 50 % de femmes",
        "Les règles de l'association",
        "Le thème « Diversité »",
    ],
)
def test_a_text_breaking_french_typography_fails_the_check(grid: Grid, broken: str) -> None:
    raw = grid.model_dump(mode="json", exclude_none=True)
    raw["items"][0]["questions"][0]["help"] = broken
    report = _typography_report(Grid.model_validate(raw))
    assert len(report) == 1 and report[0].startswith("gouv-regles.help:"), report


# ---- fit by size and legal family (applies_to, variants) ---------------------------------

EMPLOYEE_QUESTIONS = {
    "soc-droit-travail", "soc-remuneration", "soc-ecarts", "soc-competences",
    "soc-dialogue-social", "soc-nao", "soc-sante-securite", "soc-qualite-emploi",
    "soc-conciliation", "soc-ecart-remunerations", "soc-heures-formation", "soc-part-cdi",
    "soc-absenteisme", "soc-accidents", "soc-rotation", "gouv-rencontres-elus-salaries",
    "conc-salaries-associes", "terr-emplois", "terr-emplois-etp", "div-non-discrimination",
    "div-egalite-professionnelle", "div-femmes-encadrement", "div-taux-oeth",
    "div-index-egalite",
}  # fmt: skip
NO_ASSEMBLY = {"gouv-taux-participation-ag", "gouv-vote-distance", "gouv-vote-distance-precisions"}
VOLUNTEERS = Profile(legal_family="association", size_band="0")


def test_a_volunteer_run_association_answers_theme_4_about_its_volunteers(grid: Grid) -> None:
    assert not_applicable_ids(grid, VOLUNTEERS) == EMPLOYEE_QUESTIONS
    theme = grid.item("politique-salariale")
    left = [q.id for q in theme.questions if q.id not in EMPLOYEE_QUESTIONS]
    assert left == [
        "soc-benevoles-accueil", "soc-benevoles-formation", "soc-enjeux", "soc-actions"
    ]  # fmt: skip
    # « non applicable »: neither expected nor scored, never counted as 0
    answers = {
        "soc-remuneration": {"current": 0},  # e.g. a stale answer
        "soc-benevoles-accueil": {"current": 4},
        "soc-benevoles-formation": {"current": 2},
    }
    na = not_applicable_ids(grid, VOLUNTEERS)
    report = score(grid, answers, (), na)
    assert report.items["politique-salariale"]["current"] == 75.0
    everyone = score(grid, answers).items["politique-salariale"]["current"]
    assert everyone == 50.0  # the same answers, for an employer: the 0 counts
    missing = {q for _, q, _ in missing_required(grid, answers, (), na)}
    assert not missing & EMPLOYEE_QUESTIONS
    assert {"soc-competences", "soc-sante-securite"} <= {
        q for _, q, _ in missing_required(grid, answers, ())
    }


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (Profile("association", "1-9"), {"div-index-egalite"}),
        (Profile("association", "10-49"), {"div-index-egalite"}),
        (Profile("cooperative", "50-249"), set()),
        (Profile("mutual", "250+"), set()),
        (Profile("foundation", "50-249"), NO_ASSEMBLY),
        (Profile("foundation", "0"), NO_ASSEMBLY | EMPLOYEE_QUESTIONS),
    ],
)
def test_duties_with_a_threshold_apply_above_it_only(
    grid: Grid, profile: Profile, expected: set[str]
) -> None:
    assert not_applicable_ids(grid, profile) == expected


def test_foundations_and_mutuals_read_their_own_wording(grid: Grid) -> None:
    foundation, mutual = Profile("foundation", "10-49"), Profile("mutual", "50-249")
    association = Profile("association", "10-49")
    participation = grid.question("gouv-participation")
    assert "conseil d’administration" in text(participation.wording(foundation).label)
    assert "assemblée" not in text(participation.wording(foundation).levels[2])
    assert "délégués" in text(participation.wording(mutual).label)
    assert participation.wording(association).label == participation.label
    # mutuals: training directors is a legal duty (L114-25), the starting point, not a level
    training = grid.question("gouv-moyens-elus").wording(mutual)
    assert "L114-25" in text(training.help)
    assert "première année" in text(training.levels[0])
    own = grid.question("gouv-moyens-elus")
    assert isinstance(own, LevelQuestion)
    assert own.wording(association).levels == own.levels
    # the AG presentation: a foundation answers for its board
    sharing = grid.question("sys-partage").wording(foundation)
    assert "conseil d’administration" in text(sharing.label)
    # from 50 employees the alert procedure is a duty: its levels start beyond it
    alert = grid.question("eth-alerte")
    large, small = alert.wording(Profile("association", "50-249")), alert.wording(association)
    assert large.levels[0] != small.levels[0] and large.levels[4] == small.levels[4]
    assert "50 salariés" in text(large.help).replace("\u202f", " ").replace("\u00a0", " ")


def test_questions_an_organisation_may_mark_non_applicable(grid: Grid) -> None:
    open_to_choice = {q.id for _, q in grid.questions() if q.may_not_apply}
    assert open_to_choice == {
        "soc-benevoles-accueil", "soc-benevoles-formation", "eth-deontologie",
        "terr-decisions-locales", "div-femmes-encadrement",
    }  # fmt: skip
    chosen = not_applicable_ids(grid, Profile("cooperative", "10-49"), ["eth-deontologie"])
    assert "eth-deontologie" in chosen


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
