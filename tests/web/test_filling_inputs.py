"""« Mon auto-évaluation »: what is typed is what is saved (issue 10, §1).

Decimal commas, French numbers in the fields, values refused next to their
field (and the « Enregistré » line that never claims otherwise), whole units
for whole indicators, a save refused by another tab shown at its question,
follow-up questions that disappear with their heading, the save date, long
texts, large numbers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, update
from streamlit.testing.v1 import AppTest

from assessment import assessments, db
from assessment.french import NBSP, NNBSP, typo
from assessment.scoring import score
from assessment.tables import Assessment
from assessment.web.views import filling

from .markdown_text import shown
from .test_filling import SYSTEM, Env, make_env, markdown_text, progress_text

PERCENT = "gouv-taux-participation-ag"
"""An optional percentage, 0 to 100, at every horizon."""
JOBS = "terr-emplois-etp"
"""Jobs (ETP), no maximum."""
MEETINGS = "conc-temps-concertation"
"""A count of meetings: a whole number."""
VOTE = "gouv-vote-distance"
FOLLOW_UP = "gouv-vote-distance-precisions"
FOLLOW_UP_LABEL = "Précisez le dispositif de vote à distance"


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    return make_env(web_db, cookies)


def key(question: str, horizon: str = "current") -> str:
    return filling.widget_key(question, horizon)


def stored(env: Env) -> assessments.AssessmentState:
    found = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert found is not None
    return found


def stored_cell(env: Env, question: str, horizon: str = "current") -> Any:
    return stored(env).answers.get(question, {}).get(horizon)


def elements(at: AppTest) -> list[Any]:
    """Every element of the page, in the order a reader meets them."""
    out: list[Any] = []

    def walk(node: Any) -> None:
        for child in getattr(node, "children", {}).values():
            if hasattr(child, "children") and child.type not in ("text_input", "radio"):
                walk(child)
            else:
                out.append(child)

    walk(at.main)
    return out


def next_to(at: AppTest, widget_key: str, count: int = 3) -> list[str]:
    """The texts (as read) of the few elements drawn right after the widget ``widget_key``."""
    found = elements(at)
    index = next(i for i, e in enumerate(found) if getattr(e, "key", None) == widget_key)
    return [shown(str(getattr(e, "value", ""))) for e in found[index + 1 : index + 1 + count]]


def status_line(at: AppTest) -> str:
    """The line beside the progress bar: « Enregistré à … », or what is not saved."""
    lines = [
        str(m.value)
        for m in at.markdown
        if "Enregistré" in str(m.value)
        or "non enregistrée" in str(m.value)
        or "Non enregistré" in str(m.value)
    ]
    assert len(lines) <= 1, lines
    return lines[0] if lines else ""


# ---------------------------------------------------------------------------
# numbers typed the French way
# ---------------------------------------------------------------------------


def test_decimal_comma_is_saved_and_shown_the_french_way(env: Env) -> None:
    at = env.app().run()
    field = at.text_input(key=key(PERCENT))
    assert field.value == ""  # nothing stored yet: an empty field, no « 0,00 »
    field.input("45,5").run()
    assert not at.exception
    assert stored_cell(env, PERCENT) == 45.5  # not 455
    assert at.text_input(key=key(PERCENT)).value == "45,5"
    assert "Enregistré à" in status_line(at)
    # a point is read too, and shown back with a comma
    at.text_input(key=key(PERCENT, "goal_1y")).input("52.3").run()
    assert stored_cell(env, PERCENT, "goal_1y") == 52.3
    assert at.text_input(key=key(PERCENT, "goal_1y")).value == "52,3"
    # a new session (a reload) shows the stored values the same way
    again = env.app().run()
    assert again.text_input(key=key(PERCENT)).value == "45,5"
    assert again.text_input(key=key(PERCENT, "goal_1y")).value == "52,3"


def test_large_numbers_with_french_grouping_in_the_field_and_read_only_view(env: Env) -> None:
    at = env.app().run()
    at.text_input(key=key(JOBS)).input("1234567").run()
    assert stored_cell(env, JOBS) == 1234567
    assert at.text_input(key=key(JOBS)).value == f"1{NNBSP}234{NNBSP}567"
    at.text_input(key=key(JOBS, "goal_1y")).input(f"1{NNBSP}234{NNBSP}567,25").run()
    assert stored_cell(env, JOBS, "goal_1y") == 1234567.25
    view = filling.plan_for(env.grid).questions[JOBS]
    shown = filling._format_answer(view, 1234567.0)
    assert shown == f"1{NNBSP}234{NNBSP}567{NBSP}ETP"
    assert "e+" not in shown
    assert filling._format_answer(view, 0.5) == f"0,5{NBSP}ETP"


def test_out_of_range_value_is_refused_next_to_its_field_and_not_claimed_saved(
    env: Env,
) -> None:
    at = env.app().run()
    at.radio(key=key("gouv-regles")).set_value(2).run()  # something saved already
    assert "Enregistré à" in status_line(at)
    at.text_input(key=key(PERCENT)).input("150").run()
    assert not at.exception
    assert stored_cell(env, PERCENT) is None  # nothing saved
    after = next_to(at, key(PERCENT))
    assert any("150 est supérieur au maximum (100). Valeur non enregistrée." in t for t in after)
    # the line beside the progress bar says so, and no longer « Enregistré »
    line = status_line(at)
    assert "Enregistré à" not in line
    assert "1\u00a0réponse non enregistrée" in line and f"(#{filling.anchor(PERCENT)})" in line
    # the typed value stays, to be corrected; corrected, it is saved and the line says so
    assert at.text_input(key=key(PERCENT)).value == "150"
    at.text_input(key=key(PERCENT)).input("100").run()
    assert stored_cell(env, PERCENT) == 100
    assert not any("Valeur non enregistrée" in t for t in next_to(at, key(PERCENT)))
    assert "Enregistré à" in status_line(at)


def test_text_that_is_not_a_number_is_refused_in_french(env: Env) -> None:
    at = env.app().run()
    at.text_input(key=key(JOBS)).input("douze").run()
    assert stored_cell(env, JOBS) is None
    assert any(
        "«\u00a0douze\u00a0» n’est pas un nombre (exemple\u00a0: 45,5). Valeur non enregistrée."
        in t
        for t in next_to(at, key(JOBS))
    )
    assert "réponse non enregistrée" in status_line(at)


def test_whole_indicators_take_whole_units_only(env: Env) -> None:
    """A count of meetings steps by one: a decimal is refused there, whole numbers saved."""
    at = env.app().run()
    at.text_input(key=key(MEETINGS)).input("2,5").run()
    assert stored_cell(env, MEETINGS) is None
    assert any("un nombre entier est attendu" in t.lower() for t in next_to(at, key(MEETINGS)))
    at.text_input(key=key(MEETINGS)).input("3").run()
    assert stored_cell(env, MEETINGS) == 3
    assert at.text_input(key=key(MEETINGS)).value == "3"
    # no field of the form has ± buttons stepping by 0,01 any more
    assert not at.number_input


def test_emptying_a_number_field_removes_the_answer(env: Env) -> None:
    at = env.app().run()
    at.text_input(key=key(PERCENT)).input("12").run()
    assert stored_cell(env, PERCENT) == 12
    at.text_input(key=key(PERCENT)).input("").run()
    assert stored_cell(env, PERCENT) is None


# ---------------------------------------------------------------------------
# a save refused because another tab changed the answers
# ---------------------------------------------------------------------------


def test_refused_save_is_shown_at_the_question_and_the_widget_shows_the_stored_answer(
    env: Env,
) -> None:
    first = env.app().run()
    second = env.app().run()  # same account, another tab
    second.radio(key=key("gouv-regles")).set_value(1).run()
    first.radio(key=key("gouv-regles")).set_value(3).run()
    assert not first.exception
    assert stored_cell(env, "gouv-regles") == 1  # the other tab's answer is kept
    # at the question: why, and the way out
    after = next_to(first, key("gouv-regles"), count=4)
    assert any("n’a pas été enregistrée" in t and "autre onglet" in t for t in after), after
    assert first.button(key=filling.RELOAD_KEY)
    # the widget shows what is stored, not the refused choice
    assert first.radio(key=key("gouv-regles")).value == 1
    # no « Enregistré » claim, and no message far away at the top of the page
    line = status_line(first)
    assert "Enregistré à" not in line and "Non enregistré" in line
    assert f"(#{filling.anchor('gouv-regles')})" in line
    top = [str(e.value) for e in first.error if "modifiées entre-temps" in str(e.value)]
    assert not [t for t in top if "Votre dernière modification" in t]
    # another change in the same tab is refused the same way, at its own question
    first.text_input(key=key(PERCENT)).input("40").run()
    assert stored_cell(env, PERCENT) is None
    assert first.text_input(key=key(PERCENT)).value == ""
    assert any("n’a pas été enregistrée" in t for t in next_to(first, key(PERCENT), count=4))
    # reload, there: the stored answers, no message
    first.button(key=filling.RELOAD_KEY).click().run()
    assert not first.exception
    assert not [e for e in first.error if "enregistrée" in str(e.value)]
    assert first.radio(key=key("gouv-regles")).value == 1
    first.radio(key=key("gouv-regles")).set_value(3).run()
    assert stored_cell(env, "gouv-regles") == 3
    assert "Enregistré à" in status_line(first)


# ---------------------------------------------------------------------------
# follow-up questions
# ---------------------------------------------------------------------------


def _follow_up_shown(at: AppTest) -> bool:
    return FOLLOW_UP_LABEL in markdown_text(at)


def _expected_progress(env: Env) -> str:
    state = stored(env)
    report = score(env.grid, state.answers, state.not_addressed, state.not_applicable_ids(env.grid))
    counts = report.completion.counts
    return typo(filling.progress_text(counts))  # as drawn: every text goes through typo


def test_follow_up_question_disappears_with_its_heading_and_progress_follows(env: Env) -> None:
    at = env.app().run()
    assert not _follow_up_shown(at)  # not asked before the answer it follows
    assert not [w for w in at.text_area if w.key == key(FOLLOW_UP)]
    at.radio(key=key(VOTE)).set_value(True).run()
    assert _follow_up_shown(at)
    assert at.text_area(key=key(FOLLOW_UP))
    with_follow_up = progress_text(at)
    assert with_follow_up == _expected_progress(env)
    at.radio(key=key(VOTE)).set_value(False).run()
    assert not _follow_up_shown(at)  # heading and field gone together
    assert not [w for w in at.text_area if w.key == key(FOLLOW_UP)]
    assert progress_text(at) == _expected_progress(env) != with_follow_up
    # after a reload too
    again = env.app().run()
    assert not _follow_up_shown(again)
    assert progress_text(again) == _expected_progress(env)


# ---------------------------------------------------------------------------
# when it was saved; long texts
# ---------------------------------------------------------------------------


def test_saved_line_shows_the_date_when_not_today(env: Env) -> None:
    at = env.app().run()
    at.radio(key=key("gouv-regles")).set_value(2).run()
    assert re.fullmatch(r":material/check_circle: Enregistré à \d\d:\d\d", status_line(at))
    with db.write_session(env.engine) as session:
        session.execute(
            update(Assessment)
            .where(Assessment.id == stored(env).id)
            .values(updated_at=datetime(2025, 3, 12, 10, 18, tzinfo=UTC))
        )
    again = env.app().run()
    assert status_line(again) == ":material/check_circle: Enregistré le 12/03/2025 à 11:18"


def test_saved_when_is_paris_time_with_the_date_on_another_day() -> None:
    moment = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 23:30 in Paris
    assert filling.saved_when(moment, now=datetime(2026, 7, 1, 21, 45, tzinfo=UTC)) == "à 23:30"
    # after midnight in Paris it is another day, although still 1 July in UTC
    assert (
        filling.saved_when(moment, now=datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
        == "le 01/07/2026 à 23:30"
    )


def test_long_text_is_saved_and_committed_while_typing(env: Env) -> None:
    at = env.app().run()
    # the page carries the script that commits a text area after a pause in typing
    # and asks before leaving with text not yet committed (run by the browser journey)
    scripts = [str(h.proto.body) for h in at.get("html")]
    assert any("beforeunload" in s and "ctrlKey: true" in s for s in scripts)
    text = "Notre assemblée générale se tient chaque année en juin. " * 20
    at.text_area(key=key("gouv-enjeux", "current")).input(text).run()
    assert stored_cell(env, "gouv-enjeux", "current") == text.strip()
    assert "Enregistré à" in status_line(at)
