"""The national body's actions on grid versions and campaigns (both engines)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import Engine

from assessment import assessments, campaigns, grid_store, national_audit
from assessment.campaigns import CampaignError, create_campaign
from assessment.db import NotFound
from assessment.gridfile import load_grid_text
from assessment.gridtools.dryrun import DryRunError, dry_run
from assessment.organisations import create_organisation
from assessment.permissions import PermissionDenied

from .conftest import COMPLETE_ANSWERS, GRID_ID, GRIDS_V1, SYSTEM, World

SOURCE_V1 = (GRIDS_V1 / "small-v1.yaml").read_text(encoding="utf-8")
_rna = count(100_000_001)


def _draft_v2(change: str = "") -> str:
    text = SOURCE_V1.replace('version: "1"', 'version: "2"')
    if change == "weight":
        text = text.replace(
            "  - id: gouvernance\n", "  - id: gouvernance\n    weight: 3\n"
        ).replace(
            "      - id: env-actions\n        type: text\n        label: Actions prévues\n"
            "        horizons: [goal_1y]\n",
            "",
        )
    return text


def _submitted_org(world: World, region: str) -> int:
    org = create_organisation(
        world.engine,
        SYSTEM,
        name=f"Structure {region}",
        rna=f"W{next(_rna)}",
        region=region,
        legal_family="association",
        size_band="1-9",
    )
    state = assessments.open_assessment(world.engine, SYSTEM, org, world.campaign)
    revision = state.revision
    for (question, horizon), value in COMPLETE_ANSWERS.items():
        revision = assessments.save_answer(
            world.engine, SYSTEM, state.id, question, horizon, value, expected_revision=revision
        )
    assessments.submit(world.engine, SYSTEM, state.id, expected_revision=revision)
    return org


def test_publish_retire_and_who_did_it(world: World) -> None:
    engine, national = world.engine, world.national
    result = grid_store.save_draft(engine, national, _draft_v2())
    assert result.ok
    info = grid_store.get_draft(engine, national, GRID_ID, "2")
    assert (info.status, info.based_on) == ("draft", "1")
    grid_store.publish(engine, national, GRID_ID, "2")
    with pytest.raises(grid_store.GridStoreError, match="ne peut plus changer"):
        grid_store.save_draft(engine, national, _draft_v2())  # published never changes
    grid_store.retire(engine, national, GRID_ID, "1")
    statuses = {v.version: v.status for v in grid_store.list_grid_versions(engine, national)}
    assert statuses == {"1": "retired", "2": "published"}
    # a retired version is still read and scored, never chosen for a new campaign
    assert grid_store.get_grid(engine, GRID_ID, "1").version == "1"
    assert grid_store.latest_version(engine, GRID_ID) == "2"
    with pytest.raises(CampaignError, match="retirée"):
        create_campaign(
            engine,
            national,
            year=date.today().year + 1,
            opens_on=date.today(),
            closes_on=date.today(),
            grid_id=GRID_ID,
            grid_version="1",
        )
    assert grid_store.sync_grids_from_dir(engine, GRIDS_V1)[0].added is False
    events = national_audit.list_events(engine, national, subject_kind="grid")
    assert [(e.action, e.subject) for e in events] == [
        ("retired", f"{GRID_ID}@1"),
        ("published", f"{GRID_ID}@2"),
        ("draft_saved", f"{GRID_ID}@2"),
    ]
    assert {e.user_email for e in events} == {national.email}
    with pytest.raises(PermissionDenied):
        national_audit.list_events(engine, world.regional_same)
    with pytest.raises(PermissionDenied):
        grid_store.retire(engine, world.regional_same, GRID_ID, "2")


def test_drafts_renamed_copied_and_deleted(world: World) -> None:
    engine, national = world.engine, world.national
    commented = SOURCE_V1.replace("title:", "# le titre\ntitle:", 1)
    grid_store.save_draft(engine, national, commented.replace('version: "1"', 'version: "7"'))
    copy = grid_store.new_draft_from(engine, national, GRID_ID, "7", "8")
    assert copy.ok
    assert "# le titre" in grid_store.get_grid_source(engine, national, GRID_ID, "8")
    # editing draft 8's text into version 9 renames the draft
    grid_store.save_draft(
        engine,
        national,
        commented.replace('version: "1"', 'version: "9"'),
        replacing=(GRID_ID, "8"),
    )
    versions = {v.version for v in grid_store.list_grid_versions(engine, national)}
    assert versions == {"1", "7", "9"}
    grid_store.delete_draft(engine, national, GRID_ID, "9")
    with pytest.raises(NotFound):
        grid_store.get_grid_source(engine, national, GRID_ID, "9")
    with pytest.raises(grid_store.GridStoreError):
        grid_store.delete_draft(engine, national, GRID_ID, "1")


def test_closing_makes_read_only_for_good_and_keeps_everything(world: World) -> None:
    engine, national = world.engine, world.national
    state = assessments.open_assessment(engine, world.admin, world.org_a, world.campaign)
    revision = assessments.save_answer(
        engine, world.admin, state.id, "gouv-regles", "current", 2, expected_revision=0
    )
    campaigns.close_campaign(engine, national, world.campaign)
    with pytest.raises(assessments.ReadOnly):
        assessments.save_answer(
            engine, world.admin, state.id, "gouv-regles", "current", 3, expected_revision=revision
        )
    # a closed campaign never opens again: its figures are published
    with pytest.raises(CampaignError, match="ne rouvre pas"):
        campaigns.extend_campaign(
            engine, national, world.campaign, closes_on=date.today() + timedelta(days=7)
        )
    assert not campaigns.get_campaign(engine, world.campaign).is_open()
    kept = assessments.get_assessment(engine, world.admin, state.id)
    assert kept.answers["gouv-regles"]["current"] == 2
    participation = campaigns.participation_by_campaign(engine, national)[world.campaign]
    assert (participation.organisations, participation.started, participation.submitted) == (
        3,
        1,
        0,
    )
    with pytest.raises(PermissionDenied):
        campaigns.participation_by_campaign(engine, world.regional_same)


def test_open_early_and_extend_before_the_end_never_after(world: World) -> None:
    engine, national = world.engine, world.national
    today = date.today()
    later = create_campaign(
        engine,
        national,
        year=today.year + 1,
        opens_on=today + timedelta(days=10),
        closes_on=today + timedelta(days=40),
        grid_id=GRID_ID,
    )
    assert not campaigns.get_campaign(engine, later).is_open()
    assert campaigns.open_early(engine, national, later).is_open()
    with pytest.raises(CampaignError, match="aujourd"):
        campaigns.extend_campaign(engine, national, later, closes_on=today - timedelta(days=1))
    extended = campaigns.extend_campaign(
        engine, national, later, closes_on=today + timedelta(days=70)
    )
    assert extended.is_open() and extended.closes_on == today + timedelta(days=70)
    past = create_campaign(
        engine,
        national,
        year=today.year - 1,
        opens_on=today - timedelta(days=100),
        closes_on=today - timedelta(days=1),
        grid_id=GRID_ID,
    )
    with pytest.raises(CampaignError):
        campaigns.open_early(engine, national, past)
    with pytest.raises(CampaignError, match="ne rouvre pas"):
        campaigns.extend_campaign(engine, national, past, closes_on=today + timedelta(days=7))
    assert not campaigns.get_campaign(engine, past).is_open()
    actions = [e.action for e in national_audit.list_events(engine, national)]
    assert actions[:3] == ["campaign_created", "campaign_extended", "campaign_opened"]


def test_dry_run_gives_counts_and_protected_means_only(world: World) -> None:
    engine = world.engine
    for region in ["84"] * 6 + ["11"] * 5:
        _submitted_org(world, region)
    draft = load_grid_text(_draft_v2("weight")).grid
    assert draft is not None
    campaign = campaigns.get_campaign(engine, world.campaign)
    result = dry_run(engine, world.national, draft, campaign)
    assert result.assessments == 11
    assert (result.overall.scored, result.overall.changed, result.overall.up) == (11, 11, 11)
    assert result.overall.mean_change == pytest.approx(25.0 - 50.0 / 3)
    assert sum(result.overall.buckets.values()) == 11
    assert [(r.region, r.n) for r in result.regions] == [("11", 5), ("84", 6)]
    assert result.regions_hidden == 0
    assert [q.question_id for q in result.lost_history] == ["env-actions"]
    # one more organisation elsewhere: its region is hidden, and so is the smallest
    # shown one, so that the hidden one cannot be found by subtraction
    _submitted_org(world, "53")
    result = dry_run(engine, world.national, draft, campaign)
    assert [r.region for r in result.regions] == ["84"]
    assert result.regions_hidden == 2
    assert "organisation_id" not in str(result.to_dict())
    with pytest.raises(PermissionDenied):
        dry_run(engine, world.regional_same, draft, campaign)
    other = load_grid_text(SOURCE_V1.replace("id: petite-grille", "id: autre-grille")).grid
    assert other is not None
    with pytest.raises(DryRunError):
        dry_run(engine, world.national, other, campaign)


def test_a_small_campaign_shows_no_mean(engine: Engine, world: World) -> None:
    _submitted_org(world, "84")
    draft = load_grid_text(_draft_v2("weight")).grid
    assert draft is not None
    result = dry_run(engine, world.national, draft, campaigns.get_campaign(engine, world.campaign))
    assert result.overall.changed == 1
    assert result.overall.mean_change is None
    assert result.regions == []
    assert result.notes
