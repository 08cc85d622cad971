"""Reading a filled spreadsheet template back (see :mod:`assessment.exchange.template`).

:func:`read_template` checks *every* cell and either returns the answers
(:class:`~assessment.exchange.incoming.IncomingAnswers`) or raises
:class:`~assessment.exchange.problems.ImportRefused` listing each cell that
does not fit — sheet, cell, what is wrong, in French: a value off the scale,
text in an indicator, a removed or unknown row, a renamed or missing sheet, a
moved column, a template of another grid or grid version.  Empty cells mean
"nothing to say": they never clear an answer.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from assessment.answers import AnswerError, normalize_value
from assessment.assessments import COMMENT_MAX_LENGTH
from assessment.errors import UserError
from assessment.exchange import template as layout
from assessment.exchange.incoming import (
    IncomingAnswers,
    VersionBridge,
    clean_reason,
    reason_problem,
    require_same_grid,
)
from assessment.exchange.problems import ImportRefused, Problem, answer_problem_text
from assessment.french import NumberParseError, number, parse_number, typo
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    Question,
    TextQuestion,
    YesNoQuestion,
    text,
)
from assessment.text_input import TextInputError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 2000
"""Rows read per sheet at most (a template has one per question)."""
_LEVEL_PREFIX = re.compile(r"^\s*(-?\d+)\s*(?:[–—-].*)?$", re.DOTALL)
_YES = {"oui", "o", "yes", "vrai", "true", "x"}
_NO = {"non", "n", "no", "faux", "false"}


class _Bad(UserError):
    """A cell that does not fit (``message`` is French); becomes a located :class:`Problem`."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    if isinstance(value, str):
        shown = value.strip()
        return f"« {shown[:40]}{'…' if len(shown) > 40 else ''} »"
    if isinstance(value, datetime | date):
        return f"la date {value:%d/%m/%Y}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value, 6)
    return str(value)


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _level(grid: Grid, raw: Any) -> Any:
    if isinstance(raw, bool):
        raise _Bad(f"{_shown(raw)} n'est pas un niveau de l'échelle")
    if isinstance(raw, int | float):
        return int(raw) if float(raw).is_integer() else raw
    if isinstance(raw, str):
        match = _LEVEL_PREFIX.match(raw)
        if match:
            return int(match.group(1))
        wanted = _fold(raw)
        for level in grid.scale:
            if _fold(text(level.label, grid.language)) == wanted:
                return level.value
    levels = ", ".join(layout.level_label(grid, v) for v in grid.scale_values)
    raise _Bad(f"{_shown(raw)} n'est pas un niveau de l'échelle ({levels})")


def _number(question: NumberQuestion, raw: Any) -> Any:
    if isinstance(raw, bool | datetime | date | time):
        raise _Bad(f"un nombre est attendu, pas {_shown(raw)}")
    if isinstance(raw, int | float):
        return raw
    try:
        value = parse_number(str(raw))
    except NumberParseError:
        raise _Bad(f"un nombre est attendu, pas {_shown(raw)}") from None
    return int(value) if question.integer and value.is_integer() else value


def _yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        folded = _fold(raw)
        if folded in _YES:
            return True
        if folded in _NO:
            return False
    raise _Bad(f"Oui ou Non est attendu, pas {_shown(raw)}")


def _choice(grid: Grid, question: ChoiceQuestion, raw: Any) -> Any:
    by_label = {_fold(text(o.label, grid.language)): o.value for o in question.options}
    by_value = {o.value.casefold(): o.value for o in question.options}

    def one(part: str) -> str:
        folded = _fold(part)
        found = by_label.get(folded) or by_value.get(folded)
        if found is None:
            options = " ; ".join(text(o.label, grid.language) for o in question.options)
            raise _Bad(f"{_shown(part)} n'est pas une option de la question ({options})")
        return found

    if not isinstance(raw, str):
        raw = str(raw)
    if question.multiple:
        return [one(p) for p in raw.split(";") if p.strip()]
    return one(raw)


def _text(raw: Any) -> str:
    if isinstance(raw, datetime | date):
        return f"{raw:%d/%m/%Y}"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def parse_value(grid: Grid, question: Question, horizon_id: str, raw: Any) -> Any:
    """A cell's value as the grid stores it; ``_Bad`` with a French reason otherwise."""
    if isinstance(question, LevelQuestion):
        value = _level(grid, raw)
    elif isinstance(question, NumberQuestion):
        value = _number(question, raw)
    elif isinstance(question, YesNoQuestion):
        value = _yes_no(raw)
    elif isinstance(question, ChoiceQuestion):
        value = _choice(grid, question, raw)
    elif isinstance(question, TextQuestion):
        value = _text(raw)
    else:  # pragma: no cover - exhaustive over question types
        value = raw
    try:
        return normalize_value(grid, question.id, horizon_id, value)
    except AnswerError as error:
        raise _Bad(answer_problem_text(error)) from None


# ---------------------------------------------------------------------------
# the workbook
# ---------------------------------------------------------------------------


def _open(data: bytes) -> Any:
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            [Problem(typo(f"le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo"))]
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise ImportRefused([Problem("le classeur décompressé est trop volumineux")])
        return load_workbook(io.BytesIO(data), data_only=True)
    except ImportRefused:
        raise
    except Exception:  # any unreadable file: zip, XML, openpyxl errors
        raise ImportRefused(
            [Problem("ce fichier n'est pas un classeur XLSX lisible (modèle de tableur attendu)")]
        ) from None


def _meta(workbook: Any, grid: Grid, versions: Sequence[Grid]) -> VersionBridge | None:
    if layout.README_SHEET not in workbook.sheetnames:
        raise ImportRefused(
            [
                Problem(
                    f"feuille « {layout.README_SHEET} » introuvable : ce fichier n'est pas un "
                    "modèle de tableur de l'outil, ou elle a été renommée",
                    sheet=layout.README_SHEET,
                )
            ]
        )
    sheet = workbook[layout.README_SHEET]
    values = {key: sheet[cell].value for key, cell in layout.META_CELLS.items()}
    if values["format"] != layout.TEMPLATE_FORMAT:
        raise ImportRefused(
            [
                Problem(
                    "ce fichier n'est pas un modèle de tableur de l'outil (format inconnu)",
                    sheet=layout.README_SHEET,
                    cell=layout.META_CELLS["format"],
                )
            ]
        )
    cell = layout.META_CELLS["grid_id" if values["grid_id"] != grid.id else "grid_version"]
    where = typo(f"Feuille « {layout.README_SHEET} », cellule {cell}")
    return require_same_grid(
        str(values["grid_id"]), str(values["grid_version"]), grid, where=where, versions=versions
    )


def _check_headers(sheet: Worksheet, grid: Grid, problems: list[Problem]) -> bool:
    ok = True
    for index, expected in enumerate(layout.header_row(grid), start=1):
        found = sheet.cell(row=layout.HEADER_ROW, column=index).value
        if not isinstance(found, str) or found.strip() != expected:
            ok = False
            problems.append(
                Problem(
                    f"en-tête « {expected} » attendu, trouvé {_shown(found) if found else 'rien'}"
                    " (colonne ajoutée, supprimée ou déplacée ?)",
                    sheet=sheet.title,
                    cell=sheet.cell(row=layout.HEADER_ROW, column=index).coordinate,
                )
            )
    return ok


def _read_section(
    sheet: Worksheet,
    grid: Grid,
    section: layout.Section,
    incoming: IncomingAnswers,
    problems: list[Problem],
) -> None:
    name = sheet.title
    found_id = sheet.cell(row=layout.THEME_ROW, column=layout.ID_COLUMN).value
    if found_id != section.id:
        problems.append(
            Problem(
                f"cette feuille devrait être celle du thème « {section.title} » "
                f"(identifiant {section.id}), elle porte "
                f"{_shown(found_id) if found_id else 'rien'}",
                sheet=name,
                cell=f"A{layout.THEME_ROW}",
            )
        )
        return
    if not _check_headers(sheet, grid, problems):
        return
    item = section.item
    if item is not None and item.optional:
        raw = sheet[layout.ADDRESSED_CELL].value
        if not _blank(raw):
            try:
                addressed = _yes_no(raw)
            except _Bad as bad:
                problems.append(Problem(bad.message, sheet=name, cell=layout.ADDRESSED_CELL))
            else:
                incoming.marks[item.id] = not addressed
                incoming.where[item.id] = f"{name}!{layout.ADDRESSED_CELL}"
    if item is not None:
        raw = sheet[layout.REASON_CELL].value
        if not _blank(raw):
            try:
                reason = clean_reason(_text(raw))
            except TextInputError as refused:
                problems.append(
                    Problem(reason_problem(refused), sheet=name, cell=layout.REASON_CELL)
                )
            else:
                incoming.reasons[item.id] = reason
                incoming.reason_where[item.id] = f"{name}!{layout.REASON_CELL}"
    cols = layout.columns(grid)
    expected_rows = {q.id: row for row, q in layout.question_rows(section)}
    questions = {q.id: q for q in section.questions}
    seen: dict[str, int] = {}
    last_row = min(sheet.max_row, layout.FIRST_ROW + MAX_ROWS)
    for row in range(layout.FIRST_ROW, last_row + 1):
        qid = sheet.cell(row=row, column=layout.ID_COLUMN).value
        inputs = [sheet.cell(row=row, column=c.index) for c in cols if c.kind != "help"]
        if _blank(qid):
            if any(not _blank(c.value) for c in inputs):
                problems.append(
                    Problem(
                        "ligne sans identifiant de question (colonne A masquée) : "
                        "ses réponses ne peuvent être rattachées à aucune question",
                        sheet=name,
                        cell=f"A{row}",
                    )
                )
            continue
        qid = str(qid).strip()
        question = questions.get(qid)
        if question is None:
            problems.append(
                Problem(
                    f"identifiant de question inconnu dans ce thème : {_shown(qid)}",
                    sheet=name,
                    cell=f"A{row}",
                )
            )
            continue
        if qid in seen:
            problems.append(
                Problem(
                    f"la question {qid} figure déjà ligne {seen[qid]} (ligne copiée ?)",
                    sheet=name,
                    cell=f"A{row}",
                )
            )
            continue
        seen[qid] = row
        horizons = layout.asked(grid, question)
        for column in cols:
            cell = sheet.cell(row=row, column=column.index)
            raw = cell.value
            if column.kind == "help" or _blank(raw):
                continue
            where = f"{name}!{cell.coordinate}"
            if column.kind == "not_addressed":
                if not question.optional:
                    problems.append(
                        Problem(
                            "cette question n'est pas facultative : elle ne peut pas être "
                            "marquée « non traité cette année »",
                            sheet=name,
                            cell=cell.coordinate,
                        )
                    )
                    continue
                folded = _fold(str(raw))
                if folded in (_fold(layout.NOT_ADDRESSED_MARK), *_YES):
                    incoming.marks[qid] = True
                    incoming.where[qid] = where
                elif folded not in _NO:
                    problems.append(
                        Problem(
                            f"« {layout.NOT_ADDRESSED_MARK} » ou rien est attendu, pas "
                            f"{_shown(raw)}",
                            sheet=name,
                            cell=cell.coordinate,
                        )
                    )
                continue
            assert column.horizon_id is not None
            key = (qid, column.horizon_id)
            if column.horizon_id not in horizons:
                problems.append(
                    Problem(
                        f"cette question n'est pas posée pour l'horizon « {column.header} » "
                        "(cellule grise)",
                        sheet=name,
                        cell=cell.coordinate,
                    )
                )
                continue
            if column.kind == "comment":
                comment = _text(raw).strip()
                if len(comment) > COMMENT_MAX_LENGTH:
                    problems.append(
                        Problem(
                            f"le commentaire fait {number(len(comment))} caractères, au-delà "
                            f"de {number(COMMENT_MAX_LENGTH)}",
                            sheet=name,
                            cell=cell.coordinate,
                        )
                    )
                elif comment:
                    incoming.comments[key] = comment
                    incoming.comment_where[key] = where
                continue
            try:
                value = parse_value(grid, question, column.horizon_id, raw)
            except _Bad as bad:
                problems.append(Problem(bad.message, sheet=name, cell=cell.coordinate))
                continue
            if value is not None:
                incoming.values[key] = value
                incoming.where[key] = where
    for qid, row in expected_rows.items():
        question = questions[qid]
        if qid not in seen:
            problems.append(
                Problem(
                    f"la ligne de la question « {text(question.label, grid.language)} » "
                    f"({qid}) manque : ligne supprimée ? Téléchargez un nouveau modèle ou "
                    "rétablissez-la",
                    sheet=name,
                    cell=f"A{row}",
                )
            )


def read_template(grid: Grid, data: bytes, versions: Sequence[Grid] = ()) -> IncomingAnswers:
    """The answers of a filled template of ``grid``; :class:`ImportRefused` listing every
    cell that does not fit, or an :class:`~assessment.exchange.incoming.ExchangeError`
    for a template of another grid or version.  A template of another version among
    ``versions`` that ``replaces`` links to ``grid`` is read as that version's, then
    carried over (:meth:`~assessment.exchange.incoming.VersionBridge.translate`)."""
    workbook = _open(data)
    bridge = _meta(workbook, grid, versions)
    if bridge is not None:
        return bridge.translate(read_template(bridge.source, data))
    incoming = IncomingAnswers(grid.id, grid.version)
    problems: list[Problem] = []
    expected = layout.sections(grid)
    names = set(workbook.sheetnames)
    for section in expected:
        if section.sheet not in names:
            problems.append(
                Problem(
                    f"feuille « {section.sheet} » (thème « {section.title} ») introuvable : "
                    "elle a été renommée ou supprimée",
                    sheet=section.sheet,
                )
            )
            continue
        _read_section(workbook[section.sheet], grid, section, incoming, problems)
    known = {s.sheet for s in expected} | {layout.README_SHEET, layout.LISTS_SHEET}
    for extra in workbook.sheetnames:
        if extra not in known:
            problems.append(
                Problem(
                    "feuille inconnue du modèle (une feuille de thème renommée ?) : "
                    "son contenu ne serait pas importé",
                    sheet=extra,
                )
            )
    if problems:
        raise ImportRefused(problems)
    return incoming
