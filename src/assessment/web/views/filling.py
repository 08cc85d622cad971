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
    * Each item is an ``st.fragment``: changing an answer reruns that item
      only.  When a change must show elsewhere (overall progress, a question
      of another section that depends on it, a save conflict, the single
      « Enregistré à HH:MM » indicator when the minute has changed), the item
      asks for a full rerun.
    * Per-grid display data (labels, level descriptors...) is compiled once
      per grid object (:class:`FormPlan`), never per rerun.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from assessment import answers as answers_mod
from assessment import assessments, campaigns, exchange
from assessment.answers import GridCache
from assessment.db import DatabaseBusy
from assessment.french import plural, typo
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
from assessment.permissions import Action, Actor, PermissionDenied, Target, can
from assessment.scoring import Scorer, ScoreReport, SectionCompletion
from assessment.web import screen, state
from assessment.web.safe import md_escape

PREFIX = "fill"
DRAFT_KEY = f"{PREFIX}:draft"
CONFIRM_KEY = f"{PREFIX}:confirm_submit"
TZ = ZoneInfo("Europe/Paris")
SYSTEMIC = "_systemic"
"""Section id of the systemic view in :class:`FormPlan` (never an item id)."""


def widget_key(question_id: str, horizon_id: str) -> str:
    """Session-state key of an answer's widget (stable: tests use it)."""
    return f"{PREFIX}:q:{question_id}:{horizon_id}"


def theme_key(item_id: str) -> str:
    return f"{PREFIX}:theme:{item_id}"


def skip_key(question_id: str) -> str:
    return f"{PREFIX}:skip:{question_id}"


def anchor(question_id: str) -> str:
    return f"q-{question_id}"


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


@dataclass(frozen=True, slots=True)
class FormPlan:
    grid: Grid
    horizon_labels: dict[str, str]
    sections: dict[str, list[QuestionView]]
    section_titles: dict[str, str]
    short_titles: dict[str, str]
    optional_items: tuple[str, ...]

    @property
    def questions(self) -> dict[str, QuestionView]:
        return {v.question.id: v for views in self.sections.values() for v in views}


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
    saved_at: str | None = None
    """When the assessment was last saved (HH:MM, Paris): the one « Enregistré à »
    indicator, taken from the stored ``updated_at`` so that it survives a reload."""
    stale: bool = False
    read_only_message: str | None = None
    errors: dict[tuple[str, str], str] = field(default_factory=dict)
    full_rerun: bool = False
    preview: bool = False
    """The national body's preview of a grid: answers stay in this session, never saved."""

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
            saved_at=_hhmm(a.updated_at) if a.updated_at and a.revision > 0 else None,
        )


def _hhmm(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(TZ)
    return moment.astimezone(TZ).strftime("%H:%M")


_WIDGET_PREFIXES = (f"{PREFIX}:q:", f"{PREFIX}:theme:", f"{PREFIX}:skip:")


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


def _open(engine: Any, campaign_id: int, start_from: int | None = None) -> Draft:
    actor = state.writer()  # may create the assessment
    organisation_id = actor.organisation_id
    assert organisation_id is not None
    _clear_widgets()
    if actor.organisation_id is None:
        state.refuse("Seuls les membres d'une organisation remplissent une auto-évaluation.")
    state_ = assessments.open_assessment(
        engine, actor, organisation_id, campaign_id, start_from=start_from
    )
    draft = Draft.from_state(state_)
    st.session_state[DRAFT_KEY] = draft
    return draft


# ---------------------------------------------------------------------------
# Widget value ↔ stored value
# ---------------------------------------------------------------------------


def _to_widget(view: QuestionView, value: Any) -> Any:
    question = view.question
    if value is None:
        return [] if isinstance(question, ChoiceQuestion) and question.multiple else None
    if isinstance(question, NumberQuestion):
        return int(value) if question.integer else float(value)
    if isinstance(question, ChoiceQuestion) and question.multiple:
        return list(value) if isinstance(value, list) else [value]
    return value


def _from_widget(view: QuestionView, value: Any) -> Any:
    if isinstance(view.question, TextQuestion) and isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, list) and not value:
        return None
    return value


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
    raw = _from_widget(view, st.session_state.get(widget_key(question_id, horizon_id)))
    try:
        value = answers_mod.normalize_value(grid, question_id, horizon_id, raw)
    except answers_mod.AnswerError as error:
        draft.errors[(question_id, horizon_id)] = error.message
        return
    if draft.preview:
        draft.errors.pop((question_id, horizon_id), None)
        if value is None:
            draft.answers.get(question_id, {}).pop(horizon_id, None)
        else:
            draft.answers.setdefault(question_id, {})[horizon_id] = value
        draft.full_rerun = True
        return
    if draft.stale:
        return
    previous = draft.answers.get(question_id, {}).get(horizon_id)
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
        draft.stale = True
        draft.full_rerun = True
        return
    except assessments.ReadOnly as error:
        draft.read_only_message = str(error) or "Cette auto-évaluation n'est plus modifiable."
        draft.full_rerun = True
        return
    except (PermissionDenied, DatabaseBusy) as error:
        draft.errors[(question_id, horizon_id)] = error.message
        return
    draft.errors.pop((question_id, horizon_id), None)
    if value is None:
        draft.answers.get(question_id, {}).pop(horizon_id, None)
    else:
        draft.answers.setdefault(question_id, {})[horizon_id] = value
    now = _hhmm()
    if now != draft.saved_at:
        # the « Enregistré à » indicator is drawn outside the item: refresh it (at
        # most once a minute, so most changes still rerun their item only)
        draft.full_rerun = True
    draft.saved_at = now
    if (previous is None) != (value is None) or view.affects_other_sections:
        draft.full_rerun = True


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
    draft.saved_at = _hhmm()


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
        as_int = question.integer

        def bound(v: float | None) -> Any:
            return None if v is None else (int(v) if as_int else float(v))

        st.number_input(
            label,
            min_value=bound(question.min),
            max_value=bound(question.max),
            step=1 if as_int else None,
            placeholder="Non renseigné",
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


def _question(view: QuestionView, plan: FormPlan, draft: Draft, warnings: dict[Any, str]) -> None:
    question = view.question
    grid = plan.grid
    st.markdown(
        f'<a id="{anchor(question.id)}"></a>**{_escape(view.label)}**'
        + (" *(facultatif)*" if not question.is_required else ""),
        unsafe_allow_html=True,
    )
    if view.help:
        st.caption(view.help)
    if question.optional:
        _init(skip_key(question.id), question.id in draft.not_addressed)
        st.checkbox(
            "Question non traitée cette année",
            key=skip_key(question.id),
            on_change=_on_skip_change,
            args=(question.id,),
        )
        if question.id in draft.not_addressed:
            return
    shown = [
        h
        for h in view.horizons
        if question.show_if is None or answers_mod.is_visible(grid, question, h, draft.answers)
    ]
    if not shown:
        return
    if isinstance(question, LevelQuestion) and len(shown) > 1:
        first, goals = shown[0], shown[1:]
        if first == grid.current_horizon:
            _answer_widget(view, first, plan.horizon_labels[first], False)
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
    warnings = {
        (w.question_id, w.horizon_id): _warning_text(plan, w)
        for w in answers_mod.goal_warnings(grid, draft.answers)
        if (w.item_id or SYSTEMIC) == section
    }
    report = Scorer.for_grid(grid).score(draft.answers, draft.not_addressed)
    counts = report.completion.section(None if section == SYSTEMIC else section)
    st.caption(section_status(counts))
    for view in views:
        _question(view, plan, draft, warnings)


_section_fragment: Callable[[str], None] = state.fragment(_section_body)


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
        st.markdown(
            "Choisissez les thèmes que votre structure travaille cette année. "
            "Les autres apparaîtront comme « non traité cette année »."
        )
        for item in grid.items:
            label = text(item.title, lang)
            if item.optional:
                _init(theme_key(item.id), item.id not in draft.not_addressed)
                st.checkbox(
                    label, key=theme_key(item.id), on_change=_on_theme_change, args=(item.id,)
                )
            else:
                st.checkbox(label, value=True, disabled=True, key=theme_key(item.id))


def progress_text(counts: SectionCompletion) -> str:
    """« Progression : 114 / 114 réponses obligatoires · 0 / 87 facultatives »."""
    return f"Progression : {counts.summary()}"


def section_status(counts: SectionCompletion) -> str:
    """Under an item's title: « 12 / 12 obligatoires · 0 / 9 facultatives »."""
    return counts.summary(compact=True)


def saved_text(saved_at: str) -> str:
    return f":material/check_circle: Enregistré à {saved_at}"


def _progress(report: ScoreReport, draft: Draft) -> None:
    completion = report.completion
    columns = st.columns([3, 1])
    with columns[0]:
        # the bar is full once every required answer is given (optional ones are extra)
        st.progress(min(1.0, completion.required_ratio), text=progress_text(completion.counts))
    with columns[1]:
        if draft.saved_at:
            st.markdown(saved_text(draft.saved_at))


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


MISSING_SHOWN = 15


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _missing_list(plan: FormPlan, draft: Draft) -> tuple[int, list[str]]:
    """How many required cells are missing, and one linked line per question."""
    grid = plan.grid
    missing = answers_mod.missing_required(grid, draft.answers, draft.not_addressed)
    by_question: dict[str, list[str]] = {}
    for _item_id, question_id, horizon in missing:
        by_question.setdefault(question_id, []).append(plan.horizon_labels[horizon])
    lines = []
    for question_id, horizons in by_question.items():
        view = plan.questions[question_id]
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
        st.info(import_plan.summary())
        if import_plan.is_empty:
            return
        st.dataframe(
            [
                {
                    "Cellule": c.where,
                    "Thème": c.section,
                    "Question": c.question,
                    "Horizon": c.horizon,
                    "Quoi": c.field,
                    "En ligne": c.old,
                    "Dans le fichier": c.new,
                    "Déjà saisie": "oui" if c.conflict else "",
                }
                for c in import_plan.changes
            ],
            hide_index=True,
            width="stretch",
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
                (typo(f"Importer en remplaçant {plural(conflicts, 'réponse')} en ligne"), True),
                ("Importer sans toucher aux réponses saisies en ligne", False),
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
            "Seuls les administrateurs de l'organisation peuvent soumettre l'auto-évaluation. "
            "Vos réponses sont enregistrées au fil de l'eau : prévenez un administrateur "
            "quand elle est prête."
        )
        return
    count, missing = _missing_list(plan, draft)
    if missing:
        more = len(missing) - MISSING_SHOWN
        st.error(
            f"Soumission impossible : {count} réponse(s) obligatoire(s) manquent encore, "
            f"pour {len(missing)} question(s) :\n\n"
            + "\n".join(missing[:MISSING_SHOWN])
            + (f"\n\n… et {more} autre(s) question(s)." if more > 0 else "")
        )
        st.button("Soumettre", disabled=True, key=f"{PREFIX}:submit")
        return
    if not st.session_state.get(CONFIRM_KEY):
        if st.button("Soumettre", type="primary", key=f"{PREFIX}:submit"):
            st.session_state[CONFIRM_KEY] = True
            st.rerun()
        return
    st.warning(
        "Une fois soumise, l'auto-évaluation n'est plus modifiable (un administrateur peut "
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
    if isinstance(value, float):
        shown = f"{value:g}".replace(".", ",")
        return f"{shown} {view.unit}".strip()
    if isinstance(value, int):
        return f"{value} {view.unit}".strip()
    return md_escape(value)  # a text answer: shown as typed, never as Markdown


def answered_cells(plan: FormPlan, view: QuestionView, draft: Draft) -> list[str]:
    """« Horizon : réponse » (Markdown, text answers escaped) for each visible horizon
    the question is answered at."""
    question = view.question
    given = draft.answers.get(question.id, {})
    return [
        f"{plan.horizon_labels[h]} : {_format_answer(view, given[h])}"
        for h in view.horizons
        if given.get(h) is not None
        and (
            question.show_if is None
            or answers_mod.is_visible(plan.grid, question, h, draft.answers)
        )
    ]


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
        empty_optional = empty_required = 0
        for view in views:
            question = view.question
            if question.id in draft.not_addressed:
                continue
            cells = answered_cells(plan, view, draft)
            if cells:
                st.markdown(f"**{_escape(view.label)}**  \n" + "  \n".join(cells))
            elif question.show_if is None or any(
                answers_mod.is_visible(grid, question, h, draft.answers) for h in view.horizons
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
        return _open(engine, campaign.id, start_from=previous.id)
    if right.button("Commencer une auto-évaluation vierge", key=f"{PREFIX}:blank"):
        return _open(engine, campaign.id)
    return None


def render() -> None:
    """Draw the page."""
    actor = state.require_actor()
    st.title("Mon auto-évaluation")
    if actor.organisation_id is None:
        state.refuse("Cette page est réservée aux membres d'une organisation.")
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
    if draft.stale:
        st.error(
            "Ces réponses ont été modifiées entre-temps (par une autre personne ou dans un "
            "autre onglet). Votre dernière modification n'a pas été enregistrée. Rechargez "
            "pour voir la version à jour, puis refaites-la si besoin."
        )
        if st.button("Recharger", type="primary", key=f"{PREFIX}:reload"):
            _load(engine, actor, draft.assessment_id)
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
    report = Scorer.for_grid(grid).score(draft.answers, draft.not_addressed)
    screen.filling_style(PROGRESS_KEY)
    with st.container(key=PROGRESS_KEY):  # stays on top while the page scrolls
        _progress(report, draft)
        screen.contents(contents_links(plan, draft, report))
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
        _submit_section(plan, draft, actor)
