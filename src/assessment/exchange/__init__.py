"""Answers in and out of the product as files.

* :mod:`~assessment.exchange.template` — the XLSX template of any grid (pure);
* :mod:`~assessment.exchange.spreadsheet` — reading a filled template back,
  every cell checked, every problem located (sheet, cell, in French);
* :mod:`~assessment.exchange.json_exchange` — one assessment as JSON, to move
  it to another installation (the organisation's admins);
* :mod:`~assessment.exchange.importing` — what an import would change (with
  the conflicts: cells already answered online), then one-transaction write;
* :mod:`~assessment.exchange.incoming` — the checked answers between the two,
  and the hook for grid versions that replace one another
  (:func:`~assessment.exchange.incoming.version_bridge`);
* :mod:`~assessment.exchange.problems` — located, French problems.
"""

from __future__ import annotations

from assessment.exchange.importing import (
    Change,
    ImportPlan,
    apply_import,
    conflict_lines,
    import_target,
    plan_file,
    plan_import,
)
from assessment.exchange.incoming import ExchangeError, IncomingAnswers, version_bridge
from assessment.exchange.json_exchange import export_answers, export_file_name, read_answers_json
from assessment.exchange.problems import ImportRefused, Problem
from assessment.exchange.spreadsheet import read_template
from assessment.exchange.template import template_file_name, template_xlsx

__all__ = [
    "Change",
    "ExchangeError",
    "ImportPlan",
    "ImportRefused",
    "IncomingAnswers",
    "Problem",
    "apply_import",
    "conflict_lines",
    "export_answers",
    "export_file_name",
    "import_target",
    "plan_file",
    "plan_import",
    "read_answers_json",
    "read_template",
    "template_file_name",
    "template_xlsx",
    "version_bridge",
]
