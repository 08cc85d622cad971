"""What a visitor sees when something goes wrong: a French message with an error id.

No visitor ever sees a traceback.  ``.streamlit/config.toml`` sets
``client.showErrorDetails = "none"``, and the app catches every unexpected
exception itself (:func:`assessment.web.state.guarded`, and ``st.App``'s
``on_script_error`` hook in ``app.py`` for whatever escapes): the error is
logged under a short random id and the page says, in French, that something
went wrong, quoting the id, so that a support request can find the log line.

The log line holds no personal data: the exception's type and where it was
raised (file, line, function), never its message or arguments, which may carry
what the visitor typed (an e-mail address, an answer) or an SQL statement with
its parameters.  No Streamlit script state is read here.
"""

from __future__ import annotations

import logging
import secrets
import traceback

import streamlit as st
from sqlalchemy.exc import DBAPIError, OperationalError

from assessment.french import typo

logger = logging.getLogger("assessment.web")

ERROR_ID_LENGTH = 8
"""Hex characters of an error id (32 random bits: enough to find one log line)."""


def new_error_id() -> str:
    return secrets.token_hex(ERROR_ID_LENGTH // 2).upper()


def _frames(exc: BaseException) -> list[str]:
    """``Type at file:line in function`` for the exception and its causes, no message."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        lines.append(f"{kind.__module__}.{kind.__qualname__}")
        lines.extend(
            f"  {frame.filename}:{frame.lineno} in {frame.name}"
            for frame in traceback.extract_tb(current.__traceback__)
        )
        current = current.__cause__ or current.__context__
    return lines


def report(exc: BaseException, *, where: str = "") -> str:
    """Log ``exc`` (type and stack only) under a new error id; returns the id."""
    error_id = new_error_id()
    place = f" ({where})" if where else ""
    logger.error("erreur %s%s\n%s", error_id, place, "\n".join(_frames(exc)))
    return error_id


def message(error_id: str) -> str:
    """The French message a visitor reads (quotes the id)."""
    return typo(
        "Une erreur inattendue est survenue. Réessayez dans un instant ; si le problème "
        f"persiste, signalez-le en indiquant la référence {error_id}."
    )


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached (a restart, a network cut): a passing fault."""
    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
    )


def unavailable_message(error_id: str) -> str:
    """What a visitor reads while the database is unreachable (nothing was saved)."""
    return typo(
        "La base de données est momentanément indisponible : votre dernière action n'a "
        "pas été enregistrée. Réessayez dans quelques secondes (référence "
        f"{error_id})."
    )


def describe(exc: BaseException, *, where: str = "") -> str:
    """Log ``exc`` under a new id and return the French message for it."""
    error_id = report(exc, where=where)
    return unavailable_message(error_id) if database_unavailable(exc) else message(error_id)


def show(text: str) -> None:
    st.error(text, icon=":material/error:")


def on_script_error(exc: Exception) -> bool:
    """``st.App(on_script_error=...)``: log, show the French message, hide the default."""
    show(describe(exc, where="script"))
    return True
