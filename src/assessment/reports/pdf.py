"""The PDF renderer: Typst (the ``typst`` package, no external program).

The template ``report.typ`` receives the blocks as one JSON input and places
every string as text, never as markup, so nothing an organisation wrote can
change the document.  The PDF is tagged and checked against PDF/UA-1 by
Typst itself: title and language (``fr-FR``) set, headings and tables
tagged, each chart with its French alternative text.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources
from typing import Any, Final

import typst

from assessment.reports import figures
from assessment.reports.layout import Block, Figure

FONTS = ("Source Sans 3", "Source Sans Pro", "Liberation Sans", "DejaVu Sans", "Libertinus Serif")
"""First found wins; Libertinus Serif ships inside Typst, so one is always there."""
PDF_STANDARD: Final = "ua-1"
"""PDF/UA-1: Typst refuses to write a PDF that would break it (e.g. an image without
alternative text)."""


def _block(block: Block) -> dict[str, Any]:
    if isinstance(block, Figure):
        return {
            "kind": "figure",
            "svg": figures.svg(block.chart, block.width),
            "alt": block.chart.alt,
            "title": block.chart.title,
            "width": block.width,
        }
    return asdict(block)


def render_pdf(blocks: list[Block], *, title: str, author: str, footer: str, cover: bool) -> bytes:
    """The PDF of ``blocks``; the footer (text and page numbers) from page 2 with a cover."""
    document = {
        "title": title,
        "author": author,
        "footer": footer,
        "footer_from": 1 if cover else 0,
        "fonts": list(FONTS),
        "blocks": [_block(b) for b in blocks],
    }
    template = resources.files("assessment.reports").joinpath("report.typ")
    with resources.as_file(template) as path:
        pdf = typst.compile(
            str(path),
            sys_inputs={"report": json.dumps(document, ensure_ascii=False)},
            pdf_standards=PDF_STANDARD,
        )
    return bytes(pdf)
