"""Read back the HTML tables the pages draw with :func:`assessment.web.screen.frame_table`
(AppTest gives an ``st.html`` element's source)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"caption": "", "rows": [], "row_headers": 0})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = []
            if tag == "th" and dict(attrs).get("scope") == "row":
                self.tables[-1]["row_headers"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = "".join(self._caption)
            self._caption = None
        elif tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def html_tables(at: Any) -> list[dict[str, Any]]:
    """Every HTML table of the run: ``{"caption", "header", "records", "row_headers"}``,
    records as dicts keyed by header, in page order."""
    out = []
    for element in at.html:
        parser = _Tables()
        parser.feed(str(element.proto.body))
        for table in parser.tables:
            header, *rows = table["rows"]
            out.append(
                {
                    "caption": table["caption"],
                    "header": header,
                    "records": [dict(zip(header, row, strict=True)) for row in rows],
                    "row_headers": table["row_headers"],
                }
            )
    return out


def table_with(at: Any, caption_start: str) -> dict[str, Any]:
    return next(t for t in html_tables(at) if t["caption"].startswith(caption_start))
