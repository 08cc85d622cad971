"""The bounded YAML reader: text or bytes to plain data and a position tree.

A grid file may be broken or hostile, so reading is defensive:

1. the size is bounded before anything is parsed (:data:`MAX_BYTES`);
2. the YAML event stream is scanned iteratively to bound nesting depth and the
   number of values (:data:`MAX_DEPTH`, :data:`MAX_EVENTS`) before composing;
3. nodes are turned into Python data by our own constructor
   (:class:`Builder`), which only knows plain safe types (no
   ``!!python/...``), rejects duplicate keys, and counts every value built --
   aliases each time they are expanded -- against :data:`MAX_VALUES`, so that
   alias bombs ("billion laughs") stop early.

YAML errors are translated into catalogue messages (:func:`yaml_error`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from assessment.gridfile.problems import Pos, Report
from assessment.messages import describe, human_size

MAX_BYTES = 2 * 1024 * 1024
"""Largest grid file accepted, in bytes (real grids are a few dozen KiB)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and tables accepted (a grid needs about 8)."""
MAX_EVENTS = 100_000
"""Most YAML events (scalars, collection starts and ends) read from one file."""
MAX_VALUES = 100_000
"""Most Python values built from one file, alias expansions included."""

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YAML = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, NULL = (f"{_YAML}{t}" for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, MERGE = f"{_YAML}map", f"{_YAML}seq", f"{_YAML}merge"
_AS_TEXT = {f"{_YAML}timestamp", f"{_YAML}value"}
"""Implicit YAML 1.1 types we keep as the text written (dates, ``=``)."""
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, NULL, *_AS_TEXT}
_TRUE_FALSE = {"true", "false"}


class Stop(Exception):
    """Reading cannot go on: a limit was hit or the YAML is unreadable."""

    def __init__(self, code: str, line: int = 0, column: int = 0, **params: Any) -> None:
        super().__init__(code)
        self.code, self.line, self.column, self.params = code, line, column, params
        self.path: tuple[Any, ...] = ()


# ---------------------------------------------------------------------------
# step 1: bytes to text
# ---------------------------------------------------------------------------
def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Stop("not_utf8", detail="UTF-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n")
        start_of_line = before.rfind(b"\n") + 1
        column = len(before[start_of_line:].decode("utf-8", "replace"))
        byte = data[exc.start]
        raise Stop("not_utf8", line, column, detail=f"octet 0x{byte:02X}") from None


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise Stop("file_too_large", size=human_size(size), limit=human_size(MAX_BYTES))


# ---------------------------------------------------------------------------
# step 2: YAML syntax, scanned before composing
# ---------------------------------------------------------------------------
_START_EVENTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_END_EVENTS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def scan_events(text_: str) -> None:
    """Walk the event stream once, iteratively, enforcing depth and size limits."""
    loader = _Loader(text_)
    depth = events = documents = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            events += 1
            where = mark(event.start_mark)
            if events > MAX_EVENTS:
                raise Stop("too_many_nodes", *where, limit=MAX_EVENTS)
            if isinstance(event, _START_EVENTS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise Stop("too_deep", *where, limit=MAX_DEPTH)
            elif isinstance(event, _END_EVENTS):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise Stop("multiple_documents", *where)
    finally:
        loader.dispose()


def compose(text_: str) -> Node | None:
    loader = _Loader(text_)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def mark(mark: Any) -> tuple[int, int]:
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


def name_at(text_: str, index: int, sigil: str) -> str:
    match = re.compile(re.escape(sigil) + r"([^\s,\[\]{}]+)").match(text_, index)
    return match.group(1) if match else "?"


def yaml_error(report: Report, exc: yaml.YAMLError, text_: str) -> None:
    """Translate a PyYAML/libyaml error into catalogue messages."""
    if isinstance(exc, yaml.reader.ReaderError):
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        report.add("yaml_bad_char", _line_col(text_, exc.position), character=f"U+{code:04X}")
        return
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None) or problem_mark
    where = mark(problem_mark)
    index = problem_mark.index if problem_mark is not None else 0
    char = text_[index] if 0 <= index < len(text_) else ""

    if "tab character" in problem or char == "\t":
        tabs = _tab_lines(text_)
        for spot in tabs if where[0] in {t[0] for t in tabs} else [where, *tabs]:
            report.add("yaml_tab", spot)
    elif "cannot start any token" in problem and char in "@`%|>":
        report.add("yaml_reserved_char", where, character=char)
    elif "maximum nesting depth" in problem:  # libyaml >= 0.2.6 (PyYAML 6.0.4 wheels)
        report.add("too_deep", where, limit=MAX_DEPTH)
    elif "mapping values are not allowed" in problem:
        report.add("yaml_colon", where)
    elif "could not find expected ':'" in problem:
        report.add("yaml_missing_colon", mark(context_mark))
    elif "quoted scalar" in context:
        report.add("yaml_unclosed_quote", mark(context_mark))
    elif "flow sequence" in context or "flow mapping" in context:
        opening, closing = ("[", "]") if "sequence" in context else ("{", "}")
        report.add("yaml_unclosed_flow", mark(context_mark), opening=opening, closing=closing)
    elif any(s in problem for s in ("expected key", "<block end>", "'-' indicator")):
        report.add("yaml_indent", where)
    elif "undefined alias" in problem:
        report.add("yaml_undefined_alias", where, name=name_at(text_, index, "*"))
    elif "duplicate anchor" in context:
        report.add("yaml_duplicate_anchor", where, name=name_at(text_, index, "&"))
    elif "another document" in problem:
        report.add("multiple_documents", where)
    else:
        report.add("yaml_syntax", where, problem=f"{context} : {problem}".strip(" :"))


# ---------------------------------------------------------------------------
# step 3: nodes to Python data, within a budget
# ---------------------------------------------------------------------------
INVALID = object()
_SCALARS = SafeConstructor()


@dataclass(frozen=True)
class BoolWord:
    """A plain ``yes``/``no``/``on``/``off`` that YAML 1.1 turned into a boolean."""

    path: tuple[Any, ...]
    raw: str
    value: bool
    where: tuple[int, int]


class Builder:
    """Turns a composed YAML node tree into plain data and a parallel position tree."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.budget = MAX_VALUES
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.expanded = False
        self.bool_words: list[BoolWord] = []
        self.broken: set[tuple[Any, ...]] = set()
        """Paths of values already reported (bad tag, unreadable scalar)."""
        self.text = ""

    def build(self, node: Node, path: tuple[Any, ...] = (), depth: int = 0) -> tuple[Any, Pos]:
        """``(value, position)`` for ``node``; problems are reported, limits raise ``Stop``."""
        where = mark(node.start_mark)
        self._spend(where)
        if id(node) in self.active:
            name = name_at(self.text, node.start_mark.index, "&") if node.start_mark else "?"
            raise Stop("alias_recursive", *where, name=name)
        if depth > MAX_DEPTH:
            raise Stop("too_deep", *where, limit=MAX_DEPTH)
        if id(node) in self.seen:
            self.expanded = True
        self.seen.add(id(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if not self._tag_ok(node, _MAP if isinstance(node, MappingNode) else _SEQ, path):
            return None, Pos.of(node)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path, depth)
            assert isinstance(node, SequenceNode)  # _tag_ok: a map or a seq
            return self._sequence(node, path, depth)
        finally:
            self.active.discard(id(node))

    def _spend(self, where: tuple[int, int]) -> None:
        self.budget -= 1
        if self.budget < 0:
            code = "alias_expansion" if self.expanded else "too_many_nodes"
            raise Stop(code, *where, limit=MAX_VALUES)

    def _tag_ok(self, node: Node, expected: str | set[str], path: tuple[Any, ...]) -> bool:
        allowed = expected if isinstance(expected, set) else {expected}
        if node.tag in allowed:
            return True
        tag = node.tag.replace(_YAML, "!!")
        code = "unsafe_tag" if tag.startswith("!!python") else "unsupported_tag"
        self.report.add(code, mark(node.start_mark), path, tag=tag)
        self.broken.add(path)
        return False

    def _scalar(self, node: ScalarNode, path: tuple[Any, ...]) -> tuple[Any, Pos]:
        pos = Pos.of(node)
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
            self.bool_words.append(BoolWord(path, node.value, value, (pos.line, pos.column)))
        return value, pos

    @staticmethod
    def _convert(node: ScalarNode) -> Any:
        if node.tag == NULL:
            return None
        if node.tag == _BOOL:
            return _SCALARS.construct_yaml_bool(node)
        if node.tag == _INT:
            return _SCALARS.construct_yaml_int(node)
        return _SCALARS.construct_yaml_float(node)

    def _sequence(self, node: SequenceNode, path: tuple[Any, ...], depth: int) -> tuple[Any, Pos]:
        values: list[Any] = []
        positions: list[Pos] = []
        for index, child in enumerate(node.value):
            value, pos = self.build(child, (*path, index), depth + 1)
            values.append(value)
            positions.append(pos)
        pos = Pos.of(node)
        pos.children = positions
        return values, pos

    def _mapping(self, node: MappingNode, path: tuple[Any, ...], depth: int) -> tuple[Any, Pos]:
        values: dict[Any, Any] = {}
        positions: dict[Any, Pos] = {}
        first_line: dict[Any, int] = {}
        merged: list[tuple[Any, Any, Pos]] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                merged.extend(self._merge(value_node, path, depth))
                continue
            key = self._key(key_node, path)
            if key is INVALID:
                continue
            key_where = mark(key_node.start_mark)
            if key in first_line:
                self.report.add(
                    "duplicate_key", key_where, path, key=key, first_line=first_line[key]
                )
                continue
            first_line[key] = key_where[0] + 1
            try:
                value, pos = self.build(value_node, (*path, key), depth + 1)
            except Stop as stop:
                if depth == 0 and stop.code == "alias_expansion":
                    # the expansion itself is unlocated: blame the top-level entry
                    stop.line, stop.column, stop.path = *key_where, (key,)
                raise
            pos.key_line, pos.key_column = key_where
            values[key], positions[key] = value, pos
        for key, value, pos in merged:
            if key not in values:
                values[key], positions[key] = value, pos
        pos = Pos.of(node)
        pos.children = positions
        return values, pos

    def _merge(
        self, node: Node, path: tuple[Any, ...], depth: int
    ) -> Iterator[tuple[Any, Any, Pos]]:
        """Entries brought by a ``<<: *base`` merge key, earlier ones first."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.report.add("bad_merge", mark(source.start_mark), path)
                continue
            value, pos = self.build(source, path, depth + 1)
            if isinstance(value, dict) and isinstance(pos.children, dict):
                for key, item in value.items():
                    yield key, item, pos.children[key]

    def _key(self, node: Node, path: tuple[Any, ...]) -> Any:
        self._spend(mark(node.start_mark))
        if not isinstance(node, ScalarNode):
            found = describe([] if isinstance(node, SequenceNode) else {})
            self.report.add("bad_key", mark(node.start_mark), path, found=found)
            return INVALID
        if not self._tag_ok(node, _SCALAR_TAGS, path):
            return INVALID
        if node.tag in (_INT, _FLOAT):
            try:
                return self._convert(node)
            except ValueError:
                return node.value
        return node.value  # yes/no/null keys stay the words written


def read_file(path: Path) -> bytes:
    """The bytes of ``path``; :class:`Stop` when it is larger than :data:`MAX_BYTES`."""
    check_size(path.stat().st_size)
    with path.open("rb") as stream:
        return stream.read(MAX_BYTES + 1)


def as_text(text_or_bytes: str | bytes) -> str:
    """Text within the size limit (bytes decoded as UTF-8), without its BOM."""
    if isinstance(text_or_bytes, bytes):
        check_size(len(text_or_bytes))
        return decode(text_or_bytes)
    if len(text_or_bytes) > MAX_BYTES:  # at least one byte per character
        check_size(len(text_or_bytes))
    elif len(text_or_bytes) * 4 > MAX_BYTES:  # at most four
        check_size(len(text_or_bytes.encode("utf-8", "surrogatepass")))
    return text_or_bytes.removeprefix("\ufeff")


def parse(report: Report, content: str) -> Node | None:
    """The composed node tree, or ``None`` after reporting why there is none."""
    try:
        scan_events(content)
        node = compose(content)
    except yaml.YAMLError as exc:
        yaml_error(report, exc, content)
        return None
    if node is None or (isinstance(node, ScalarNode) and node.tag == NULL and not node.value):
        report.add("empty_file", (0, 0))
        return None
    if not isinstance(node, MappingNode):
        found = describe([] if isinstance(node, SequenceNode) else node.value)
        report.add("not_a_mapping", mark(node.start_mark), found=found)
        return None
    return node
