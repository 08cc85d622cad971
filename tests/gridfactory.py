"""Build :class:`~assessment.grid.Grid` objects in tests, without YAML files."""

from __future__ import annotations

from typing import Any

from assessment.grid import Grid

SCALE_0_4: list[dict[str, Any]] = [
    {"value": v, "label": label}
    for v, label in enumerate(["Absent", "Émergent", "En cours", "Établi", "Exemplaire"])
]
HORIZONS_3: list[dict[str, Any]] = [
    {"id": "now", "label": "État des lieux"},
    {"id": "y1", "label": "Objectif à 1 an"},
    {"id": "y3", "label": "Objectif à 3 ans"},
]


def level(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "label": f"Question {qid}", "type": "level", **extra}


def number(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "label": f"Indicateur {qid}", "type": "number", **extra}


def text_q(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "label": f"Commentaire {qid}", "type": "text", **extra}


def yes_no(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "label": f"Oui/non {qid}", "type": "yes_no", **extra}


def choice(qid: str, options: list[str] | list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    opts = [o if isinstance(o, dict) else {"value": o, "label": o.capitalize()} for o in options]
    return {"id": qid, "label": f"Choix {qid}", "type": "choice", "options": opts, **extra}


def item(iid: str, *questions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": iid, "title": f"Thème {iid}", "questions": list(questions), **extra}


def grid_data(
    *items: dict[str, Any],
    systemic: list[dict[str, Any]] | None = None,
    scale: list[dict[str, Any]] | None = None,
    horizons: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "test-grid",
        "version": "1",
        "title": "Grille de test",
        "scale": scale if scale is not None else SCALE_0_4,
        "horizons": horizons if horizons is not None else HORIZONS_3,
        "items": list(items) if items else [item("a", level("a1"))],
        **extra,
    }
    if systemic is not None:
        data["systemic"] = {"title": "Vue systémique", "questions": systemic}
    return data


def make_grid(*items: dict[str, Any], **kwargs: Any) -> Grid:
    """A validated grid; see :func:`grid_data` for the arguments."""
    return Grid.model_validate(grid_data(*items, **kwargs))


def scale(*values: int) -> list[dict[str, Any]]:
    return [{"value": v, "label": f"Niveau {v}"} for v in values]


def horizons(*ids: str) -> list[dict[str, Any]]:
    return [{"id": h, "label": f"Horizon {h}"} for h in ids]


def big_grid(n_items: int = 12, per_item: int = 5) -> Grid:
    """A grid shaped like the default guide: ~60 questions, 3 horizons, mixed types,
    a systemic section and a few conditions."""
    items = []
    for i in range(n_items):
        questions: list[dict[str, Any]] = []
        for j in range(per_item):
            qid = f"i{i}-q{j}"
            kind = j % 5
            if kind in (0, 1, 2):
                questions.append(level(qid))
            elif kind == 3:
                questions.append(
                    number(qid, min=0, max=100, score={"worst": 0, "best": 50}, weight=0.5)
                )
            else:
                questions.append(text_q(qid, horizons=["now"]))
        if i % 4 == 1:
            questions.append(
                yes_no(
                    f"i{i}-yn",
                    score={"yes": 100, "no": 0},
                    show_if={"question": f"i{i}-q0", "in": [2, 3, 4]},
                )
            )
        items.append(item(f"item{i}", *questions, weight=1 + (i % 3), optional=i % 6 == 5))
    systemic = [
        level("sys-1"),
        level("sys-2"),
        choice(
            "sys-3",
            [{"value": v, "label": v, "score": s} for v, s in (("a", 0), ("b", 50), ("c", 100))],
        ),
    ]
    return make_grid(*items, systemic=systemic)


def full_answers(grid: Grid, seed: int = 0) -> dict[str, dict[str, Any]]:
    """A deterministic answer to every cell of ``grid``."""
    out: dict[str, dict[str, Any]] = {}
    values = grid.scale_values
    k = seed
    for _, question in grid.questions():
        cells: dict[str, Any] = {}
        for h in grid.question_horizons(question):
            k += 1
            if question.type == "level":
                cells[h] = values[k % len(values)]
            elif question.type == "number":
                cells[h] = float(k % 100)
            elif question.type == "text":
                cells[h] = f"Commentaire {k}"
            elif question.type == "yes_no":
                cells[h] = k % 2 == 0
            else:
                opts = [o.value for o in question.options]  # type: ignore[union-attr]
                chosen = opts[k % len(opts)]
                cells[h] = [chosen] if question.multiple else chosen  # type: ignore[union-attr]
        out[question.id] = cells
    return out
