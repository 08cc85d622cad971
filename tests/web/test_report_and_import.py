"""The report downloads on « Résultats » and the spreadsheet section of « Mon auto-évaluation »."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from assessment import privacy

from .test_filling import FILLING, Env, fill_required, make_env

RESULTS = "resultats"
REPORT_BUTTONS = [
    "Rapport (PDF)",
    "Rapport (Word)",
    "Rapport (ODT)",
    "Version courte (PDF)",
    "Version courte (Word)",
    "Version courte (ODT)",
]


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    privacy.clear_caches()
    return make_env(web_db, cookies)


def test_members_get_the_report_admins_also_the_transfer_file(env: Env) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign)
    member = env.app(RESULTS, who="member").run()
    assert not member.exception
    assert "Rapport à l’assemblée générale" in [str(s.value) for s in member.subheader]
    labels = [d.label for d in member.get("download_button")]
    assert labels[:6] == REPORT_BUTTONS
    assert "Auto-évaluation à transférer (JSON)" not in labels
    admin = env.app(RESULTS).run()
    assert "Auto-évaluation à transférer (JSON)" in [d.label for d in admin.get("download_button")]


def test_filling_page_offers_the_template_and_the_import(env: Env) -> None:
    member = env.app(FILLING, who="member").run()
    assert not member.exception
    assert "Importer / Modèle de tableur" in [e.proto.label for e in member.get("expander")]
    labels = [d.label for d in member.get("download_button")]
    assert "Télécharger le modèle de tableur (XLSX)" in labels
    uploader = member.get("file_uploader")[0]
    assert list(uploader.proto.type) == [".xlsx"]  # members: spreadsheets only
    admin = env.app(FILLING).run()
    assert list(admin.get("file_uploader")[0].proto.type) == [".xlsx", ".json"]
