"""Structured logs: one JSON line per event, on standard error.

:func:`configure_logging` is called once per process (the app's entry point and
the CLI).  Events are short snake-case names in ``message`` with their facts as
fields (``logger.info("answer_saved", extra={"assessment_id": 3})``).

No personal data: log ids (user, organisation, assessment), never an e-mail
address, a name, a password, a token or an answer.  :class:`PersonalDataFilter`
drops the fields that would carry them, whoever logs them, and masks e-mail
addresses in messages.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
_HANDLER_NAME = "assessment-json"
_EMAIL = re.compile(r"[^@\s\"'<>]+@[^@\s\"'<>]+\.[A-Za-z]{2,}")

PERSONAL_FIELDS = frozenset(
    {
        "email",
        "e_mail",
        "password",
        "token",
        "cookie",
        "organisation_name",
        "answer",
        "comment",
        "ip",
    }
)
"""Fields never written to the logs."""


class PersonalDataFilter(logging.Filter):
    """Drops personal fields and masks e-mail addresses in the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        for field in PERSONAL_FIELDS & set(record.__dict__):
            delattr(record, field)
        if isinstance(record.msg, str) and "@" in record.msg:
            record.msg = _EMAIL.sub("[adresse masquée]", record.msg)
        if record.args:
            record.args = tuple(
                _EMAIL.sub("[adresse masquée]", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(LOG_FORMAT, rename_fields=_RENAMED, json_ensure_ascii=False)


def configure_logging(level: str = "INFO", *, stream: Any = None) -> logging.Handler:
    """One JSON handler on the root logger at ``level`` (idempotent per process)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.get_name() == _HANDLER_NAME:
            root.setLevel(level.upper())
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter())
    handler.addFilter(PersonalDataFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
