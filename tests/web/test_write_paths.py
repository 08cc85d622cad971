"""Every write of every page goes through the session check (read from the source).

A page added later (or a new form on an old one) must not write with the actor
of the previous run: each core write gets its actor from ``state.writer()``,
or is inside a callback wrapped by ``state.write_callback`` (which passes the
actor it has just checked); fragments use ``state.fragment``.  The behaviour
itself is tested in ``test_sessions_end.py``; this keeps every path covered.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VIEWS = Path(__file__).resolve().parents[2] / "src" / "assessment" / "web" / "views"

WRITES = frozenset(
    {
        # assessments
        "open_assessment", "save_answer", "save_comment", "set_not_addressed", "submit",
        "set_choice_reason",
        "set_not_applicable",
        "reopen",
        # action plan
        "add_action", "update_action", "delete_action",
        # organisations
        "create_organisation", "update_organisation", "set_shared_with_region",
        "import_organisations_csv",
        # accounts
        "create_user", "invite_user", "issue_reset", "set_user_active", "change_password",
        "revoke_sessions", "review_change_request",
        # campaigns and grids
        "create_campaign", "close_campaign", "extend_campaign", "save_draft", "publish",
        "delete_draft", "retire", "open_early", "new_draft_from",
    }
)  # fmt: skip
"""Core functions that write (engine, actor, ...)."""
CALLBACK_KEYWORDS = ("on_change", "on_click", "on_submit")
CALLBACKS_WITHOUT_WRITES = {"layout.sign_out", "st.logout"}
"""Sign-out ends a session: it must work even when the session already ended."""


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _is_writer_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) == "state.writer"


def _assigned_from_writer(fn: ast.FunctionDef, name: str) -> bool:
    """``name = state.writer()`` in ``fn`` (and no other assignment of ``name``)."""
    values = [
        node.value
        for node in ast.walk(fn)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ]
    return bool(values) and all(_is_writer_call(v) for v in values)


def _decorated(fn: ast.FunctionDef) -> bool:
    return any(_name(d) == "state.write_callback" for d in fn.decorator_list)


class _Module:
    def __init__(self, path: Path) -> None:
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.functions = {
            node.name: node for node in ast.walk(self.tree) if isinstance(node, ast.FunctionDef)
        }
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent

    def enclosing(self, node: ast.AST) -> ast.FunctionDef | None:
        current: ast.AST | None = node
        while current is not None:
            current = self.parents.get(current)
            if isinstance(current, ast.FunctionDef):
                return current
        return None

    def checked_actor(self, fn: ast.FunctionDef, seen: frozenset[str] = frozenset()) -> bool:
        """``fn`` only ever runs with an actor checked just before: a write callback,
        or a helper called (with ``actor``) only from such functions."""
        if _decorated(fn):
            return True
        if fn.name in seen:
            return False
        callers = [
            node
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Call) and _name(node.func) == fn.name
        ]
        if not callers:
            return False
        for call in callers:
            caller = self.enclosing(call)
            if caller is None or not self.checked_actor(caller, seen | {fn.name}):
                return False
        return True

    def problems(self) -> list[str]:
        found: list[str] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and _name(node) == "st.fragment":
                found.append(f"line {node.lineno}: st.fragment instead of state.fragment")
            if not isinstance(node, ast.Call):
                continue
            found.extend(self._callback_problems(node))
            target, actor = self._write(node)
            if target is None or actor is None or _is_writer_call(actor):
                continue
            fn = self.enclosing(node)
            params = {a.arg for a in fn.args.args} if fn else set()
            ok = (
                fn is not None
                and isinstance(actor, ast.Name)
                and (
                    (actor.id in params and self.checked_actor(fn))
                    or _assigned_from_writer(fn, actor.id)
                )
            )
            if not ok:
                found.append(f"line {node.lineno}: {target}() with an actor not from writer()")
        return found

    @staticmethod
    def _write(call: ast.Call) -> tuple[str | None, ast.expr | None]:
        name = _name(call.func).rpartition(".")[2]
        if name == "call" and call.args:  # state.call(fn, engine, actor, ...)
            inner = _name(call.args[0]).rpartition(".")[2]
            if inner in WRITES:
                return inner, call.args[2] if len(call.args) > 2 else None
        if name in WRITES:
            return name, call.args[1] if len(call.args) > 1 else None
        return None, None

    def _callback_problems(self, call: ast.Call) -> list[str]:
        values = [k.value for k in call.keywords if k.arg in CALLBACK_KEYWORDS]
        if isinstance(call.func, ast.Name) and call.func.id == "dict":
            values += [k.value for k in call.keywords if k.arg in CALLBACK_KEYWORDS]
        return [p for v in values if (p := self._callback_problem(v))]

    def _callback_problem(self, value: ast.expr) -> str | None:
        name = _name(value)
        if isinstance(value, ast.Constant) or name in CALLBACKS_WITHOUT_WRITES:
            return None
        fn = self.functions.get(name)
        if fn is not None and _decorated(fn):
            return None
        return f"line {value.lineno}: callback {name or '?'} not wrapped by state.write_callback"

    def dict_callbacks(self) -> list[str]:
        """``{"on_change": fn}`` (widget kwargs built as a dict)."""
        found = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in CALLBACK_KEYWORDS:
                        problem = self._callback_problem(value)
                        if problem:
                            found.append(problem)
        return found


@pytest.mark.parametrize("path", sorted(VIEWS.glob("*.py")), ids=lambda p: p.name)
def test_every_write_checks_the_session(path: Path) -> None:
    module = _Module(path)
    assert module.problems() + module.dict_callbacks() == []


def test_the_audit_sees_a_stale_actor() -> None:
    source = """
def _on_share(actor, organisation_id):
    set_shared_with_region(engine, actor, organisation_id, True)

def render():
    actor = state.require_actor()
    st.toggle("x", on_change=_on_share, args=(actor, 1))
    action_plan.add_action(engine, actor, 1, title="t")
    st.fragment(body)
"""
    module = _Module.__new__(_Module)
    module.tree = ast.parse(source)
    module.functions = {n.name: n for n in ast.walk(module.tree) if isinstance(n, ast.FunctionDef)}
    module.parents = {c: p for p in ast.walk(module.tree) for c in ast.iter_child_nodes(p)}
    problems = "\n".join(module.problems())
    assert "set_shared_with_region()" in problems
    assert "add_action()" in problems
    assert "callback _on_share not wrapped" in problems
    assert "st.fragment instead of state.fragment" in problems
