"""One assessment as a JSON file, to move it to another installation.

Export (:func:`export_answers`)::

    {"format": "ess-assessment-answers", "format_version": 1,
     "grid": {"id": ..., "version": ...},
     "campaign": {"year": 2026},
     "organisation": {"name": ..., "siren": ..., "rna": ...},   # for the reader only
     "status": "draft" | "submitted", "exported_at": "...",
     "answers": {question: {horizon: value}},
     "comments": {question: {horizon: comment}},                # the evidence
     "not_addressed": [item or question ids],
     "choice_reasons": {item: why this theme this year}}

Import (:func:`read_answers_json`) checks everything as the spreadsheet
import does, with the place of each problem as a path
(``answers.gouv-regles.current``), then goes through the same plan
(:mod:`assessment.exchange.importing`).  The organisation's identifiers in
the file are informational: the target is the one named on import.  The
reasons for the choice of themes are imported like answers (checked as typed
online; one that differs from the reason given online is a conflict).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from assessment import assessments
from assessment.answers import (
    AnswerError,
    check_not_addressed,
    check_not_applicable,
    normalize_value,
    plan_for,
)
from assessment.exchange.incoming import (
    ExchangeError,
    IncomingAnswers,
    campaign_for_year,
    clean_reason,
    reason_problem,
    require_same_grid,
)
from assessment.exchange.problems import ImportRefused, Problem, answer_problem_text
from assessment.french import typo
from assessment.grid import Grid
from assessment.organisations import get_organisation
from assessment.permissions import Action, Actor, require
from assessment.text_input import TextInputError

FORMAT = "ess-assessment-answers"
FORMAT_VERSION = 1
MAX_JSON_BYTES = 5 * 1024 * 1024


def require_exchange(engine: Engine, actor: Actor, organisation_id: int) -> None:
    """Only the organisation's admins (and the operator) move its answers as files."""
    organisation = get_organisation(engine, actor, organisation_id)
    require(actor, Action.EXCHANGE_ANSWERS, organisation.target)


def export_answers(engine: Engine, actor: Actor, organisation_id: int, year: int) -> bytes:
    """The organisation's assessment of ``year`` as UTF-8 JSON (see the module docstring)."""
    require_exchange(engine, actor, organisation_id)
    organisation = get_organisation(engine, actor, organisation_id)
    campaign = campaign_for_year(engine, year)
    state = assessments.find_assessment(engine, actor, organisation_id, campaign.id)
    if state is None:
        raise ExchangeError(
            typo(f"{organisation.name} n'a pas d'auto-évaluation pour la campagne {year}.")
        )
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "grid": {"id": state.grid_id, "version": state.grid_version},
        "campaign": {"year": year},
        "organisation": {
            "name": organisation.name,
            "siren": organisation.siren,
            "rna": organisation.rna,
        },
        "status": state.status,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "answers": state.answers,
        "comments": state.comments,
        "not_addressed": sorted(state.not_addressed),
        "choice_reasons": state.choice_reasons,
        "not_applicable": sorted(state.not_applicable),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def export_file_name(year: int, organisation_id: int) -> str:
    return f"auto-evaluation-{organisation_id}-{year}.json"


def _document(data: bytes) -> Mapping[str, Any]:
    if len(data) > MAX_JSON_BYTES:
        raise ImportRefused([Problem(f"le fichier dépasse {MAX_JSON_BYTES // (1024 * 1024)} Mo")])
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f" (ligne {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise ImportRefused([Problem(f"ce fichier n'est pas un JSON lisible{where}")]) from None
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise ImportRefused(
            [Problem("ce fichier n'est pas un export d'auto-évaluation de l'outil", cell="format")]
        )
    if document.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(
            [
                Problem(
                    f"version de format {document.get('format_version')!r} inconnue "
                    f"(attendue : {FORMAT_VERSION})",
                    cell="format_version",
                )
            ]
        )
    return document


def grid_of_file(data: bytes) -> tuple[str, str]:
    """The grid id and version a JSON export was made with."""
    grid = _document(data).get("grid")
    if not isinstance(grid, Mapping):
        raise ImportRefused([Problem("la grille n'est pas indiquée", cell="grid")])
    return str(grid.get("id")), str(grid.get("version"))


def read_answers_json(grid: Grid, data: bytes, versions: Sequence[Grid] = ()) -> IncomingAnswers:
    """The answers of a JSON export, checked against ``grid`` (every problem listed).  An
    export of another version among ``versions`` that ``replaces`` links to ``grid`` is
    read as that version's, then carried over
    (:meth:`~assessment.exchange.incoming.VersionBridge.translate`)."""
    document = _document(data)
    grid_id, version = grid_of_file(data)
    bridge = require_same_grid(grid_id, version, grid, where="grid.version", versions=versions)
    if bridge is not None:
        return bridge.translate(read_answers_json(bridge.source, data))
    incoming = IncomingAnswers(grid.id, grid.version)
    problems: list[Problem] = []
    for part in ("answers", "comments"):
        block = document.get(part, {})
        if not isinstance(block, Mapping):
            problems.append(Problem("un tableau question → horizon est attendu", cell=part))
            continue
        for question_id, per_horizon in block.items():
            if not isinstance(per_horizon, Mapping):
                problems.append(
                    Problem("un tableau horizon → valeur est attendu", cell=f"{part}.{question_id}")
                )
                continue
            for horizon_id, raw in per_horizon.items():
                where = f"{part}.{question_id}.{horizon_id}"
                key = (str(question_id), str(horizon_id))
                try:
                    if part == "answers":
                        value = normalize_value(grid, key[0], key[1], raw)
                    else:
                        normalize_value(grid, key[0], key[1], None)  # the cell exists
                        if not isinstance(raw, str):
                            problems.append(Problem("un texte est attendu", cell=where))
                            continue
                        value = raw.strip()
                        if len(value) > assessments.COMMENT_MAX_LENGTH:
                            problems.append(Problem("commentaire trop long", cell=where))
                            continue
                except AnswerError as error:  # unknown question or horizon, bad value...
                    problems.append(Problem(answer_problem_text(error), cell=where))
                    continue
                if value is None or value == "":
                    continue
                if part == "answers":
                    incoming.values[key] = value
                    incoming.where[key] = where
                else:
                    incoming.comments[key] = value
                    incoming.comment_where[key] = where
    marks = document.get("not_addressed", [])
    if not isinstance(marks, list):
        problems.append(Problem("une liste d'identifiants est attendue", cell="not_addressed"))
    else:
        for index, refused in enumerate(check_not_addressed(grid, marks)):
            problems.append(Problem(refused.message, cell=f"not_addressed[{index}]"))
        wanted = {m for m in marks if isinstance(m, str)}
        for ident in plan_for(grid).optional_ids:
            incoming.marks[ident] = ident in wanted
            incoming.where[ident] = "not_addressed"
    if "not_applicable" in document:
        chosen = document["not_applicable"]
        if not isinstance(chosen, list):
            problems.append(Problem("une liste d'identifiants est attendue", cell="not_applicable"))
        else:
            for index, refused in enumerate(check_not_applicable(grid, chosen)):
                problems.append(Problem(refused.message, cell=f"not_applicable[{index}]"))
            incoming.not_applicable = frozenset(c for c in chosen if isinstance(c, str))
    reasons = document.get("choice_reasons", {})
    if not isinstance(reasons, Mapping):
        problems.append(Problem("un tableau thème → raison est attendu", cell="choice_reasons"))
        reasons = {}
    item_ids = {item.id for item in grid.items}
    for item_id, raw in reasons.items():
        where = f"choice_reasons.{item_id}"
        if item_id not in item_ids:
            problems.append(Problem(f"« {item_id} » n'est pas un thème de la grille", cell=where))
            continue
        if not isinstance(raw, str):
            problems.append(Problem("un texte est attendu", cell=where))
            continue
        try:
            reason = clean_reason(raw)
        except TextInputError as refused:
            problems.append(Problem(reason_problem(refused), cell=where))
            continue
        if reason:
            incoming.reasons[item_id] = reason
            incoming.reason_where[item_id] = where
    if problems:
        raise ImportRefused(problems)
    return incoming
