"""``assessment score GRID ANSWERS``: score an answers file against a grid, as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml

from assessment.answers import check_not_applicable, not_applicable_ids, validate_answers
from assessment.grid import Grid
from assessment.profiles import PROFILE_FIELDS, Profile
from assessment.scoring import score

MAX_ANSWERS_BYTES = 5 * 1024 * 1024
"""Largest answers file read (5 MiB: a full assessment is a few tens of kilobytes)."""

ANSWERS_KEYS = ("grid", "version", "answers", "not_addressed", "not_applicable", "profile")


class AnswersFileError(Exception):
    """The answers file cannot be used; ``problems`` are printable French lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _NoAliasSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` refusing anchors/aliases: an answers file never needs them,
    and refusing them rules out "billion laughs" expansions."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "les alias YAML (*nom) ne sont pas acceptés", event.start_mark
            )
        return super().compose_node(parent, index)


def read_answers_file(path: Path, limit: int | None = None) -> Any:
    """Parse a YAML or JSON answers file without interpreting it.

    Files larger than ``limit`` bytes (default :data:`MAX_ANSWERS_BYTES`) are
    refused before being read whole; YAML anchors and aliases are refused.
    """
    if limit is None:
        limit = MAX_ANSWERS_BYTES
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as error:
        raise AnswersFileError([f"impossible de lire le fichier : {error.strerror}"]) from None
    if len(raw) > limit:
        raise AnswersFileError(
            [f"fichier trop volumineux : un fichier de réponses ne dépasse pas {limit} octets"]
        )
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise AnswersFileError(
            [f"le fichier n'est pas encodé en UTF-8 (octet {error.start})"]
        ) from None
    if not content.strip():
        raise AnswersFileError(["le fichier est vide"])
    if content.lstrip().startswith("{"):
        try:  # JSON is YAML, but json is stricter about what YAML dislikes (tabs...)
            return json.loads(content)
        except (json.JSONDecodeError, RecursionError):
            pass
    try:
        return yaml.load(content, Loader=_NoAliasSafeLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (ligne {mark.line + 1}, colonne {mark.column + 1})" if mark else ""
        problem = error.problem or error.context or "syntaxe invalide"
        raise AnswersFileError([f"erreur de syntaxe YAML{where} : {problem}"]) from None
    except (yaml.YAMLError, RecursionError):
        raise AnswersFileError(["erreur de syntaxe YAML : fichier illisible"]) from None


def parse_answers_document(
    grid: Grid, document: Any
) -> tuple[dict[str, Any], list[str] | None, list[str]]:
    """Check the envelope of an answers document: ``(answers, not_addressed, problems)``."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise AnswersFileError(
            ["le fichier doit contenir une table avec « grid: », « answers: » "
             "et éventuellement « not_addressed: »"]
        )  # fmt: skip
    for key in document:
        if key not in ANSWERS_KEYS:
            problems.append(f"clé inconnue « {key} » (clés possibles : {', '.join(ANSWERS_KEYS)})")
    grid_id = document.get("grid")
    if grid_id is None:
        problems.append(f"clé « grid » manquante : indiquez l'identifiant de la grille ({grid.id})")
    elif grid_id != grid.id:
        problems.append(f"ces réponses sont pour la grille « {grid_id} », pas « {grid.id} »")
    version = document.get("version")
    if version is not None and str(version) != grid.version:
        problems.append(
            f"ces réponses sont pour la version « {version} » de la grille, pas « {grid.version} »"
        )
    answers = document.get("answers")
    if answers is None:
        answers = {}
    elif not isinstance(answers, dict):
        problems.append("« answers » doit être une table question → horizon → valeur")
        answers = {}
    raw_not_addressed = document.get("not_addressed")
    not_addressed: list[str] | None = None
    if raw_not_addressed is not None:
        if isinstance(raw_not_addressed, list) and all(
            isinstance(x, str) for x in raw_not_addressed
        ):
            not_addressed = raw_not_addressed
        else:
            problems.append(
                "« not_addressed » doit être une liste d'identifiants de thèmes ou de questions"
            )
    return answers, not_addressed, problems


def parse_applicability(grid: Grid, document: Any) -> tuple[frozenset[str], list[str]]:
    """The questions « non applicable » of an answers document: by its ``profile``
    (``{legal_family, size_band}``, the grid's ``applies_to``) and its
    ``not_applicable`` list; ``(ids, problems)``."""
    problems: list[str] = []
    if not isinstance(document, dict):
        return frozenset(), problems
    profile: Profile | None = None
    raw_profile = document.get("profile")
    if raw_profile is not None:
        if not isinstance(raw_profile, dict):
            problems.append("« profile » doit être une table (legal_family, size_band)")
        else:
            values: dict[str, str | None] = {}
            for key, value in raw_profile.items():
                allowed = PROFILE_FIELDS.get(str(key))
                if allowed is None:
                    problems.append(
                        f"« profile » : clé inconnue « {key} » (clés possibles : "
                        f"{', '.join(PROFILE_FIELDS)})"
                    )
                elif str(value) not in allowed:
                    problems.append(
                        f"« profile » : « {value} » n'est pas une valeur de « {key} » "
                        f"(valeurs possibles : {', '.join(allowed)})"
                    )
                else:
                    values[str(key)] = str(value)
            profile = Profile(values.get("legal_family"), values.get("size_band"))
    chosen = document.get("not_applicable") or []
    if not isinstance(chosen, list):
        problems.append("« not_applicable » doit être une liste d'identifiants de questions")
        chosen = []
    problems += [error.message for error in check_not_applicable(grid, chosen)]
    return not_applicable_ids(grid, profile, [c for c in chosen if isinstance(c, str)]), problems


def _load_grid(path: Path) -> Grid:
    from assessment.gridfile import GridError, load_grid

    try:
        return load_grid(path)
    except GridError as error:
        raise AnswersFileError([str(p) for p in error.problems]) from None


@click.command("score")
@click.argument(
    "grid_path",
    metavar="GRID",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.argument(
    "answers_path",
    metavar="ANSWERS",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
def score_command(grid_path: Path, answers_path: Path) -> None:
    """Calcule les scores des réponses ANSWERS sur la grille GRID (JSON).

    GRID est un fichier de grille YAML.  ANSWERS est un fichier YAML ou JSON
    {grid: ID, answers: {QUESTION: {HORIZON: valeur}}, not_addressed: [ids]}
    (version, profile: {legal_family, size_band} et not_applicable: [ids]
    facultatifs : les questions « non applicables » sont hors des scores).
    Les scores vont de 0 à 100, non arrondis, null quand il n'y a rien à noter.
    Les réponses qui ne correspondent pas à la grille sont toutes signalées
    sur la sortie d'erreur, code de sortie 1.
    """
    try:
        grid = _load_grid(grid_path)
    except AnswersFileError as error:  # problems already name the file, line and column
        _fail(error.problems, "la grille n'est pas valide")
    try:
        document = read_answers_file(answers_path)
        answers, not_addressed, problems = parse_answers_document(grid, document)
        not_applicable, more = parse_applicability(grid, document)
        problems += more
    except AnswersFileError as error:
        _fail([f"{answers_path}: {p}" for p in error.problems], "fichier de réponses inutilisable")
    clean, errors = validate_answers(grid, answers, not_addressed)
    problems += [error.message for error in errors]
    if problems:
        _fail(
            [f"{answers_path}: {p}" for p in problems],
            f"les réponses ne correspondent pas à la grille {grid.key}",
        )
    report = score(grid, clean, frozenset(not_addressed or ()), not_applicable)
    click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))


def _fail(lines: list[str], summary: str) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    count = len(lines)
    click.echo(f"{count} erreur{'s' if count > 1 else ''} : {summary}", err=True)
    raise SystemExit(1)


COMMANDS: list[click.Command] = [score_command]
