"""The editable renderer: a Word document (python-docx) the organisation can adapt.

Same blocks as the PDF (:mod:`assessment.reports.layout`).  Real headings
(« Titre 1 », « Titre 2 ») so that the navigation pane and a table of contents
work; French set as the language of every style; the title in the
document's properties; each chart a PNG with its alternative text.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from assessment.reports import figures
from assessment.reports.layout import (
    Answers,
    Block,
    Bullets,
    Cover,
    Figure,
    Heading,
    Para,
    Table,
)

LANGUAGE = "fr-FR"
ACCENT = RGBColor(0x08, 0x30, 0x6B)
GREY = RGBColor(0x55, 0x55, 0x55)
TEXT_WIDTH_CM = 17.0
FONT = "Liberation Sans"


def _set_language(document: Any) -> None:
    """French as the language of the default run properties and of every style."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    targets = []
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None:
            rpr = rpr_default.find(qn("w:rPr"))
            if rpr is not None:
                targets.append(rpr)
    for style in document.styles:
        element = getattr(style, "element", None)
        if element is not None:
            targets.append(element.get_or_add_rPr())
    for rpr in targets:
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
        lang.set(qn("w:bidi"), LANGUAGE)


def _repeat_header(row: Any) -> None:
    properties = row._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    properties.append(marker)


def _shade(cell: Any, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _text(paragraph: Any, value: str, *, bold: bool = False, italic: bool = False,
          size: float | None = None, color: RGBColor | None = None) -> None:  # fmt: skip
    for index, line in enumerate(value.split("\n")):
        run = paragraph.add_run(line)
        run.bold = bold
        run.italic = italic
        if size is not None:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
        if index < len(value.split("\n")) - 1:
            run.add_break()


def _cover(document: Any, block: Cover) -> None:
    for _ in range(4):
        document.add_paragraph()
    _text(document.add_paragraph(), block.kicker.upper(), bold=True, size=12, color=ACCENT)
    document.add_paragraph(block.title, style="Title")
    _text(document.add_paragraph(), block.subtitle, size=14)
    for line in block.lines:
        _text(document.add_paragraph(), line, size=11)
    document.add_paragraph()
    _text(document.add_paragraph(), block.note, size=9, color=GREY)


def _table(document: Any, block: Table) -> None:
    table = document.add_table(rows=1, cols=len(block.header))
    table.style = "Table Grid"
    total = sum(block.widths)
    header = table.rows[0]
    _repeat_header(header)
    for cell, value in zip(header.cells, block.header, strict=True):
        cell.text = ""
        _text(cell.paragraphs[0], value, bold=True, size=9)
        _shade(cell, "DEEBF7")
    last = len(block.rows) - 1
    for index, values in enumerate(block.rows):
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            _text(cell.paragraphs[0], value, size=9, bold=block.bold_last and index == last)
    for column, width in zip(table.columns, block.widths, strict=True):
        for cell in column.cells:
            cell.width = Cm(TEXT_WIDTH_CM * width / total)
    if block.caption:
        _text(document.add_paragraph(), block.caption, size=8.5, color=GREY)


def _figure(document: Any, block: Figure) -> None:
    document.add_picture(
        io.BytesIO(figures.png(block.chart, block.width)), width=Cm(TEXT_WIDTH_CM * block.width)
    )
    inline = document.inline_shapes[-1]._inline
    properties = inline.docPr
    properties.set("title", block.chart.title)
    properties.set("descr", block.chart.alt)
    _text(document.add_paragraph(), block.chart.title, size=8.5, color=GREY)


def _answers(document: Any, block: Answers) -> None:
    for line in block.lines:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.keep_with_next = True
        _text(paragraph, line.question, bold=True)
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(0.5)
        _text(paragraph, line.answer, bold=True)
        if line.descriptor:
            paragraph.add_run().add_break()
            _text(paragraph, line.descriptor, italic=True, size=9)
        if line.evidence:
            paragraph.add_run().add_break()
            _text(paragraph, block.evidence_label + " ", bold=True, size=9)
            _text(paragraph, line.evidence, size=9)


def _add(document: Any, block: Block) -> None:
    if isinstance(block, Cover):
        _cover(document, block)
    elif isinstance(block, Heading):
        heading = document.add_heading(block.text, level=block.level)
        heading.paragraph_format.page_break_before = block.new_page
    elif isinstance(block, Para):
        paragraph = document.add_paragraph()
        if block.label:
            _text(paragraph, block.label + " ", bold=True)
        if block.style == "lead":
            _text(paragraph, block.text, bold=True, size=11)
        elif block.style == "note":
            _text(paragraph, block.text, size=9, color=GREY)
        else:
            _text(paragraph, block.text)
    elif isinstance(block, Bullets):
        style = "List Number" if block.numbered else "List Bullet"
        for item in block.items:
            _text(document.add_paragraph(style=style), item)
    elif isinstance(block, Table):
        _table(document, block)
    elif isinstance(block, Answers):
        _answers(document, block)
    elif isinstance(block, Figure):
        _figure(document, block)


def render_docx(blocks: list[Block], *, title: str, author: str, footer: str) -> bytes:
    """The DOCX of ``blocks`` (A4, French, footer with the organisation and campaign)."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.2)
    section.start_type = WD_SECTION.NEW_PAGE
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    for name in ("Heading 1", "Heading 2", "Title"):
        document.styles[name].font.name = FONT
        document.styles[name].font.color.rgb = ACCENT
    _set_language(document)
    properties = document.core_properties
    properties.title = title
    properties.author = author
    properties.language = LANGUAGE
    _text(section.footer.paragraphs[0], footer, size=8, color=GREY)
    for block in blocks:
        _add(document, block)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
