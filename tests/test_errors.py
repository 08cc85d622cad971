"""Every error meant for users shares one base with a French ``message``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import assessment
from assessment.errors import UserError

# Errors that are not for users: internal control flow, or raised at the shell only.
INTERNAL = {"_Invalid", "Stop", "SeedError", "GridError", "MergeConflict"}  # Stop: gridfile.reader;
# MergeConflict: caught by gridtools.lineage.carry, which reports the answers in French


def _error_classes() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(assessment.__path__, "assessment."):
        if ".web" in info.name or ".migrations" in info.name or ".cli" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Exception)
                and obj.__module__ == module.__name__
                and name not in INTERNAL
            ):
                found.append(obj)
    return found


def test_user_errors_share_the_base() -> None:
    classes = _error_classes()
    assert len(classes) >= 10
    outliers = [c.__qualname__ for c in classes if not issubclass(c, UserError)]
    assert outliers == []


def test_message_is_the_text_shown() -> None:
    from assessment.assessments import StaleRevision

    error = StaleRevision(current_revision=7)
    assert error.message == str(error)
    assert "rechargez" in error.message
    assert error.current_revision == 7
