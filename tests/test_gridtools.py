"""The grid tools' pure core: ``replaces`` across versions, diff, lineage, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.grid import lineage_issues
from assessment.grid_store import check_source
from assessment.gridfile import load_grid, load_grid_text
from assessment.gridtools.diff import diff_grids
from assessment.gridtools.lineage import Lineage, carried_item_scores, version_breaks
from assessment.gridtools.roundtrip import RoundTripError, round_trip, set_version
from assessment.messages import MESSAGES, render
from assessment.scoring import score

ROOT = Path(__file__).resolve().parents[1]
V1 = ROOT / "tests" / "storage" / "grids" / "small-v1.yaml"
GUIDE = ROOT / "guide" / "guide-bonnes-pratiques-ess.yaml"
SOURCE = V1.read_text(encoding="utf-8")


def _v2(source: str = SOURCE) -> str:
    return source.replace('version: "1"', 'version: "2"')


RENAMED = _v2(
    SOURCE.replace(
        "      - id: gouv-regles\n        type: level\n",
        "      - id: gouv-statuts\n        replaces: [gouv-regles]\n        type: level\n",
    ).replace(
        "  - id: environnement\n",
        "  - id: transition\n    replaces: [environnement]\n",
    )
)


def _grid(text: str):  # type: ignore[no-untyped-def]
    result = load_grid_text(text)
    assert result.ok, result.problems
    return result.grid


# ---------------------------------------------------------------------------
# replaces
# ---------------------------------------------------------------------------


def test_replaces_must_point_into_the_previous_version() -> None:
    old = load_grid(V1)
    text = RENAMED.replace("replaces: [gouv-regles]", "replaces: [gouv-regle]").replace(
        "replaces: [environnement]", "replaces: [gouv-taux]"
    )
    new = _grid(text)
    issues = lineage_issues(new, old)
    assert [(i.code, i.path) for i in issues] == [
        ("replaces_unknown_question", ("items", 0, "questions", 0, "replaces", 0)),
        ("replaces_unknown_item", ("items", 1, "replaces", 0)),
    ]
    assert lineage_issues(_grid(RENAMED), old) == []


def test_replaces_problems_are_located_and_in_french() -> None:
    old = load_grid(V1)
    text = RENAMED.replace("replaces: [gouv-regles]", "replaces: [gouv-regle]")
    result = check_source(text, "v2.yaml", old)
    assert not result.ok
    (problem,) = result.problems
    line = text.splitlines().index("        replaces: [gouv-regle]") + 1
    assert (problem.code, problem.line, problem.column) == ("replaces_unknown_question", line, 20)
    assert problem.path == "items[0].questions[0].replaces[0]"
    assert str(problem) == (
        f"v2.yaml:{line}:20: items[0].questions[0].replaces[0] : « replaces » désigne "
        "« gouv-regle », qui n'est pas une question de la version 1 (vouliez-vous dire "
        "« gouv-regles » ?) : indiquez l'identifiant d'une question de la version précédente"
    )
    # without a previous version (a first version) nothing is checked
    assert check_source(text, "v2.yaml", None).ok


@pytest.mark.parametrize("code", ["replaces_unknown_question", "replaces_unknown_item"])
def test_replaces_codes_are_in_the_catalogue(code: str) -> None:
    assert code in MESSAGES
    sentence = render(code, id="x", version="2026.1", suggestion="")
    assert "« x »" in sentence and "2026.1" in sentence and "{" not in sentence


# ---------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------


def test_diff_names_every_kind_of_change() -> None:
    old = load_grid(V1)
    text = (
        RENAMED.replace(
            "label: Taux de participation à l'assemblée générale",
            "label: Taux de participation à la dernière assemblée générale\n        weight: 2",
        )
        .replace(
            "        horizons: [goal_1y]\n",
            "        horizons: [goal_1y]\n"
            "        show_if: {question: env-impacts, answered: true}\n",
        )
        .replace(
            "        label: Les impacts environnementaux sont connus.\n",
            "        label: Les impacts environnementaux sont connus.\n"
            "        levels: {0: Rien, 3: Tout}\n",
        )
        .replace(
            "questions:\n      - id: gouv-statuts",
            "questions:\n      - id: gouv-nouvelle\n        type: yes_no\n"
            "        label: Nouveau ?\n"
            "      - id: gouv-statuts",
        )
    )
    changes = {(c.change, c.id) for c in diff_grids(old, _grid(text)).changes}
    assert ("replaced", "gouv-statuts") in changes
    assert ("replaced", "transition") in changes
    assert ("reworded", "gouv-taux") in changes
    assert ("reweighted", "gouv-taux") in changes
    assert ("condition_changed", "env-actions") in changes
    assert ("levels_changed", "env-impacts") in changes
    assert ("added", "gouv-nouvelle") in changes
    assert not any(change == "removed" for change, _ in changes)
    removed = diff_grids(_grid(text), old).changes
    assert ("removed", "gouv-nouvelle") in {(c.change, c.id) for c in removed}
    diff = diff_grids(old, _grid(text))
    assert diff.to_dict()["changes"][0]["change"]
    assert "Question gouv-statuts (gouvernance) : remplace gouv-regles" in [
        c.sentence.replace("\u00a0", " ").replace("\u202f", " ") for c in diff.changes
    ]


def test_a_grid_has_no_difference_with_itself() -> None:
    grid = load_grid(GUIDE)
    assert diff_grids(grid, grid).empty


def test_a_split_that_keeps_the_old_id_diffs_once() -> None:
    """The default grid splits questions that asked two things: the old id stays for one
    part, the new one ``replaces`` it.  Against the version before, the new one is a
    replacement and nothing is removed; against a copy of itself, nothing changed."""
    previous = load_grid(GUIDE.with_name("guide-bonnes-pratiques-ess-2026.1.yaml"))
    grid = load_grid(GUIDE)
    changes = {(c.change, c.id): c for c in diff_grids(previous, grid).changes}
    assert changes[("replaced", "eth-questionnement")].old_ids == ("eth-alerte",)
    assert ("replaced", "eth-alerte") not in changes
    assert not any(change == "removed" for change, _ in changes)
    copy = _grid(set_version(GUIDE.read_text(encoding="utf-8"), "2027.1"))
    assert diff_grids(grid, copy).empty
    # history: against 2026.1 the new part continues the old question; against the copy
    # (which still says replaces: [eth-alerte]) each question continues itself
    lineage = Lineage.of([previous, grid, copy])
    assert lineage.sources(grid, previous, "question")["eth-questionnement"] == ["eth-alerte"]
    assert lineage.sources(grid, previous, "question")["eth-alerte"] == ["eth-alerte"]
    carried = lineage.sources(copy, grid, "question")
    assert carried["eth-questionnement"] == ["eth-questionnement"]
    assert all(olds == [ident] for ident, olds in carried.items())


# ---------------------------------------------------------------------------
# lineage
# ---------------------------------------------------------------------------


def test_lineage_carries_item_scores_and_follows_chains() -> None:
    old = load_grid(V1)
    new = _grid(RENAMED)
    lineage = Lineage.of([old, new])
    report = score(old, {"gouv-regles": {"current": 3}, "env-impacts": {"current": 0}})
    carried = carried_item_scores(lineage, new, old, report)
    assert carried["gouvernance"]["current"] == report.items["gouvernance"]["current"]
    assert carried["transition"]["current"] == 0.0
    third = _grid(
        RENAMED.replace('version: "2"', 'version: "3"').replace(
            "  - id: transition\n    replaces: [environnement]\n",
            "  - id: ecologie\n    replaces: [transition]\n",
        )
    )
    chained = Lineage.of([old, new, third])
    assert chained.sources(third, old, "item")["ecologie"] == ["environnement"]
    assert version_breaks([("2024", "g@1"), ("2025", "g@1"), ("2026", "g@2")]) == [2]


# ---------------------------------------------------------------------------
# round trip
# ---------------------------------------------------------------------------


def test_round_trip_keeps_comments_order_and_quotes() -> None:
    for path in (GUIDE, V1):
        text = path.read_text(encoding="utf-8")
        assert round_trip(text) == text
    source = GUIDE.read_text(encoding="utf-8")
    shipped = load_grid_text(source).grid.version  # type: ignore[union-attr]
    bumped = set_version(source, "2027.1")
    assert bumped == source.replace(f'version: "{shipped}"', 'version: "2027.1"')
    assert load_grid_text(bumped).grid.version == "2027.1"  # type: ignore[union-attr]


_COMMENT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(comments=st.lists(_COMMENT, min_size=1, max_size=5))
def test_any_comment_survives_a_new_version(comments: list[str]) -> None:
    lines = SOURCE.splitlines(keepends=True)
    for k, comment in enumerate(comments):
        lines.insert(1 + 2 * k, f"# {comment.strip()}\n")
    text = "".join(lines)
    if not load_grid_text(text).ok:  # a comment cannot break a grid, but be safe
        return
    bumped = set_version(text, "9")
    assert bumped == text.replace('version: "1"', 'version: "9"')


def test_hostile_text_is_not_round_tripped() -> None:
    bomb = (ROOT / "tests" / "grids" / "broken" / "billion-laughs.yaml").read_text("utf-8")
    with pytest.raises(RoundTripError):
        set_version(bomb, "2")
