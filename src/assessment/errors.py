"""The base of every error meant for the person using the product.

A :class:`UserError` carries ``message``: French, specific, safe to show as is
(no internals).  Each module subclasses it (also subclassing the matching
built-in, e.g. ``ValueError``), so callers — pages, CLI — can show any of them
the same way.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose ``message`` is French and safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
