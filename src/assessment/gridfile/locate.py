"""The locator: pydantic errors and semantic issues as located French messages.

Each error ``loc`` of pydantic is followed through the data actually read
(discriminator tags and union branches skipped) back to the YAML node it comes
from (:class:`~assessment.gridfile.problems.Pos`), then worded from the
catalogue of :mod:`assessment.messages`, with hints (a ``yes`` read as a
boolean, a number that should be quoted, the closest known key...).
"""

from __future__ import annotations

import inspect
import re
import types
import typing
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from assessment.grid import QUESTION_TYPES, ChoiceQuestion, Grid, Question, SemanticIssue
from assessment.gridfile.problems import MAX_PROBLEMS, Pos, Report, walk_positions
from assessment.gridfile.reader import INVALID, Builder
from assessment.messages import describe, did_you_mean, join_or, render, show_value

_TYPE_WANTS = {
    "string_type": "string",
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "list_type": "list",
    "tuple_type": "list",
    "dict_type": "mapping",
    "model_type": "mapping",
    "model_attributes_type": "mapping",
}
_ID_PATTERN = "^[a-z0-9][a-z0-9_-]{0,62}$"
_LANG_PATTERN = "^[a-z]{2}$"
_SMALL = {"greater_than_equal": "ge", "greater_than": "gt"}
_LARGE = {"less_than_equal": "le", "less_than": "lt"}


@dataclass
class _Error:
    """A pydantic error resolved against the data actually read."""

    type: str
    path: tuple[Any, ...]
    value: Any
    pos: Pos
    loc: tuple[Any, ...]
    ctx: dict[str, Any]
    msg: str
    missing: str | None = None
    on_key: bool = False
    branch: tuple[Any, ...] | None = None


def _resolve(raw: dict[str, Any], data: Any, root: Pos) -> _Error:
    """Follow ``loc`` through the data, skipping discriminator tags and union branches."""
    loc = tuple(raw["loc"])
    value, pos, path = data, root, []
    missing: str | None = None
    on_key = False
    branch: tuple[Any, ...] | None = None
    for index, part in enumerate(loc):
        if part == "[key]":
            on_key = True
            continue
        if isinstance(value, dict):
            if part in QUESTION_TYPES and value.get("type") == part:
                continue
            key = _data_key(value, part)
            if key is not INVALID and pos.child(key) is not None:
                value, pos = value[key], pos.child(key)  # type: ignore[assignment]
                path.append(key)
                continue
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value, pos = value[part], pos.children[part]  # type: ignore[index]
            path.append(part)
            continue
        if raw["type"] == "missing" and index == len(loc) - 1:
            missing = str(part)
        elif branch is None:
            branch = tuple(path)
    if on_key and path:
        value = path[-1]  # the error is about the key itself
    return _Error(
        type=raw["type"],
        path=tuple(path),
        value=value,
        pos=pos,
        loc=loc,
        ctx=dict(raw.get("ctx") or {}),
        msg=str(raw.get("msg", "")),
        missing=missing,
        on_key=on_key,
        branch=branch,
    )


def _data_key(mapping: dict[Any, Any], part: Any) -> Any:
    if part in mapping:
        return part
    if not isinstance(part, str) and str(part) in mapping:
        return str(part)
    return INVALID


def _is_type_mismatch(error: _Error) -> bool:
    return error.type in _TYPE_WANTS and error.path == error.branch


def _merge_union_errors(errors: list[_Error]) -> list[_Error | list[_Error]]:
    """Group errors from the branches of one union into a single report.

    When some branch got past the type check (the value *is* a text, or a
    table...) only that branch's errors are kept; when none did, the type
    mismatches are merged into one "X or Y expected" error.
    """
    groups: dict[tuple[Any, ...], list[_Error]] = {}
    out: list[_Error | list[_Error]] = []
    for error in errors:
        if error.branch is None:
            out.append(error)
        else:
            groups.setdefault(error.branch, []).append(error)
    for group in groups.values():
        deeper = [e for e in group if not _is_type_mismatch(e)]
        if deeper:
            out.extend(deeper)
        else:
            out.append(group)
    return out


class Locator:
    """Turns pydantic errors and semantic issues into located problems."""

    def __init__(self, report: Report, data: Any, root: Pos, builder: Builder) -> None:
        self.report, self.data, self.root = report, data, root
        self.bool_words = {w.path: w for w in builder.bool_words}
        self.broken = builder.broken
        self.hinted: set[tuple[Any, ...]] = set()
        self.first_ids: dict[tuple[Any, ...], dict[Any, tuple[Any, ...]]] = {}
        self.questions_by_id: dict[str, Question] = {}
        """First question of each id: the one conditions refer to."""

    # -- helpers --------------------------------------------------------
    def _hint(self, path: tuple[Any, ...], value: Any, pos: Pos, *, text_wanted: bool) -> str:
        word = self.bool_words.get(path)
        if word is not None:
            self.hinted.add(path)
            return render("hint_bool_word", raw=word.raw)
        if text_wanted and pos.raw and isinstance(value, int | float) and pos.raw.strip():
            return render("hint_quote", raw=pos.raw)
        return ""

    def _subtree_hint(self, path: tuple[Any, ...]) -> str:
        for word_path, word in self.bool_words.items():
            if word_path[: len(path)] == path:
                self.hinted.add(word_path)
                return render("hint_bool_word", raw=word.raw)
        return ""

    def _add(self, code: str, where: tuple[int, int], path: tuple[Any, ...], **params: Any) -> None:
        self.report.add(code, where, path, **params)

    # -- pydantic --------------------------------------------------------
    def pydantic(self, raw_errors: list[Any]) -> None:
        errors = [_resolve(e, self.data, self.root) for e in raw_errors]
        errors = [e for e in errors if not self._already_reported(e.path)]
        for entry in _merge_union_errors(errors):
            if isinstance(entry, list):
                self._wrong_type(entry[0], [_TYPE_WANTS[e.type] for e in entry], entry)
            else:
                self._one(entry)

    def _already_reported(self, path: tuple[Any, ...]) -> bool:
        return any(path[:n] in self.broken for n in range(len(path) + 1))

    def _wrong_type(self, error: _Error, wants: list[str], group: list[_Error]) -> None:
        distinct = list(dict.fromkeys(wants))
        branches = [str(e.loc[-1]) for e in group if e.loc]
        if set(distinct) == {"string", "mapping"} and any("dict[" in b for b in branches):
            code = "expected_text"
        elif {"string", "boolean"} <= set(distinct) and len(distinct) >= 3:
            code = "expected_scalar"
        elif len(distinct) == 1:
            code = f"expected_{distinct[0]}"
        else:
            code = "expected_one_of"
        text_wanted = code in {"expected_string", "expected_text", "expected_scalar"}
        hint = self._hint(error.path, error.value, error.pos, text_wanted=text_wanted)
        where = error.pos.key_or_value if error.on_key else (error.pos.line, error.pos.column)
        expected = join_or(render(f"want_{w}") for w in distinct)
        self._add(
            code, where, error.path, found=describe(error.value), hint=hint, expected=expected
        )

    def _one(self, error: _Error) -> None:
        """Report one pydantic error, by type."""
        value_where = (error.pos.line, error.pos.column)
        key_where = error.pos.key_or_value
        kind, path, ctx = error.type, error.path, error.ctx
        if kind == "missing":
            self._add("missing_key", value_where, (*path, error.missing or "?"))
        elif kind in ("extra_forbidden", "invalid_key"):
            self._unknown_key(error)
        elif kind in _TYPE_WANTS:
            self._wrong_type(error, [_TYPE_WANTS[kind]], [error])
        elif kind == "union_tag_invalid":
            tag = ctx.get("tag", "")
            type_pos = error.pos.child("type") or error.pos
            self._add(
                "unknown_question_type",
                (type_pos.line, type_pos.column),
                (*path, "type"),
                type=tag,
                suggestion=did_you_mean(tag, QUESTION_TYPES),
                known=list(QUESTION_TYPES),
            )
        elif kind == "union_tag_not_found":
            self._add("missing_question_type", value_where, (*path, "type"), known=QUESTION_TYPES)
        elif kind == "string_pattern_mismatch":
            self._pattern(error, key_where if error.on_key else value_where)
        elif kind == "string_too_short":
            self._add("empty_text", value_where, path)
        elif kind == "string_too_long":
            limit = ctx.get("max_length", "?")
            self._add("text_too_long", value_where, path, length=len(str(error.value)), limit=limit)
        elif kind in _SMALL or kind in _LARGE:
            code = "value_too_small" if kind in _SMALL else "value_too_large"
            limit = ctx.get(_SMALL.get(kind) or _LARGE[kind])
            self._add(code, value_where, path, value=error.value, limit=limit)
        elif kind == "too_short":
            actual = ctx.get("actual_length", "?")
            self._add("too_few", value_where, path, minimum=ctx.get("min_length"), actual=actual)
        elif kind == "too_long":
            actual = ctx.get("actual_length", "?")
            self._add("too_many", value_where, path, maximum=ctx.get("max_length"), actual=actual)
        elif kind == "literal_error":
            expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            suggestion = did_you_mean(error.value, expected)
            self._add(
                "bad_choice",
                value_where,
                path,
                value=error.value,
                suggestion=suggestion,
                expected=expected,
            )
        elif kind == "value_error":
            self._value_error(error)
        else:
            self._add("invalid", value_where, path, detail=error.msg)

    def _unknown_key(self, error: _Error) -> None:
        key = error.path[-1] if error.path else error.loc[-1]
        fields = _fields_at(error.loc[:-1])
        suggestion = did_you_mean(key, fields)
        if not suggestion and fields:
            suggestion = render("allowed_keys", keys=fields)
        self._add(
            "unknown_key", error.pos.key_or_value, error.path[:-1], key=key, suggestion=suggestion
        )

    def _pattern(self, error: _Error, where: tuple[int, int]) -> None:
        pattern = str(error.ctx.get("pattern", ""))
        value = error.value
        if pattern == _ID_PATTERN:
            slug = _slug(str(value))
            suggestion = render("did_you_mean", word=slug) if slug and slug != value else ""
            self._add("bad_id", where, error.path, value=value, suggestion=suggestion)
        elif pattern == _LANG_PATTERN:
            self._add("bad_language", where, error.path, value=value)
        else:
            self._add("bad_pattern", where, error.path, value=value, pattern=pattern)

    def _value_error(self, error: _Error) -> None:
        token = str(error.ctx.get("error", ""))
        value, path, pos = error.value, error.path, error.pos
        where = (pos.line, pos.column)
        if token == "version_not_string":
            if isinstance(value, list | dict):
                self._wrong_type(error, ["string"], [error])
                return
            raw = pos.raw if pos.raw else show_value(value)
            self._add(token, where, path, raw=raw)
        elif token == "number_bounds_reversed" and isinstance(value, dict):
            spot, spot_path = (pos.child("min"), (*path, "min")) if "min" in value else (pos, path)
            assert spot is not None
            bounds = {"min": value.get("min"), "max": value.get("max")}
            self._add(token, (spot.line, spot.column), spot_path, **bounds)
        elif token == "number_score_flat" and isinstance(value, dict):
            self._add(token, where, path, value=value.get("best"))
        elif token == "condition_needs_one_test":
            self._add(token, where, path)
        else:
            self._add("invalid", where, path, detail=error.msg)

    # -- semantic issues -------------------------------------------------
    def semantic(self, issues: list[SemanticIssue], grid: Grid) -> None:
        """Report the issues found across the grid, in document order."""
        self_loops = {i.path[:-1] for i in issues if i.code == "condition_self"}
        located = [
            (issue, walk_positions(self.root, issue.path))
            for issue in issues
            if not (issue.code == "condition_cycle" and issue.path in self_loops)
        ]
        located.sort(key=lambda entry: (entry[1].line, entry[1].column))
        for count, (issue, pos) in enumerate(located):
            where = (
                pos.key_or_value if issue.code == "level_not_on_scale" else (pos.line, pos.column)
            )
            # only the problems that will be shown get suggestions: keeps huge files fast
            params = self._semantic_params(issue, grid) if count < MAX_PROBLEMS else issue.params
            self._add(issue.code, where, issue.path, **params)

    def _semantic_params(self, issue: SemanticIssue, grid: Grid) -> dict[str, Any]:
        params = dict(issue.params)
        code = issue.code
        if not self.questions_by_id:
            for _, question in grid.questions():
                self.questions_by_id.setdefault(question.id, question)
        question_ids = list(self.questions_by_id)
        if code == "duplicate_id":
            params["kind"] = render(f"kind_{params.get('kind', 'question')}")
            line = self._first_occurrence(issue)
            params["first"] = render("first_seen", line=line) if line else ""
        elif code == "unknown_horizon":
            params["known"] = list(dict.fromkeys(grid.horizon_ids))
            params["suggestion"] = did_you_mean(params.get("horizon"), grid.horizon_ids)
        elif code == "condition_unknown_question":
            params["suggestion"] = did_you_mean(params.get("question"), question_ids)
        elif code in ("condition_unknown_horizon", "condition_unknown_option"):
            target = self.questions_by_id[str(params.get("question"))]
            params["known"] = grid.question_horizons(target)
            if isinstance(target, ChoiceQuestion):
                options = list(dict.fromkeys(o.value for o in target.options))
                params["options"] = options
                params["suggestion"] = did_you_mean(show_value(params.get("value")), options)
            params["hint"] = self._subtree_hint(issue.path)
        elif code == "applies_to_unknown_value":
            params["suggestion"] = did_you_mean(params.get("value"), params.get("known", ()))
        elif code == "condition_value_off_scale":
            params["scale"] = grid.scale_values
            params["hint"] = self._subtree_hint(issue.path)
        return params

    def _first_occurrence(self, issue: SemanticIssue) -> int | None:
        """Line where the id reported as duplicate was first used."""
        scope = _id_scope(issue.path)
        index = self.first_ids.get(scope)
        if index is None:  # built once per scope: many duplicates must stay linear
            index = {}
            for path in _scope_paths(self.data, scope):
                value = _value_at(self.data, path)
                if isinstance(value, str | int):
                    index.setdefault(value, path)
            self.first_ids[scope] = index
        first = index.get(issue.params.get("id"))
        if first is None or first == issue.path:
            return None
        return walk_positions(self.root, first).line + 1

    def warnings(self) -> None:
        """Plain yes/no/on/off read as booleans that no error already explained."""
        for path, word in self.bool_words.items():
            if path not in self.hinted:
                self.report.add(
                    "yaml_bool_word", word.where, path, warning=True, raw=word.raw, value=word.value
                )


def _value_at(data: Any, path: Sequence[Any]) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _id_scope(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """Which ids the id at ``path`` must differ from (see ``grid.semantic_issues``)."""
    if len(path) >= 2 and isinstance(path[-1], int):  # an entry of a question's horizons
        return ("list", *path[:-1])
    if "options" in path:  # an option value: the other options of the same question
        return ("options", *path[:-2])
    if path[0] == "horizons":
        return ("horizons",)
    if path[0] == "items" and len(path) == 3:
        return ("items",)
    return ("questions",)  # questions clash with items and questions


def _scope_paths(data: Any, scope: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """Paths of the ids of ``scope``, in document order."""
    kind, base = scope[0], scope[1:]
    if kind in ("list", "options", "horizons"):
        base = base or ("horizons",)
        entries = _value_at(data, base)
        for k in range(len(entries) if isinstance(entries, list) else 0):
            yield (
                (*base, k) if kind == "list" else (*base, k, "value" if kind == "options" else "id")
            )
        return
    items = _value_at(data, ("items",))
    for i, item in enumerate(items if isinstance(items, list) else []):
        yield ("items", i, "id")
        questions = item.get("questions") if isinstance(item, dict) else None
        for j in range(len(questions) if isinstance(questions, list) and kind != "items" else 0):
            yield ("items", i, "questions", j, "id")
    systemic = _value_at(data, ("systemic", "questions"))
    for j in range(len(systemic) if isinstance(systemic, list) and kind != "items" else 0):
        yield ("systemic", "questions", j, "id")


def _slug(value: str) -> str:
    """A valid id close to ``value``: ``Vie Démocratique`` → ``vie-democratique``."""
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_.lower()).strip("-_")
    return slug[:63]


# -- which keys a model accepts, found from a pydantic loc -------------------
def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if _is_union(annotation):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (typing.Union, types.UnionType)


def _is_model(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


def _step(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    if _is_model(annotation):
        for name, info in annotation.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = get_origin(annotation)
    if origin is list:
        return get_args(annotation)[0] if isinstance(part, int) else None
    if origin is dict:
        return get_args(annotation)[1]
    if _is_union(annotation):
        for member in map(_unwrap, get_args(annotation)):
            type_field = member.model_fields.get("type") if _is_model(member) else None
            if (
                type_field is not None
                and get_origin(type_field.annotation) is Literal
                and part in get_args(type_field.annotation)
            ):
                return member
    return None


def _fields_at(loc: Sequence[Any]) -> list[str]:
    """Keys allowed in the table at pydantic ``loc`` (empty when unknown)."""
    annotation: Any = Grid
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    annotation = _unwrap(annotation)
    if not _is_model(annotation):
        return []
    return [info.alias or name for name, info in annotation.model_fields.items()]
