"""The general-assembly report of one organisation for one campaign.

* :mod:`~assessment.reports.loading` — reads what it needs through the core,
  with the acting user's rights (the organisation's members only);
* :mod:`~assessment.reports.model` — the content, in French (pure);
* :mod:`~assessment.reports.layout` — the order on the page, full and short
  versions (pure), shared by both renderers;
* :mod:`~assessment.reports.figures` — the app's Altair charts, rendered
  without a browser (vl-convert);
* :mod:`~assessment.reports.pdf` (Typst, tagged PDF/UA-1),
  :mod:`~assessment.reports.docx` (editable Word document) and
  :mod:`~assessment.reports.odt` (editable OpenDocument) — renderers.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePath

from sqlalchemy import Engine

from assessment.errors import UserError
from assessment.french import typo
from assessment.permissions import Actor
from assessment.reports.layout import full_layout, short_layout
from assessment.reports.loading import ReportError, load_inputs
from assessment.reports.model import Report, ReportInputs, build_report

FORMATS: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}
"""Format → MIME type."""


class ReportFormatError(UserError, ValueError):
    """A file extension the report cannot be written in."""


def format_of(path: str | PurePath) -> str:
    """``pdf``, ``docx`` or ``odt`` from a file name; :class:`ReportFormatError` otherwise."""
    suffix = PurePath(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise ReportFormatError(
        typo(f"Extension « .{suffix} » inconnue : .pdf, .docx ou .odt sont attendues.")
    )


def render(report: Report, fmt: str, *, short: bool = False) -> bytes:
    """``report`` as PDF or DOCX bytes, full or short version."""
    blocks = short_layout(report) if short else full_layout(report)
    title = report.title if not short else typo(f"{report.title} (version courte)")
    footer = typo(f"{report.organisation} — {report.campaign}")
    if fmt == "pdf":
        from assessment.reports.pdf import render_pdf

        return render_pdf(
            blocks, title=title, author=report.organisation, footer=footer, cover=not short
        )
    if fmt == "docx":
        from assessment.reports.docx import render_docx

        return render_docx(blocks, title=title, author=report.organisation, footer=footer)
    if fmt == "odt":
        from assessment.reports.odt import render_odt

        return render_odt(blocks, title=title, author=report.organisation, footer=footer)
    raise ReportFormatError(typo(f"Format « {fmt} » inconnu : pdf, docx ou odt."))


def generate(
    engine: Engine,
    actor: Actor,
    organisation_id: int,
    year: int,
    fmt: str,
    *,
    short: bool = False,
    today: date | None = None,
) -> bytes:
    """The report file of ``organisation_id`` for the campaign of ``year``.

    Raises :class:`~assessment.permissions.PermissionDenied` for anyone but the
    organisation's members (and the operator), :class:`ReportError` when there
    is no such campaign or assessment.
    """
    inputs = load_inputs(engine, actor, organisation_id, year, today=today)
    return render(build_report(inputs), fmt, short=short)


def file_name(year: int, fmt: str, *, short: bool = False) -> str:
    return f"rapport-ag-{year}{'-court' if short else ''}.{fmt}"


__all__ = [
    "FORMATS",
    "Report",
    "ReportError",
    "ReportFormatError",
    "ReportInputs",
    "build_report",
    "file_name",
    "format_of",
    "generate",
    "load_inputs",
    "render",
]
