"""Anonymised aggregates, on SQLite and PostgreSQL (the storage tests' ``engine`` fixture)."""
# ruff: noqa: F811 - fixtures imported from the storage tests are parameters here

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pytest

from assessment import aggregation, assessments
from assessment.aggregation import aggregate, peer_comparison, summarise, suppressed_cells
from assessment.organisations import create_organisation, siren_with_key
from assessment.permissions import Actor, PermissionDenied, Role
from storage.conftest import (  # noqa: F401 - fixtures
    SYSTEM,
    World,
    engine,
    fast_password_hashing,
    postgres_engine,
    sqlite_template,
    world,
)

_sirens = count(1)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    aggregation.clear_caches()
    yield
    aggregation.clear_caches()


def _org(world: World, region: str, family: str = "association", size: str = "1-9") -> int:
    return create_organisation(
        world.engine,
        SYSTEM,
        name=f"Organisation {next(_sirens)}",
        siren=siren_with_key(f"9{next(_sirens):07d}"),
        region=region,
        legal_family=family,
        size_band=size,
    )


def _assess(
    world: World,
    organisation_id: int,
    level: int,
    goal: int | None = None,
    *,
    env: int | None = 0,
    submit: bool = True,
) -> int:
    """An assessment with gouv-regles at ``level`` (goal ``goal``); environment answered
    at ``env`` or marked not addressed."""
    engine = world.engine
    state = assessments.open_assessment(engine, SYSTEM, organisation_id, world.campaign)
    rev = state.revision
    cells = {("gouv-regles", "current"): level, ("gouv-regles", "goal_1y"): goal or level}
    if env is not None:
        cells |= {("env-impacts", "current"): env, ("env-impacts", "goal_1y"): env}
    else:
        rev = assessments.set_not_addressed(
            engine, SYSTEM, state.id, ["environnement"], expected_revision=rev
        )
    for (question, horizon), value in cells.items():
        rev = assessments.save_answer(
            engine, SYSTEM, state.id, question, horizon, value, expected_revision=rev
        )
    if submit:
        assessments.submit(engine, SYSTEM, state.id, expected_revision=rev)
    return state.id


# ---------------------------------------------------------------------------
# pure rules
# ---------------------------------------------------------------------------


def test_summarise_needs_k_values() -> None:
    assert summarise([1.0, 2.0, 3.0, 4.0], 5) is None
    s = summarise([0.0, 25.0, 50.0, 75.0, 100.0], 5)
    assert s is not None
    assert (s.n, s.mean, s.q1, s.median, s.q3) == (5, 50.0, 25.0, 50.0, 75.0)


def test_complementary_suppression() -> None:
    # one small group: the smallest other group of its line goes too
    assert suppressed_cells({("a",): 6, ("b",): 3, ("c",): 9}, 5) == {("a",), ("b",)}
    # two small groups that together reach k protect each other
    assert suppressed_cells({("a",): 6, ("b",): 3, ("c",): 2}, 5) == {("b",), ("c",)}
    assert suppressed_cells({("a",): 6, ("b",): 7}, 5) == set()
    # two dimensions: lines along both
    cells = {("r1", "x"): 10, ("r1", "y"): 2, ("r2", "x"): 10, ("r2", "y"): 10}
    hidden = suppressed_cells(cells, 5)
    assert ("r1", "y") in hidden and ("r1", "x") in hidden and ("r2", "y") in hidden


# ---------------------------------------------------------------------------
# storage-backed
# ---------------------------------------------------------------------------


def test_group_of_four_is_suppressed_five_is_shown(world: World) -> None:
    orgs = [_org(world, "53") for _ in range(5)]
    for i, org in enumerate(orgs[:4]):
        _assess(world, org, level=i % 4)
    national = Actor(user_id=None, email="n@test", role=Role.NATIONAL)

    report = aggregate(world.engine, national, campaign_ids=[world.campaign], region="53")
    assert report.total is None
    assert aggregate(world.engine, national, by=["region"]).groups == []

    _assess(world, orgs[4], level=3)
    report = aggregate(world.engine, national, campaign_ids=[world.campaign], region="53")
    assert report.total is not None and report.total.n == 5
    gouv = report.total.items["gouvernance"]["current"]
    assert gouv is not None
    # levels 0,1,2,3,3 on a 0..3 scale → 0, 33.3, 66.7, 100, 100
    assert gouv.median == pytest.approx(200 / 3)
    assert gouv.q3 == pytest.approx(100.0)
    by_region = aggregate(world.engine, national, by=["region"])
    assert [g.key for g in by_region.groups] == [{"region": "53"}]
    assert by_region.to_dict()["groups"][0]["n"] == 5


def test_drafts_and_reopened_assessments_are_left_out(world: World) -> None:
    orgs = [_org(world, "53") for _ in range(5)]
    ids = [_assess(world, org, level=2) for org in orgs[:4]]
    _assess(world, orgs[4], level=2, submit=False)
    national = Actor(user_id=None, email="n@test", role=Role.NATIONAL)
    assert aggregate(world.engine, national, region="53").total is None
    # submitting the fifth shows the group; reopening one hides it again
    draft = assessments.find_assessment(world.engine, SYSTEM, orgs[4], world.campaign)
    assert draft is not None
    assessments.submit(world.engine, SYSTEM, draft.id, expected_revision=draft.revision)
    assert aggregate(world.engine, national, region="53").total is not None
    reopened = assessments.get_assessment(world.engine, SYSTEM, ids[0])
    assessments.reopen(world.engine, SYSTEM, ids[0], expected_revision=reopened.revision)
    assert aggregate(world.engine, national, region="53").total is None


def test_small_group_also_hides_its_complement(world: World) -> None:
    for _ in range(6):
        _assess(world, _org(world, "53"), level=1)
    for _ in range(3):
        _assess(world, _org(world, "28"), level=3)
    national = Actor(user_id=None, email="n@test", role=Role.NATIONAL)
    report = aggregate(world.engine, national, by=["region"])
    # Normandie (3) is too small, and Bretagne is then hidden too: the national total
    # minus Bretagne would give Normandie away
    assert report.groups == []
    assert report.total is not None and report.total.n == 9


def test_item_statistics_need_k_values(world: World) -> None:
    orgs = [_org(world, "53") for _ in range(6)]
    for i, org in enumerate(orgs):
        _assess(world, org, level=1, env=1 if i < 4 else None)  # 4 address the environment
    national = Actor(user_id=None, email="n@test", role=Role.NATIONAL)
    total = aggregate(world.engine, national, region="53").total
    assert total is not None and total.n == 6
    assert total.items["gouvernance"]["current"] is not None
    assert total.items["environnement"]["current"] is None


def test_regional_chamber_is_held_to_its_region(world: World) -> None:
    for _ in range(5):
        _assess(world, _org(world, "84"), level=2)
    for _ in range(5):
        _assess(world, _org(world, "11"), level=2)
    report = aggregate(world.engine, world.regional_same, by=["legal_family"])
    assert report.region == "84"
    assert report.total is not None and report.total.n == 5
    with pytest.raises(PermissionDenied):
        aggregate(world.engine, world.regional_same, region="11")
    national = aggregate(world.engine, world.national, by=["region"])
    assert {g.key["region"] for g in national.groups} == {"84", "11"}


def test_one_value_per_organisation_across_years(world: World) -> None:
    orgs = [_org(world, "53") for _ in range(5)]
    for org in orgs:
        _assess(world, org, level=3)
    report = aggregate(world.engine, world.national, by=["year"])
    assert [g.key for g in report.groups] == [{"year": report.groups[0].key["year"]}]
    assert report.groups[0].n == 5


def test_scores_follow_resubmission(world: World) -> None:
    orgs = [_org(world, "53") for _ in range(5)]
    ids = [_assess(world, org, level=0) for org in orgs]
    before = aggregate(world.engine, world.national, region="53").total
    assert before is not None and before.overall["current"] is not None
    assert before.overall["current"].mean == 0.0
    state = assessments.get_assessment(world.engine, SYSTEM, ids[0])
    rev = assessments.reopen(world.engine, SYSTEM, ids[0], expected_revision=state.revision)
    rev = assessments.save_answer(
        world.engine, SYSTEM, ids[0], "gouv-regles", "current", 3, expected_revision=rev
    )
    assessments.submit(world.engine, SYSTEM, ids[0], expected_revision=rev)
    after = aggregate(world.engine, world.national, region="53").total
    assert after is not None and after.overall["current"] is not None
    assert after.overall["current"].mean == pytest.approx(100 / 2 / 5)


def test_peer_comparison_shows_only_groups_of_five(world: World) -> None:
    # org_a: region 84, association, 1-9. Peers: 4 more in 84 (→ region group of 5),
    # associations elsewhere too, but only 3 in the size band 1-9 in total.
    _assess(world, world.org_a, level=2)
    for _ in range(4):
        _assess(world, _org(world, "84", family="cooperative", size="10-49"), level=1)
    for _ in range(2):
        _assess(world, _org(world, "11", family="association", size="1-9"), level=3)
    peers = peer_comparison(world.engine, world.member, world.org_a, world.campaign)
    assert [(p.dimension, p.value, p.aggregate.n) for p in peers] == [("region", "84", 5)]
    assert peers[0].label == "Même région"
    # three more associations make the legal-family group 6 strong; the size band stays 5
    for _ in range(3):
        _assess(world, _org(world, "28", family="association", size="0"), level=0)
    peers = peer_comparison(world.engine, world.member, world.org_a, world.campaign)
    assert [(p.dimension, p.aggregate.n) for p in peers] == [("region", 5), ("legal_family", 6)]


def test_peer_comparison_needs_access_to_the_organisation(world: World) -> None:
    with pytest.raises(PermissionDenied):
        peer_comparison(world.engine, world.member_other_org, world.org_a, world.campaign)
