"""Answers carried from one grid version to another through ``replaces`` (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.grid import Grid
from assessment.gridtools.lineage import Lineage, MergeConflict, carry, merge_values
from gridfactory import choice, item, level, make_grid, number, text_q, yes_no

OLD = make_grid(
    item("a", level("a1"), number("a2", min=0, max=100)),
    item("b", level("b1"), text_q("b2"), yes_no("b3"), choice("b4", ["x", "y"], multiple=True)),
    item("c", level("c1"), text_q("c2"), yes_no("c3"), choice("c4", ["x", "y", "z"],
                                                            multiple=True), optional=True),
    version="1",
)  # fmt: skip
NEW = make_grid(
    item("a-renamed", level("a1-renamed", replaces=["a1"]), number("a2", min=0, max=50),
         replaces=["a"]),
    item("bc", level("bc1", replaces=["b1", "c1"]), text_q("bc2", replaces=["b2", "c2"]),
         yes_no("bc3", replaces=["b3", "c3"]), choice("bc4", ["x", "y", "z"], multiple=True,
                                                      replaces=["b4", "c4"]),
         replaces=["b", "c"], optional=True),
    item("d", level("d1")),
    version="2",
)  # fmt: skip
UNLINKED = make_grid(item("a", level("a1")), version="1-bis")
LINEAGE = Lineage.of([OLD, NEW])


def test_bridge_works_both_ways_and_links_only_versions_that_say_so() -> None:
    assert LINEAGE.bridge(OLD, NEW, "question")["bc1"] == ["b1", "c1"]
    assert LINEAGE.bridge(OLD, NEW, "question")["a2"] == ["a2"]
    assert LINEAGE.bridge(OLD, NEW, "question")["d1"] == []
    # a file of the newer version into an older assessment: the reverse links
    back = LINEAGE.bridge(NEW, OLD, "question")
    assert back["b1"] == ["bc1"] and back["c1"] == ["bc1"] and back["a1"] == ["a1-renamed"]
    assert LINEAGE.links(OLD, NEW) and LINEAGE.links(NEW, OLD)
    assert not Lineage.of([OLD, UNLINKED]).links(OLD, UNLINKED)


@pytest.mark.parametrize(
    ("question", "values", "merged"),
    [
        (level("q"), [3, 1, 2], 1),  # the lowest level
        (level("q"), [2, 2], 2),
        (text_q("q"), ["Un.", "Deux.", "Un."], "Un.\n\nDeux."),
        (choice("q", ["x", "y", "z"], multiple=True), [["y"], ["x", "y"]], ["y", "x"]),
        (yes_no("q"), [True, True], True),
        (number("q"), [12, None, 12], 12),
        (number("q"), [], None),
    ],
)
def test_merge_rule(question: dict[str, Any], values: list[Any], merged: Any) -> None:
    grid = make_grid(item("i", question))
    assert merge_values(grid.question("q"), values) == merged


@pytest.mark.parametrize("question", [yes_no("q"), number("q"), choice("q", ["x", "y"])])
def test_differing_answers_that_cannot_be_combined_are_a_conflict(
    question: dict[str, Any],
) -> None:
    grid: Grid = make_grid(item("i", question))
    values = {"yes_no": [True, False], "number": [1, 2], "choice": ["x", "y"]}[question["type"]]
    with pytest.raises(MergeConflict):
        merge_values(grid.question("q"), values)


@given(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=5))
def test_a_merged_level_is_never_above_any_of_its_parts(values: list[int]) -> None:
    grid = make_grid(item("i", level("q")))
    assert merge_values(grid.question("q"), values) == min(values)


def test_carry_renames_merges_and_reports_conflicts_orphans_and_marks() -> None:
    values = {
        ("a1", "now"): 2,
        ("a2", "now"): 80,  # still carried: checking it against the new bounds is the caller's
        ("b1", "now"): 4,
        ("c1", "now"): 1,
        ("b3", "now"): True,
        ("c3", "now"): False,
    }
    carried = carry(LINEAGE, OLD, NEW, values, {("b1", "now"): "Preuve"}, {"c": True})
    assert carried.values == {
        ("a1-renamed", "now"): 2,
        ("a2", "now"): 80,
        ("bc1", "now"): 1,
    }
    assert carried.origin[("bc1", "now")] == (("b1", "now"), ("c1", "now"))
    assert carried.conflicts == {("bc3", "now"): (("b3", "now"), ("c3", "now"))}
    assert carried.comments == {("bc1", "now"): "Preuve"}
    assert carried.orphans == []
    assert carried.marks == {"bc": True}  # the only mark said was « c »: not addressed
    both = carry(LINEAGE, OLD, NEW, {}, None, {"b": False, "c": True})
    assert both.marks["bc"] is False
    gone = carry(Lineage.of([NEW, OLD]), NEW, OLD, {("d1", "now"): 3}, None, None)
    assert gone.orphans == [("d1", "now")] and not gone.values
