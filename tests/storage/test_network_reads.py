"""Reads of the network side, on both engines: participation, shared answers,
research microdata, and the scope rules of the protected aggregate layer.

The aggregate layer is tested only through its contract (hidden cells carry no
figure, a chamber reads its region and the national picture, never another
region): these tests hold for the stand-in and for the real layer alike.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from assessment import (
    accounts,
    assessments,
    campaigns,
    dashboards,
    demo,
    grid_store,
    microdata,
    organisations,
    privacy,
    score_store,
)
from assessment.organisations import siren_with_key
from assessment.permissions import Actor, PermissionDenied, Role
from assessment.privacy.bench import Resubmitter
from assessment.settings import get_settings

from .conftest import COMPLETE_ANSWERS, SYSTEM, World, close_campaigns
from .test_permission_matrix import _assessment, _shared

GUIDE = Path(__file__).resolve().parents[2] / "guide"


def _statuses(rows: list[campaigns.ParticipationRow]) -> dict[int, str]:
    return {r.organisation_id: r.status for r in rows}


def test_participation_lists_status_never_answers_within_scope(world: World) -> None:
    _assessment(world)  # org A has a draft
    accounts.create_user(
        world.engine,
        SYSTEM,
        email="admin-a@test.fr",
        password="un mot de passe",
        role="org_admin",
        organisation_id=world.org_a,
    )
    rows = campaigns.participation(world.engine, world.regional_same, world.campaign)
    assert _statuses(rows) == {world.org_a: "draft", world.org_b: "not_started"}
    row_a = next(r for r in rows if r.organisation_id == world.org_a)
    assert row_a.contacts == ("admin-a@test.fr",)
    assert not hasattr(row_a, "answers")
    everywhere = campaigns.participation(world.engine, world.national, world.campaign)
    assert set(_statuses(everywhere)) == {world.org_a, world.org_b, world.org_other_region}
    one = campaigns.participation(world.engine, world.national, world.campaign, "11")
    assert set(_statuses(one)) == {world.org_other_region}
    counts = campaigns.participation_counts(everywhere, "region")
    assert counts["84"] == Counter({"draft": 1, "not_started": 1})
    # the database's count gives the same, for every grouping and scope
    for by in campaigns.PARTICIPATION_GROUPS:
        assert campaigns.count_participation(
            world.engine, world.national, world.campaign, by
        ) == campaigns.participation_counts(everywhere, by)
        assert campaigns.count_participation(
            world.engine, world.regional_same, world.campaign, by
        ) == campaigns.participation_counts(rows, by)
    with pytest.raises(PermissionDenied):
        campaigns.count_participation(
            world.engine, world.regional_same, world.campaign, "region", "11"
        )
    with pytest.raises(campaigns.CampaignError):
        campaigns.count_participation(world.engine, world.national, world.campaign, "name")


@pytest.mark.parametrize("role", ["member", "admin", "member_other_org"])
def test_participation_is_refused_to_organisations(world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        campaigns.participation(world.engine, getattr(world, role), world.campaign)


def test_a_chamber_never_reads_another_regions_participation(world: World) -> None:
    with pytest.raises(PermissionDenied):
        campaigns.participation(world.engine, world.regional_same, world.campaign, "11")


def test_shared_assessments_only_of_the_region_and_only_while_shared(world: World) -> None:
    shared = _shared(world)
    listed = campaigns.shared_assessments(world.engine, world.regional_same, world.campaign)
    assert [s.assessment_id for s in listed] == [shared["id"]]
    assert campaigns.shared_assessments(world.engine, world.regional_other, world.campaign) == []
    for actor in (world.member, world.admin, world.national):
        with pytest.raises(PermissionDenied):
            campaigns.shared_assessments(world.engine, actor, world.campaign)
    organisations.set_shared_with_region(world.engine, SYSTEM, world.org_a, False)
    assert campaigns.shared_assessments(world.engine, world.regional_same, world.campaign) == []


def test_the_lists_kept_in_memory_follow_every_change_they_show(world: World) -> None:
    """The participation list and the shared answers are kept in memory between reads
    (:mod:`assessment.roster`): each change they show is there on the next read."""
    engine, chamber = world.engine, world.regional_same
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def row_a() -> campaigns.ParticipationRow:
        rows = campaigns.participation(engine, chamber, world.campaign)
        rows.clear()  # what a caller does to its list never reaches the next one
        return next(
            r
            for r in campaigns.participation(engine, chamber, world.campaign)
            if r.organisation_id == world.org_a
        )

    def shared() -> list[int]:
        return [
            s.organisation_id for s in campaigns.shared_assessments(engine, chamber, world.campaign)
        ]

    assert row_a().status == "not_started" and shared() == []
    # a rerun with nothing new: one primary-key read, then nothing (inside a page run)
    for _ in range(2):
        statements.clear()
        with score_store.one_version(engine):
            row_a(), shared()
            campaigns.count_participation(engine, chamber, world.campaign, "legal_family")
    queries = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 1 and "data_version" in queries[0], queries

    draft = assessments.open_assessment(engine, SYSTEM, world.org_a, world.campaign)
    first = row_a()
    assert first.status == "draft"
    revision = assessments.save_answer(
        engine, SYSTEM, draft.id, *next(iter(COMPLETE_ANSWERS.items()))[0],
        next(iter(COMPLETE_ANSWERS.values())), expected_revision=draft.revision,
    )  # fmt: skip
    assert first.updated_at is not None
    statements.clear()
    assert (row_a().updated_at or first.updated_at) > first.updated_at
    # a saved draft: the assessments stamped since are read, not the organisations
    assert not [q for q in statements if "FROM organisations" in q], statements
    admin = accounts.create_user(
        engine, SYSTEM, email="admin-a@test.fr", password="un mot de passe",
        role="org_admin", organisation_id=world.org_a,
    )  # fmt: skip
    assert row_a().contacts == ("admin-a@test.fr",)
    accounts.set_user_active(engine, SYSTEM, admin, False)
    assert row_a().contacts == ()
    organisations.update_organisation(engine, SYSTEM, world.org_a, name="Association Renommée")
    assert row_a().name == "Association Renommée"
    new = organisations.create_organisation(
        engine, SYSTEM, name="Nouvelle association", siren=siren_with_key("77777777"),
        region="84", legal_family="association", size_band="1-9",
    )  # fmt: skip
    listed = campaigns.participation(engine, chamber, world.campaign)
    assert new in {r.organisation_id for r in listed}
    assert campaigns.count_participation(
        engine, chamber, world.campaign, "legal_family"
    ) == campaigns.participation_counts(listed, "legal_family")

    for (question, horizon), value in list(COMPLETE_ANSWERS.items())[1:]:
        revision = assessments.save_answer(
            engine, SYSTEM, draft.id, question, horizon, value, expected_revision=revision
        )
    revision = assessments.submit(engine, SYSTEM, draft.id, expected_revision=revision)
    assert row_a().status == "submitted" and shared() == []
    organisations.set_shared_with_region(engine, SYSTEM, world.org_a, True)
    assert shared() == [world.org_a]
    assessments.reopen(engine, SYSTEM, draft.id, expected_revision=revision)
    assert row_a().status == "draft" and shared() == []

    # counts kept through the catch-ups: those of the list, as counted from scratch
    def counts_match() -> None:
        listed = campaigns.participation(engine, world.national, world.campaign)
        for by in campaigns.PARTICIPATION_GROUPS:
            assert campaigns.count_participation(
                engine, world.national, world.campaign, by
            ) == campaigns.participation_counts(listed, by)

    counts_match()
    revision = assessments.get_assessment(engine, SYSTEM, draft.id).revision
    revision = assessments.submit(engine, SYSTEM, draft.id, expected_revision=revision)
    counts_match()
    assessments.reopen(engine, SYSTEM, draft.id, expected_revision=revision)
    counts_match()


# ---------------------------------------------------------------------------
# on demo data: microdata and the aggregate layer's scope
# ---------------------------------------------------------------------------


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    grid_store.sync_grids_from_dir(engine, GUIDE)
    demo.seed_demo(engine, orgs=400, campaigns=2, seed=3)
    close_campaigns(engine)  # this year's figures: published from the close
    return engine


NATIONAL = Actor(user_id=None, email="national@test", role=Role.NATIONAL)
CRESS = Actor(user_id=None, email="cress@test", role=Role.REGIONAL, region=demo.DEMO_REGION)


def test_microdata_are_pseudonymous_coarse_and_never_rare(seeded: Engine) -> None:
    k = get_settings().min_group_size
    data = microdata.research_extract(seeded, NATIONAL)
    assert data.rows and data.header[: len(microdata.FIELDS)] == microdata.FIELDS
    names = {o.name for o in organisations.list_organisations(seeded, NATIONAL, limit=None)}
    sirens = {o.siren for o in organisations.list_organisations(seeded, NATIONAL, limit=None)}
    flat = {str(v) for row in data.rows for v in row}
    assert not flat & names and not flat & {s for s in sirens if s}
    groups = Counter(row[1:5] for row in data.rows)
    assert min(groups.values()) >= k
    assert {row[4] for row in data.rows} <= {"0-9", "10-49", "50+", microdata.ALL_SIZES}
    for row in data.rows:
        assert all(v is None or v % microdata.ROUND_TO == 0 for v in row[5:])
    # the same organisation keeps its pseudonym from one campaign to the next
    per_year = Counter(row[0] for row in data.rows)
    assert max(per_year.values()) == 2
    assert data.dropped + len(data.rows) > 0 and "pseudonymisées" in data.note_fr


@pytest.mark.parametrize("role", [Role.REGIONAL, Role.MEMBER])
def test_microdata_are_for_the_national_council_only(seeded: Engine, role: Role) -> None:
    actor = CRESS if role is Role.REGIONAL else Actor(None, "m@t", role, organisation_id=1)
    with pytest.raises(PermissionDenied):
        microdata.research_extract(seeded, actor)


def test_a_chamber_reads_its_region_and_france_never_another_region(seeded: Engine) -> None:
    year = campaigns.list_campaigns(seeded)[0].year
    own = privacy.table(seeded, CRESS, campaign_year=year, region=demo.DEMO_REGION)
    assert own.cells
    privacy.table(seeded, CRESS, campaign_year=year)  # the national picture
    with pytest.raises(PermissionDenied):
        privacy.table(seeded, CRESS, campaign_year=year, region="84")
    with pytest.raises(PermissionDenied):
        privacy.table(seeded, CRESS, campaign_year=year, dims=("region",))
    with pytest.raises(PermissionDenied):
        privacy.distribution(seeded, CRESS, campaign_year=year, measure="overall", region="84")
    with pytest.raises(PermissionDenied):
        privacy.attainment(seeded, CRESS, campaign_year=year, region="84")


def test_hidden_cells_carry_no_figure_and_say_why(seeded: Engine) -> None:
    year = campaigns.list_campaigns(seeded)[0].year
    k = get_settings().min_group_size
    tbl = privacy.table(
        seeded, CRESS, campaign_year=year, region=demo.DEMO_REGION, dims=("legal_family",)
    )
    hidden = [c for c in tbl.cells if c.hidden_reason is not None]
    assert len(hidden) == tbl.hidden_cells > 0  # the region's few foundations at least
    for cell in hidden:
        assert cell.n is None and cell.mean is None and cell.quartiles is None
    for cell in tbl.cells:
        if cell.hidden_reason is None:
            assert cell.n is not None and cell.n >= k
    assert tbl.note_fr


@pytest.fixture
def running(engine: Engine) -> Engine:
    """Demo data with this year's campaign open (its figures unpublished), last year's
    closed."""
    grid_store.sync_grids_from_dir(engine, GUIDE)
    demo.seed_demo(engine, orgs=400, campaigns=2, seed=3)
    return engine


def test_dashboard_figures_are_held_while_what_their_reader_may_read_stays(
    running: Engine,
) -> None:
    engine = running
    open_, closed = campaigns.list_campaigns(engine)
    assert open_.is_open() and closed.is_closed()
    grid = grid_store.get_grid(engine, closed.grid_id, closed.grid_version)

    def heat(actor: Actor, year: int, region: str | None = demo.DEMO_REGION) -> Any:
        return dashboards.theme_heatmap(
            engine, actor, grid, campaign_year=year, dim="legal_family", region=region
        )

    first = heat(CRESS, closed.year)
    assert heat(CRESS, closed.year) is first  # held: nothing computed again
    operator = heat(SYSTEM, open_.year)
    # a submission to the open campaign: nothing the chamber may read has moved
    Resubmitter(engine, region=demo.DEMO_REGION, count=2)()
    assert heat(CRESS, closed.year) is first
    # the operator reads the open campaign: its figure is computed again, exactly
    moved = heat(SYSTEM, open_.year)
    assert moved is not operator
    privacy.clear_caches()
    assert heat(SYSTEM, open_.year) == moved
    assert heat(CRESS, closed.year) == first and heat(CRESS, closed.year) is not first
    # never served to another reader: another region's chamber is refused, as before
    other = Actor(user_id=None, email="cress-84@test", role=Role.REGIONAL, region="84")
    assert other.region != demo.DEMO_REGION
    with pytest.raises(PermissionDenied):
        heat(other, closed.year)
    with pytest.raises(privacy.NotPublished):
        heat(CRESS, open_.year)
    # the close publishes the open campaign: its figures, then held too
    close_campaigns(engine)
    published = heat(CRESS, open_.year)
    assert heat(CRESS, open_.year) is published
