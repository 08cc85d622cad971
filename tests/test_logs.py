"""Structured logs: one JSON object per line, no personal data."""

from __future__ import annotations

import io
import json
import logging

from assessment.logs import configure_logging


def test_one_json_line_per_event_without_personal_data() -> None:
    stream = io.StringIO()
    handler = configure_logging("info", stream=stream)
    try:
        log = logging.getLogger("assessment.test")
        log.info(
            "answer_saved", extra={"assessment_id": 7, "email": "a@b.fr", "organisation_name": "X"}
        )
        log.warning("sign_in_refused for %s", "claire.martin@exemple.fr")
        log.debug("not shown at INFO")
        lines = stream.getvalue().splitlines()
        assert len(lines) == 2
        first, second = (json.loads(line) for line in lines)
        assert first["message"] == "answer_saved" and first["assessment_id"] == 7
        assert first["level"] == "INFO" and first["logger"] == "assessment.test" and first["time"]
        assert "email" not in first and "organisation_name" not in first
        assert "claire.martin" not in second["message"] and "adresse masquée" in second["message"]
        assert configure_logging("warning", stream=stream) is handler  # idempotent
    finally:
        logging.getLogger().removeHandler(handler)
