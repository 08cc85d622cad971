"""Filling journey in a real browser: an organisation admin fills the whole
default grid through the form, reloads half-way, submits, then reads the results.

The journey runs on its own server (seeded with the demo data, like
``live_server``) and its own organisation and admin account, created through
the core API before the browser starts: it never depends on, nor changes, the
demo organisation the other journeys use.

Every answer is given by clicking the radio button in the page; the test waits
for the page's « Progression : N / … réponses obligatoires · … facultatives »
counter (drawn after the answer is stored) instead of sleeping.
Screenshots: ``test-artifacts/screenshots/filling-*.png``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessment import assessments
from assessment.french import typo
from assessment.grid import Grid, LevelQuestion, text
from assessment.scoring import score
from assessment.web.views import filling
from assessment.web.views.filling import SYSTEMIC
from assessment.web.views.results import format_score

from .conftest import (
    SCREENSHOTS,
    LiveServer,
    OrgAdmin,
    _start_server,
    close_sidebar_on_a_phone,
    heading,
    org_admin_fixture,
    screenshot,
    sign_in,
    stored_eventually,
    wait_for_app,
)

pytestmark = pytest.mark.browser

RELOAD_AFTER_ITEM = 4
"""The page is reloaded once this many items are filled."""
VIEWPORT = {"width": 1280, "height": 900}
TALL_MAX = 12_000
"""Tallest whole-page capture (px): Streamlit scrolls inside the page, so a
whole-page screenshot needs a viewport as tall as the content."""
THEME_TOGGLED = "ethique"
THEME_REASON = "Une charte éthique est en projet"
"""The theme whose reason is typed in the « Thèmes traités » step (every theme is ticked)."""


@pytest.fixture(scope="module")
def filling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on its own demo database: this journey submits, the others stay unaffected."""
    yield from _start_server(tmp_path_factory.mktemp("filling"), seeded=True)


def _new_org_admin(
    server: LiveServer, name: str, *, themes_chosen: bool = True
) -> Iterator[OrgAdmin]:
    """A new organisation and its admin account."""
    yield from org_admin_fixture(
        server.database_url,
        name=name,
        region="53",
        size_band="10-49",
        domain="remplissage.test",
        themes_chosen=themes_chosen,
    )


@pytest.fixture(scope="module")
def org_admin(filling_server: LiveServer) -> Iterator[OrgAdmin]:
    # no assessment yet: the journey goes through the themes step
    yield from _new_org_admin(
        filling_server, "Association Parcours de Remplissage", themes_chosen=False
    )


@pytest.fixture
def inputs_admin(filling_server: LiveServer) -> Iterator[OrgAdmin]:
    """Another organisation (one per screen width), for the journey through numbers,
    conflicts and texts: its assessment opened with every theme worked on (the theme
    step has its own journey)."""
    yield from _new_org_admin(filling_server, "Association Saisie à la Française")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _sections(grid: Grid) -> list[tuple[str, list[LevelQuestion]]]:
    """Each item (then the systemic view) with its required level questions, in page order."""
    sections: dict[str, list[LevelQuestion]] = {item.id: [] for item in grid.items}
    for item, question in grid.questions():
        if isinstance(question, LevelQuestion) and question.is_required:
            sections.setdefault(item.id if item is not None else SYSTEMIC, []).append(question)
    return list(sections.items())


def _levels(index: int) -> tuple[int, int, int]:
    """The levels given to the ``index``-th question (current, 1-year, 3-year goals):
    varied, goals at or above the current state, so that the results differ by item."""
    current = index % 3
    goal_1y = min(4, current + 1 + index % 2)
    return current, goal_1y, min(4, goal_1y + 1 + index % 4 // 3)


def _key_class(question_id: str, horizon_id: str) -> str:
    """CSS class Streamlit gives the widget of ``filling.widget_key(question, horizon)``."""
    return f"st-key-fill-q-{question_id}-{horizon_id}"


def _progress(page, answered: int, expected: int | None = None):  # type: ignore[no-untyped-def]
    """The counter once ``answered`` required answers (of ``expected``, if given) are stored."""
    of = r"\d+" if expected is None else str(expected)
    return page.get_by_text(
        re.compile(
            rf"^Progression\s: {answered} / {of} réponses obligatoires · \d+ / \d+ facultatives$"
        )
    )


EMOJI = re.compile("[\u2600-\u27bf\u2b00-\u2bff\ufe0f\U0001f000-\U0001faff]")
"""Emoji draw as empty boxes in a browser without an emoji font (Debian's chromium)."""


def _no_emoji(page) -> None:  # type: ignore[no-untyped-def]
    shown = page.get_by_test_id("stMain").inner_text()
    assert not EMOJI.findall(shown), EMOJI.findall(shown)


def _saved_indicator(page):  # type: ignore[no-untyped-def]
    """The single « Enregistré à HH:MM » (after a Material icon, no emoji)."""
    return page.get_by_test_id("stMain").get_by_text(re.compile(r"Enregistré à \d\d:\d\d$"))


def _choose(page, question_id: str, horizon_id: str, level: int, answered: int) -> None:  # type: ignore[no-untyped-def]
    """Click one level, then wait until the page shows it stored (the counter moves)."""
    box = page.locator(f".{_key_class(question_id, horizon_id)}")
    box.get_by_test_id("stRadioOption").nth(level).click()
    box.locator(f'input[value="{level}"]:checked').wait_for(state="attached")
    _progress(page, answered).wait_for()
    wait_for_app(page)


_CHECKED_LEVELS = """() => {
  const out = {};
  for (const box of document.querySelectorAll('[class*="st-key-fill-q-"]')) {
    const key = [...box.classList].find((c) => c.startsWith('st-key-fill-q-'));
    const checked = box.querySelector('input[type="radio"]:checked');
    if (key && box.querySelector('input[type="radio"]')) {
      out[key] = checked ? Number(checked.value) : null;
    }
  }
  return out;
}"""


def _checked_levels(page) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    """Every level radio group of the page: its key class → the level ticked (or ``None``)."""
    return dict(page.evaluate(_CHECKED_LEVELS))


def _stored(admin: OrgAdmin) -> assessments.AssessmentState:
    found = assessments.find_assessment(
        admin.engine, admin.actor, admin.actor.organisation_id or 0, admin.campaign.id
    )
    assert found is not None, "the page opens the assessment on the first visit"
    return found


def _tall_screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """The whole page: the viewport grows to the content's height for the capture."""
    wait_for_app(page)
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0"
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(TALL_MAX, max(900, height))})
    try:
        return screenshot(page, name)
    finally:
        page.set_viewport_size(VIEWPORT)


def _sidebar_link(page, title: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stSidebar").get_by_role("link", name=title, exact=True)


def _choose_themes(page, admin: OrgAdmin) -> None:  # type: ignore[no-untyped-def]
    """Step 1: every theme starts unticked; tick all eight (stored), say why for one."""
    grid = admin.grid
    themes = page.locator('[class*="st-key-fill-theme-"] input[type="checkbox"]')
    themes.nth(len(grid.items) - 1).wait_for(state="attached")
    assert themes.count() == len(grid.items) == 8
    assert not any(themes.nth(i).is_checked() for i in range(themes.count()))
    assert page.get_by_text("Une grille propre à cet outil").count() == 1
    for item in grid.items:
        page.locator(f".st-key-fill-theme-{item.id}").get_by_test_id("stCheckbox").locator(
            "label"
        ).click()
        page.locator(f".st-key-fill-reason-{item.id} input").wait_for()
        wait_for_app(page)
    assert _stored(admin).not_addressed == frozenset()
    assert page.get_by_text("Non traité cette année", exact=True).count() == 0
    assert all(themes.nth(i).is_checked() for i in range(themes.count()))
    reason = page.locator(f".st-key-fill-reason-{THEME_TOGGLED} input")
    reason.fill(THEME_REASON)
    reason.press("Enter")
    wait_for_app(page)
    assert _stored(admin).choice_reasons == {THEME_TOGGLED: THEME_REASON}


# ---------------------------------------------------------------------------
# the journey
# ---------------------------------------------------------------------------


def test_admin_fills_every_item_reloads_submits_and_reads_results(
    filling_server: LiveServer,
    org_admin: OrgAdmin,
    page,  # type: ignore[no-untyped-def]
) -> None:
    started = time.monotonic()
    grid = org_admin.grid
    sections = _sections(grid)
    assert [s for s, _ in sections[:-1]] == [item.id for item in grid.items]
    assert sections[-1][0] == SYSTEMIC and sections[-1][1], "the systemic view has level questions"
    horizons = list(grid.horizon_ids)
    assert horizons == ["current", "goal_1y", "goal_3y"]

    # -- sign in through the form, open « Mon auto-évaluation »
    sign_in(page, filling_server, org_admin.email)
    _sidebar_link(page, "Mon auto-évaluation").click()  # the home page of an organisation
    heading(page, "Mon auto-évaluation").wait_for()
    wait_for_app(page)
    _progress(page, 0).wait_for()
    _choose_themes(page, org_admin)
    screenshot(page, "filling-01-themes")

    # -- fill every required level question, every horizon
    expected: dict[str, dict[str, int]] = {}
    answered = 0
    index = 0
    for number, (_section, questions) in enumerate(sections, start=1):
        for question in questions:
            levels = _levels(index)
            for horizon in grid.question_horizons(question):
                level = levels[horizons.index(horizon)]
                answered += 1
                _choose(page, question.id, horizon, level, answered)
                expected.setdefault(question.id, {})[horizon] = level
            index += 1
        if number != RELOAD_AFTER_ITEM:
            continue
        # -- half-way: reload, nothing is lost (browser and database)
        last = page.locator(f".{_key_class(questions[-1].id, horizons[0])}")
        last.scroll_into_view_if_needed()
        screenshot(page, "filling-02-before-reload")
        stored = _stored(org_admin)
        assert stored.answers == expected
        page.reload()
        wait_for_app(page)
        heading(page, "Mon auto-évaluation").wait_for()
        _progress(page, answered).wait_for()
        assert _stored(org_admin).answers == expected
        assert _stored(org_admin).revision == stored.revision
        shown = _checked_levels(page)
        wanted = {
            _key_class(q, h): v for q, by_horizon in expected.items() for h, v in by_horizon.items()
        }
        assert {k: shown.get(k) for k in wanted} == wanted
        assert all(v is None for k, v in shown.items() if k not in wanted)
        # one « Enregistré à » for the whole assessment, at the stored time, none per item
        saved = _saved_indicator(page)
        saved.first.wait_for()
        assert saved.count() == 1
        at = filling._hhmm(_stored(org_admin).updated_at)
        assert saved.inner_text().endswith(f"Enregistré à {at}"), saved.inner_text()
        assert page.get_by_text("· Enregistré à").count() == 0
        _no_emoji(page)
        last.scroll_into_view_if_needed()
        screenshot(page, "filling-03-after-reload")
    filled_at = time.monotonic()

    # -- everything stored; the page agrees
    final = _stored(org_admin)
    assert final.answers == expected
    assert final.status == "draft"
    assert sum(len(v) for v in expected.values()) == answered
    shown = _checked_levels(page)
    assert {k: v for k, v in shown.items() if v is not None} == {
        _key_class(q, h): v for q, by_horizon in expected.items() for h, v in by_horizon.items()
    }

    # -- complete: every required answer, whatever the optional ones
    report = score(grid, final.answers, final.not_addressed, final.not_applicable_ids(grid))
    required = report.completion.required_expected
    assert required == answered
    _progress(page, answered, required).wait_for()
    _no_emoji(page)

    # -- submit, with the confirmation
    assert page.get_by_text("Soumission impossible").count() == 0
    submit = page.get_by_role("button", name="Soumettre", exact=True)
    submit.scroll_into_view_if_needed()
    assert submit.is_enabled()
    screenshot(page, "filling-04-complete")
    submit.click()
    confirm = page.get_by_role("button", name="Confirmer la soumission", exact=True)
    confirm.wait_for()
    page.get_by_text(typo("Confirmez-vous la soumission ?")).wait_for()
    confirm.scroll_into_view_if_needed()
    screenshot(page, "filling-05-submit-confirmation")
    assert _stored(org_admin).status == "draft"  # nothing happens before confirming
    confirm.click()

    # -- read-only view
    page.get_by_text(typo("Auto-évaluation soumise : elle est en lecture seule.")).wait_for()
    wait_for_app(page)
    assert _stored(org_admin).status == "submitted"
    main = page.get_by_test_id("stMain")
    assert main.get_by_test_id("stRadio").count() == 0
    assert main.get_by_role("button", name="Soumettre", exact=True).count() == 0
    main.get_by_role("button", name=typo("Rouvrir l'auto-évaluation")).wait_for()
    labels = {h.id: text(h.label, grid.language) for h in grid.horizons}
    scale = {lv.value: text(lv.label, grid.language) for lv in grid.scale}
    for _, questions in sections:
        question = questions[0]
        label = text(question.label, grid.language)
        block = main.locator('[data-testid="stMarkdownContainer"] p', has_text=label[:60]).first
        shown_text = block.inner_text()
        for horizon, level in expected[question.id].items():
            line = typo(f"{labels[horizon]} : {level} – {scale[level]}")
            assert line in shown_text, (line, shown_text)
    # only the answers given: no « — » line per empty horizon, one line per item instead
    assert main.get_by_text(re.compile(r"\s:\s—$")).count() == 0
    empty_lines = main.get_by_text(re.compile(r"^\d+ questions? facultatives? non renseignées?$"))
    assert empty_lines.count() == len(sections), empty_lines.all_inner_texts()
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0"
    )
    assert height < 9_000, height  # 111 questions; was ~9,800 px for 79 with a line per empty cell
    _no_emoji(page)
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    _tall_screenshot(page, "filling-06-read-only")

    # -- « Résultats »: the chart is drawn, the overall score shown
    _sidebar_link(page, "Résultats").click()
    page.wait_for_url(re.compile(r"/resultats$"))
    heading(page, "Résultats").wait_for()
    wait_for_app(page)
    assert page.get_by_text("Résultats provisoires").count() == 0  # it is submitted
    chart = page.get_by_test_id("stVegaLiteChart").first
    marks = chart.locator("canvas.marks, svg.marks").first
    marks.wait_for()
    box = marks.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100, box
    overall = [format_score(report.overall.get(h)) for h in horizons]
    assert all(value.endswith(" / 100") for value in overall), overall
    # an HTML table (every column fits a phone), the theme as the row header
    table = page.locator("table.ess-table--scores").first
    row = table.locator("tbody tr").filter(has_text="Ensemble").first
    row.wait_for()
    cells = row.locator("th, td").all_text_contents()
    # « Ensemble, sur 8 thèmes traités sur 8 »: the overall score says what it covers
    assert cells[0].startswith("Ensemble") and "8 thèmes traités sur 8" in cells[0].replace(
        "\u00a0", " "
    ), cells
    assert cells[1:] == overall, (cells, overall)
    optional = report.completion.optional_expected
    page.get_by_text(
        f"Scores sur 100. {required} / {required} réponses obligatoires · 0 / {optional} "
        "facultatives.",
        exact=True,
    ).wait_for()
    _no_emoji(page)
    _tall_screenshot(page, "filling-07-results")

    # -- « Plan d'action »
    _sidebar_link(page, typo("Plan d'action")).click()
    page.wait_for_url(re.compile(r"/plan-action$"))
    heading(page, typo("Plan d'action")).wait_for()
    wait_for_app(page)
    _no_emoji(page)
    _tall_screenshot(page, "filling-08-action-plan")

    finished = time.monotonic()
    print(
        f"\nfilling journey: {answered} answers in {filled_at - started:.0f} s, "
        f"whole journey {finished - started:.0f} s"
    )


# ---------------------------------------------------------------------------
# what is typed is what is saved (issue 10, §1)
# ---------------------------------------------------------------------------

PERCENT = "gouv-taux-participation-ag"
VOTE = "gouv-vote-distance"
FOLLOW_UP_LABEL = "Précisez le dispositif de vote à distance"
LONG_TEXT = "gouv-enjeux"
SHOTS = Path("/tmp/h10-inputs-shots")


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The viewport where the step happens (``test-artifacts/screenshots`` and /tmp)."""
    wait_for_app(page)
    for folder in (SCREENSHOTS, SHOTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))


def _text(shown: str) -> re.Pattern[str]:
    """The whole text ``shown``, any kind of space where it has one."""
    return re.compile("^" + r"\s".join(re.escape(w) for w in re.split(r"\s", shown)) + "$")


def _cell(admin: OrgAdmin, question_id: str, horizon_id: str = "current"):  # type: ignore[no-untyped-def]
    return _stored(admin).answers.get(question_id, {}).get(horizon_id)


def _wait_stored(page, admin: OrgAdmin, question_id: str, horizon_id: str, value) -> None:  # type: ignore[no-untyped-def]
    """Wait (bounded) until the database holds ``value`` for the cell."""
    assert stored_eventually(lambda: _cell(admin, question_id, horizon_id), value) == value


def _status(page):  # type: ignore[no-untyped-def]
    """The line beside the progress bar (« Enregistré à … » or what is not saved), in
    the sticky bar (a level descriptor may say « non enregistrées » too)."""
    return page.locator(".st-key-fill-progress").get_by_text(
        re.compile(r"(Enregistré (à|le) |non enregistrée|Non enregistré)")
    )


def _expected_progress(admin: OrgAdmin):  # type: ignore[no-untyped-def]
    state = _stored(admin)
    report = score(
        admin.grid, state.answers, state.not_addressed, state.not_applicable_ids(admin.grid)
    )
    return filling.progress_text(report.completion.counts)


def _type_number(page, question_id: str, horizon_id: str, typed: str):  # type: ignore[no-untyped-def]
    field = page.locator(f".{_key_class(question_id, horizon_id)} input")
    field.scroll_into_view_if_needed()
    field.click()
    field.fill(typed)
    field.press("Tab")  # leaving the field commits it, as a user does
    wait_for_app(page)
    return field


@pytest.mark.parametrize("width", [1280, 390])
def test_numbers_a_refused_save_a_follow_up_and_long_text(
    filling_server: LiveServer,
    inputs_admin: OrgAdmin,
    context,  # type: ignore[no-untyped-def]
    page,  # type: ignore[no-untyped-def]
    width: int,
) -> None:
    """On a desktop and at 390 px (the goals' columns stacked)."""
    admin = inputs_admin
    page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
    sign_in(page, filling_server, admin.email)  # an organisation's home: its assessment
    heading(page, "Mon auto-évaluation").wait_for()
    close_sidebar_on_a_phone(page, width)
    wait_for_app(page)
    _progress(page, 0).wait_for()

    # -- « 45,5 »: saved as 45.5 (not 455), shown with its comma
    field = _type_number(page, PERCENT, "current", "45,5")
    _wait_stored(page, admin, PERCENT, "current", 45.5)
    assert field.input_value() == "45,5"
    _status(page).filter(has_text="Enregistré à").wait_for()
    _shot(page, f"inputs-{width}-01-decimal-comma")

    # -- « 150 » in a 0–100 field: refused next to the field, and said so beside the bar
    box = page.locator(f".{_key_class(PERCENT, 'goal_1y')}")
    field = _type_number(page, PERCENT, "goal_1y", "150")
    refusal = page.get_by_text("150 est supérieur au maximum (100). Valeur non enregistrée.")
    refusal.wait_for()
    field_box, refusal_box = box.bounding_box(), refusal.bounding_box()
    assert field_box is not None and refusal_box is not None
    below = refusal_box["y"] - (field_box["y"] + field_box["height"])
    assert 0 <= below < 120, (field_box, refusal_box)  # right under the field
    assert _cell(admin, PERCENT, "goal_1y") is None
    status = _status(page)
    status.filter(has_text=re.compile(r"1\sréponse non enregistrée")).wait_for()
    assert status.filter(has_text="Enregistré à").count() == 0
    assert field.input_value() == "150"  # kept, to be corrected
    _shot(page, f"inputs-{width}-02-out-of-range")
    status.first.scroll_into_view_if_needed()
    _shot(page, f"inputs-{width}-02b-out-of-range-status")
    _type_number(page, PERCENT, "goal_1y", "60")
    _wait_stored(page, admin, PERCENT, "goal_1y", 60)
    refusal.wait_for(state="detached")
    _status(page).filter(has_text="Enregistré à").wait_for()

    # -- a follow-up question: its heading comes and goes with its field, the
    # progress counter follows in the same run
    vote = page.locator(f".{_key_class(VOTE, 'current')}")
    vote.scroll_into_view_if_needed()
    vote.get_by_test_id("stRadioOption").nth(0).click()  # Oui
    page.get_by_text(FOLLOW_UP_LABEL).first.wait_for()
    _wait_stored(page, admin, VOTE, "current", True)
    page.get_by_text(_text(_expected_progress(admin))).wait_for()
    _shot(page, f"inputs-{width}-03-follow-up-asked")
    vote.get_by_test_id("stRadioOption").nth(1).click()  # Non
    page.get_by_text(FOLLOW_UP_LABEL).first.wait_for(state="detached")
    _wait_stored(page, admin, VOTE, "current", False)
    page.get_by_text(_text(_expected_progress(admin))).wait_for()
    assert page.locator(f'[class*="{_key_class(VOTE + "-precisions", "current")}"]').count() == 0
    _shot(page, f"inputs-{width}-04-follow-up-gone")

    # -- long text: committed after a pause in typing, kept across a reload
    area = page.locator(f".{_key_class(LONG_TEXT, 'current')} textarea")
    area.scroll_into_view_if_needed()
    area.click()
    words = "Ouvrir le conseil d’administration aux salariés et aux usagers."
    area.press_sequentially(words, delay=5)
    _wait_stored(page, admin, LONG_TEXT, "current", words)  # with the focus still there
    assert area.evaluate("(el) => el === document.activeElement")
    page.reload()
    wait_for_app(page)
    heading(page, "Mon auto-évaluation").wait_for()
    close_sidebar_on_a_phone(page, width)
    area = page.locator(f".{_key_class(LONG_TEXT, 'current')} textarea")
    assert area.input_value() == words
    assert page.locator(f".{_key_class(PERCENT, 'current')} input").input_value() == "45,5"
    page.get_by_text(FOLLOW_UP_LABEL).first.wait_for(state="detached")  # after a reload too

    # -- a save refused because another tab changed the answers: shown at the question
    other = context.new_page()
    other.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
    other.goto(page.url)
    wait_for_app(other)
    heading(other, "Mon auto-évaluation").wait_for()
    close_sidebar_on_a_phone(other, width)
    other_box = other.locator(f".{_key_class('gouv-regles', 'current')}")
    other_box.get_by_test_id("stRadioOption").nth(1).click()
    _wait_stored(other, admin, "gouv-regles", "current", 1)
    other.close()
    box = page.locator(f".{_key_class('gouv-regles', 'current')}")
    box.scroll_into_view_if_needed()
    box.get_by_test_id("stRadioOption").nth(3).click()
    conflict = page.get_by_text("Cette réponse n’a pas été enregistrée")
    conflict.wait_for()
    reload_button = page.get_by_role("button", name="Recharger", exact=True)
    reload_button.wait_for()
    # the radio shows what is stored (1), not the refused choice (3)
    box.locator('input[value="1"]:checked').wait_for(state="attached")
    assert box.locator('input[value="3"]:checked').count() == 0
    assert _cell(admin, "gouv-regles") == 1
    field_box, conflict_box = box.bounding_box(), conflict.bounding_box()
    assert field_box is not None and conflict_box is not None
    assert 0 <= conflict_box["y"] - (field_box["y"] + field_box["height"]) < 200
    _status(page).filter(has_text="Non enregistré").wait_for()
    assert _status(page).filter(has_text="Enregistré à").count() == 0
    conflict.scroll_into_view_if_needed()
    _shot(page, f"inputs-{width}-05-refused-save")
    reload_button.click()
    conflict.wait_for(state="detached")
    wait_for_app(page)
    box.locator('input[value="1"]:checked').wait_for(state="attached")
    box.get_by_test_id("stRadioOption").nth(3).click()
    _wait_stored(page, admin, "gouv-regles", "current", 3)
    _status(page).filter(has_text="Enregistré à").wait_for()
    _shot(page, f"inputs-{width}-06-after-reload")

    # -- text typed and not yet committed: the browser asks before leaving
    area = page.locator(f".{_key_class(LONG_TEXT, 'current')} textarea")
    area.scroll_into_view_if_needed()
    area.click()
    area.press_sequentially("Pas encore enregistré", delay=5)
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    dialog = asked.value
    assert dialog.type == "beforeunload"
    dialog.accept()
