"""Grid versions, campaigns and the action plan."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from assessment import exports, grid_store
from assessment.action_plan import (
    ActionPlanError,
    add_action,
    delete_action,
    list_actions,
    update_action,
)
from assessment.campaigns import (
    CampaignError,
    close_campaign,
    create_campaign,
    current_campaign,
    extend_campaign,
    get_campaign,
    list_campaigns,
)
from assessment.db import NotFound
from assessment.grid_store import (
    GridStoreError,
    get_grid,
    latest_version,
    list_grid_versions,
    publish,
    save_draft,
    sync_grids_from_dir,
)
from assessment.gridfile import GridError

from .conftest import GRID_ID, GRIDS_V1, GRIDS_V2, SYSTEM, World

SOURCE_V1 = (GRIDS_V1 / "small-v1.yaml").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# grid versions
# ---------------------------------------------------------------------------


def test_sync_is_idempotent(engine: Engine) -> None:
    first = sync_grids_from_dir(engine, GRIDS_V1)
    assert [(s.grid_id, s.version, s.added) for s in first] == [(GRID_ID, "1", True)]
    again = sync_grids_from_dir(engine, GRIDS_V1)
    assert [s.added for s in again] == [False]
    assert get_grid(engine, GRID_ID, "1").id == GRID_ID
    assert latest_version(engine, GRID_ID) == "1"


def test_sync_refuses_a_published_version_with_other_content(
    engine: Engine, tmp_path: Path
) -> None:
    sync_grids_from_dir(engine, GRIDS_V1)
    changed = tmp_path / "grids"
    changed.mkdir()
    (changed / "small.yaml").write_text(
        SOURCE_V1.replace("Petite grille de test", "Petite grille modifiée"), encoding="utf-8"
    )
    with pytest.raises(GridStoreError, match="déjà publiée avec un contenu différent"):
        sync_grids_from_dir(engine, changed)
    assert get_grid(engine, GRID_ID, "1").title == "Petite grille de test"


def test_sync_refuses_an_invalid_file(engine: Engine, tmp_path: Path) -> None:
    broken = tmp_path / "grids"
    broken.mkdir()
    (broken / "broken.yaml").write_text("id: x\nversion: 1\n", encoding="utf-8")
    with pytest.raises(GridError):
        sync_grids_from_dir(engine, broken)


def test_published_grids_are_cached(engine: Engine) -> None:
    sync_grids_from_dir(engine, GRIDS_V1)
    assert get_grid(engine, GRID_ID, "1") is get_grid(engine, GRID_ID, "1")
    with pytest.raises(NotFound):
        get_grid(engine, GRID_ID, "404")


def test_drafts_then_publish(engine: Engine) -> None:
    sync_grids_from_dir(engine, GRIDS_V1)
    broken = SOURCE_V1.replace('version: "1"', 'version: "2"').replace(
        "type: level", "type: levl", 1
    )
    result = save_draft(engine, SYSTEM, broken)
    assert not result.ok  # a draft may be incomplete...
    with pytest.raises(NotFound):
        get_grid(engine, GRID_ID, "2")  # ...and is not usable
    with pytest.raises(GridStoreError, match="ne peut pas être publiée") as caught:
        publish(engine, SYSTEM, GRID_ID, "2")  # ...nor publishable
    assert caught.value.problems
    fixed = broken.replace("type: levl", "type: level")
    assert save_draft(engine, SYSTEM, fixed).ok
    grid = publish(engine, SYSTEM, GRID_ID, "2")
    assert grid.version == "2" and get_grid(engine, GRID_ID, "2").version == "2"
    assert latest_version(engine, GRID_ID) == "2"
    with pytest.raises(GridStoreError, match="publiée"):
        save_draft(engine, SYSTEM, fixed)  # published versions never change
    with pytest.raises(GridStoreError, match="déjà publiée"):
        publish(engine, SYSTEM, GRID_ID, "2")
    statuses = {(v.version, v.status) for v in list_grid_versions(engine, SYSTEM)}
    assert statuses == {("1", "published"), ("2", "published")}
    with pytest.raises(GridStoreError, match="identifiant"):
        save_draft(engine, SYSTEM, "title: sans id\n")


def test_default_grid_folder_syncs(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "guide"
    shutil.copytree(Path(__file__).parents[2] / "guide", folder)
    synced = sync_grids_from_dir(engine, folder)
    assert grid_store.DEFAULT_GRID_ID in {s.grid_id for s in synced}


# ---------------------------------------------------------------------------
# campaigns
# ---------------------------------------------------------------------------


def test_current_campaign_and_close(world: World) -> None:
    today = date.today()
    current = current_campaign(world.engine)
    assert current is not None and current.id == world.campaign
    assert current.is_open() and current.grid_version == "1"
    past = create_campaign(
        world.engine,
        world.national,
        year=today.year - 1,
        opens_on=date(today.year - 1, 1, 1),
        closes_on=date(today.year - 1, 12, 31),
        grid_id=GRID_ID,
        label="Campagne passée",
    )
    assert get_campaign(world.engine, past).is_closed()
    assert [c.year for c in list_campaigns(world.engine)] == [today.year, today.year - 1]
    assert current_campaign(world.engine, today=date(today.year - 1, 6, 1)).id == past  # type: ignore[union-attr]
    closed = close_campaign(world.engine, world.national, world.campaign)
    assert closed.closed_at is not None and closed.is_closed() and not closed.is_open()
    assert current_campaign(world.engine) is None
    with pytest.raises(CampaignError, match="ne rouvre pas"):
        extend_campaign(world.engine, world.national, world.campaign, closes_on=date(2099, 1, 1))
    assert current_campaign(world.engine) is None


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"year": 2031, "grid_version": "404"}, "n'est pas publiée"),
        ({"year": date.today().year}, "existe déjà"),
        ({"year": 2032, "closes_on": date(2000, 1, 1)}, "clôture"),
    ],
)
def test_invalid_campaigns(world: World, kwargs: dict, words: str) -> None:
    values = {
        "opens_on": date.today(),
        "closes_on": date.today() + timedelta(days=30),
        "grid_id": GRID_ID,
    } | kwargs
    with pytest.raises(CampaignError, match=words):
        create_campaign(world.engine, world.national, **values)


# ---------------------------------------------------------------------------
# action plan
# ---------------------------------------------------------------------------


def test_action_plan_crud_and_export(world: World) -> None:
    first = add_action(
        world.engine,
        world.member,
        world.org_a,
        item_id="gouvernance",
        horizon_id="goal_1y",
        title="Réviser les statuts",
        owner="Bureau",
        due_on=date(2027, 6, 30),
        campaign_id=world.campaign,
    )
    second = add_action(
        world.engine, world.admin, world.org_a, item_id="env", title="Bilan carbone"
    )
    actions = list_actions(world.engine, world.member, world.org_a)
    assert [a.id for a in actions] == [first, second]  # dated first
    updated = update_action(world.engine, world.member, second, status="in_progress", notes="Devis")
    assert (updated.status, updated.status_label, updated.notes) == (
        "in_progress",
        "En cours",
        "Devis",
    )
    planned = list_actions(world.engine, world.member, world.org_a, campaign_id=world.campaign)
    grid = get_grid(world.engine, GRID_ID, "1")
    rows = exports.action_rows(grid, planned)
    assert rows == [
        {
            "id": first,
            "number": 1,  # numbered per organisation, not the database id
            "item": "Gouvernance démocratique",
            "horizon": "Objectif à 1 an",
            "title": "Réviser les statuts",
            "owner": "Bureau",
            "due_on": date(2027, 6, 30),
            "status": "À faire",
            "notes": "",
        }
    ]
    assert exports.action_rows(grid, [updated])[0]["status"] == updated.status_label == "En cours"
    delete_action(world.engine, world.member, first)
    assert [a.id for a in list_actions(world.engine, world.member, world.org_a)] == [second]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"title": " "}, "^Action"),  # the page's label of the field
        ({"status": "fini"}, "statut"),
        ({"item_id": "inconnu"}, "n'est pas un thème"),
        ({"horizon_id": "current"}, "horizon d'objectif"),
        ({"due_on": "demain"}, "Échéance"),
    ],
)
def test_invalid_actions(world: World, changes: dict, words: str) -> None:
    values = {
        "item_id": "gouvernance",
        "title": "Former les élus",
        "campaign_id": world.campaign,
    } | changes
    with pytest.raises(ActionPlanError, match=words):
        add_action(world.engine, world.member, world.org_a, **values)


def test_new_grid_version_does_not_touch_existing_campaigns(world: World) -> None:
    sync_grids_from_dir(world.engine, GRIDS_V2)
    assert get_campaign(world.engine, world.campaign).grid_version == "1"
    later = create_campaign(
        world.engine,
        world.national,
        year=date.today().year + 1,
        opens_on=date.today(),
        closes_on=date.today() + timedelta(days=10),
        grid_id=GRID_ID,
    )
    assert get_campaign(world.engine, later).grid_version == "2"
