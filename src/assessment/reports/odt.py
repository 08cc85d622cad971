"""The editable renderer in OpenDocument (ODT, odfpy), for LibreOffice users.

Same blocks as the PDF and the DOCX (:mod:`assessment.reports.layout`): real
outline headings, French as the document's language, the title in its
metadata, each chart a PNG frame with its title and alternative text
(``svg:title`` / ``svg:desc``).
"""

from __future__ import annotations

import io
from typing import Any

from odf import dc, meta
from odf.draw import Frame, Image
from odf.opendocument import OpenDocumentText
from odf.style import (
    GraphicProperties,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TableColumnProperties,
    TextProperties,
)
from odf.svg import Desc, Title
from odf.table import Table as OdfTable
from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import H, LineBreak, List, ListItem, P, Span

from assessment.reports import figures
from assessment.reports.layout import Answers, Block, Bullets, Cover, Figure, Heading, Para, Table

FONT = "Liberation Sans"
TEXT_WIDTH_CM = 17.0


class _Styles:
    def __init__(self, document: Any) -> None:
        self.document = document
        styles, automatic = document.styles, document.automaticstyles
        default = Style(name="Standard", family="paragraph")
        default.addElement(
            TextProperties(fontname=FONT, fontfamily=FONT, fontsize="10pt", language="fr",
                           country="FR")
        )  # fmt: skip
        default.addElement(ParagraphProperties(marginbottom="0.2cm"))
        styles.addElement(default)
        self.body = default
        self.headings = {}
        for level, size in ((1, "16pt"), (2, "12pt")):
            style = Style(
                name=f"Heading_20_{level}", displayname=f"Heading {level}", family="paragraph",
                parentstylename="Standard", defaultoutlinelevel=str(level),
            )  # fmt: skip
            style.addElement(TextProperties(fontsize=size, fontweight="bold", color="#08306b"))
            style.addElement(ParagraphProperties(margintop="0.4cm", marginbottom="0.2cm",
                                                 keepwithnext="always"))  # fmt: skip
            styles.addElement(style)
            self.headings[level] = style
            broken = Style(name=f"Heading{level}Break", family="paragraph",
                           parentstylename=style)  # fmt: skip
            broken.addElement(ParagraphProperties(breakbefore="page"))
            automatic.addElement(broken)
            self.headings[-level] = broken
        self.bold = Style(name="Bold", family="text")
        self.bold.addElement(TextProperties(fontweight="bold"))
        self.italic = Style(name="Italic", family="text")
        self.italic.addElement(TextProperties(fontstyle="italic", fontsize="9pt"))
        self.note = Style(name="Note", family="text")
        self.note.addElement(TextProperties(fontsize="9pt", color="#555555"))
        self.lead = Style(name="Lead", family="text")
        self.lead.addElement(TextProperties(fontsize="11pt", fontweight="bold"))
        self.title = Style(name="CoverTitle", family="text")
        self.title.addElement(TextProperties(fontsize="26pt", fontweight="bold"))
        self.small = Style(name="Small", family="text")
        self.small.addElement(TextProperties(fontsize="9pt"))
        for style in (self.bold, self.italic, self.note, self.lead, self.title, self.small):
            automatic.addElement(style)
        self.frame = Style(name="Chart", family="graphic")
        self.frame.addElement(GraphicProperties(anchortype="as-char"))
        automatic.addElement(self.frame)
        layout = PageLayout(name="A4")
        layout.addElement(
            PageLayoutProperties(pagewidth="21cm", pageheight="29.7cm", margintop="2cm",
                                 marginbottom="2cm", marginleft="2cm", marginright="2cm")
        )  # fmt: skip
        automatic.addElement(layout)
        document.masterstyles.addElement(MasterPage(name="Standard", pagelayoutname=layout))
        self.columns: dict[str, Style] = {}

    def column(self, width_cm: float) -> Style:
        key = f"{width_cm:.2f}"
        if key not in self.columns:
            style = Style(name=f"Col{len(self.columns)}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{key}cm"))
            self.document.automaticstyles.addElement(style)
            self.columns[key] = style
        return self.columns[key]


def _add_text(element: Any, value: str, style: Any = None) -> None:
    target = Span(stylename=style) if style is not None else element
    for index, line in enumerate(value.split("\n")):
        if index:
            target.addElement(LineBreak())
        target.addText(line)
    if style is not None:
        element.addElement(target)


def _paragraph(styles: _Styles, value: str, style: Any = None, label: str = "") -> Any:
    paragraph = P(stylename=styles.body)
    if label:
        _add_text(paragraph, label + " ", styles.bold)
    _add_text(paragraph, value, style)
    return paragraph


def _table(document: Any, styles: _Styles, block: Table) -> None:
    table = OdfTable()
    total = sum(block.widths)
    for width in block.widths:
        table.addElement(TableColumn(stylename=styles.column(TEXT_WIDTH_CM * width / total)))
    header = TableHeaderRows()
    row = TableRow()
    for value in block.header:
        cell = TableCell(valuetype="string")
        cell.addElement(_paragraph(styles, value, styles.bold))
        row.addElement(cell)
    header.addElement(row)
    table.addElement(header)
    last = len(block.rows) - 1
    for index, values in enumerate(block.rows):
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            style = styles.bold if block.bold_last and index == last else styles.small
            cell.addElement(_paragraph(styles, value, style))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    if block.caption:
        document.text.addElement(_paragraph(styles, block.caption, styles.note))


def _figure(document: Any, styles: _Styles, block: Figure, index: int) -> None:
    data = figures.png(block.chart, block.width)
    path = document.addPicture(f"Pictures/graphique-{index}.png", "image/png", data)
    spec = figures.spec(block.chart, block.width)
    width_cm = TEXT_WIDTH_CM * block.width
    ratio = _png_ratio(data) or (spec.get("width", 470) / 400)
    frame = Frame(stylename=styles.frame, width=f"{width_cm:.2f}cm",
                  height=f"{width_cm / ratio:.2f}cm", anchortype="as-char",
                  name=f"graphique-{index}")  # fmt: skip
    frame.addElement(Image(href=path))
    title = Title()
    title.addText(block.chart.title)
    frame.addElement(title)
    desc = Desc()
    desc.addText(block.chart.alt)
    frame.addElement(desc)
    paragraph = P(stylename=styles.body)
    paragraph.addElement(frame)
    document.text.addElement(paragraph)
    document.text.addElement(_paragraph(styles, block.chart.title, styles.note))


def _png_ratio(data: bytes) -> float | None:
    """Width / height of a PNG, from its header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    return width / height if height else None


def render_odt(blocks: list[Block], *, title: str, author: str, footer: str) -> bytes:
    """The ODT of ``blocks`` (A4, French)."""
    document = OpenDocumentText()
    styles = _Styles(document)
    document.meta.addElement(dc.Title(text=title))
    document.meta.addElement(dc.Creator(text=author))
    document.meta.addElement(dc.Language(text="fr-FR"))
    document.meta.addElement(meta.Keyword(text=footer))
    figure_count = 0
    for block in blocks:
        if isinstance(block, Cover):
            document.text.addElement(_paragraph(styles, block.kicker.upper(), styles.bold))
            document.text.addElement(_paragraph(styles, block.title, styles.title))
            document.text.addElement(_paragraph(styles, block.subtitle, styles.lead))
            for shown in block.lines:
                document.text.addElement(_paragraph(styles, shown))
            document.text.addElement(_paragraph(styles, block.note, styles.note))
        elif isinstance(block, Heading):
            style = styles.headings[-block.level if block.new_page else block.level]
            heading = H(outlinelevel=block.level, stylename=style)
            heading.addText(block.text)
            document.text.addElement(heading)
        elif isinstance(block, Para):
            style = {"lead": styles.lead, "note": styles.note}.get(block.style)
            document.text.addElement(_paragraph(styles, block.text, style, block.label))
        elif isinstance(block, Bullets):
            items = List()
            for value in block.items:
                item = ListItem()
                item.addElement(_paragraph(styles, value))
                items.addElement(item)
            document.text.addElement(items)
        elif isinstance(block, Table):
            _table(document, styles, block)
        elif isinstance(block, Answers):
            for line in block.lines:
                document.text.addElement(_paragraph(styles, line.question, styles.bold))
                paragraph = _paragraph(styles, line.answer, styles.bold)
                if line.descriptor:
                    paragraph.addElement(LineBreak())
                    _add_text(paragraph, line.descriptor, styles.italic)
                if line.evidence:
                    paragraph.addElement(LineBreak())
                    _add_text(paragraph, block.evidence_label + " ", styles.bold)
                    _add_text(paragraph, line.evidence, styles.small)
                document.text.addElement(paragraph)
        elif isinstance(block, Figure):
            figure_count += 1
            _figure(document, styles, block, figure_count)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()
