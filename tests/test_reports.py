"""The general-assembly report of a demo organisation, in each format, read back.

The PDF's text (pypdf) holds every theme addressed, every goal and every
planned action; the PDF is tagged, in French, titled, with the charts' alt
text; the short version fits on two pages; the DOCX is editable text with
the same content; only the organisation's members get it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from pypdf import PdfReader
from sqlalchemy import Engine

from assessment import action_plan, assessments, reports
from assessment.campaigns import list_campaigns
from assessment.cli import main
from assessment.db import NotFound, create_database_engine, dispose_engines, migrate
from assessment.demo import seed_demo
from assessment.french import typo
from assessment.grid import TextQuestion
from assessment.grid_store import get_grid, sync_grids_from_dir
from assessment.organisations import set_shared_with_region
from assessment.permissions import Actor, PermissionDenied, Role
from assessment.reports.model import build_report
from assessment.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
SYSTEM = Actor.system()
ORG = 1  # the demo organisation (its last campaign is a draft)
ACTIONS = ("Former les élus au budget", "Ouvrir le conseil aux usagers", "Suivre les achats")


def _normal(value: str) -> str:
    return " ".join(value.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, int]]:
    """Six demo organisations over two campaigns; the demo organisation's draft gets
    stakes, planned actions, evidence and an action plan."""
    path = tmp_path_factory.mktemp("reports") / "demo.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    migrate(engine)
    sync_grids_from_dir(engine, ROOT / "guide")
    seed_demo(engine, orgs=6, campaigns=2, seed=3)
    year = max(c.year for c in list_campaigns(engine))
    campaign = next(c for c in list_campaigns(engine) if c.year == year)
    state = assessments.find_assessment(engine, SYSTEM, ORG, campaign.id)
    assert state is not None and state.status != "submitted"
    grid = get_grid(engine, state.grid_id, state.grid_version)
    revision = state.revision
    addressed = [i for i in grid.items if i.id not in state.not_addressed]
    for n, item in enumerate(addressed):
        for question in item.questions:
            if isinstance(question, TextQuestion) and grid.goal_horizons[0] in (
                question.horizons or []
            ):
                revision = assessments.save_answer(
                    engine, SYSTEM, state.id, question.id, grid.goal_horizons[0],
                    f"Texte écrit {n} pour {question.id}", expected_revision=revision,
                )  # fmt: skip
        first = item.questions[0]
        revision = assessments.save_comment(
            engine, SYSTEM, state.id, first.id, grid.current_horizon,
            f"Procès-verbal {n} consulté", expected_revision=revision,
        )  # fmt: skip
    revision = assessments.set_choice_reason(
        engine, SYSTEM, state.id, addressed[0].id, REASON, expected_revision=revision
    )
    for title, item in zip(ACTIONS, addressed, strict=False):
        action_plan.add_action(
            engine, SYSTEM, ORG, item_id=item.id, title=title,
            horizon_id=grid.goal_horizons[0], owner="Bureau",
            due_on=date(year + 1, 3, 1), campaign_id=campaign.id,
        )  # fmt: skip
    yield engine, year
    engine.dispose()


REASON = "Notre assemblée générale l'a demandé"


def test_the_reason_for_choosing_a_theme_is_in_the_report(content: reports.Report) -> None:
    first = content.choice_reasons[0]
    assert first.horizon == "raison du choix"
    assert _normal(first.text) == _normal(typo(REASON))


@pytest.fixture(scope="module")
def content(demo: tuple[Engine, int]) -> reports.Report:
    engine, year = demo
    return build_report(reports.load_inputs(engine, SYSTEM, ORG, year))


@pytest.fixture(scope="module")
def pdf(demo: tuple[Engine, int]) -> bytes:
    engine, year = demo
    return reports.generate(engine, SYSTEM, ORG, year, "pdf")


def test_pdf_holds_every_theme_goal_and_planned_action(pdf: bytes, content: reports.Report) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    whole = _normal("\n".join(page.extract_text() for page in reader.pages))
    assert content.sections, "the demo organisation addresses some themes"
    for section in content.sections:
        assert _normal(section.title) in whole
        for goal in section.goals:
            for value in goal.goals:
                assert _normal(value) in whole
        for written in section.texts:  # stakes and planned actions as written
            assert _normal(written.text) in whole
        for line in section.current:
            if line.evidence:
                assert _normal(line.evidence) in whole
    for title in ACTIONS:
        assert _normal(title) in whole
    assert "Questions pour le débat" in whole
    assert _normal(content.overall) in whole
    assert "thèmes traités sur 8" in whole


def test_pdf_is_tagged_french_titled_with_alt_text(pdf: bytes, content: reports.Report) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr-FR"
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    assert reader.metadata is not None and reader.metadata.title == content.title
    raw = pdf.decode("latin-1")
    assert "/Alt" in raw  # the charts' alternative text, in the structure tree
    assert content.charts[0].alt.startswith("Graphique en barres")


def test_short_version_fits_on_two_pages(demo: tuple[Engine, int]) -> None:
    engine, year = demo
    short = reports.generate(engine, SYSTEM, ORG, year, "pdf", short=True)
    reader = PdfReader(io.BytesIO(short))
    assert len(reader.pages) <= 2
    text = _normal(" ".join(p.extract_text() for p in reader.pages))
    assert "en bref" in text and ACTIONS[0] in text


def _holds_the_content(texts: list[str], content: reports.Report) -> None:
    """Every theme addressed, every stake and planned action as written, every action."""
    whole = _normal("\n".join(texts))
    for section in content.sections:
        assert _normal(section.title) in whole
        for written in section.texts:
            assert _normal(written.text) in whole
    for title in ACTIONS:
        assert title in whole


def test_docx_is_editable_french_with_the_same_content(
    demo: tuple[Engine, int], content: reports.Report
) -> None:
    engine, year = demo
    data = reports.generate(engine, SYSTEM, ORG, year, "docx")
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    _holds_the_content(texts, content)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Synthèse" in headings
    assert document.core_properties.title == content.title
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode()
        styles = archive.read("word/styles.xml").decode()
    assert 'w:val="fr-FR"' in styles
    assert re.search(r'descr="Graphique en barres', body)  # alt text of the chart
    short = Document(io.BytesIO(reports.generate(engine, SYSTEM, ORG, year, "docx", short=True)))
    assert any("en bref" in p.text for p in short.paragraphs)


def test_only_the_organisations_members_get_the_report(demo: tuple[Engine, int]) -> None:
    engine, year = demo
    set_shared_with_region(engine, SYSTEM, ORG, True)  # even shared with its CRESS
    from assessment.organisations import get_organisation

    region = get_organisation(engine, SYSTEM, ORG).region
    member = Actor(None, "m@test", Role.MEMBER, organisation_id=ORG)
    assert reports.load_inputs(engine, member, ORG, year).organisation.id == ORG
    for actor in (
        Actor(None, "o@test", Role.MEMBER, organisation_id=ORG + 1),
        Actor(None, "a@test", Role.ORG_ADMIN, organisation_id=ORG + 1),
        Actor(None, "cress@test", Role.REGIONAL, region=region),
        Actor(None, "n@test", Role.NATIONAL),
    ):
        # refused, or told the organisation does not exist (ids one may not see look unknown)
        with pytest.raises((PermissionDenied, NotFound)):
            reports.generate(engine, actor, ORG, year, "pdf")


def test_unknown_campaign_and_formats_are_refused(demo: tuple[Engine, int]) -> None:
    engine, _ = demo
    with pytest.raises(reports.ReportError, match="Aucune campagne 1990"):
        reports.generate(engine, SYSTEM, ORG, 1990, "pdf")
    assert reports.format_of("rapport.PDF") == "pdf"
    assert reports.format_of("rapport.odt") == "odt"
    with pytest.raises(reports.ReportFormatError, match=r"\.rtf"):
        reports.format_of("rapport.rtf")


def test_cli_report_writes_each_format(
    demo: tuple[Engine, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, year = demo
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(ROOT / "guide"))
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        runs = (("r.pdf", []), ("r.docx", []), ("r.odt", []), ("court.pdf", ["--short"]))
        for name, extra in runs:
            args = ["report", "--org", str(ORG), "--campaign", str(year), "--out", name, *extra]
            result = runner.invoke(main, args)
            assert result.exit_code == 0, result.output
            assert (tmp_path / name).stat().st_size > 10_000
        assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
        refused = runner.invoke(
            main, ["report", "--org", str(ORG), "--campaign", str(year), "--out", "r.rtf"]
        )
        assert refused.exit_code == 1 and ".odt" in refused.output
    finally:
        get_settings.cache_clear()
        dispose_engines()


def test_every_string_of_the_report_follows_french_typography(content: reports.Report) -> None:
    from dataclasses import fields, is_dataclass

    from assessment.french import typography_problems
    from assessment.reports.layout import full_layout, short_layout

    def strings(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, tuple | list):
            return [s for v in value for s in strings(v)]
        if is_dataclass(value) and not isinstance(value, type):
            return [s for f in fields(value) for s in strings(getattr(value, f.name))]
        return []

    for layout in (full_layout(content), short_layout(content)):
        for shown in strings(layout):
            assert not typography_problems(shown), shown


def test_odt_is_editable_french_with_the_same_content(
    demo: tuple[Engine, int], content: reports.Report
) -> None:
    from odf import teletype
    from odf.opendocument import load
    from odf.text import H, P

    engine, year = demo
    data = reports.generate(engine, SYSTEM, ORG, year, "odt")
    document = load(io.BytesIO(data))
    parts = [teletype.extractText(e) for e in document.getElementsByType(P)]
    headings = [teletype.extractText(e) for e in document.getElementsByType(H)]
    _holds_the_content(parts + headings, content)
    assert {s.title for s in content.sections} <= set(headings)  # real outline headings
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("content.xml").decode()
        metadata = archive.read("meta.xml").decode()
    assert "<dc:language>fr-FR</dc:language>" in metadata
    assert "<svg:desc>Graphique en barres" in body  # the chart's alternative text


def test_every_overall_score_of_the_report_says_the_themes_it_stands_on(
    content: reports.Report,
) -> None:
    overall_row = content.score_rows[-1]
    assert re.fullmatch(r"Ensemble, sur \d+ thèmes? traités? sur 8", _normal(overall_row.theme))
    assert re.search(r"sur \d+ thèmes? traités? sur 8", _normal(content.overall))
    if content.previous_year is not None:
        assert re.search(
            r"le score d’ensemble passe de .* sur \d+ thèmes? traités? sur 8",
            _normal(content.progress_summary),
        )
