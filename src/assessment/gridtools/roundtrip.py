"""Edit a grid's YAML text and keep its author's comments, key order and quoting.

The stored text of a version is always what its author wrote (upload and
in-browser editing store it verbatim; downloads return it verbatim).  Where the
product itself must change a grid's text -- a new draft made from a version
gets a new ``version:`` -- it goes through a ruamel.yaml round trip, so that
everything else stays as it was.  ruamel.yaml only ever edits: the bounded safe
loader (:func:`assessment.gridfile.load_grid_text`) reads the text first,
and stays the one that validates.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assessment.errors import UserError
from assessment.gridfile import load_grid_text

UNREADABLE_CODES = frozenset(
    {"file_too_large", "too_deep", "too_many_nodes", "alias_expansion", "alias_recursive"}
)
"""Loader codes after which a text is read no further (hostile, or not a grid)."""

_SEQUENCE_LINE = re.compile(r"^(?P<key> *)[A-Za-z_][\w-]*:\s*(#.*)?\n(?P<dash> *)- ", re.M)


class RoundTripError(UserError, ValueError):
    """The text cannot be edited while keeping its layout (French message)."""


def _guard(source: str) -> None:
    result = load_grid_text(source)
    blocking = [
        p for p in result.problems if p.code in UNREADABLE_CODES or p.code.startswith("yaml_")
    ]
    if blocking or any(p.code in ("empty_file", "not_a_mapping") for p in result.problems):
        reason = (blocking or result.problems)[0].message
        raise RoundTripError(f"Ce texte ne peut pas être modifié automatiquement : {reason}")


def _yaml_for(source: str) -> YAML:
    """A round-trip YAML instance that writes lists indented as ``source`` does."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-fold the author's lines
    match = _SEQUENCE_LINE.search(source)
    offset = 0
    if match is not None:
        offset = max(0, len(match["dash"]) - len(match["key"]))
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def load(source: str) -> tuple[YAML, Any]:
    """The round-trip document of a grid text (after the safe loader's checks)."""
    _guard(source)
    yaml = _yaml_for(source)
    try:
        return yaml, yaml.load(source)
    except YAMLError as exc:  # the safe loader accepted it: should not happen
        raise RoundTripError(f"Ce texte ne peut pas être modifié automatiquement ({exc}).") from exc


def dump(yaml: YAML, document: Any) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def round_trip(source: str) -> str:
    """``source`` read and written back unchanged (comments and key order kept)."""
    yaml, document = load(source)
    return dump(yaml, document)


def set_top_level(source: str, key: str, value: str) -> str:
    """``source`` with the top-level ``key`` set to the text ``value`` (double-quoted),
    every comment, key order and other value kept."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    yaml, document = load(source)
    if not hasattr(document, "keys"):
        raise RoundTripError("Une grille est une table « clé: valeur ».")
    document[key] = DoubleQuotedScalarString(value)
    return dump(yaml, document)


def set_version(source: str, version: str) -> str:
    """``source`` as a new version: only its ``version:`` changes."""
    version = version.strip()
    if not version:
        raise RoundTripError("Indiquez un numéro de version pour le nouveau brouillon.")
    return set_top_level(source, "version", version)
