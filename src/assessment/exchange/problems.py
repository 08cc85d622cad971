"""What an import refuses, located: a sheet and a cell, or a place in a JSON file.

Every problem is French and names where it is, so that the person who filled
the file can fix it there.  An import collects *every* problem before saying
anything and writes nothing while there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assessment.answers import AnswerError
from assessment.errors import UserError
from assessment.french import plural, typo

MAX_LISTED = 50
"""At most this many problems in an error's message (all are kept in ``problems``)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that does not fit, at ``sheet``/``cell`` (spreadsheet) or ``cell`` alone
    (a JSON path such as ``answers.gouv-regles.current``)."""

    message: str
    sheet: str | None = None
    cell: str | None = None

    @property
    def where(self) -> str:
        if self.sheet is not None and self.cell is not None:
            return typo(f"feuille « {self.sheet} », cellule {self.cell}")
        if self.sheet is not None:
            return typo(f"feuille « {self.sheet} »")
        if self.cell is not None:
            return self.cell
        return ""

    def __str__(self) -> str:
        where = self.where
        text = typo(self.message)
        return typo(f"{where[0].upper()}{where[1:]} : {text}") if where else text


class ImportRefused(UserError):
    """Nothing was imported: ``problems`` says every cell (or field) that does not fit."""

    def __init__(self, problems: Sequence[Problem], *, intro: str | None = None) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = intro or typo(f"{plural(count, 'problème')} dans le fichier : rien n'a été importé.")
        shown = [f"- {p}" for p in self.problems[:MAX_LISTED]]
        if count > MAX_LISTED:
            shown.append(f"- … et {count - MAX_LISTED} autres")
        super().__init__("\n".join([head, *shown]))


def answer_problem_text(error: AnswerError) -> str:
    """The body of an :class:`AnswerError` without its ``question (horizon) :`` prefix."""
    message = error.message
    if error.question_id is not None and " : " in message:
        return message.split(" : ", 1)[1]
    return message
