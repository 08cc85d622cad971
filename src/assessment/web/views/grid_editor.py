"""The grid half of « Grilles et campagnes »: versions, drafts, editor, preview, diff,
dry run, publish, retire, download.

Thin: every rule is in :mod:`assessment.grid_store` (drafts, publishing,
``replaces`` checks) and :mod:`assessment.gridtools` (diff, dry run, round
trip); the preview is the filling page's own form
(:func:`assessment.web.views.filling.render_form` with ``preview=True``).

The YAML editor is ``streamlit-code-editor`` (Ace, served from the package: no
CDN), with line numbers and YAML highlighting; a plain text area is one toggle
away (screen readers, and the AppTest tests, which do not run components).
The text being edited lives in this session (``TEXT_KEY``) until it is saved.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from assessment import campaigns, french, grid_store, national_audit
from assessment.errors import UserError
from assessment.grid import Grid, text
from assessment.gridfile import GridLoadResult
from assessment.gridtools import dryrun
from assessment.gridtools.diff import CHANGE_LABELS_FR, KIND_LABELS_FR, diff_grids
from assessment.gridtools.roundtrip import RoundTripError
from assessment.permissions import Actor
from assessment.web import state
from assessment.web.views import filling

PREFIX = "grids"
SELECTED_KEY = f"{PREFIX}:selected"
"""The draft being edited (``grid-id@version``)."""
PENDING_KEY = f"{PREFIX}:pending"
TEXT_KEY = f"{PREFIX}:text"
LOADED_KEY = f"{PREFIX}:loaded"
"""Which draft ``TEXT_KEY`` holds, and the text as saved."""
AREA_KEY = f"{PREFIX}:area"
ACE_KEY = f"{PREFIX}:ace_code"
PLAIN_KEY = f"{PREFIX}:plain"
MESSAGE_KEY = f"{PREFIX}:message"
DRY_RUN_KEY = f"{PREFIX}:dry_run"
PANEL_KEY = f"{PREFIX}:panel"
PANELS = ("Aperçu", "Différences", "Essai sur une campagne")
STATUS_FR = {"published": "Publiée", "draft": "Brouillon", "retired": "Retirée"}


def _flash(kind: str, message: str) -> None:
    st.session_state[MESSAGE_KEY] = (kind, message)


def _show_flash() -> None:
    # always one element here, message or not: the elements below keep their place in the
    # page, so the editor's frame (and the text typed in it) is never rebuilt
    slot = st.empty()
    flash = st.session_state.pop(MESSAGE_KEY, None)
    if flash is not None:
        kind, message = flash
        (slot.success if kind == "success" else slot.error)(french.typo(message))


def _error_message(error: Exception) -> str:
    if isinstance(error, grid_store.GridStoreError) and error.problems:
        return error.message + "\n\n" + "\n".join(f"- {p}" for p in error.problems)
    return getattr(error, "message", None) or str(error)


# ---------------------------------------------------------------------------
# versions table and new drafts
# ---------------------------------------------------------------------------


def versions_table(versions: list[grid_store.GridVersionInfo]) -> pd.DataFrame:
    """One row per version: status, base version, last change and who made it."""
    return pd.DataFrame(
        [
            {
                "Grille": v.title or v.grid_id,
                "Identifiant": v.grid_id,
                "Version": v.version,
                "Statut": STATUS_FR[v.status],
                "Issue de": v.based_on or "",
                "Dernière modification": french.saved_at(v.changed_at) if v.changed_at else "",
                "Par": v.changed_by or "fichier du dossier des grilles",
            }
            for v in versions
        ],
        columns=[
            "Grille",
            "Identifiant",
            "Version",
            "Statut",
            "Issue de",
            "Dernière modification",
            "Par",
        ],
    )


def _new_draft_section(engine: Engine, actor: Actor, versions: list[Any]) -> None:
    with st.expander("Nouveau brouillon", icon=":material/add:"):
        left, right = st.columns(2)
        with left:
            st.markdown("**À partir d'une version**")
            keys = [v.key for v in versions]
            # a new version usually starts from the latest published one
            published = [i for i, v in enumerate(versions) if v.status == "published"]
            source = st.selectbox(
                "Version de départ",
                keys,
                index=published[-1] if published else 0,
                key=f"{PREFIX}:from",
            )
            new_version = st.text_input(
                "Numéro de la nouvelle version", key=f"{PREFIX}:new_version", placeholder="2027.1"
            )
            if st.button("Créer le brouillon", key=f"{PREFIX}:create") and source:
                grid_id, version = source.split("@", 1)
                try:
                    grid_store.new_draft_from(engine, state.writer(), grid_id, version, new_version)
                except (UserError, RoundTripError) as error:
                    st.error(_error_message(error))
                else:
                    _select(f"{grid_id}@{new_version.strip()}")
                    _flash("success", f"Brouillon {grid_id}@{new_version.strip()} créé.")
                    st.rerun()
        with right:
            st.markdown("**À partir d'un fichier**")
            upload = st.file_uploader(
                "Fichier de grille (YAML)", type=["yaml", "yml"], key=f"{PREFIX}:upload"
            )
            if st.button("Importer comme brouillon", key=f"{PREFIX}:import") and upload:
                try:
                    content = upload.getvalue().decode("utf-8-sig")
                    grid_store.save_draft(engine, state.writer(), content, source_name=upload.name)
                except UnicodeDecodeError:
                    st.error("Le fichier n'est pas encodé en UTF-8.")
                except UserError as error:
                    st.error(_error_message(error))
                else:
                    _select(_key_of(content, ""))
                    _flash("success", f"Brouillon importé depuis « {upload.name} ».")
                    st.rerun()


def _select(key: str | None) -> None:
    """Edit this draft on the next run."""
    st.session_state[PENDING_KEY] = key
    st.session_state.pop(LOADED_KEY, None)


# ---------------------------------------------------------------------------
# editor
# ---------------------------------------------------------------------------


def _editor(source_key: str) -> str:
    """Draw the editor; return the text as it is now.

    The Ace editor is always given the text it started with (``ACE_KEY``): were it
    given the text as it is now, each answer from the browser would reset its
    content (and its undo history) to a text a keystroke behind.
    """
    current: str = st.session_state[TEXT_KEY]
    plain = st.toggle(
        "Éditeur simple (zone de texte)",
        key=PLAIN_KEY,
        help="Sans coloration : pratique avec un lecteur d'écran.",
    )
    if plain:
        st.session_state.pop(ACE_KEY, None)
        if st.session_state.get(AREA_KEY) is None:
            st.session_state[AREA_KEY] = current
        typed = st.text_area("Texte YAML de la grille", key=AREA_KEY, height=520)
        st.session_state[TEXT_KEY] = typed
        return str(typed)
    st.session_state.pop(AREA_KEY, None)
    from code_editor import code_editor  # type: ignore[import-untyped]

    base: str = st.session_state.setdefault(ACE_KEY, current)
    response = code_editor(
        base,
        lang="yaml",
        height=[24, 32],
        response_mode="debounce",
        options={
            "showLineNumbers": True,
            "tabSize": 2,
            "useSoftTabs": True,
            "wrap": False,
            "enableLiveAutocompletion": False,
            "enableBasicAutocompletion": False,
            "enableSnippets": False,
            # a font the browser already has: Ace measures its lines once, and a font
            # arriving later would shift the line numbers against the text
            "fontFamily": "DejaVu Sans Mono, Menlo, Consolas, monospace",
            "fontSize": 13,
        },
        # the component's default top margin shifts the line numbers against the text
        props={"scrollMargin": [0, 0, 0, 0]},
        key=f"{PREFIX}:ace:{source_key}:{grid_store.content_hash(base)[:16]}",
    )
    if (
        isinstance(response, dict)
        and response.get("id")
        and response.get("text") is not None
        and response["text"] != current
    ):
        st.session_state[TEXT_KEY] = current = str(response["text"])
    return current


def problems_table(result: GridLoadResult) -> pd.DataFrame:
    """Errors then warnings: line, column, path in the grid, plain French."""
    rows = [
        {
            "Ligne": p.line,
            "Colonne": p.column,
            "Où": p.path or "fichier",
            "Problème": p.message.split(" : ", 1)[-1] if p.path else p.message,
            "Gravité": kind,
        }
        for kind, found in (("erreur", result.problems), ("avertissement", result.warnings))
        for p in found
    ]
    return pd.DataFrame(rows, columns=["Ligne", "Colonne", "Où", "Problème", "Gravité"])


def _problems(result: GridLoadResult) -> None:
    st.markdown("**Vérification**")
    if result.ok and result.grid is not None:
        grid = result.grid
        questions = sum(1 for _ in grid.questions())
        st.success(
            french.typo(
                f"Grille valide : {french.plural(len(grid.items), 'thème')}, "
                f"{french.plural(questions, 'question')}."
            ),
            icon=":material/check_circle:",
        )
    else:
        st.error(
            french.typo(
                f"{french.plural(len(result.problems), 'erreur')} : ce brouillon peut être "
                "enregistré, mais pas publié."
            ),
            icon=":material/error:",
        )
    if result.problems or result.warnings:
        with st.container(height=min(480, 90 + 60 * len(problem_lines(result))), border=True):
            st.markdown("\n".join(problem_lines(result)))


def problem_lines(result: GridLoadResult) -> list[str]:
    """One Markdown line per problem: « Ligne 12, colonne 9 · items[0].label — message »."""
    lines = []
    for _, row in problems_table(result).iterrows():
        icon = ":material/error:" if row["Gravité"] == "erreur" else ":material/warning:"
        where = str(row["Où"]).replace("`", "'")
        lines.append(
            f"- {icon} **Ligne {row['Ligne']}, colonne {row['Colonne']}** · `{where}` — "
            + _escape(str(row["Problème"]))
        )
    return lines


def _escape(value: str) -> str:
    """Author text shown as Markdown: no markup, no HTML."""
    for char in "\\`*_[]<>#|":
        value = value.replace(char, "\\" + char)
    return value


# ---------------------------------------------------------------------------
# diff, dry run, preview
# ---------------------------------------------------------------------------


def diff_table(old: Grid, new: Grid) -> pd.DataFrame:
    changes = diff_grids(old, new).changes
    return pd.DataFrame(
        [
            {
                "Élément": KIND_LABELS_FR[c.kind],
                "Identifiant": c.id,
                "Thème": c.item or "",
                "Changement": CHANGE_LABELS_FR[c.change]
                + (" " + ", ".join(c.old_ids) if c.change == "replaced" else ""),
                "Avant": c.before,
                "Après": c.after,
            }
            for c in changes
        ],
        columns=["Élément", "Identifiant", "Thème", "Changement", "Avant", "Après"],
    )


def _diff(previous: Grid | None, grid: Grid | None) -> None:
    if previous is None:
        st.info("Première version de cette grille : rien à comparer.")
        return
    if grid is None:
        st.info("Les différences s'affichent quand la grille est valide.")
        return
    result = diff_grids(previous, grid)
    st.markdown(french.typo(f"Par rapport à la version {previous.version} : {result.summary()}"))
    if not result.empty:
        st.dataframe(diff_table(previous, grid), hide_index=True, width="stretch")


def _dry_run(engine: Engine, actor: Actor, grid: Grid | None) -> None:
    if grid is None:
        st.info("L'essai est possible quand la grille est valide.")
        return
    found = [c for c in campaigns.list_campaigns(engine) if c.grid_id == grid.id]
    if not found:
        st.info("Aucune campagne n'a encore porté sur cette grille.")
        return
    campaign = st.selectbox(
        "Campagne",
        found,
        format_func=lambda c: f"{c.label} (version {c.grid_version})",
        key=f"{PREFIX}:dry_campaign",
    )
    if st.button("Lancer l'essai", key=f"{PREFIX}:dry_go", icon=":material/science:"):
        try:
            st.session_state[DRY_RUN_KEY] = (
                grid.key,
                dryrun.dry_run(engine, actor, grid, campaign),
            )
        except UserError as error:
            st.error(error.message)
            return
    kept = st.session_state.get(DRY_RUN_KEY)
    if kept is None or kept[0] != grid.key or kept[1].campaign_year != campaign.year:
        return
    result: dryrun.DryRun = kept[1]
    o = result.overall
    cols = st.columns(3)
    cols[0].metric("Auto-évaluations soumises", french.number(result.assessments))
    cols[1].metric("Score d'ensemble modifié", f"{french.number(o.changed)} / {o.scored}")
    cols[2].metric("Variation moyenne (points)", dryrun.signed_points(o.mean_change))
    st.caption(
        french.typo(
            "Comptes d'organisations et moyennes sur au moins "
            f"{result.min_group_size} organisations : aucun chiffre individuel."
        )
    )
    rows = [
        {
            "Thème": s.label,
            "Organisations notées": s.scored,
            "Score modifié": s.changed,
            "En hausse": s.up,
            "En baisse": s.down,
            **{name: count for name, count in s.buckets.items()},
            "Variation moyenne": dryrun.signed_points(s.mean_change),
        }
        for s in [o, *result.items]
    ]
    st.markdown("**Scores (état des lieux)**")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.markdown("**Moyennes régionales (ensemble, état des lieux)**")
    if result.regions:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Région": r.name,
                        "Organisations": r.n,
                        "Avant": french.number(r.before, 1),
                        "Après": french.number(r.after, 1),
                        "Variation": dryrun.signed_points(r.change),
                    }
                    for r in result.regions
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if result.regions_hidden:
        st.caption(
            french.typo(
                f"{french.plural(result.regions_hidden, 'région masquée', 'régions masquées')} "
                f"(moins de {result.min_group_size} organisations, ou pour en protéger une)."
            )
        )
    st.markdown("**Questions qui perdent leur historique**")
    if result.lost_history:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Question": q.question_id,
                        "Libellé": q.label,
                        "Thème": q.item or "",
                        "Réponses": q.answered,
                    }
                    for q in result.lost_history
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("Aucune : chaque question garde son historique.")
    if result.new_without_history:
        st.caption(
            "Nouvelles questions, sans historique : " + ", ".join(result.new_without_history)
        )
    for note in result.notes:
        st.caption(french.typo(note))


def _preview(grid: Grid | None) -> None:
    if grid is None:
        st.info("L'aperçu s'affiche quand la grille est valide.")
        return
    st.caption(
        "Le formulaire tel qu'une organisation le verra. Vous pouvez l'essayer : "
        "rien n'est enregistré."
    )
    draft = filling.start_preview(grid)
    with st.container(border=True):
        st.markdown(f"### {text(grid.title, grid.language)}")
        filling.render_form(filling.plan_for(grid), draft, None, preview=True)


# ---------------------------------------------------------------------------
# the draft being edited
# ---------------------------------------------------------------------------


def _load_text(engine: Engine, actor: Actor, key: str) -> None:
    loaded = st.session_state.get(LOADED_KEY)
    if loaded is not None and loaded[0] == key:
        return
    grid_id, version = key.split("@", 1)
    source = grid_store.get_grid_source(engine, actor, grid_id, version)
    st.session_state[TEXT_KEY] = source
    st.session_state[LOADED_KEY] = (key, source)
    st.session_state.pop(AREA_KEY, None)
    st.session_state.pop(ACE_KEY, None)


def _draft_section(engine: Engine, actor: Actor, info: grid_store.GridVersionInfo) -> None:
    key = info.key
    _load_text(engine, actor, key)
    saved: str = st.session_state[LOADED_KEY][1]
    left, right = st.columns([3, 2])
    with left:
        current = _editor(key)
    result = grid_store.check_draft(engine, current, based_on=info.based_on, source_name=key)
    with right:
        _problems(result)
        unsaved = current != saved
        if unsaved:
            st.caption(":material/edit: Modifications non enregistrées.")
        save = st.button("Enregistrer le brouillon", key=f"{PREFIX}:save", icon=":material/save:")
        publish = st.button(
            "Publier",
            type="primary",
            key=f"{PREFIX}:publish",
            disabled=not result.ok,
            icon=":material/publish:",
            help="Une version publiée ne change plus ; une campagne peut alors la choisir.",
        )
        if not result.ok:
            st.caption("Publication impossible tant qu'il reste des erreurs.")
        _download(st.container(), current, info.grid_id, info.version, "draft")
        confirm = st.checkbox("Je veux supprimer ce brouillon", key=f"{PREFIX}:confirm_delete")
        delete = st.button("Supprimer le brouillon", key=f"{PREFIX}:delete", disabled=not confirm)
    if save or publish:
        try:
            saved_result = grid_store.save_draft(
                engine,
                state.writer(),
                current,
                source_name=info.source_name,
                replacing=(info.grid_id, info.version),
            )
            new_key = saved_result.grid.key if saved_result.grid else _key_of(current, key)
            if publish:
                grid_id, version = new_key.split("@", 1)
                grid_store.publish(engine, state.writer(), grid_id, version)
        except UserError as error:
            st.error(_error_message(error))
            return
        _select(None if publish else new_key)
        _flash(
            "success",
            f"Version {new_key} publiée : une campagne peut maintenant l'utiliser."
            if publish
            else f"Brouillon {new_key} enregistré.",
        )
        st.rerun()
    if delete:
        try:
            grid_store.delete_draft(engine, state.writer(), info.grid_id, info.version)
        except UserError as error:
            st.error(_error_message(error))
            return
        _select(None)
        _flash("success", f"Brouillon {key} supprimé.")
        st.rerun()
    previous = grid_store.previous_version(engine, info.grid_id, info.version, info.based_on)
    # one panel drawn at a time: the preview is a whole form, too heavy to redraw on
    # every keystroke when it is not looked at
    panel = st.radio(
        "Afficher",
        PANELS,
        index=PANELS.index("Différences"),
        horizontal=True,
        key=PANEL_KEY,
        label_visibility="collapsed",
    )
    if panel == "Aperçu":
        _preview(result.grid if result.ok else None)
    elif panel == "Différences":
        _diff(previous, result.grid)
    else:
        _dry_run(engine, actor, result.grid if result.ok else None)


def _download(where: Any, source: str, grid_id: str, version: str, kind: str) -> None:
    """The version's text exactly as stored (its author's comments and key order)."""
    where.download_button(
        "Télécharger (YAML)",
        source.encode("utf-8"),
        file_name=f"{grid_id}-{version}.yaml",
        mime="application/yaml",
        key=f"{PREFIX}:download_{kind}",
        on_click="ignore",
    )


def _key_of(source: str, fallback: str) -> str:
    try:
        grid_id, version = grid_store.id_and_version(source)
    except UserError:
        return fallback
    return f"{grid_id}@{version}"


def _published_section(engine: Engine, actor: Actor, versions: list[Any]) -> None:
    readable = [v for v in versions if v.status != "draft"]
    if not readable:
        return
    with st.expander("Versions publiées : télécharger, retirer", icon=":material/download:"):
        chosen = st.selectbox(
            "Version",
            readable,
            format_func=lambda v: f"{v.key} ({STATUS_FR[v.status].lower()})",
            key=f"{PREFIX}:published",
        )
        if chosen is None:
            return
        source = grid_store.get_grid_source(engine, actor, chosen.grid_id, chosen.version)
        left, right = st.columns(2)
        _download(left, source, chosen.grid_id, chosen.version, "published")
        if chosen.status == "published" and right.button(
            "Retirer cette version",
            key=f"{PREFIX}:retire",
            help="Plus aucune nouvelle campagne ne pourra l'utiliser ; ses auto-évaluations "
            "restent consultables.",
        ):
            try:
                grid_store.retire(engine, state.writer(), chosen.grid_id, chosen.version)
            except UserError as error:
                st.error(_error_message(error))
                return
            _flash("success", f"Version {chosen.key} retirée.")
            st.rerun()


def _history(engine: Engine, actor: Actor) -> None:
    events = national_audit.list_events(engine, actor, subject_kind="grid", limit=50)
    if not events:
        return
    with st.expander("Journal des versions", icon=":material/history:"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Quand": french.saved_at(e.at),
                        "Qui": e.user_email,
                        "Version": e.subject,
                        "Action": e.label,
                    }
                    for e in events
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def render(engine: Engine, actor: Actor) -> None:
    """Draw the grid half of the page."""
    _show_flash()
    versions = state.call(grid_store.list_grid_versions, engine, actor)
    st.dataframe(versions_table(versions), hide_index=True, width="stretch")
    _new_draft_section(engine, actor, versions)
    _published_section(engine, actor, versions)
    _history(engine, actor)
    drafts = [v for v in versions if v.status == "draft"]
    st.subheader("Modifier un brouillon")
    if not drafts:
        st.info("Aucun brouillon : créez-en un à partir d'une version ou d'un fichier.")
        return
    keys = [v.key for v in drafts]
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending in keys:
        st.session_state[SELECTED_KEY] = pending
    if st.session_state.get(SELECTED_KEY) not in keys:
        st.session_state[SELECTED_KEY] = keys[-1]
    chosen = st.selectbox("Brouillon", keys, key=SELECTED_KEY)
    info = next(v for v in drafts if v.key == chosen)
    _draft_section(engine, actor, info)
