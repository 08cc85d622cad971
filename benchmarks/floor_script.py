"""The floor of the filling-page benchmark: the same widgets, nothing else.

A bare Streamlit script that draws what « Mon auto-évaluation » draws for the
default grid (same labels, level descriptors, widget types, layout and widget
keys: every answer field, the evidence field under each current state, the
per-question « non traitée cette année » and « non applicable » boxes, each
theme's reason, the spreadsheet expander) but with no storage, scoring,
permission checks, callbacks or fragments.  It draws every question of the
grid, including the few that the page shows as « non applicable » for the
benchmark's organisation, so it is, if anything, a little heavier than the page.
The grid file is parsed once per process.  Run by
``benchmarks/filling_rerun.py``; also runnable alone with ``streamlit run``.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
import yaml

from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    Question,
    TextQuestion,
    YesNoQuestion,
    text,
)

GRID_FILE = Path(
    os.environ.get(
        "FLOOR_GRID",
        Path(__file__).resolve().parents[1] / "guide" / "guide-bonnes-pratiques-ess.yaml",
    )
)


@st.cache_resource
def load() -> Grid:
    return Grid.model_validate(yaml.safe_load(GRID_FILE.read_text(encoding="utf-8")))


grid = load()
lang = grid.language
labels = {h.id: text(h.label, lang) for h in grid.horizons}
names = {lv.value: f"{lv.value} – {text(lv.label, lang)}" for lv in grid.scale}
descr = {lv.value: text(lv.description, lang) for lv in grid.scale}


def widget(question: Question, horizon: str, label: str, first: bool) -> None:
    key = f"fill:q:{question.id}:{horizon}"
    if isinstance(question, LevelQuestion):
        own = {k: text(v, lang) for k, v in (question.levels or {}).items()}
        captions = [own.get(v) or descr[v] for v in grid.scale_values]
        if first:
            st.radio(
                label,
                grid.scale_values,
                format_func=names.__getitem__,
                captions=captions,
                index=None,
                key=key,
            )
        else:
            chosen = st.radio(
                label,
                grid.scale_values,
                format_func=names.__getitem__,
                horizontal=True,
                index=None,
                key=key,
            )
            if chosen is not None:
                st.caption(captions[grid.scale_values.index(chosen)])
    elif isinstance(question, NumberQuestion):
        unit = text(question.unit, lang)
        # a text field, as the page draws it (French decimal commas)
        st.text_input(
            f"{label} ({unit})" if unit else label,
            placeholder="Non renseigné",
            autocomplete="off",
            key=key,
        )
    elif isinstance(question, TextQuestion):
        st.text_area(label, max_chars=question.max_length, height=90, key=key)
    elif isinstance(question, YesNoQuestion):
        st.radio(
            label,
            (True, False),
            format_func=lambda v: "Oui" if v else "Non",
            horizontal=True,
            index=None,
            key=key,
        )
    elif isinstance(question, ChoiceQuestion):
        options = {o.value: text(o.label, lang) for o in question.options}
        if question.multiple:
            st.multiselect(label, list(options), format_func=options.__getitem__, key=key)
        else:
            st.selectbox(label, list(options), format_func=options.__getitem__, index=None, key=key)


def evidence(question: Question) -> None:
    """« Sur quoi vous appuyez-vous ? » under the current state, as the page draws it."""
    if question.evidence_mode == "none":
        return
    st.text_area(
        "Sur quoi vous appuyez-vous ? (attendu)",
        max_chars=2000,
        height=80,
        placeholder="Par exemple : compte rendu de l'AG du 12 juin, règlement intérieur…",
        key=f"fill:evidence:{question.id}",
    )


def section(questions: list[Question], optional_theme: bool) -> None:
    st.caption("0 / 0 réponses")
    for question in questions:
        st.markdown(
            f'<a id="q-{question.id}"></a>**{text(question.label, lang)}**', unsafe_allow_html=True
        )
        if question.help:
            st.caption(text(question.help, lang))
        # the page's per-question choices: left out this year, « non applicable »
        if question.optional or optional_theme:
            st.checkbox("Question non traitée cette année", key=f"fill:skip:{question.id}")
        if question.may_not_apply:
            st.checkbox("Non applicable à notre structure", key=f"fill:na:{question.id}")
        horizons = grid.question_horizons(question)
        if grid.current_horizon in horizons:
            evidence(question)
        if isinstance(question, LevelQuestion) and len(horizons) > 1:
            widget(question, horizons[0], labels[horizons[0]], True)
            for column, horizon in zip(st.columns(len(horizons) - 1), horizons[1:], strict=True):
                with column:
                    widget(question, horizon, labels[horizon], False)
        elif len(horizons) > 1:
            for column, horizon in zip(st.columns(len(horizons)), horizons, strict=True):
                with column:
                    widget(question, horizon, labels[horizon], False)
        else:
            widget(question, horizons[0], labels[horizons[0]], True)


st.title("Mon auto-évaluation")
st.caption(f"Campagne — grille « {text(grid.title, lang)} » (version {grid.version})")
st.progress(0.0, text="Progression : 0 / 0 réponses")
with st.expander("Importer / Modèle de tableur"):
    st.download_button("Télécharger le modèle de tableur (XLSX)", b"", key="fill:template")
    st.file_uploader("Modèle rempli (.xlsx)", type=["xlsx"], key="fill:upload")
with st.expander("1. Thèmes traités cette année"):
    st.markdown("Choisissez les thèmes que votre structure travaille cette année.")
    for item in grid.items:
        st.checkbox(text(item.title, lang), value=True, key=f"fill:theme:{item.id}")
for item in grid.items:
    with st.container(border=True):
        st.subheader(text(item.title, lang), anchor=f"theme-{item.id}")
        st.text_input(
            f"Pourquoi ce thème cette année ? ({text(item.title, lang)})",
            max_chars=200,
            label_visibility="collapsed",
            key=f"fill:reason:{item.id}",
        )
        if item.description:
            st.markdown(text(item.description, lang))
        if item.help:
            with st.popover("Comment s'y prendre ?"):
                st.markdown(text(item.help, lang))
        section(list(item.questions), item.optional)
if grid.systemic is not None:
    with st.container(border=True):
        st.subheader(text(grid.systemic.title, lang), anchor="vue-systemique")
        section(list(grid.systemic.questions), False)
st.divider()
st.subheader("Soumettre l'auto-évaluation", anchor="soumettre")
st.button("Soumettre", key="fill:submit")
