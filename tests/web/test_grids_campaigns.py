"""« Grilles et campagnes » as the national body uses it (AppTest).

Edit a draft with errors (shown beside the editor, publishing refused), fix it,
preview, diff, dry run, publish; a commented file through upload, edit and
download; campaigns created, opened early, closed and reopened.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from assessment import campaigns, grid_store, national_audit
from assessment.permissions import Actor, Role
from assessment.web.views import campaigns_admin, grid_editor

from .conftest import GUIDE, SignedIn, open_page

PAGE = "grilles-campagnes"
GUIDE_ID = "guide-bonnes-pratiques-ess"
GUIDE_SOURCE = (GUIDE / "guide-bonnes-pratiques-ess.yaml").read_text(encoding="utf-8")
# the shipped default grid's version: the latest published one, that the demo campaigns use
GUIDE_VERSION = re.search(r'^version: "([^"]+)"', GUIDE_SOURCE, re.M).group(1)  # type: ignore[union-attr]
SHIPPED = f'version: "{GUIDE_VERSION}"'
RENAMED = GUIDE_SOURCE.replace(
    "      - id: gouv-regles\n",
    "      - id: gouv-regles-ecrites\n        replaces: [gouv-regles]\n",
    1,
)


def _plain(value: str) -> str:
    """Text with French typographic spaces as plain ones."""
    return value.replace("\u00a0", " ").replace("\u202f", " ")


def _said(at: AppTest) -> str:
    return _plain(" ".join(str(s.value) for s in [*at.success, *at.error, *at.info]))


def _problems(at: AppTest) -> str:
    """The problems listed beside the editor, as plain text."""
    return _plain(
        "\n".join(str(m.value) for m in at.markdown if "**Ligne " in str(m.value))
    ).replace("\\", "")


def _page(app_as: Callable[[Role], SignedIn]) -> tuple[AppTest, Actor]:
    signed = app_as(Role.NATIONAL)
    at = open_page(signed.app, PAGE).run()
    assert not at.exception, at.exception
    return at, signed.actor


def _frames(at: AppTest) -> list[Any]:
    return [d.value for d in at.dataframe]


def _frame_with(at: AppTest, column: str) -> Any:
    return next(frame for frame in _frames(at) if column in frame.columns)


def _new_draft(at: AppTest, version: str) -> AppTest:
    at.selectbox(key="grids:from").set_value(f"{GUIDE_ID}@{GUIDE_VERSION}")
    at.text_input(key="grids:new_version").input(version)
    at.button(key="grids:create").click().run()
    assert not at.exception, at.exception
    return at


def _edit(at: AppTest, source: str) -> AppTest:
    if not at.toggle(key=grid_editor.PLAIN_KEY).value:
        at.toggle(key=grid_editor.PLAIN_KEY).set_value(True).run()
    at.text_area(key=grid_editor.AREA_KEY).input(source).run()
    assert not at.exception, at.exception
    return at


def test_a_new_draft_starts_from_the_latest_published_version(
    app_as: Callable[[Role], SignedIn],
) -> None:
    """The older 2026.1 stays published, but a new version starts from the latest one."""
    at, _ = _page(app_as)
    assert at.selectbox(key="grids:from").value == f"{GUIDE_ID}@{GUIDE_VERSION}"


def test_errors_are_shown_beside_the_editor_and_publishing_is_refused(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    at, actor = _page(app_as)
    at = _new_draft(at, "2027.1")
    assert "Brouillon guide-bonnes-pratiques-ess@2027.1 créé." in _said(at)
    bad_reference = RENAMED.replace(SHIPPED, 'version: "2027.1"').replace(
        "replaces: [gouv-regles]", "replaces: [gouv-regle]"
    )
    broken = bad_reference.replace("        type: level\n", "        type: levle\n", 1)
    at = _edit(at, broken)
    type_line = broken.splitlines().index("        type: levle") + 1
    said = _problems(at)
    assert (
        f"Ligne {type_line}, colonne 15** · `items[0].questions[0].type` — type de "
        "question inconnu « levle »" in said
    )
    assert at.button(key="grids:publish").disabled
    assert "ce brouillon peut être enregistré, mais pas publié" in _said(at)
    # the type fixed, the reference to the previous version is still wrong
    at = _edit(at, bad_reference)
    reference_line = bad_reference.splitlines().index("        replaces: [gouv-regle]") + 1
    said = _problems(at)
    assert f"Ligne {reference_line}, colonne 20** · `items[0].questions[0].replaces[0]`" in said
    assert f"« gouv-regle », qui n’est pas une question de la version {GUIDE_VERSION}" in said
    assert "vouliez-vous dire « gouv-regles »" in said
    assert at.button(key="grids:publish").disabled
    # a draft with errors can be saved, and stays a draft
    at.button(key="grids:save").click().run()
    assert not at.exception
    assert "Brouillon guide-bonnes-pratiques-ess@2027.1 enregistré." in _said(at)
    versions = {v.key: v.status for v in grid_store.list_grid_versions(demo_db, actor)}
    assert versions[f"{GUIDE_ID}@2027.1"] == "draft"
    # publishing it through the core is refused too: the page cannot be bypassed
    try:
        grid_store.publish(demo_db, actor, GUIDE_ID, "2027.1")
    except grid_store.GridStoreError as error:
        assert any("gouv-regle" in p and "replaces" in p for p in error.problems)
    else:  # pragma: no cover
        raise AssertionError("a draft with errors was published")
    assert grid_store.get_draft(demo_db, actor, GUIDE_ID, "2027.1").status == "draft"


def test_fix_preview_diff_dry_run_publish(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    at, actor = _page(app_as)
    at = _new_draft(at, "2027.1")
    fixed = RENAMED.replace(SHIPPED, 'version: "2027.1"')
    at = _edit(at, fixed)
    assert "Grille valide : 8 thèmes" in _said(at)
    assert not at.button(key="grids:publish").disabled
    # preview: the filling page's form, as an enterprise sees it
    at.radio(key=grid_editor.PANEL_KEY).set_value("Aperçu").run()
    assert any("Les règles de fonctionnement" in m.value for m in at.markdown)
    assert any(r.label.startswith("État des lieux — ") for r in at.radio)
    assert "Soumettre" not in [b.label for b in at.button]
    # diff against the shipped version
    at.radio(key=grid_editor.PANEL_KEY).set_value("Différences").run()
    diff = _frame_with(at, "Changement")
    row = diff[diff["Identifiant"] == "gouv-regles-ecrites"].iloc[0]
    assert row["Changement"] == "remplace gouv-regles"
    assert "gouv-regles" not in set(diff[diff["Changement"] == "supprimé"]["Identifiant"])
    # dry run on the 2026 campaign: counts and protected means only
    at.radio(key=grid_editor.PANEL_KEY).set_value("Essai sur une campagne").run()
    at.button(key="grids:dry_go").click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Auto-évaluations soumises"]) > 0
    assert metrics["Score d’ensemble modifié"].startswith("0 /")  # a pure rename
    lost = (
        _frame_with(at, "Réponses") if any("Réponses" in f.columns for f in _frames(at)) else None
    )
    assert lost is None  # the renamed question keeps its history
    # publish
    at.button(key="grids:publish").click().run()
    assert not at.exception, at.exception
    assert "Version guide-bonnes-pratiques-ess@2027.1 publiée" in _said(at)
    versions = {v.key: v for v in grid_store.list_grid_versions(demo_db, actor)}
    published = versions[f"{GUIDE_ID}@2027.1"]
    assert published.status == "published"
    assert published.changed_by == actor.email
    table = _frame_with(at, "Statut")
    assert "Publiée" in set(table[table["Version"] == "2027.1"]["Statut"])
    events = national_audit.list_events(demo_db, actor, subject_kind="grid")
    assert [e.action for e in events[:2]] == ["published", "draft_saved"]
    assert events[0].user_email == actor.email


def test_a_commented_file_keeps_its_comments_through_upload_edit_and_download(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    at, actor = _page(app_as)
    uploaded = GUIDE_SOURCE.replace(SHIPPED, 'version: "2027.2"').replace(
        "id: guide-bonnes-pratiques-ess\n",
        "id: guide-bonnes-pratiques-ess  # commentaire de l'autrice\n",
    )
    # the file uploader cannot be driven by AppTest: the page's import calls this
    grid_store.save_draft(demo_db, actor, uploaded, source_name="ma-grille.yaml")
    at.run()
    at.selectbox(key=grid_editor.SELECTED_KEY).set_value(f"{GUIDE_ID}@2027.2").run()
    edited = uploaded.replace("Gouvernance\n", "Gouvernance démocratique\n", 1)
    at = _edit(at, edited)
    at.button(key="grids:save").click().run()
    stored = grid_store.get_grid_source(demo_db, actor, GUIDE_ID, "2027.2")
    assert stored == edited
    assert "# commentaire de l'autrice" in stored
    assert stored.startswith("# Grille d’auto-évaluation par défaut")
    download = at.get("download_button")
    assert download, "no download button"
    # a new draft from it keeps every comment too (ruamel.yaml round trip)
    grid_store.new_draft_from(demo_db, actor, GUIDE_ID, "2027.2", "2027.3")
    copied = grid_store.get_grid_source(demo_db, actor, GUIDE_ID, "2027.3")
    assert copied == edited.replace('version: "2027.2"', 'version: "2027.3"')


def test_campaigns_created_opened_early_extended_and_closed_for_good(
    app_as: Callable[[Role], SignedIn], demo_db: Engine
) -> None:
    at, actor = _page(app_as)
    table = _frame_with(at, "Participation")
    current = table[table["Année"] == "2026"].iloc[0]
    assert current["État"] == "Ouverte"
    assert int(current["Soumises"]) > 0
    # create 2027, opening next week
    soon = date.today() + timedelta(days=7)
    form_dates = at.date_input
    at.number_input[0].set_value(2027)
    at.text_input[-1].input("Campagne 2027")
    form_dates[0].set_value(soon)
    form_dates[1].set_value(soon + timedelta(days=60))
    at.button[[b.label for b in at.button].index("Créer la campagne")].click().run()
    assert not at.exception, at.exception
    created = next(c for c in campaigns.list_campaigns(demo_db) if c.year == 2027)
    assert campaigns_admin.campaign_status(created) == "À venir"
    # open it early
    at.selectbox(key="campaigns:chosen").set_value(created).run()
    at.button(key="campaigns:open").click().run()
    assert campaigns.get_campaign(demo_db, created.id).is_open()
    # move its closing date, then close it: it never reopens
    at.selectbox(key="campaigns:chosen").set_value(
        campaigns.get_campaign(demo_db, created.id)
    ).run()
    at.date_input(key="campaigns:new_end").set_value(soon + timedelta(days=90)).run()
    at.button(key="campaigns:extend").click().run()
    assert campaigns.get_campaign(demo_db, created.id).closes_on == soon + timedelta(days=90)
    at.selectbox(key="campaigns:chosen").set_value(
        campaigns.get_campaign(demo_db, created.id)
    ).run()
    at.button(key="campaigns:close").click().run()
    assert campaigns.get_campaign(demo_db, created.id).closed_at is not None
    at.selectbox(key="campaigns:chosen").set_value(
        campaigns.get_campaign(demo_db, created.id)
    ).run()
    assert [b for b in at.button if b.key in ("campaigns:close", "campaigns:extend")] == []
    assert any("ne rouvre pas" in c.value for c in at.caption)
    actions = [
        e.action
        for e in national_audit.list_events(
            demo_db, actor, subject_kind="campaign", subject=str(created.id)
        )
    ]
    assert actions == [
        "campaign_closed",
        "campaign_extended",
        "campaign_opened",
        "campaign_created",
    ]
    table = _frame_with(at, "Dernière action")
    row = table[table["Année"] == "2027"].iloc[0]
    assert row["Dernière action"].startswith("close")
    assert actor.email in row["Dernière action"]


def test_other_roles_are_refused(app_as: Callable[[Role], SignedIn]) -> None:
    for role in (Role.REGIONAL, Role.ORG_ADMIN):
        signed = app_as(role)
        at = open_page(signed.app, PAGE).run()
        assert not at.exception
        assert not at.get("text_area") or all(t.key != grid_editor.AREA_KEY for t in at.text_area)
        assert "Versions de la grille" not in [t.label for t in at.tabs]
