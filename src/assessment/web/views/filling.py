"""« Mon auto-évaluation »: fill in the current campaign's assessment.

Thin page: it reads the session, calls the core (:mod:`assessment.assessments`,
:mod:`assessment.answers`, :mod:`assessment.scoring`) and draws.

How it stays fast and safe
    * The stored assessment is read **once per browser session** into a
      mirror (:class:`Draft`, in ``st.session_state``); each widget starts
      from it, so after a refresh or a new sign-in the form is exactly as left.
    * Every answer is saved as it is given (widget ``on_change`` →
      ``save_answer(..., expected_revision=...)``); the revision is kept in the
      mirror.  Someone else's change in between raises ``StaleRevision``: the
      page says so and offers « Recharger », it never overwrites silently.
    * Each item is an ``st.fragment`` with a key (:func:`section_key`), and so
      are the progress and « Enregistré » lines (:data:`STATUS_KEY`) and the
      submission (:data:`SUBMIT_KEY`): an answer's callback reruns its item,
      those two lines, the submission and the items holding a question that
      depends on it (``st.rerun([keys])``), never the whole page.  Only a
      change of themes, of « non traitée cette année » or a submitted
      assessment reruns everything.
    * What is typed is what is saved: numbers are typed as text and read the
      French way (``45,5``, ``1 234``; :func:`assessment.french.parse_number`),
      shown the French way in the field too; a value that is refused (out of
      range, not a number, a stale revision) says so next to its field, the
      field goes back to the stored value when the save was refused by a
      conflict, and the « Enregistré » line never claims a save that did not
      happen.  Long texts are committed after a short pause in typing, and
      the browser warns before leaving a page with text not yet committed
      (:func:`_text_commit_script`).
    * Per-grid display data (labels, level descriptors...) is compiled once
      per grid object (:class:`FormPlan`), never per rerun.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st
from streamlit.errors import StreamlitAPIException

from assessment import answers as answers_mod
from assessment import assessments, campaigns, exchange, french
from assessment.answers import GridCache
from assessment.db import DatabaseBusy, NotFound
from assessment.french import agree, plural, typo
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    Item,
    LevelQuestion,
    NumberQuestion,
    Question,
    TextQuestion,
    YesNoQuestion,
    text,
)
from assessment.grid_store import DEFAULT_GRID_ID
from assessment.permissions import Action, Actor, PermissionDenied, Target, can
from assessment.profiles import PROFILE_FIELDS, UNKNOWN_PROFILE, Profile
from assessment.scoring import Scorer, ScoreReport, SectionCompletion
from assessment.web import screen, state
from assessment.web.safe import md_escape

PREFIX = "fill"
DRAFT_KEY = f"{PREFIX}:draft"
CONFIRM_KEY = f"{PREFIX}:confirm_submit"
TZ = ZoneInfo("Europe/Paris")
SYSTEMIC = "_systemic"
"""Section id of the systemic view in :class:`FormPlan` (never an item id)."""
STATUS_KEY = "fill-status"
"""Fragment key of the progress and « Enregistré » lines."""
SUBMIT_KEY = "fill-submit"
"""Fragment key of the submission section."""
RELOAD_KEY = f"{PREFIX}:reload"
NUMBER_DECIMALS = 12
"""Digits after the comma shown in a number field: every digit typed comes back."""


def widget_key(question_id: str, horizon_id: str) -> str:
    """Session-state key of an answer's widget (stable: tests use it)."""
    return f"{PREFIX}:q:{question_id}:{horizon_id}"


def theme_key(item_id: str) -> str:
    return f"{PREFIX}:theme:{item_id}"


def skip_key(question_id: str) -> str:
    return f"{PREFIX}:skip:{question_id}"


def not_applicable_key(question_id: str) -> str:
    """Session-state key of the « non applicable » checkbox of a question."""
    return f"{PREFIX}:na:{question_id}"


def anchor(question_id: str) -> str:
    return f"q-{question_id}"


def evidence_key(question_id: str) -> str:
    """Session-state key of the « Sur quoi vous appuyez-vous ? » field of a question."""
    return f"{PREFIX}:evidence:{question_id}"


def reason_key(item_id: str) -> str:
    """Session-state key of the one-line reason for choosing a theme."""
    return f"{PREFIX}:reason:{item_id}"


def section_key(section: str) -> str:
    """Fragment key of an item (or of the systemic view)."""
    return f"fill-section-{section}"


# ---------------------------------------------------------------------------
# Per-grid display plan (built once per grid object)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionView:
    question: Question
    section: str
    label: str
    help: str
    horizons: tuple[str, ...]
    level_options: tuple[int, ...] = ()
    level_names: dict[int, str] = field(default_factory=dict)
    level_captions: tuple[str, ...] = ()
    choice_labels: dict[str, str] = field(default_factory=dict)
    unit: str = ""
    affects_other_sections: bool = False
    dependent_sections: tuple[str, ...] = ()
    """Other sections holding a question shown or hidden by this one."""


@dataclass(frozen=True, slots=True)
class FormPlan:
    grid: Grid
    horizon_labels: dict[str, str]
    sections: dict[str, list[QuestionView]]
    section_titles: dict[str, str]
    short_titles: dict[str, str]
    optional_items: tuple[str, ...]
    worded: dict[tuple[str, Profile], QuestionView] = field(default_factory=dict)
    """Views of questions with ``variants``, per profile (see :func:`view_for`)."""

    @property
    def questions(self) -> dict[str, QuestionView]:
        return {v.question.id: v for views in self.sections.values() for v in views}


def view_for(plan: FormPlan, view: QuestionView, profile: Profile) -> QuestionView:
    """``view`` worded for an organisation of ``profile`` (the grid's ``variants``)."""
    question = view.question
    if not question.variants:
        return view
    key = (question.id, profile)
    found = plan.worded.get(key)
    if found is None:
        grid, lang = plan.grid, plan.grid.language
        wording = question.wording(profile)
        changes: dict[str, Any] = {
            "label": text(wording.label, lang),
            "help": text(wording.help, lang) or text(question.description, lang),
        }
        if isinstance(question, LevelQuestion):
            scale_descr = {lv.value: text(lv.description, lang) for lv in grid.scale}
            changes["level_captions"] = tuple(
                text(wording.levels[v], lang) if v in wording.levels else scale_descr.get(v, "")
                for v in grid.scale_values
            )
        found = plan.worded[key] = replace(view, **changes)
    return found


NOT_APPLICABLE_CHOICE = "Ne nous concerne pas (non applicable)"
CHOSEN_NOT_APPLICABLE = "Non applicable (ne concerne pas l’organisation)"


def not_applicable_text(question: Question, profile: Profile) -> str:
    """« Non applicable à votre organisation (sans salarié) » for a question whose
    ``applies_to`` leaves ``profile`` out."""
    labels = []
    if question.applies_to is not None:
        for key, names in PROFILE_FIELDS.items():
            allowed = getattr(question.applies_to, key)
            value = getattr(profile, key)
            if allowed is not None and value is not None and value not in allowed:
                label = names.get(value, value)
                labels.append(label[:1].lower() + label[1:])
    shown = f" ({', '.join(labels)})" if labels else ""
    return typo(f"Non applicable à votre organisation{shown}")


def _build_plan(grid: Grid) -> FormPlan:
    lang = grid.language
    scale_names = {lv.value: text(lv.label, lang) for lv in grid.scale}
    scale_descr = {lv.value: text(lv.description, lang) for lv in grid.scale}
    section_of: dict[str, str] = {}
    for item, question in grid.questions():
        section_of[question.id] = item.id if item is not None else SYSTEMIC
    depended_on: dict[str, set[str]] = {}
    for _, question in grid.questions():
        if question.show_if is not None:
            depended_on.setdefault(question.show_if.question, set()).add(section_of[question.id])
    sections: dict[str, list[QuestionView]] = {}
    titles: dict[str, str] = {}
    short: dict[str, str] = {}
    for item, question in grid.questions():
        section = section_of[question.id]
        if item is not None:
            titles[section] = text(item.title, lang)
            short[section] = text(item.short_title or item.title, lang)
        elif grid.systemic is not None:
            titles[section] = short[section] = text(grid.systemic.title, lang)
        extra: dict[str, Any] = {}
        if isinstance(question, LevelQuestion):
            own = {k: text(v, lang) for k, v in (question.levels or {}).items()}
            extra["level_options"] = tuple(grid.scale_values)
            extra["level_names"] = {v: f"{v} – {scale_names[v]}" for v in grid.scale_values}
            extra["level_captions"] = tuple(
                own.get(v) or scale_descr.get(v, "") for v in grid.scale_values
            )
        elif isinstance(question, ChoiceQuestion):
            extra["choice_labels"] = {o.value: text(o.label, lang) for o in question.options}
        elif isinstance(question, NumberQuestion):
            extra["unit"] = text(question.unit, lang)
        others = depended_on.get(question.id, set()) - {section}
        sections.setdefault(section, []).append(
            QuestionView(
                question=question,
                section=section,
                label=text(question.label, lang),
                help=text(question.help, lang) or text(question.description, lang),
                horizons=tuple(grid.question_horizons(question)),
                affects_other_sections=bool(others),
                dependent_sections=tuple(sorted(others)),
                **extra,
            )
        )
    return FormPlan(
        grid=grid,
        horizon_labels={h.id: text(h.label, lang) for h in grid.horizons},
        sections=sections,
        section_titles=titles,
        short_titles=short,
        optional_items=tuple(i.id for i in grid.items if i.optional),
    )


_plans: GridCache[FormPlan] = GridCache(_build_plan)


def plan_for(grid: Grid) -> FormPlan:
    return _plans.get(grid)


# ---------------------------------------------------------------------------
# The session's mirror of the stored assessment
# ---------------------------------------------------------------------------


@dataclass
class Draft:
    """What this browser session knows of the stored assessment."""

    assessment_id: int
    organisation_id: int
    campaign_id: int
    revision: int
    status: str
    answers: dict[str, dict[str, Any]]
    not_addressed: set[str]
    saved_at: datetime | None = None
    """When the assessment was last saved: the one « Enregistré » indicator, taken
    from the stored ``updated_at`` so that it survives a reload."""
    stale: bool = False
    conflict: tuple[str, str] | None = None
    """The answer whose save a stale revision refused (its question shows why)."""
    read_only_message: str | None = None
    errors: dict[tuple[str, str], str] = field(default_factory=dict)
    full_rerun: bool = False
    preview: bool = False
    """The national body's preview of a grid: answers stay in this session, never saved."""
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    """``{question_id: {horizon_id: comment}}``: the evidence given with the answers."""
    choice_reasons: dict[str, str] = field(default_factory=dict)
    """``{item_id: one line}``: why each chosen theme is worked on this year."""
    profile: Profile = UNKNOWN_PROFILE
    """The organisation's legal family and size band (the grid's ``applies_to``)."""
    chosen_not_applicable: set[str] = field(default_factory=set)
    """Questions the organisation marked « non applicable » itself (``may_not_apply``)."""

    def not_applicable(self, grid: Grid) -> frozenset[str]:
        """Questions « non applicable » here (left out of progress and scores)."""
        return answers_mod.not_applicable_ids(grid, self.profile, self.chosen_not_applicable)

    @classmethod
    def from_state(cls, a: assessments.AssessmentState) -> Draft:
        return cls(
            assessment_id=a.id,
            organisation_id=a.organisation_id,
            campaign_id=a.campaign_id,
            revision=a.revision,
            status=a.status,
            answers={q: dict(v) for q, v in a.answers.items()},
            not_addressed=set(a.not_addressed),
            saved_at=a.updated_at if a.updated_at and a.revision > 0 else None,
            comments={q: dict(v) for q, v in a.comments.items()},
            choice_reasons=dict(a.choice_reasons),
            profile=a.profile,
            chosen_not_applicable=set(a.not_applicable),
        )


def _hhmm(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(TZ)
    return moment.astimezone(TZ).strftime("%H:%M")


def saved_when(moment: datetime, now: datetime | None = None) -> str:
    """« à 12:18 » today, « le 12/03/2026 à 12:18 » another day (Paris time)."""
    local = moment.astimezone(TZ).replace(tzinfo=None)
    today = (now or datetime.now(TZ)).astimezone(TZ).replace(tzinfo=None)
    return french.saved_at(local, now=today)


_WIDGET_PREFIXES = (
    f"{PREFIX}:q:",
    f"{PREFIX}:theme:",
    f"{PREFIX}:skip:",
    f"{PREFIX}:evidence:",
    f"{PREFIX}:reason:",
    f"{PREFIX}:na:",
)


def _clear_widgets() -> None:
    """Forget the answer widgets' values, so that they start again from the draft."""
    for key in [k for k in st.session_state if str(k).startswith(_WIDGET_PREFIXES)]:
        del st.session_state[key]


def _draft() -> Draft | None:
    draft = st.session_state.get(DRAFT_KEY)
    return draft if isinstance(draft, Draft) else None


def _load(engine: Any, actor: Actor, assessment_id: int) -> Draft:
    _clear_widgets()
    draft = Draft.from_state(assessments.get_assessment(engine, actor, assessment_id))
    st.session_state[DRAFT_KEY] = draft
    return draft


CARRIED_KEY = f"{PREFIX}:carried"
"""What starting from last year's answers left behind (French), shown once."""


def _open(
    engine: Any, campaign_id: int, start_from: int | None = None, from_year: int | None = None
) -> Draft:
    actor = state.writer()  # may create the assessment
    organisation_id = actor.organisation_id
    assert organisation_id is not None
    _clear_widgets()
    if actor.organisation_id is None:
        state.refuse("Seuls les comptes d'une organisation remplissent une auto-évaluation.")
    state_ = assessments.open_assessment(
        engine, actor, organisation_id, campaign_id, start_from=start_from, choose_themes=True
    )
    carried = state_.carried
    if carried is not None and (message := carried.message(from_year)):
        st.session_state[CARRIED_KEY] = (bool(carried.dropped), message)
    draft = Draft.from_state(state_)
    st.session_state[DRAFT_KEY] = draft
    return draft


# ---------------------------------------------------------------------------
# Widget value ↔ stored value
# ---------------------------------------------------------------------------


def number_text(value: float | int | None) -> str:
    """A stored number as its field shows it: ``45,5``, ``1 234 567`` (French way).

    Every digit typed comes back (up to :data:`NUMBER_DECIMALS` after the comma);
    a number too large for that many digits is shown with the digits it has."""
    if value is None:
        return ""
    whole = len(str(int(abs(value)))) if math.isfinite(value) else 0
    if whole > 20:  # beyond what a grouped French number can show: the digits it has
        return f"{value:.15g}".replace(".", ",")
    return french.number(value, max(0, min(NUMBER_DECIMALS, 17 - whole)))


def _to_widget(view: QuestionView, value: Any) -> Any:
    question = view.question
    if isinstance(question, NumberQuestion):
        return "" if value is None else number_text(value)
    if value is None:
        return [] if isinstance(question, ChoiceQuestion) and question.multiple else None
    if isinstance(question, ChoiceQuestion) and question.multiple:
        return list(value) if isinstance(value, list) else [value]
    return value


def _from_widget(view: QuestionView, value: Any) -> Any:
    """The answer a widget holds (a number field's text read the French way;
    :class:`french.NumberParseError` when it is not a number)."""
    if isinstance(view.question, NumberQuestion) and isinstance(value, str):
        return french.parse_number(value) if value.strip() else None
    if isinstance(view.question, TextQuestion) and isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, list) and not value:
        return None
    return value


def refused_text(error: answers_mod.AnswerError | french.NumberParseError) -> str:
    """Next to a field: why the value typed was not saved (no question id)."""
    if isinstance(error, answers_mod.AnswerError) and error.question_id is not None:
        body = error.message.split(" : ", 1)[-1]
    else:
        body = error.message
    body = body[:1].upper() + body[1:]
    return typo(f"{body.rstrip('.')}. Valeur non enregistrée.")


CONFLICT_TEXT = (
    "Cette réponse n'a pas été enregistrée : les réponses ont été modifiées entre-temps "
    "(par une autre personne ou dans un autre onglet). Le champ montre de nouveau la "
    "réponse enregistrée. Rechargez pour voir la version à jour, puis refaites votre "
    "modification si besoin."
)


def _put_back(view: QuestionView, horizon_id: str, value: Any) -> None:
    """A refused change: the widget shows the stored value again (callbacks only)."""
    st.session_state[widget_key(view.question.id, horizon_id)] = _to_widget(view, value)


def _rerun_parts(draft: Draft, view: QuestionView, *also: str) -> None:
    """After an answer's callback: rerun its item, the progress and « Enregistré »
    lines, the submission and the items that depend on it (and the sections
    ``also``), not the whole page."""
    if draft.full_rerun:
        return  # the item's fragment reruns the app
    sections = dict.fromkeys([view.section, *view.dependent_sections, *also])
    targets = [section_key(s) for s in sections] + [STATUS_KEY]
    if not draft.preview:
        targets.append(SUBMIT_KEY)
    try:
        st.rerun(targets)
    except StreamlitAPIException:  # a part not drawn yet (e.g. a test's first run)
        draft.full_rerun = True


def _refuse_stale(
    engine: Any, actor: Actor, draft: Draft, view: QuestionView, horizon_id: str, known: Any
) -> None:
    """A change refused because the answers changed elsewhere: its question says so
    and its widget shows the answer stored now (``known`` if it cannot be read)."""
    question_id = view.question.id
    earlier = draft.conflict
    draft.stale = True
    draft.conflict = (question_id, horizon_id)
    try:
        stored = assessments.get_assessment(engine, actor, draft.assessment_id)
    except (PermissionDenied, DatabaseBusy, NotFound):
        stored = None
    value = known if stored is None else stored.answers.get(question_id, {}).get(horizon_id)
    if value is None:
        draft.answers.get(question_id, {}).pop(horizon_id, None)
    else:
        draft.answers.setdefault(question_id, {})[horizon_id] = value
    _put_back(view, horizon_id, value)
    also: list[str] = []
    grid = _grid_of_session()
    if earlier is not None and grid is not None:  # its message moves here
        also.append(plan_for(grid).questions[earlier[0]].section)
    _rerun_parts(draft, view, *also)


@state.write_callback
def _on_change(actor: Actor, question_id: str, horizon_id: str) -> None:
    """Save one answer as it is given (widget callback; ``actor`` checked just now)."""
    draft = _draft()
    if draft is None:
        return
    engine = state.engine()
    grid = _grid_of_session()
    if grid is None:
        return
    view = plan_for(grid).questions[question_id]
    cell = (question_id, horizon_id)
    previous = draft.answers.get(question_id, {}).get(horizon_id)
    try:
        raw = _from_widget(view, st.session_state.get(widget_key(question_id, horizon_id)))
        value = answers_mod.normalize_value(grid, question_id, horizon_id, raw)
    except (answers_mod.AnswerError, french.NumberParseError) as error:
        draft.errors[cell] = refused_text(error)
        _rerun_parts(draft, view)
        return
    if draft.preview:
        draft.errors.pop(cell, None)
        if value is None:
            draft.answers.get(question_id, {}).pop(horizon_id, None)
        else:
            draft.answers.setdefault(question_id, {})[horizon_id] = value
        _rerun_parts(draft, view)
        return
    if draft.stale:
        _refuse_stale(engine, actor, draft, view, horizon_id, previous)
        return
    try:
        draft.revision = assessments.save_answer(
            engine,
            actor,
            draft.assessment_id,
            question_id,
            horizon_id,
            value,
            expected_revision=draft.revision,
        )
    except assessments.StaleRevision:
        _refuse_stale(engine, actor, draft, view, horizon_id, previous)
        return
    except assessments.ReadOnly as error:
        draft.read_only_message = str(error) or "Cette auto-évaluation n'est plus modifiable."
        draft.full_rerun = True
        return
    except (PermissionDenied, DatabaseBusy) as error:
        draft.errors[cell] = error.message
        _rerun_parts(draft, view)
        return
    draft.errors.pop(cell, None)
    if value is None:
        draft.answers.get(question_id, {}).pop(horizon_id, None)
    else:
        draft.answers.setdefault(question_id, {})[horizon_id] = value
    if isinstance(view.question, NumberQuestion):
        _put_back(view, horizon_id, value)  # « 45.5 » typed: « 45,5 » saved and shown
    draft.saved_at = datetime.now(TZ)
    _rerun_parts(draft, view)


@state.write_callback
def _on_reload(actor: Actor) -> None:
    """« Recharger » after a conflict: the stored answers, then the whole page."""
    draft = _draft()
    if draft is None:
        return
    _load(state.engine(), actor, draft.assessment_id)
    st.rerun()  # the whole page, from the stored answers


def _set_not_addressed(actor: Actor, ids: set[str]) -> None:
    draft = _draft()
    if draft is None or draft.stale:
        return
    if draft.preview:
        draft.not_addressed = set(ids)
        return
    engine = state.engine()
    try:
        draft.revision = assessments.set_not_addressed(
            engine, actor, draft.assessment_id, sorted(ids), expected_revision=draft.revision
        )
    except assessments.StaleRevision:
        draft.stale = True
        return
    except assessments.ReadOnly as error:
        draft.read_only_message = str(error) or "Cette auto-évaluation n'est plus modifiable."
        return
    draft.not_addressed = set(ids)
    draft.saved_at = datetime.now(TZ)


@state.write_callback
def _on_theme_change(actor: Actor, item_id: str) -> None:
    draft = _draft()
    if draft is None:
        return
    ids = set(draft.not_addressed)
    if st.session_state.get(theme_key(item_id)):
        ids.discard(item_id)
    else:
        ids.add(item_id)
    _set_not_addressed(actor, ids)


@state.write_callback
def _on_skip_change(actor: Actor, question_id: str) -> None:
    draft = _draft()
    if draft is None:
        return
    ids = set(draft.not_addressed)
    if st.session_state.get(skip_key(question_id)):
        ids.add(question_id)
    else:
        ids.discard(question_id)
    _set_not_addressed(actor, ids)
    draft.full_rerun = True


def _saved_elsewhere(draft: Draft, error: Exception) -> bool:
    """Handle a refused save the way answers do; ``True`` when it was refused."""
    if isinstance(error, assessments.StaleRevision):
        draft.stale = True
    elif isinstance(error, assessments.ReadOnly):
        draft.read_only_message = str(error) or "Cette auto-évaluation n'est plus modifiable."
    else:
        return False
    draft.full_rerun = True
    return True


EVIDENCE_HORIZON = "_evidence"
"""A refused evidence is kept in :attr:`Draft.errors` at ``(question_id, EVIDENCE_HORIZON)``."""
REASON_QUESTION = "_reason"


def _save_text(
    draft: Draft,
    actor: Actor,
    error_key: tuple[str, str],
    value: str,
    save: Callable[[Draft, Actor, str | None], int],
) -> bool:
    """Save one text of the draft (an evidence, a theme's reason) as answers are saved:
    ``save(draft, actor, value or None)`` returns the new revision (``actor``: the one
    the write callback has just checked); nothing is written in a preview.  ``False``
    when refused: the draft marked stale or read-only, or the French error kept under
    ``error_key`` for the field."""
    if not draft.preview:
        try:
            draft.revision = save(draft, actor, value or None)
        except (assessments.StaleRevision, assessments.ReadOnly) as error:
            _saved_elsewhere(draft, error)
            return False
        except (assessments.AssessmentError, PermissionDenied, DatabaseBusy) as error:
            draft.errors[error_key] = error.message
            return False
        draft.saved_at = datetime.now(TZ)
    draft.errors.pop(error_key, None)
    return True


@state.write_callback
def _on_evidence_change(actor: Actor, question_id: str) -> None:
    """Save the evidence of a question's current state (the answer's comment)."""
    draft = _draft()
    grid = _grid_of_session()
    if draft is None or grid is None or draft.stale:
        return
    horizon = grid.current_horizon
    raw = st.session_state.get(evidence_key(question_id))
    text_ = raw.strip() if isinstance(raw, str) else ""

    def save(draft: Draft, actor: Actor, value: str | None) -> int:
        return assessments.save_comment(
            state.engine(), actor, draft.assessment_id, question_id, horizon, value,
            expected_revision=draft.revision,
        )  # fmt: skip

    if not _save_text(draft, actor, (question_id, EVIDENCE_HORIZON), text_, save):
        return
    if text_:
        draft.comments.setdefault(question_id, {})[horizon] = text_
    else:
        draft.comments.get(question_id, {}).pop(horizon, None)
    item = grid.item_of(question_id)
    _rerun_with_status(draft, item.id if item is not None else SYSTEMIC)


def _rerun_with_status(draft: Draft, section: str) -> None:
    """After a callback in ``section``: rerun it with the progress and « Enregistré »
    lines, not the whole page."""
    if draft.full_rerun:
        return
    try:
        st.rerun([section_key(section), STATUS_KEY])
    except StreamlitAPIException:  # a part not drawn yet (e.g. a test's first run)
        draft.full_rerun = True


@state.write_callback
def _on_reason_change(actor: Actor, item_id: str) -> None:
    """Save the one-line reason for working on a theme this year."""
    draft = _draft()
    if draft is None or draft.stale:
        return
    raw = st.session_state.get(reason_key(item_id))
    text_ = " ".join(raw.split()) if isinstance(raw, str) else ""

    def save(draft: Draft, actor: Actor, value: str | None) -> int:
        return assessments.set_choice_reason(
            state.engine(), actor, draft.assessment_id, item_id, value,
            expected_revision=draft.revision,
        )  # fmt: skip

    if not _save_text(draft, actor, (REASON_QUESTION, item_id), text_, save):
        return
    if text_:
        draft.choice_reasons[item_id] = text_
    else:
        draft.choice_reasons.pop(item_id, None)


@state.write_callback
def _on_not_applicable_change(actor: Actor, question_id: str) -> None:
    """The organisation says a question does (not) concern it (checkbox callback)."""
    draft = _draft()
    if draft is None or draft.stale:
        return
    ids = set(draft.chosen_not_applicable)
    if st.session_state.get(not_applicable_key(question_id)):
        ids.add(question_id)
    else:
        ids.discard(question_id)
    draft.full_rerun = True
    if not draft.preview:
        try:
            draft.revision = assessments.set_not_applicable(
                state.engine(),
                actor,
                draft.assessment_id,
                sorted(ids),
                expected_revision=draft.revision,
            )
        except assessments.StaleRevision:
            draft.stale = True
            return
        except assessments.ReadOnly as error:
            draft.read_only_message = str(error) or "Cette auto-évaluation n'est plus modifiable."
            return
        draft.saved_at = datetime.now(TZ)
    draft.chosen_not_applicable = ids


# ---------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------

_GRID_KEY = f"{PREFIX}:grid"


def _grid_of_session() -> Grid | None:
    ref = st.session_state.get(_GRID_KEY)
    if ref is None:
        return None
    if isinstance(ref, Grid):  # a preview's grid (a draft: not published, not cached)
        return ref
    return state.grid(*ref)


def _init(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def answer_name(shown: str, question_label: str) -> str:
    """An answer widget's accessible name: what it shows (the horizon), then its
    question, so that a screen reader never hears three « État des lieux » in a row."""
    return f"{shown} — {question_label}"


def _answer_widget(view: QuestionView, horizon: str, label: str, disabled: bool) -> None:
    question = view.question
    key = widget_key(question.id, horizon)
    draft = _draft()
    stored = draft.answers.get(question.id, {}).get(horizon) if draft else None
    _init(key, _to_widget(view, stored))
    if isinstance(question, NumberQuestion) and view.unit:
        label = f"{label} ({view.unit})"
    # shown: the horizon; named (aria-label): the horizon and the question
    screen.shown_label(label)
    label = answer_name(label, view.label)
    common: dict[str, Any] = {
        "key": key,
        "on_change": _on_change,
        "args": (question.id, horizon),
        "disabled": disabled,
        "label_visibility": "collapsed",
    }
    if isinstance(question, LevelQuestion):
        names = view.level_names
        if horizon == view.horizons[0]:
            st.radio(
                label,
                view.level_options,
                format_func=names.__getitem__,
                captions=view.level_captions,
                **common,
            )
        else:
            chosen = st.radio(
                label,
                view.level_options,
                format_func=names.__getitem__,
                horizontal=True,
                **common,
            )
            if chosen is not None:
                st.caption(view.level_captions[view.level_options.index(chosen)])
    elif isinstance(question, NumberQuestion):
        # a text field: French users type decimal commas (« 45,5 »), which a
        # browser's number field drops; read by french.parse_number on change
        st.text_input(
            label,
            placeholder="Non renseigné",
            autocomplete="off",
            **common,
        )
    elif isinstance(question, TextQuestion):
        if question.multiline:
            st.text_area(label, max_chars=question.max_length, height=90, **common)
        else:
            st.text_input(label, max_chars=question.max_length, **common)
    elif isinstance(question, YesNoQuestion):
        st.radio(
            label,
            (True, False),
            format_func=lambda v: "Oui" if v else "Non",
            horizontal=True,
            **common,
        )
    elif isinstance(question, ChoiceQuestion):
        labels = view.choice_labels
        if question.multiple:
            st.multiselect(
                label, list(labels), format_func=labels.__getitem__, placeholder="Choisir", **common
            )
        else:
            st.selectbox(
                label,
                list(labels),
                format_func=labels.__getitem__,
                placeholder="Choisir une réponse",
                **common,
            )
    error = draft.errors.get((question.id, horizon)) if draft else None
    if error:
        st.error(md_escape(error), icon=":material/error:")
    if draft is not None and draft.stale and draft.conflict == (question.id, horizon):
        st.error(typo(CONFLICT_TEXT), icon=":material/sync_problem:")
        st.button("Recharger", type="primary", key=RELOAD_KEY, on_click=_on_reload)


def _question(view: QuestionView, plan: FormPlan, draft: Draft, warnings: dict[Any, str]) -> None:
    question = view.question
    grid = plan.grid
    view = view_for(plan, view, draft.profile)
    not_applicable = draft.not_applicable(grid)
    if question.id in answers_mod.not_applicable_ids(grid, draft.profile):
        st.markdown(
            f'<a id="{anchor(question.id)}"></a>**{_escape(view.label)}**',
            unsafe_allow_html=True,
        )
        st.caption(not_applicable_text(question, draft.profile))
        return
    shown = [
        h
        for h in view.horizons
        if question.show_if is None
        or answers_mod.is_visible(grid, question, h, draft.answers, not_applicable)
    ]
    if not shown:
        return  # a follow-up question not asked: neither its heading nor its field
    st.markdown(
        f'<a id="{anchor(question.id)}"></a>**{_escape(view.label)}**'
        + (" *(facultatif)*" if not question.is_required else ""),
        unsafe_allow_html=True,
    )
    if view.help:
        st.caption(view.help)
    _action_plan_note(question)
    if choosable(view, plan):
        _init(skip_key(question.id), question.id in draft.not_addressed)
        st.checkbox(
            "Question non traitée cette année",
            key=skip_key(question.id),
            on_change=_on_skip_change,
            args=(question.id,),
        )
        if question.id in draft.not_addressed:
            return
    if question.may_not_apply:
        _init(not_applicable_key(question.id), question.id in draft.chosen_not_applicable)
        st.checkbox(
            NOT_APPLICABLE_CHOICE,
            key=not_applicable_key(question.id),
            on_change=_on_not_applicable_change,
            args=(question.id,),
        )
        if question.id in draft.chosen_not_applicable:
            return
    if isinstance(question, LevelQuestion) and len(shown) > 1:
        first, goals = shown[0], shown[1:]
        if first == grid.current_horizon:
            _answer_widget(view, first, plan.horizon_labels[first], False)
            _evidence_field(view, draft)  # with the current state it rests on
        else:
            goals = shown
        columns = st.columns(len(goals))
        for column, horizon in zip(columns, goals, strict=True):
            with column:
                _answer_widget(view, horizon, plan.horizon_labels[horizon], False)
    elif len(shown) > 1:
        columns = st.columns(len(shown))
        for column, horizon in zip(columns, shown, strict=True):
            with column:
                _answer_widget(view, horizon, plan.horizon_labels[horizon], False)
    else:
        horizon = shown[0]
        label = (
            plan.horizon_labels[horizon]
            if len(view.horizons) > 1 or not isinstance(question, TextQuestion)
            else "Votre réponse"
        )
        _answer_widget(view, horizon, label, False)
    for horizon in shown:
        message = warnings.get((question.id, horizon))
        if message:
            st.warning(message, icon=":material/warning:")
    evidence_drawn = isinstance(question, LevelQuestion) and len(shown) > 1
    if grid.current_horizon in shown and not (evidence_drawn and shown[0] == grid.current_horizon):
        _evidence_field(view, draft)


def choosable(view: QuestionView, plan: FormPlan) -> bool:
    """The organisation may leave the question out this year: it is optional, or its
    theme is (within a theme it works on, it chooses its questions)."""
    return view.question.optional or view.section in plan.optional_items


EVIDENCE_LABEL = typo("Sur quoi vous appuyez-vous ?")
EVIDENCE_HELP = typo(
    "L'état des lieux repose sur des faits : comptes rendus, documents, chiffres, "
    "pratiques observées. Dites brièvement lesquels."
)


def _evidence_field(view: QuestionView, draft: Draft) -> None:
    """« Sur quoi vous appuyez-vous ? » under the current state, as the grid asks."""
    question = view.question
    mode = question.evidence_mode
    if mode == "none":
        return
    grid = _grid_of_session()
    if grid is None:
        return
    key = evidence_key(question.id)
    stored = draft.comments.get(question.id, {}).get(grid.current_horizon, "")
    _init(key, stored)
    label = EVIDENCE_LABEL + (" (attendu)" if mode == "expected" else " (facultatif)")
    st.text_area(
        label,
        key=key,
        on_change=_on_evidence_change,
        args=(question.id,),
        max_chars=assessments.COMMENT_MAX_LENGTH,
        height=80 if mode == "expected" else 68,
        help=EVIDENCE_HELP,
        placeholder=typo("Par exemple : compte rendu de l'AG du 12 juin, règlement intérieur…"),
    )
    error = draft.errors.get((question.id, EVIDENCE_HORIZON))
    if error:
        st.error(md_escape(error), icon=":material/error:")


ACTION_PLAN_NOTE = typo(
    "Une action par ligne : chacune rejoint votre plan d'action (page « Plan d'action »), "
    "où vous pourrez lui donner un responsable et une échéance."
)


def _action_plan_note(question: Question) -> None:
    if isinstance(question, TextQuestion) and question.action_plan:
        st.caption(ACTION_PLAN_NOTE)


def _escape(value: str) -> str:
    return value.replace("<", "&lt;").replace(">", "&gt;")


def _warning_text(plan: FormPlan, warning: answers_mod.GoalWarning) -> str:
    """The core's message without the question id (it is shown under the question)."""
    body = warning.message.split(" : ", 1)[-1]
    return f"{plan.horizon_labels[warning.horizon_id]} : {body}"


def _section_body(section: str) -> None:
    grid = _grid_of_session()
    draft = _draft()
    if grid is None or draft is None:
        return
    if draft.full_rerun:
        # Set by a callback during this fragment-only run: what changed shows elsewhere too.
        draft.full_rerun = False
        st.rerun(scope="app")
    plan = plan_for(grid)
    views = plan.sections.get(section, [])
    report, goal_warnings = _derived(grid, draft)
    warnings = {
        (w.question_id, w.horizon_id): _warning_text(plan, w)
        for w in goal_warnings
        if (w.item_id or SYSTEMIC) == section
    }
    counts = report.completion.section(None if section == SYSTEMIC else section)
    st.caption(section_status(counts))
    for view in views:
        _question(view, plan, draft, warnings)


_DERIVED_KEY = f"{PREFIX}:derived"


def _derived(grid: Grid, draft: Draft) -> tuple[ScoreReport, list[answers_mod.GoalWarning]]:
    """The draft's scores and goal warnings, computed once per content of the answers
    (a full run draws every item: they all share one computation)."""
    key = (
        grid.id,
        grid.version,
        id(grid),
        tuple(
            (q, tuple((h, tuple(v) if isinstance(v, list) else v) for h, v in cells.items()))
            for q, cells in draft.answers.items()
        ),
        frozenset(draft.not_addressed),
        frozenset(draft.not_applicable(grid)),
    )
    found = st.session_state.get(_DERIVED_KEY)
    if found is not None and found[0] == key:
        return found[1], found[2]
    report = Scorer.for_grid(grid).score(
        draft.answers, draft.not_addressed, draft.not_applicable(grid)
    )
    warnings = answers_mod.goal_warnings(grid, draft.answers)
    st.session_state[_DERIVED_KEY] = (key, report, warnings)
    return report, warnings


_section_fragments: dict[str, Callable[[str], None]] = {}


def _section_fragment(section: str) -> None:
    """An item (or the systemic view) as a keyed fragment (:func:`section_key`)."""
    run = _section_fragments.get(section)
    if run is None:
        run = _section_fragments.setdefault(
            section, state.fragment(_section_body, key=section_key(section))
        )
    run(section)


def _item_header(item: Item, grid: Grid) -> None:
    lang = grid.language
    st.subheader(text(item.title, lang), anchor=f"theme-{item.id}")
    if item.description:
        st.markdown(text(item.description, lang))
    if item.help:
        with st.popover("Comment s'y prendre ?"):
            st.markdown(text(item.help, lang))


def _themes_step(plan: FormPlan, draft: Draft) -> None:
    grid = plan.grid
    lang = grid.language
    nothing_yet = not draft.answers
    with st.expander("1. Thèmes traités cette année", expanded=nothing_yet):
        st.markdown(THEMES_STEP_TEXT)
        for item in grid.items:
            label = text(item.title, lang)
            if item.optional:
                _init(theme_key(item.id), item.id not in draft.not_addressed)
                st.checkbox(
                    label, key=theme_key(item.id), on_change=_on_theme_change, args=(item.id,)
                )
                if item.id not in draft.not_addressed:
                    _reason_field(item.id, label, draft)
            else:
                st.checkbox(label, value=True, disabled=True, key=theme_key(item.id))


THEMES_STEP_TEXT = typo(
    "Cochez les thèmes que votre organisation travaille cette année et dites en une ligne "
    "pourquoi vous les avez choisis. Dans chaque thème, vous pouvez aussi laisser de côté "
    "une question (« Question non traitée cette année »). Ce qui n'est pas traité "
    "apparaît comme « non traité cette année » et n'entre pas dans les scores."
)
REASON_LABEL = typo("Pourquoi ce thème cette année ?")


def _reason_field(item_id: str, title: str, draft: Draft) -> None:
    """The one-line reason for choosing a theme (saved as typed, like an answer)."""
    key = reason_key(item_id)
    _init(key, draft.choice_reasons.get(item_id, ""))
    st.text_input(
        f"{REASON_LABEL} ({title})",
        key=key,
        on_change=_on_reason_change,
        args=(item_id,),
        max_chars=200,
        placeholder=typo(f"{REASON_LABEL} En une ligne, ce qui motive ce choix"),
        # right under its theme's box, the placeholder says it; screen readers get the label
        label_visibility="collapsed",
    )
    error = draft.errors.get((REASON_QUESTION, item_id))
    if error:
        st.error(md_escape(error), icon=":material/error:")


def grid_intro_lines(grid: Grid) -> list[str]:
    """What the grid is, and what each horizon means (Markdown, grid texts escaped)."""
    lang = grid.language
    lines: list[str] = []
    if grid.id == DEFAULT_GRID_ID:
        lines.append(DEFAULT_GRID_NOTE)
    if grid.description:
        lines.append(_escape(text(grid.description, lang)))
    horizons = [
        typo(f"- **{_escape(text(h.label, lang))}** : {_escape(text(h.description, lang))}")
        if h.description
        else f"- **{_escape(text(h.label, lang))}**"
        for h in grid.horizons
    ]
    lines.append(HORIZONS_INTRO + "\n" + "\n".join(horizons))
    return lines


HORIZONS_INTRO = typo("Pour chaque question, vous répondez à ces horizons :")


DEFAULT_GRID_NOTE = typo(
    "**Une grille propre à cet outil.** Elle est construite sur les huit thèmes du guide "
    "des bonnes pratiques des entreprises de l'ESS adopté par le Conseil supérieur de "
    "l'économie sociale et solidaire, mais ce n'est pas le texte du guide : les questions, "
    "les niveaux de maturité et les indicateurs sont rédigés pour cet outil, et le guide "
    "ne prévoit pas de notation."
)


def _grid_intro(plan: FormPlan, draft: Draft) -> None:
    """Where a user starts: what the grid is and what the horizons mean (open on the
    first view, while nothing is answered)."""
    with st.expander("À propos de cette grille", expanded=not draft.answers):
        st.markdown("\n\n".join(grid_intro_lines(plan.grid)))


def progress_text(counts: SectionCompletion) -> str:
    """« Progression : 114 / 114 réponses obligatoires · 0 / 87 facultatives »."""
    return f"Progression : {counts.summary()}"


def section_status(counts: SectionCompletion) -> str:
    """Under an item's title: « 12 / 12 obligatoires · 0 / 9 facultatives »."""
    return counts.summary(compact=True)


def saved_text(saved_at: datetime, now: datetime | None = None) -> str:
    """« Enregistré à 12:18 » today, « Enregistré le 12/03/2026 à 12:18 » another day."""
    return f":material/check_circle: Enregistré {saved_when(saved_at, now)}"


def status_text(draft: Draft) -> str:
    """The one line that says whether everything typed is saved (Markdown)."""
    if draft.stale:
        link = f" — [voir la question](#{anchor(draft.conflict[0])})" if draft.conflict else ""
        return typo(f":material/error: :red[Non enregistré]{link}")
    if draft.errors:
        first = next(iter(draft.errors))[0]
        count = plural(len(draft.errors), "réponse non enregistrée", "réponses non enregistrées")
        return typo(f":material/error: :red[{count}] — [voir la question](#{anchor(first)})")
    if draft.saved_at:
        return saved_text(draft.saved_at)
    return ""


def _progress(report: ScoreReport, draft: Draft) -> None:
    completion = report.completion
    columns = st.columns([3, 1])
    with columns[0]:
        # the bar is full once every required answer is given (optional ones are extra)
        st.progress(min(1.0, completion.required_ratio), text=progress_text(completion.counts))
    with columns[1]:
        line = status_text(draft)
        if line:
            st.markdown(line)


PROGRESS_KEY = f"{PREFIX}:progress"
"""The sticky container of the progress line and the contents (``st-key-fill-progress``)."""


def contents_links(plan: FormPlan, draft: Draft, report: ScoreReport) -> list[tuple[str, str, str]]:
    """The page's contents: (short title, anchor, « 3/12 » or « non traité ») per section,
    then the submission."""
    links: list[tuple[str, str, str]] = []
    completion = report.completion
    for section in plan.sections:
        title = plan.short_titles.get(section, "")
        target = "vue-systemique" if section == SYSTEMIC else f"theme-{section}"
        if section in draft.not_addressed:
            links.append((title, target, "non traité"))
            continue
        counts = completion.section(None if section == SYSTEMIC else section)
        status = (
            f"{counts.required_answered}/{counts.required_expected}"
            if counts.required_expected
            else f"{counts.optional_answered}/{counts.optional_expected}"
        )
        links.append((title, target, status))
    if not draft.preview:
        links.append(("Soumettre", "soumettre", ""))
    return links


def _status_body() -> None:
    """The progress and « Enregistré » lines, from the session's draft (a fragment
    of their own: an answer's callback reruns them with its item)."""
    grid = _grid_of_session()
    draft = _draft()
    if grid is None or draft is None:
        return
    report = _derived(grid, draft)[0]
    _progress(report, draft)
    screen.contents(contents_links(plan_for(grid), draft, report))


_status_fragment: Callable[[], None] = state.fragment(_status_body, key=STATUS_KEY)

MISSING_SHOWN = 15


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _missing_list(plan: FormPlan, draft: Draft) -> tuple[int, list[str]]:
    """How many required cells are missing, and one linked line per question."""
    grid = plan.grid
    missing = answers_mod.missing_required(
        grid, draft.answers, draft.not_addressed, draft.not_applicable(grid)
    )
    by_question: dict[str, list[str]] = {}
    for _item_id, question_id, horizon in missing:
        by_question.setdefault(question_id, []).append(plan.horizon_labels[horizon])
    lines = []
    for question_id, horizons in by_question.items():
        view = view_for(plan, plan.questions[question_id], draft.profile)
        section = plan.short_titles.get(view.section, "")
        lines.append(
            f"- **{section}** — [{_short(view.label)}](#{anchor(question_id)}) : "
            f"{', '.join(horizons)}"
        )
    return len(missing), lines


IMPORT_PLAN_KEY = f"{PREFIX}:import_plan"
IMPORT_DONE_KEY = f"{PREFIX}:import_done"


def _import_section(grid: Grid, draft: Draft, actor: Actor, year: int) -> None:
    """« Importer / Modèle de tableur »: template download, then a checked import."""
    with st.expander("Importer / Modèle de tableur", icon=":material/table_view:"):
        st.markdown(
            typo(
                "Préparez vos réponses dans un tableur (par exemple en réunion), puis "
                "importez-le ici : chaque cellule est vérifiée, rien n'est importé tant qu'une "
                "cellule ne convient pas, et les réponses déjà saisies en ligne ne sont jamais "
                "remplacées sans votre accord."
            )
        )
        st.download_button(
            "Télécharger le modèle de tableur (XLSX)",
            lambda: exchange.template_xlsx(grid),
            file_name=exchange.template_file_name(grid),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{PREFIX}:template",
            on_click="ignore",
        )
        kinds = ["xlsx"]
        if can(actor, Action.EXCHANGE_ANSWERS, Target(organisation_id=draft.organisation_id)):
            kinds.append("json")
        upload = st.file_uploader(
            typo(
                "Modèle rempli (.xlsx)"
                + (" ou export JSON d'une autre installation" if "json" in kinds else "")
            ),
            type=kinds,
            key=f"{PREFIX}:upload",
        )
        done = st.session_state.pop(IMPORT_DONE_KEY, None)
        if done:
            st.success(done)
        if upload is None:
            st.session_state.pop(IMPORT_PLAN_KEY, None)
            return
        kind = "json" if upload.name.lower().endswith(".json") else "xlsx"
        cached = st.session_state.get(IMPORT_PLAN_KEY)
        if cached is None or cached[0] != upload.file_id:
            try:
                import_plan = exchange.plan_file(
                    state.engine(), actor, draft.organisation_id, year, upload.getvalue(),
                    kind=kind,
                )  # fmt: skip
            except exchange.ImportRefused as refused:
                st.error(
                    refused.message.split("\n", 1)[0]
                    + "\n\n"
                    + "\n".join(f"- {p}" for p in refused.problems)
                )
                return
            except (exchange.ExchangeError, assessments.ReadOnly, PermissionDenied) as error:
                st.error(error.message)
                return
            st.session_state[IMPORT_PLAN_KEY] = (upload.file_id, import_plan)
        else:
            import_plan = cached[1]
        for note in import_plan.notes:
            st.info(md_escape(note), icon=":material/history:")
        st.info(import_plan.summary())
        if import_plan.is_empty:
            return
        st.dataframe(
            [
                {
                    "Cellule": c.where,
                    "Question": c.question,
                    "Horizon": c.horizon,
                    "En ligne": c.old,
                    "Dans le fichier": c.new,
                    "Déjà saisie": "oui" if c.conflict else "",
                    "Quoi": c.field,
                    "Thème": c.section,
                }
                for c in import_plan.changes
            ],
            hide_index=True,
            width="stretch",
            # what decides (online / in the file / already answered) fits on screen; a
            # long question label is cut, whole in its tooltip
            column_config={
                "Question": st.column_config.TextColumn(width="medium"),
                "Thème": st.column_config.TextColumn(width="small"),
            },
        )
        conflicts = len(import_plan.conflicts)
        choices: list[tuple[str, bool]] = []
        if conflicts:
            st.warning(
                typo(
                    f"{plural(conflicts, 'cellule déjà remplie', 'cellules déjà remplies')} "
                    "en ligne autrement que dans le fichier (colonne « Déjà saisie ») : "
                    "que faire ?"
                )
            )
            choices = [
                # a conflict may be an answer, an evidence, a mark or a theme's reason
                (
                    typo(
                        "Importer en remplaçant "
                        f"{plural(conflicts, 'cellule saisie', 'cellules saisies')} en ligne"
                    ),
                    True,
                ),
                ("Importer sans toucher à ce qui est saisi en ligne", False),
            ]
        else:
            choices = [("Importer", False)]
        for column, (label, overwrite) in zip(st.columns(len(choices)), choices, strict=True):
            if column.button(label, key=f"{PREFIX}:import:{overwrite}", type="primary"):
                try:
                    exchange.apply_import(state.engine(), actor, import_plan, overwrite=overwrite)
                except assessments.StaleRevision:
                    st.session_state.pop(IMPORT_PLAN_KEY, None)
                    st.error(
                        typo(
                            "L'auto-évaluation a changé entre-temps : l'import n'a pas été "
                            "fait. Vérifiez à nouveau le fichier."
                        )
                    )
                    return
                except (assessments.ReadOnly, PermissionDenied) as error:
                    st.error(error.message)
                    return
                st.session_state.pop(IMPORT_PLAN_KEY, None)
                st.session_state[IMPORT_DONE_KEY] = typo(
                    "Import terminé : les réponses sont à jour."
                )
                _load(state.engine(), actor, draft.assessment_id)
                st.rerun()


def _submit_section(plan: FormPlan, draft: Draft, actor: Actor) -> None:
    st.divider()
    st.subheader("Soumettre l'auto-évaluation", anchor="soumettre")
    target = Target(organisation_id=draft.organisation_id)
    if not can(actor, Action.SUBMIT_ASSESSMENT, target):
        st.info(
            "Seuls les référents de l'auto-évaluation peuvent la soumettre. "
            "Vos réponses sont enregistrées au fil de l'eau : prévenez un référent "
            "quand elle est prête."
        )
        return
    count, missing = _missing_list(plan, draft)
    if missing:
        more = len(missing) - MISSING_SHOWN
        st.error(
            f"Soumission impossible : {plural(count, 'réponse obligatoire')} "
            f"{agree(count, 'manque', 'manquent')} encore, "
            f"pour {plural(len(missing), 'question')} :\n\n"
            + "\n".join(missing[:MISSING_SHOWN])
            + (f"\n\n… et {plural(more, 'autre question')}." if more > 0 else "")
        )
        st.button("Soumettre", disabled=True, key=f"{PREFIX}:submit")
        return
    if not st.session_state.get(CONFIRM_KEY):
        if st.button("Soumettre", type="primary", key=f"{PREFIX}:submit"):
            st.session_state[CONFIRM_KEY] = True
            st.rerun()
        return
    st.warning(
        "Une fois soumise, l'auto-évaluation n'est plus modifiable (un référent peut "
        "la rouvrir tant que la campagne est ouverte). Confirmez-vous la soumission ?"
    )
    left, right = st.columns(2)
    if left.button("Confirmer la soumission", type="primary", key=f"{PREFIX}:confirm"):
        st.session_state[CONFIRM_KEY] = False
        try:
            draft.revision = assessments.submit(
                state.engine(),
                state.writer(),
                draft.assessment_id,
                expected_revision=draft.revision,
            )
        except assessments.StaleRevision:
            draft.stale = True
            st.rerun()
        except (assessments.MissingAnswers, assessments.ReadOnly, PermissionDenied) as error:
            st.error(md_escape(error.message))
            return
        draft.status = "submitted"
        st.rerun()
    if right.button("Annuler", key=f"{PREFIX}:cancel"):
        st.session_state[CONFIRM_KEY] = False
        st.rerun()


def _format_answer(view: QuestionView, value: Any) -> str:
    question = view.question
    if value is None:
        return "—"
    if isinstance(question, LevelQuestion):
        return view.level_names.get(value, str(value))
    if isinstance(question, YesNoQuestion):
        return "Oui" if value else "Non"
    if isinstance(question, ChoiceQuestion):
        values = value if isinstance(value, list) else [value]
        return ", ".join(view.choice_labels.get(v, str(v)) for v in values)
    if isinstance(value, int | float):
        shown = number_text(value)
        return f"{shown}{french.NBSP}{view.unit}" if view.unit else shown
    return md_escape(value)  # a text answer: shown as typed, never as Markdown


def answered_cells(plan: FormPlan, view: QuestionView, draft: Draft) -> list[str]:
    """« Horizon : réponse » (Markdown, text answers escaped) for each visible horizon
    the question is answered at."""
    question = view.question
    given = draft.answers.get(question.id, {})
    not_applicable = draft.not_applicable(plan.grid)
    return [
        f"{plan.horizon_labels[h]} : {_format_answer(view, given[h])}"
        for h in view.horizons
        if given.get(h) is not None
        and (
            question.show_if is None
            or answers_mod.is_visible(plan.grid, question, h, draft.answers, not_applicable)
        )
    ]


def evidence_cells(plan: FormPlan, view: QuestionView, draft: Draft) -> list[str]:
    """« *Sur quoi nous nous appuyons :* … » (Markdown, escaped) when evidence was given."""
    given = draft.comments.get(view.question.id, {}).get(plan.grid.current_horizon)
    return [f"*{EVIDENCE_SHOWN}* {md_escape(given)}"] if given else []


EVIDENCE_SHOWN = typo("Sur quoi nous nous appuyons :")
REASON_SHOWN = typo("Pourquoi ce thème cette année :")


def reason_line(reason: str) -> str:
    return f"*{REASON_SHOWN}* {md_escape(reason)}"


def unanswered_text(optional: int, required: int = 0) -> str:
    """« 3 questions facultatives non renseignées » (and the required ones, if any)."""
    parts = []
    if required:
        parts.append(
            f"{required} question obligatoire non renseignée"
            if required == 1
            else f"{required} questions obligatoires non renseignées"
        )
    if optional:
        parts.append(
            f"{optional} question facultative non renseignée"
            if optional == 1
            else f"{optional} questions facultatives non renseignées"
        )
    return " · ".join(parts)


def _read_only(plan: FormPlan, draft: Draft, actor: Actor) -> None:
    """The submitted answers: per item, only the questions answered, then one line for
    the empty ones; an item not addressed is one line."""
    st.success("Auto-évaluation soumise : elle est en lecture seule.")
    grid = plan.grid
    for section, views in plan.sections.items():
        st.subheader(plan.section_titles.get(section, ""))
        if section in draft.not_addressed:
            st.caption("Non traité cette année")
            continue
        if draft.choice_reasons.get(section):
            st.markdown(reason_line(draft.choice_reasons[section]))
        empty_optional = empty_required = 0
        not_applicable = draft.not_applicable(grid)
        for view in views:
            question = view.question
            if question.id in draft.not_addressed:
                continue
            view = view_for(plan, view, draft.profile)
            if question.id in not_applicable:
                reason = (
                    not_applicable_text(question, draft.profile)
                    if question.id in answers_mod.not_applicable_ids(grid, draft.profile)
                    else CHOSEN_NOT_APPLICABLE
                )
                st.markdown(f"**{_escape(view.label)}**  \n" + md_escape(reason))
                continue
            cells = answered_cells(plan, view, draft) + evidence_cells(plan, view, draft)
            if cells:
                st.markdown(f"**{_escape(view.label)}**  \n" + "  \n".join(cells))
            elif question.show_if is None or any(
                answers_mod.is_visible(grid, question, h, draft.answers, not_applicable)
                for h in view.horizons
            ):
                if question.is_required:
                    empty_required += 1
                else:
                    empty_optional += 1
        if empty_optional or empty_required:
            st.caption(unanswered_text(empty_optional, empty_required))
    target = Target(organisation_id=draft.organisation_id)
    if can(actor, Action.REOPEN_ASSESSMENT, target) and st.button(
        "Rouvrir l'auto-évaluation", key=f"{PREFIX}:reopen"
    ):
        try:
            assessments.reopen(
                state.engine(),
                state.writer(),
                draft.assessment_id,
                expected_revision=draft.revision,
            )
        except (assessments.StaleRevision, assessments.ReadOnly, PermissionDenied) as error:
            st.error(md_escape(getattr(error, "message", None) or str(error)))
            return
        _load(state.engine(), actor, draft.assessment_id)
        st.rerun()


def _start(engine: Any, actor: Actor, campaign: campaigns.CampaignInfo) -> Draft | None:
    """The session's draft for this campaign: loaded once, or created on request."""
    draft = _draft()
    if (
        draft is not None
        and draft.campaign_id == campaign.id
        and draft.organisation_id == actor.organisation_id
    ):
        return draft
    organisation_id = actor.organisation_id
    assert organisation_id is not None
    existing = assessments.find_assessment(engine, actor, organisation_id, campaign.id)
    if existing is not None:
        _clear_widgets()
        draft = st.session_state[DRAFT_KEY] = Draft.from_state(existing)
        return draft
    earlier = [
        a
        for a in assessments.list_assessments(engine, actor, organisation_id)
        if a.campaign_id != campaign.id and a.year < campaign.year
    ]
    if not earlier:
        return _open(engine, campaign.id)
    previous = max(earlier, key=lambda a: (a.year, a.id))
    st.info(
        f"Votre auto-évaluation {previous.year} existe. Vous pouvez partir de ses réponses "
        "(à revoir et mettre à jour) ou commencer une auto-évaluation vierge."
    )
    left, right = st.columns(2)
    if left.button(f"Partir des réponses de {previous.year}", type="primary", key=f"{PREFIX}:from"):
        return _open(engine, campaign.id, start_from=previous.id, from_year=previous.year)
    if right.button("Commencer une auto-évaluation vierge", key=f"{PREFIX}:blank"):
        return _open(engine, campaign.id)
    return None


def render() -> None:
    """Draw the page."""
    actor = state.require_actor()
    st.title("Mon auto-évaluation")
    if actor.organisation_id is None:
        state.refuse("Cette page est réservée aux comptes d'une organisation.")
        return
    engine = state.engine()
    campaign = campaigns.current_campaign(engine)
    if campaign is None:
        st.info("Aucune campagne d'auto-évaluation n'est ouverte en ce moment.")
        return
    grid = state.grid(campaign.grid_id, campaign.grid_version)
    st.session_state[_GRID_KEY] = (campaign.grid_id, campaign.grid_version)
    st.caption(
        f"{md_escape(campaign.label)} — grille « {text(grid.title, grid.language)} » "
        f"(version {grid.version})"
    )
    try:
        draft = _start(engine, actor, campaign)
    except PermissionDenied as error:
        state.refuse(error.message)
        return
    if draft is None:
        return
    draft.full_rerun = False  # this is a full run: everything is drawn afresh
    plan = plan_for(grid)
    if draft.stale and draft.conflict is None:
        # a refused change of themes or of the submission (an answer's refusal is
        # shown at its question)
        st.error(
            "Ces réponses ont été modifiées entre-temps (par une autre personne ou dans un "
            "autre onglet). Votre dernière modification n'a pas été enregistrée. Rechargez "
            "pour voir la version à jour, puis refaites-la si besoin."
        )
        st.button("Recharger", type="primary", key=RELOAD_KEY, on_click=_on_reload)
    carried = st.session_state.get(CARRIED_KEY)
    if carried is not None:
        dropped, message = carried
        (st.warning if dropped else st.info)(md_escape(message), icon=":material/history:")
        if st.button("Masquer ce message", key=f"{PREFIX}:carried_seen"):
            st.session_state.pop(CARRIED_KEY, None)
            st.rerun()
    if draft.read_only_message:
        st.warning(md_escape(draft.read_only_message))
    if draft.status == "submitted":
        _read_only(plan, draft, actor)
        return
    render_form(plan, draft, actor, year=campaign.year)


def start_preview(grid: Grid) -> Draft:
    """This session's preview of ``grid``: an empty, unsaved form (kept while the grid
    text does not change, so that answers tried in it stay)."""
    draft = _draft()
    current = st.session_state.get(_GRID_KEY)
    if draft is None or not draft.preview or not isinstance(current, Grid) or current != grid:
        _clear_widgets()
        draft = Draft(0, 0, 0, 0, "draft", {}, set(), preview=True)
        st.session_state[DRAFT_KEY] = draft
    st.session_state[_GRID_KEY] = grid
    return draft


def render_form(
    plan: FormPlan,
    draft: Draft,
    actor: Actor | None,
    *,
    preview: bool = False,
    year: int | None = None,
) -> None:
    """The form as an enterprise sees it: progress, themes, items, systemic view, and
    (not in a preview) the submission."""
    grid = plan.grid
    draft.full_rerun = False
    screen.filling_style(PROGRESS_KEY)
    with st.container(key=PROGRESS_KEY):  # stays on top while the page scrolls
        _status_fragment()
    _grid_intro(plan, draft)
    _themes_step(plan, draft)
    if not preview and actor is not None and year is not None:
        _import_section(grid, draft, actor, year)
    lang = grid.language
    for item in grid.items:
        if item.id in draft.not_addressed and item.optional:
            st.subheader(text(item.title, lang), anchor=f"theme-{item.id}")
            st.caption("Non traité cette année")
            continue
        with st.container(border=True):
            _item_header(item, grid)
            _section_fragment(item.id)
    if grid.systemic is not None:
        with st.container(border=True):
            st.subheader(text(grid.systemic.title, lang), anchor="vue-systemique")
            if grid.systemic.description:
                st.markdown(text(grid.systemic.description, lang))
            _section_fragment(SYSTEMIC)
    if not preview and actor is not None:
        _submit_fragment()
    _text_commit_script()


def _submit_body() -> None:
    """The submission, from the session's draft (a keyed fragment: an answer's
    callback reruns it, so that the list of missing answers stays right)."""
    grid = _grid_of_session()
    draft = _draft()
    actor = state.current_actor()
    if grid is None or draft is None or actor is None:
        return
    if draft.full_rerun:
        draft.full_rerun = False
        st.rerun(scope="app")
    _submit_section(plan_for(grid), draft, actor)


_submit_fragment: Callable[[], None] = state.fragment(_submit_body, key=SUBMIT_KEY)

TEXT_COMMIT_PAUSE_MS = 1500
"""A text area is committed (saved) after this long without typing."""

_TEXT_COMMIT_JS = """<script>
(() => {
  if (window.__essTextCommit) return;
  window.__essTextCommit = true;
  const pending = new Map();
  const answer = (el) => el instanceof HTMLTextAreaElement
    && el.closest('[class*="st-key-fill-q-"]') !== null;
  const commit = (el) => {
    pending.delete(el);
    if (!el.isConnected) return;
    // Streamlit commits a text area on Ctrl+Enter (and on leaving it)
    el.dispatchEvent(new KeyboardEvent("keydown", {
      key: "Enter", code: "Enter", ctrlKey: true, bubbles: true, cancelable: true,
    }));
  };
  document.addEventListener("input", (event) => {
    const el = event.target;
    if (!answer(el)) return;
    clearTimeout(pending.get(el));
    pending.set(el, setTimeout(() => commit(el), __PAUSE__));
  }, true);
  document.addEventListener("focusout", (event) => {
    clearTimeout(pending.get(event.target));
    pending.delete(event.target);
  }, true);
  window.addEventListener("beforeunload", (event) => {
    if ([...pending.keys()].some((el) => el.isConnected)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
</script>""".replace("__PAUSE__", str(TEXT_COMMIT_PAUSE_MS))


def _text_commit_script() -> None:
    """Long texts are not lost: a text area is committed after a short pause in
    typing (as Ctrl+Enter would), and until then the browser asks before leaving
    the page (its own « Quitter le site ? » dialog)."""
    st.html(_TEXT_COMMIT_JS, unsafe_allow_javascript=True)
