"""Importing a filled spreadsheet template in a real browser.

An organisation admin has answered one question online; a colleague filled the
XLSX template in a meeting, with another value for that question and a few
more answers. On « Mon auto-évaluation » the admin uploads the file, sees what
would change (the cell answered online marked « Déjà saisie », and the choice
it asks for), confirms, and finds the answers in the form and in the database.
Screenshots: ``test-artifacts/screenshots/upload-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessment import assessments, exchange
from assessment.exchange.template import level_label
from assessment.grid import LevelQuestion
from exchange_helpers import cell_of, edit

from .conftest import (
    LiveServer,
    OrgAdmin,
    heading,
    org_admin_fixture,
    screenshot,
    sign_in,
    wait_for_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def uploader(live_server: LiveServer) -> Iterator[OrgAdmin]:
    """Its own organisation: the import changes a draft only, never the demo's."""
    yield from org_admin_fixture(
        live_server.database_url,
        name="Association Tableur en Réunion",
        region="76",
        size_band="1-9",
        domain="tableur.test",
    )


def _stored(admin: OrgAdmin) -> assessments.AssessmentState:
    found = assessments.find_assessment(
        admin.engine, admin.actor, admin.organisation_id, admin.campaign.id
    )
    assert found is not None
    return found


def _radio(page, question: str, horizon: str):  # type: ignore[no-untyped-def]
    return page.locator(f".st-key-fill-q-{question}-{horizon}")


def test_admin_uploads_a_filled_template_sees_the_conflict_confirms_and_finds_the_answers(
    live_server: LiveServer,
    uploader: OrgAdmin,
    page,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    grid = uploader.grid
    first, second, third = [q for _, q in grid.questions() if isinstance(q, LevelQuestion)][:3]
    now, goal = grid.horizon_ids[0], grid.horizon_ids[1]
    # answered online before the meeting
    state = assessments.open_assessment(
        uploader.engine, uploader.actor, uploader.organisation_id, uploader.campaign.id
    )
    assessments.save_answer(
        uploader.engine, uploader.actor, state.id, first.id, now, 1, expected_revision=0
    )
    # filled in the meeting: another value for that cell, and three more answers
    in_file = {(first.id, now): 3, (first.id, goal): 4, (second.id, now): 2, (third.id, now): 0}

    def fill(workbook):  # type: ignore[no-untyped-def]
        for (question, horizon), value in in_file.items():
            sheet, cell = cell_of(grid, question, horizon)
            workbook[sheet][cell] = level_label(grid, value)

    path = tmp_path / "modele-rempli.xlsx"
    path.write_bytes(edit(exchange.template_xlsx(grid), fill))

    sign_in(page, live_server, uploader.email)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Mon auto-évaluation").click()
    heading(page, "Mon auto-évaluation").wait_for()
    wait_for_app(page)
    _radio(page, first.id, now).locator('input[value="1"]:checked').wait_for(state="attached")

    page.get_by_text("Importer / Modèle de tableur", exact=True).click()
    dropzone = page.get_by_test_id("stFileUploaderDropzoneInput")
    dropzone.set_input_files(str(path))
    summary = page.get_by_text(
        re.compile(
            r"^4\smodifications à importer, dont 1\scellule déjà remplie en ligne autrement\.$"
        )
    )
    summary.wait_for()
    page.get_by_text(re.compile(r"^1\scellule déjà remplie en ligne autrement que")).wait_for()
    table = page.get_by_test_id("stDataFrame").first
    sheet, cell = cell_of(grid, first.id, now)
    conflict = table.locator('tr[role="row"]').filter(has_text=f"{sheet}!{cell}").first
    conflict.wait_for(state="attached")
    cells = conflict.locator('td[role="gridcell"]').all_text_contents()
    # cell, question, horizon, online, in the file, already answered: all on screen
    assert cells[0] == f"{sheet}!{cell}", cells
    assert cells[3:6] == [level_label(grid, 1), level_label(grid, 3), "oui"], cells
    assert _stored(uploader).answers == {first.id: {now: 1}}  # nothing written yet
    replace = page.get_by_role("button", name="Importer en remplaçant 1 cellule saisie en ligne")
    keep = page.get_by_role("button", name="Importer sans toucher à ce qui est saisi en ligne")
    keep.wait_for()
    replace.scroll_into_view_if_needed()
    screenshot(page, "upload-01-plan-with-conflict")

    replace.click()
    page.get_by_text(re.compile(r"^Import terminé\s:\sles réponses sont à jour\.$")).wait_for()
    wait_for_app(page)
    stored = _stored(uploader)
    expected: dict[str, dict[str, int]] = {}
    for (question, horizon), value in in_file.items():
        expected.setdefault(question, {})[horizon] = value
    assert stored.answers == expected
    for (question, horizon), value in in_file.items():
        box = _radio(page, question, horizon)
        box.locator(f'input[value="{value}"]:checked').wait_for(state="attached")
    _radio(page, first.id, now).scroll_into_view_if_needed()
    screenshot(page, "upload-02-imported-in-the-form")
