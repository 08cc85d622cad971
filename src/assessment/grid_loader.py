"""Read grid YAML files into :class:`~assessment.grid.Grid`, with author-friendly errors.

The core is :func:`load_grid_text`, a pure conversion (no file I/O): text in,
:class:`GridLoadResult` out, with *every* problem of the file located as
``FILE:LINE:COL`` and explained in French (see :mod:`assessment.messages`).

Reading is defensive, because a grid file may be broken or hostile:

1. the size is bounded before anything is parsed (:data:`MAX_BYTES`);
2. the YAML event stream is scanned iteratively to bound nesting depth and the
   number of values (:data:`MAX_DEPTH`, :data:`MAX_EVENTS`) before composing;
3. nodes are turned into Python data by our own constructor, which only knows
   plain safe types (no ``!!python/...``), rejects duplicate keys, and counts
   every value built -- aliases each time they are expanded -- against
   :data:`MAX_VALUES`, so that alias bombs ("billion laughs") stop early;
4. pydantic validates the data; each error ``loc`` is mapped back to the YAML
   node it comes from.

Thin I/O wrappers: :func:`load_grid_file`, :func:`load_grid`,
:func:`check_grid_dir`, :func:`load_grid_dir`.  :func:`outline` and
:func:`grid_json_schema` serve the ``show`` and ``schema`` commands.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from assessment.grid import (
    QUESTION_TYPES,
    ChoiceQuestion,
    Condition,
    Grid,
    LevelQuestion,
    NumberQuestion,
    Question,
    SemanticIssue,
    format_path,
)
from assessment.grid import text as label_text
from assessment.messages import (
    describe,
    did_you_mean,
    human_size,
    join_or,
    render,
    show_value,
)

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EVENTS",
    "MAX_PROBLEMS",
    "MAX_VALUES",
    "GridDirResult",
    "GridError",
    "GridLoadResult",
    "GridProblem",
    "check_grid_dir",
    "grid_files",
    "grid_json_schema",
    "load_grid",
    "load_grid_dir",
    "load_grid_file",
    "load_grid_text",
    "outline",
]

MAX_BYTES = 2 * 1024 * 1024
"""Largest grid file accepted, in bytes (real grids are a few dozen KiB)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and tables accepted (a grid needs about 8)."""
MAX_EVENTS = 100_000
"""Most YAML events (scalars, collection starts and ends) read from one file."""
MAX_VALUES = 100_000
"""Most Python values built from one file, alias expansions included."""
MAX_PROBLEMS = 200
"""Most problems listed for one file; the rest are counted."""

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YAML = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_YAML}{t}" for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = f"{_YAML}map", f"{_YAML}seq", f"{_YAML}merge"
_AS_TEXT = {f"{_YAML}timestamp", f"{_YAML}value"}
"""Implicit YAML 1.1 types we keep as the text written (dates, ``=``)."""
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, *_AS_TEXT}
_TRUE_FALSE = {"true", "false"}


# ---------------------------------------------------------------------------
# public results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GridProblem:
    """One error (or warning) located in a grid file.

    ``line`` and ``column`` are 1-based; ``path`` is the data path such as
    ``items[3].questions[1].label`` (empty for file-level problems) and
    ``message`` starts with it.
    """

    code: str
    message: str
    source: str
    line: int
    column: int
    path: str = ""

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.message}"


@dataclass
class GridLoadResult:
    """What reading one grid gave: the grid when valid, and every problem found."""

    source: str
    grid: Grid | None = None
    problems: list[GridProblem] = field(default_factory=list)
    warnings: list[GridProblem] = field(default_factory=list)
    _root: _Pos | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.grid is not None and not self.problems

    def locate(self, path: Sequence[str | int]) -> tuple[int, int]:
        """1-based ``(line, column)`` of the value at ``path`` (or its closest parent)."""
        if self._root is None:
            return 1, 1
        pos = _walk_positions(self._root, path)
        return pos.line + 1, pos.column + 1


class GridError(Exception):
    """A grid could not be loaded; ``problems`` lists why, one line each."""

    def __init__(self, problems: Sequence[GridProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class GridDirResult:
    """Every grid file of a folder, and the valid grids keyed by ``(id, version)``."""

    source: str
    grids: dict[tuple[str, str], Grid] = field(default_factory=dict)
    results: list[GridLoadResult] = field(default_factory=list)
    folder_problems: list[GridProblem] = field(default_factory=list)

    @property
    def problems(self) -> list[GridProblem]:
        return [*self.folder_problems, *(p for r in self.results for p in r.problems)]

    @property
    def warnings(self) -> list[GridProblem]:
        return [w for r in self.results for w in r.warnings]

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------------------
# internals: positions and reporting
# ---------------------------------------------------------------------------
@dataclass(slots=True)
class _Pos:
    """Where a value was written (0-based), mirroring the data's shape."""

    line: int
    column: int
    key_line: int = -1
    key_column: int = -1
    raw: str | None = None
    """Source text of a plain scalar that YAML turned into a non-string."""
    children: dict[Any, _Pos] | list[_Pos] | None = None

    @classmethod
    def of(cls, node: Node) -> _Pos:
        mark = node.start_mark
        return cls(mark.line, mark.column) if mark is not None else cls(0, 0)

    def child(self, key: Any) -> _Pos | None:
        if isinstance(self.children, dict):
            return self.children.get(key)
        if isinstance(self.children, list) and isinstance(key, int):
            return self.children[key] if 0 <= key < len(self.children) else None
        return None

    @property
    def key_or_value(self) -> tuple[int, int]:
        if self.key_line >= 0:
            return self.key_line, self.key_column
        return self.line, self.column


class _Stop(Exception):
    """Reading cannot go on: a limit was hit or the YAML is unreadable."""

    def __init__(self, code: str, line: int = 0, column: int = 0, **params: Any) -> None:
        super().__init__(code)
        self.code, self.line, self.column, self.params = code, line, column, params
        self.path: tuple[Any, ...] = ()


class _Report:
    """Collects problems and warnings for one source."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[GridProblem] = []
        self.warnings: list[GridProblem] = []

    def add(
        self,
        code: str,
        where: tuple[int, int],
        path: Sequence[str | int] = (),
        *,
        warning: bool = False,
        **params: Any,
    ) -> None:
        """Record ``code`` at 0-based ``where`` for data ``path``."""
        path_str = format_path(tuple(path))
        detail = render(code, **params)
        message = f"{path_str} : {detail}" if path_str else detail
        problem = GridProblem(code, message, self.source, where[0] + 1, where[1] + 1, path_str)
        (self.warnings if warning else self.problems).append(problem)

    def result(self, grid: Grid | None, root: _Pos | None) -> GridLoadResult:
        problems = _sorted_unique(self.problems)
        return GridLoadResult(
            source=self.source,
            grid=grid if not problems else None,
            problems=_capped(problems),
            warnings=_capped(_sorted_unique(self.warnings)),
            _root=root,
        )


def _capped(problems: list[GridProblem]) -> list[GridProblem]:
    """At most :data:`MAX_PROBLEMS`, then one line counting the others."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    shown, last = problems[:MAX_PROBLEMS], problems[MAX_PROBLEMS - 1]
    more = render("too_many_problems", count=len(problems) - MAX_PROBLEMS)
    return [*shown, GridProblem("too_many_problems", more, last.source, last.line, last.column)]


def _sorted_unique(problems: list[GridProblem]) -> list[GridProblem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line, p.column))


def _walk_positions(root: _Pos, path: Sequence[Any]) -> _Pos:
    pos = root
    for part in path:
        nxt = pos.child(part)
        if nxt is None:
            nxt = pos.child(str(part)) if not isinstance(part, str) else None
        if nxt is None:
            break
        pos = nxt
    return pos


# ---------------------------------------------------------------------------
# step 1: bytes to text
# ---------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Stop("not_utf8", detail="UTF-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n")
        start_of_line = before.rfind(b"\n") + 1
        column = len(before[start_of_line:].decode("utf-8", "replace"))
        byte = data[exc.start]
        raise _Stop("not_utf8", line, column, detail=f"octet 0x{byte:02X}") from None


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise _Stop("file_too_large", size=human_size(size), limit=human_size(MAX_BYTES))


# ---------------------------------------------------------------------------
# step 2: YAML syntax, scanned before composing
# ---------------------------------------------------------------------------
_START_EVENTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_END_EVENTS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _scan_events(text_: str) -> None:
    """Walk the event stream once, iteratively, enforcing depth and size limits."""
    loader = _Loader(text_)
    depth = events = documents = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            events += 1
            where = _mark(event.start_mark)
            if events > MAX_EVENTS:
                raise _Stop("too_many_nodes", *where, limit=MAX_EVENTS)
            if isinstance(event, _START_EVENTS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Stop("too_deep", *where, limit=MAX_DEPTH)
            elif isinstance(event, _END_EVENTS):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Stop("multiple_documents", *where)
    finally:
        loader.dispose()


def _compose(text_: str) -> Node | None:
    loader = _Loader(text_)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line, mark.column) if mark is not None else (0, 0)


def _line_col(text_: str, index: int) -> tuple[int, int]:
    line = text_.count("\n", 0, index)
    return line, index - (text_.rfind("\n", 0, index) + 1)


def _tab_lines(text_: str, limit: int = 20) -> list[tuple[int, int]]:
    """Lines whose indentation contains a tab: ``(line, column)`` of the tab."""
    found = []
    for number, line in enumerate(text_.splitlines()):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            found.append((number, indent.index("\t")))
            if len(found) >= limit:
                break
    return found


def _name_at(text_: str, index: int, sigil: str) -> str:
    match = re.compile(re.escape(sigil) + r"([^\s,\[\]{}]+)").match(text_, index)
    return match.group(1) if match else "?"


def _yaml_error(report: _Report, exc: yaml.YAMLError, text_: str) -> None:
    """Translate a PyYAML/libyaml error into catalogue messages."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        report.add("yaml_bad_char", _line_col(text_, exc.position), character=f"U+{char:04X}")
        return
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None) or problem_mark
    where = _mark(problem_mark)
    index = problem_mark.index if problem_mark is not None else 0
    char = text_[index] if 0 <= index < len(text_) else ""

    if "tab character" in problem or char == "\t":
        tabs = _tab_lines(text_)
        for spot in tabs if where[0] in {t[0] for t in tabs} else [where, *tabs]:
            report.add("yaml_tab", spot)
    elif "cannot start any token" in problem and char in "@`%|>":
        report.add("yaml_reserved_char", where, character=char)
    elif "mapping values are not allowed" in problem:
        report.add("yaml_colon", where)
    elif "could not find expected ':'" in problem:
        report.add("yaml_missing_colon", _mark(context_mark))
    elif "quoted scalar" in context:
        report.add("yaml_unclosed_quote", _mark(context_mark))
    elif "flow sequence" in context or "flow mapping" in context:
        opening, closing = ("[", "]") if "sequence" in context else ("{", "}")
        report.add("yaml_unclosed_flow", _mark(context_mark), opening=opening, closing=closing)
    elif any(s in problem for s in ("expected key", "<block end>", "'-' indicator")):
        report.add("yaml_indent", where)
    elif "undefined alias" in problem:
        report.add("yaml_undefined_alias", where, name=_name_at(text_, index, "*"))
    elif "duplicate anchor" in context:
        report.add("yaml_duplicate_anchor", where, name=_name_at(text_, index, "&"))
    elif "another document" in problem:
        report.add("multiple_documents", where)
    else:
        report.add("yaml_syntax", where, problem=f"{context} : {problem}".strip(" :"))


# ---------------------------------------------------------------------------
# step 3: nodes to Python data, within a budget
# ---------------------------------------------------------------------------
_INVALID = object()
_SCALARS = SafeConstructor()


@dataclass(frozen=True)
class _BoolWord:
    """A plain ``yes``/``no``/``on``/``off`` that YAML 1.1 turned into a boolean."""

    path: tuple[Any, ...]
    raw: str
    value: bool
    where: tuple[int, int]


class _Builder:
    """Turns a composed YAML node tree into plain data and a parallel position tree."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.budget = MAX_VALUES
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.expanded = False
        self.bool_words: list[_BoolWord] = []
        self.broken: set[tuple[Any, ...]] = set()
        """Paths of values already reported (bad tag, unreadable scalar)."""
        self.text = ""

    def build(self, node: Node, path: tuple[Any, ...] = (), depth: int = 0) -> tuple[Any, _Pos]:
        """``(value, position)`` for ``node``; problems are reported, limits raise ``_Stop``."""
        where = _mark(node.start_mark)
        self._spend(where)
        if id(node) in self.active:
            name = _name_at(self.text, node.start_mark.index, "&") if node.start_mark else "?"
            raise _Stop("alias_recursive", *where, name=name)
        if depth > MAX_DEPTH:
            raise _Stop("too_deep", *where, limit=MAX_DEPTH)
        if id(node) in self.seen:
            self.expanded = True
        self.seen.add(id(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if not self._tag_ok(node, _MAP if isinstance(node, MappingNode) else _SEQ, path):
            return None, _Pos.of(node)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path, depth)
            return self._sequence(node, path, depth)
        finally:
            self.active.discard(id(node))

    def _spend(self, where: tuple[int, int]) -> None:
        self.budget -= 1
        if self.budget < 0:
            code = "alias_expansion" if self.expanded else "too_many_nodes"
            raise _Stop(code, *where, limit=MAX_VALUES)

    def _tag_ok(self, node: Node, expected: str | set[str], path: tuple[Any, ...]) -> bool:
        allowed = expected if isinstance(expected, set) else {expected}
        if node.tag in allowed:
            return True
        tag = node.tag.replace(_YAML, "!!")
        code = "unsafe_tag" if tag.startswith("!!python") else "unsupported_tag"
        self.report.add(code, _mark(node.start_mark), path, tag=tag)
        self.broken.add(path)
        return False

    def _scalar(self, node: ScalarNode, path: tuple[Any, ...]) -> tuple[Any, _Pos]:
        pos = _Pos.of(node)
        if not self._tag_ok(node, _SCALAR_TAGS, path):
            return None, pos
        tag, plain = node.tag, not node.style  # libyaml says "" where PyYAML says None
        if tag == _STR or tag in _AS_TEXT:
            return node.value, pos
        if plain:
            pos.raw = node.value
        try:
            value = self._convert(node)
        except (ValueError, KeyError):
            if plain:
                return node.value, pos
            kind = {_INT: "nombre entier", _FLOAT: "nombre", _BOOL: "booléen"}.get(tag, tag)
            self.report.add("bad_scalar", (pos.line, pos.column), path, value=node.value, tag=kind)
            self.broken.add(path)
            return None, pos
        if isinstance(value, bool) and plain and node.value.lower() not in _TRUE_FALSE:
            self.bool_words.append(_BoolWord(path, node.value, value, (pos.line, pos.column)))
        return value, pos

    @staticmethod
    def _convert(node: ScalarNode) -> Any:
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            return _SCALARS.construct_yaml_bool(node)
        if node.tag == _INT:
            return _SCALARS.construct_yaml_int(node)
        return _SCALARS.construct_yaml_float(node)

    def _sequence(self, node: SequenceNode, path: tuple[Any, ...], depth: int) -> tuple[Any, _Pos]:
        values: list[Any] = []
        positions: list[_Pos] = []
        for index, child in enumerate(node.value):
            value, pos = self.build(child, (*path, index), depth + 1)
            values.append(value)
            positions.append(pos)
        pos = _Pos.of(node)
        pos.children = positions
        return values, pos

    def _mapping(self, node: MappingNode, path: tuple[Any, ...], depth: int) -> tuple[Any, _Pos]:
        values: dict[Any, Any] = {}
        positions: dict[Any, _Pos] = {}
        first_line: dict[Any, int] = {}
        merged: list[tuple[Any, Any, _Pos]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge(value_node, path, depth))
                continue
            key = self._key(key_node, path)
            if key is _INVALID:
                continue
            key_where = _mark(key_node.start_mark)
            if key in first_line:
                self.report.add(
                    "duplicate_key", key_where, path, key=key, first_line=first_line[key]
                )
                continue
            first_line[key] = key_where[0] + 1
            try:
                value, pos = self.build(value_node, (*path, key), depth + 1)
            except _Stop as stop:
                if depth == 0 and stop.code == "alias_expansion":
                    # the expansion itself is unlocated: blame the top-level entry
                    stop.line, stop.column, stop.path = *key_where, (key,)
                raise
            pos.key_line, pos.key_column = key_where
            values[key], positions[key] = value, pos
        for key, value, pos in merged:
            if key not in values:
                values[key], positions[key] = value, pos
        pos = _Pos.of(node)
        pos.children = positions
        return values, pos

    def _merge(
        self, node: Node, path: tuple[Any, ...], depth: int
    ) -> Iterator[tuple[Any, Any, _Pos]]:
        """Entries brought by a ``<<: *base`` merge key, earlier ones first."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.report.add("bad_merge", _mark(source.start_mark), path)
                continue
            value, pos = self.build(source, path, depth + 1)
            if isinstance(value, dict) and isinstance(pos.children, dict):
                for key, item in value.items():
                    yield key, item, pos.children[key]

    def _key(self, node: Node, path: tuple[Any, ...]) -> Any:
        self._spend(_mark(node.start_mark))
        if not isinstance(node, ScalarNode):
            found = describe([] if isinstance(node, SequenceNode) else {})
            self.report.add("bad_key", _mark(node.start_mark), path, found=found)
            return _INVALID
        if not self._tag_ok(node, _SCALAR_TAGS, path):
            return _INVALID
        if node.tag in (_INT, _FLOAT):
            try:
                return self._convert(node)
            except ValueError:
                return node.value
        return node.value  # yes/no/null keys stay the words written


# ---------------------------------------------------------------------------
# step 4: pydantic errors located in the YAML
# ---------------------------------------------------------------------------
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
    pos: _Pos
    loc: tuple[Any, ...]
    ctx: dict[str, Any]
    msg: str
    missing: str | None = None
    on_key: bool = False
    branch: tuple[Any, ...] | None = None


def _resolve(raw: dict[str, Any], data: Any, root: _Pos) -> _Error:
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
            if key is not _INVALID and pos.child(key) is not None:
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
    return _INVALID


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


class _Locator:
    """Turns pydantic errors and semantic issues into located problems."""

    def __init__(self, report: _Report, data: Any, root: _Pos, builder: _Builder) -> None:
        self.report, self.data, self.root = report, data, root
        self.bool_words = {w.path: w for w in builder.bool_words}
        self.broken = builder.broken
        self.hinted: set[tuple[Any, ...]] = set()
        self.first_ids: dict[tuple[Any, ...], dict[Any, tuple[Any, ...]]] = {}
        self.questions_by_id: dict[str, Question] = {}
        """First question of each id: the one conditions refer to."""

    # -- helpers --------------------------------------------------------
    def _hint(self, path: tuple[Any, ...], value: Any, pos: _Pos, *, text_wanted: bool) -> str:
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
            (issue, _walk_positions(self.root, issue.path))
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
        return _walk_positions(self.root, first).line + 1

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


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def load_grid_text(text: str | bytes, source: str = "<grid>") -> GridLoadResult:
    """Read a grid from YAML text (no file I/O) and report every problem found."""
    report = _Report(source)
    root: _Pos | None = None
    try:
        content = _as_text(text)
        node = _parse(report, content)
        if node is None:
            return report.result(None, None)
        builder = _Builder(report)
        builder.text = content
        data, root = builder.build(node)
    except _Stop as stop:
        report.add(stop.code, (stop.line, stop.column), stop.path, **stop.params)
        return report.result(None, root)
    grid = _validate(report, data, root, builder)
    return report.result(grid, root)


def _as_text(text_or_bytes: str | bytes) -> str:
    if isinstance(text_or_bytes, bytes):
        _check_size(len(text_or_bytes))
        return _decode(text_or_bytes)
    if len(text_or_bytes) > MAX_BYTES:  # at least one byte per character
        _check_size(len(text_or_bytes))
    elif len(text_or_bytes) * 4 > MAX_BYTES:  # at most four
        _check_size(len(text_or_bytes.encode("utf-8", "surrogatepass")))
    return text_or_bytes.removeprefix("\ufeff")


def _parse(report: _Report, content: str) -> Node | None:
    """The composed node tree, or ``None`` after reporting why there is none."""
    try:
        _scan_events(content)
        node = _compose(content)
    except yaml.YAMLError as exc:
        _yaml_error(report, exc, content)
        return None
    if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL and not node.value):
        report.add("empty_file", (0, 0))
        return None
    if not isinstance(node, MappingNode):
        found = describe([] if isinstance(node, SequenceNode) else node.value)
        report.add("not_a_mapping", _mark(node.start_mark), found=found)
        return None
    return node


def _validate(report: _Report, data: Any, root: _Pos, builder: _Builder) -> Grid | None:
    locator = _Locator(report, data, root, builder)
    sink: list[SemanticIssue] = []
    grid: Grid | None = None
    try:
        grid = Grid.model_validate(data, context={"semantic_issues": sink})
    except ValidationError as exc:
        locator.pydantic(exc.errors(include_url=False))
    except (RecursionError, MemoryError, TypeError) as exc:  # never a traceback for authors
        report.add("internal_error", (0, 0), detail=type(exc).__name__)
    if grid is not None and sink:
        locator.semantic(sink, grid)
    locator.warnings()
    return grid


def load_grid_file(path: str | Path) -> GridLoadResult:
    """Read and check one grid file; the size limit is enforced before reading it all."""
    path = Path(path)
    source = str(path)
    try:
        _check_size(path.stat().st_size)
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except _Stop as stop:
        report = _Report(source)
        report.add(stop.code, (0, 0), **stop.params)
        return report.result(None, None)
    except OSError as exc:
        report = _Report(source)
        report.add("file_unreadable", (0, 0), reason=exc.strerror or type(exc).__name__)
        return report.result(None, None)
    return load_grid_text(data, source)


def load_grid(path: str | Path) -> Grid:
    """The grid in ``path``; raises :class:`GridError` listing every problem."""
    result = load_grid_file(path)
    if result.grid is None or result.problems:
        raise GridError(result.problems)
    return result.grid


def grid_files(folder: str | Path) -> list[Path]:
    """The ``*.yaml`` and ``*.yml`` files directly in ``folder``, sorted by name."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def check_grid_dir(folder: str | Path) -> GridDirResult:
    """Read every grid of ``folder``; a second grid with the same id and version is an error."""
    outcome = GridDirResult(source=str(folder))
    files = grid_files(folder)
    if not files:
        report = _Report(str(folder))
        report.add("no_grid_files", (0, 0))
        outcome.folder_problems.extend(report.problems)
    first_file: dict[tuple[str, str], str] = {}
    for path in files:
        result = load_grid_file(path)
        outcome.results.append(result)
        if result.grid is None or result.problems:
            continue
        key = (result.grid.id, result.grid.version)
        if key in first_file:
            report = _Report(result.source)
            where = result.locate(("id",))
            report.add(
                "duplicate_grid",
                (where[0] - 1, where[1] - 1),
                id=key[0],
                version=key[1],
                other=first_file[key],
            )
            result.problems.extend(report.problems)
            continue
        first_file[key] = result.source
        outcome.grids[key] = result.grid
    return outcome


def load_grid_dir(folder: str | Path) -> dict[tuple[str, str], Grid]:
    """Every grid of ``folder`` keyed by ``(id, version)``; raises :class:`GridError`."""
    outcome = check_grid_dir(folder)
    if outcome.problems:
        raise GridError(outcome.problems)
    return outcome.grids


def grid_json_schema() -> dict[str, Any]:
    """JSON Schema of the grid format, usable by editors (yaml-language-server)."""
    schema = Grid.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": render("schema_title"),
        "description": render("schema_description"),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


# ---------------------------------------------------------------------------
# outline (assessment show)
# ---------------------------------------------------------------------------
def outline(grid: Grid) -> str:
    """A readable plain-text outline of ``grid``, in French."""
    lines = [
        render(
            "outline_grid",
            title=label_text(grid.title),
            id=grid.id,
            version=grid.version,
            language=grid.language,
        ),
        "",
        render("outline_scale"),
        *(f"  {level.value} = {label_text(level.label)}" for level in grid.scale),
        "",
        render("outline_horizons"),
        *(f"  {h.id} — {label_text(h.label)}" for h in grid.horizons),
        "",
        render("outline_items", count=len(grid.items)),
    ]
    for index, item in enumerate(grid.items, start=1):
        flags = [render("outline_optional_item")] if item.optional else []
        if item.weight != 1:
            flags.append(render("outline_weight", weight=item.weight))
        shown_flags = f" [{', '.join(flags)}]" if flags else ""
        lines.append(
            "  "
            + render(
                "outline_item",
                index=index,
                id=item.id,
                title=label_text(item.title),
                flags=shown_flags,
            )
        )
        lines.extend(_question_lines(grid, item.questions))
    if grid.systemic is not None:
        lines += ["", render("outline_systemic", title=label_text(grid.systemic.title))]
        lines.extend(_question_lines(grid, grid.systemic.questions))
    return "\n".join(lines) + "\n"


def _question_lines(grid: Grid, questions: Sequence[Question]) -> list[str]:
    lines = []
    for question in questions:
        flags = [render("outline_required" if question.is_required else "outline_not_required")]
        if question.optional:
            flags.append(render("outline_optional"))
        if question.weight != 1:
            flags.append(render("outline_weight", weight=question.weight))
        horizons = grid.question_horizons(question)
        if horizons != grid.horizon_ids:
            flags.append(render("outline_horizons_of", horizons=horizons))
        flags.extend(_type_details(question))
        if question.show_if is not None:
            flags.append(render("outline_show_if", condition=_condition(question.show_if)))
        lines.append(f"     - {question.id} [{question.type}] {label_text(question.label)}")
        lines.append(f"       ({' ; '.join(flags)})")
    return lines


def _type_details(question: Question) -> list[str]:
    if isinstance(question, ChoiceQuestion):
        return [render("outline_options", options=[o.value for o in question.options])]
    if isinstance(question, NumberQuestion):
        details = []
        if question.unit is not None:
            details.append(render("outline_unit", unit=label_text(question.unit)))
        if question.min is not None or question.max is not None:
            low = show_value(question.min) if question.min is not None else "…"
            high = show_value(question.max) if question.max is not None else "…"
            details.append(render("outline_bounds", min=low, max=high))
        return details
    if isinstance(question, LevelQuestion) and question.levels:
        return [render("outline_levels", levels=sorted(question.levels))]
    return []


def _condition(condition: Condition) -> str:
    target = condition.question
    if condition.horizon is not None:
        target += f"@{condition.horizon}"
    if condition.equals is not None:
        return f"{target} = {show_value(condition.equals)}"
    if condition.in_ is not None:
        return f"{target} ∈ {{{show_value(condition.in_)}}}"
    return f"{target} " + render("outline_answered" if condition.answered else "outline_unanswered")
