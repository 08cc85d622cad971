"""What changed between two versions of a grid, in the national body's words.

Items and questions are matched by id, or through ``replaces`` (a renamed,
split or merged one is *replaced*, not removed and added).  For each matched
pair the changes a reader of results cares about are listed: wording, weight,
level descriptors, conditions (``show_if``), type, horizons, options,
optional/required, the organisations concerned (``applies_to``, ``variants``,
``may_not_apply``), moves between items.  Grid-wide changes (scale, horizons,
title) come first.  Pure; the page and ``assessment grids diff`` print it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assessment.french import plural, typo
from assessment.grid import (
    ChoiceQuestion,
    Condition,
    Grid,
    Item,
    LevelQuestion,
    Question,
    text,
)

Change = Literal[
    "added",
    "removed",
    "replaced",
    "reworded",
    "reweighted",
    "levels_changed",
    "condition_changed",
    "type_changed",
    "horizons_changed",
    "options_changed",
    "optional_changed",
    "required_changed",
    "applicability_changed",
    "moved",
    "scale_changed",
    "title_changed",
]

CHANGE_LABELS_FR: dict[str, str] = {
    "added": "ajouté",
    "removed": "supprimé",
    "replaced": "remplace",
    "reworded": "reformulé",
    "reweighted": "poids modifié",
    "levels_changed": "descripteurs de niveaux modifiés",
    "condition_changed": "condition d'affichage modifiée",
    "type_changed": "type modifié",
    "horizons_changed": "horizons modifiés",
    "options_changed": "options modifiées",
    "optional_changed": "caractère facultatif modifié",
    "required_changed": "caractère obligatoire modifié",
    "applicability_changed": "organisations concernées modifiées",
    "moved": "déplacé",
    "scale_changed": "échelle modifiée",
    "title_changed": "titre modifié",
}
SUMMARY_NOUNS_FR: dict[str, tuple[str, str]] = {
    "added": ("ajout", "ajouts"),
    "removed": ("suppression", "suppressions"),
    "replaced": ("remplacement", "remplacements"),
    "reworded": ("reformulation", "reformulations"),
    "reweighted": ("changement de poids", "changements de poids"),
    "levels_changed": ("changement de niveaux", "changements de niveaux"),
    "condition_changed": ("changement de condition", "changements de condition"),
    "type_changed": ("changement de type", "changements de type"),
    "horizons_changed": ("changement d'horizons", "changements d'horizons"),
    "options_changed": ("changement d'options", "changements d'options"),
    "optional_changed": ("changement facultatif", "changements facultatif"),
    "required_changed": ("changement obligatoire", "changements obligatoire"),
    "applicability_changed": (
        "changement des organisations concernées",
        "changements des organisations concernées",
    ),
    "moved": ("déplacement", "déplacements"),
    "scale_changed": ("changement d'échelle", "changements d'échelle"),
    "title_changed": ("changement de titre", "changements de titre"),
}
KIND_LABELS_FR = {"grid": "Grille", "item": "Item", "question": "Question"}


@dataclass(frozen=True, slots=True)
class GridChange:
    kind: Literal["grid", "item", "question"]
    change: Change
    id: str
    """The id in the new version (the old one for a removal)."""
    old_ids: tuple[str, ...] = ()
    """What it was in the old version (``replaced``: the ids it replaces)."""
    item: str | None = None
    """The item of a question (new version; old one for a removal)."""
    before: str = ""
    after: str = ""

    @property
    def sentence(self) -> str:
        """One French line: « Question gouv-a (gouvernance) : reformulé — « … » → « … » »."""
        where = f" ({self.item})" if self.item else ""
        head = f"{KIND_LABELS_FR[self.kind]} {self.id}{where} : {CHANGE_LABELS_FR[self.change]}"
        if self.change == "replaced":
            head += " " + ", ".join(self.old_ids)
        if self.before or self.after:
            head += f" — « {self.before} » → « {self.after} »"
        return typo(head)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["old_ids"] = list(self.old_ids)
        return out


@dataclass(frozen=True)
class GridDiff:
    old: str
    new: str
    changes: list[GridChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)

    def summary(self) -> str:
        """« 4 changements : 2 ajouts, 1 suppression, 1 reformulation » in one line."""
        if not self.changes:
            return "Aucune différence."
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.change] = counts.get(c.change, 0) + 1
        parts = [plural(n, *SUMMARY_NOUNS_FR[k]) for k, n in counts.items()]
        return typo(f"{plural(len(self.changes), 'changement')} : " + ", ".join(parts))

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "changes": [c.to_dict() for c in self.changes]}


def _short(value: str, limit: int = 80) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _condition(condition: Condition | None) -> str:
    if condition is None:
        return "toujours affichée"
    if condition.equals is not None:
        test = f"= {condition.equals}"
    elif condition.in_ is not None:
        test = "dans " + ", ".join(map(str, condition.in_))
    else:
        test = "répondue" if condition.answered else "sans réponse"
    horizon = f" ({condition.horizon})" if condition.horizon else ""
    return f"si {condition.question}{horizon} {test}"


def _applicability(question: Question) -> str:
    """« toutes », or the ``applies_to`` criteria, plus variants and ``may_not_apply``."""
    parts = []
    if question.applies_to is not None:
        for key in ("size_band", "legal_family"):
            values = getattr(question.applies_to, key)
            if values is not None:
                parts.append(f"{key} : {', '.join(values)}")
    shown = " et ".join(parts) or "toutes"
    if question.variants:
        shown += f" ; {plural(len(question.variants), 'variante')}"
    if question.may_not_apply:
        shown += " ; peut être « non applicable »"
    return shown


def _levels(grid: Grid, question: Question) -> dict[int, str]:
    if not isinstance(question, LevelQuestion):
        return {}
    return {k: text(v, grid.language) for k, v in (question.levels or {}).items()}


def _question_changes(
    old: Grid, new: Grid, before: Question, after: Question, item: str | None, old_item: str | None
) -> list[GridChange]:
    changes: list[GridChange] = []

    def add(change: Change, was: str = "", now: str = "") -> None:
        changes.append(GridChange("question", change, after.id, (before.id,), item, was, now))

    if text(before.label, old.language) != text(after.label, new.language) or text(
        before.description, old.language
    ) != text(after.description, new.language):
        add(
            "reworded",
            _short(text(before.label, old.language)),
            _short(text(after.label, new.language)),
        )
    if before.type != after.type:
        add("type_changed", before.type, after.type)
    if before.weight != after.weight:
        add("reweighted", f"{before.weight:g}", f"{after.weight:g}")
    old_levels, new_levels = _levels(old, before), _levels(new, after)
    if old_levels != new_levels:
        changed = sorted(
            {k for k in {*old_levels, *new_levels} if old_levels.get(k) != new_levels.get(k)}
        )
        add("levels_changed", "", "niveaux " + ", ".join(map(str, changed)))
    if before.show_if != after.show_if:
        add("condition_changed", _condition(before.show_if), _condition(after.show_if))
    if old.question_horizons(before) != new.question_horizons(after):
        add(
            "horizons_changed",
            ", ".join(old.question_horizons(before)),
            ", ".join(new.question_horizons(after)),
        )
    if isinstance(before, ChoiceQuestion) and isinstance(after, ChoiceQuestion):
        was = [(o.value, o.score) for o in before.options]
        now = [(o.value, o.score) for o in after.options]
        if was != now or before.multiple != after.multiple:
            add(
                "options_changed",
                ", ".join(o.value for o in before.options),
                ", ".join(o.value for o in after.options),
            )
    if (before.applies_to, before.variants, before.may_not_apply) != (
        after.applies_to,
        after.variants,
        after.may_not_apply,
    ):
        add("applicability_changed", _applicability(before), _applicability(after))
    if before.optional != after.optional:
        add("optional_changed", _yes(before.optional), _yes(after.optional))
    if before.is_required != after.is_required:
        add("required_changed", _yes(before.is_required), _yes(after.is_required))
    if old_item != item and before.id == after.id:
        add("moved", old_item or "approche systémique", item or "approche systémique")
    return changes


def _yes(flag: bool) -> str:
    return "oui" if flag else "non"


def _item_changes(old: Grid, new: Grid, before: Item, after: Item) -> list[GridChange]:
    changes: list[GridChange] = []

    def add(change: Change, was: str = "", now: str = "") -> None:
        changes.append(GridChange("item", change, after.id, (before.id,), None, was, now))

    if text(before.title, old.language) != text(after.title, new.language):
        add("reworded", _short(text(before.title, old.language)), _short(text(after.title)))
    if before.weight != after.weight:
        add("reweighted", f"{before.weight:g}", f"{after.weight:g}")
    if before.optional != after.optional:
        add("optional_changed", _yes(before.optional), _yes(after.optional))
    return changes


def _match(
    old_ids: list[str], new: list[tuple[str, list[str]]]
) -> tuple[dict[str, list[str]], set[str]]:
    """New id → matched old ids (same id, else its ``replaces`` found in ``old_ids``);
    and the old ids matched by someone.

    An id still there continues itself: its ``replaces`` then only adds old ids that
    no new id keeps (a merge), so a split whose old id stayed (``b`` replaces ``a``,
    ``a`` kept) diffs as nothing against itself or against a copy of itself.
    """
    present = set(old_ids)
    kept = {ident for ident, _ in new}
    matched: dict[str, list[str]] = {}
    for ident, replaces in new:
        if ident in present:
            matched[ident] = [ident, *(r for r in replaces if r in present and r not in kept)]
        elif replaces:
            matched[ident] = [r for r in replaces if r in present]
        else:
            matched[ident] = []
    used = {o for olds in matched.values() for o in olds}
    return matched, used


def diff_grids(old: Grid, new: Grid) -> GridDiff:
    """Every change from ``old`` to ``new`` (two versions of a grid, or any two grids)."""
    changes: list[GridChange] = []
    if text(old.title, old.language) != text(new.title, new.language):
        changes.append(
            GridChange(
                "grid", "title_changed", new.id, (old.id,), None, text(old.title), text(new.title)
            )
        )
    old_scale = [(lv.value, text(lv.label, old.language)) for lv in old.scale]
    new_scale = [(lv.value, text(lv.label, new.language)) for lv in new.scale]
    if old_scale != new_scale:
        changes.append(
            GridChange(
                "grid",
                "scale_changed",
                new.id,
                (old.id,),
                None,
                ", ".join(f"{v} {label}" for v, label in old_scale),
                ", ".join(f"{v} {label}" for v, label in new_scale),
            )
        )
    if old.horizon_ids != new.horizon_ids:
        changes.append(
            GridChange(
                "grid",
                "horizons_changed",
                new.id,
                (old.id,),
                None,
                ", ".join(old.horizon_ids),
                ", ".join(new.horizon_ids),
            )
        )
    # items
    old_items = {item.id: item for item in old.items}
    matched, used = _match(list(old_items), [(i.id, list(i.replaces)) for i in new.items])
    for item in new.items:
        olds = matched[item.id]
        if not olds:
            changes.append(GridChange("item", "added", item.id))
            continue
        if olds != [item.id]:
            changes.append(GridChange("item", "replaced", item.id, tuple(olds)))
        changes.extend(_item_changes(old, new, old_items[olds[0]], item))
    changes.extend(GridChange("item", "removed", ident) for ident in old_items if ident not in used)
    # questions
    old_questions = {q.id: (i.id if i else None, q) for i, q in old.questions()}
    new_questions = [(i.id if i else None, q) for i, q in new.questions()]
    matched, used = _match(
        list(old_questions), [(q.id, list(q.replaces)) for _, q in new_questions]
    )
    for item_id, question in new_questions:
        olds = matched[question.id]
        if not olds:
            changes.append(GridChange("question", "added", question.id, (), item_id))
            continue
        if olds != [question.id]:
            changes.append(GridChange("question", "replaced", question.id, tuple(olds), item_id))
        old_item, before = old_questions[olds[0]]
        changes.extend(_question_changes(old, new, before, question, item_id, old_item))
    changes.extend(
        GridChange("question", "removed", ident, (), old_questions[ident][0])
        for ident in old_questions
        if ident not in used
    )
    return GridDiff(old.key, new.key, changes)
