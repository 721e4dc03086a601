"""Which cells grading may skip: the course's own experiments, unchanged, that nothing needs.

The hidden checks need the student's functions, not the course's experiments. A code cell is
skipped in fast mode when all of these hold:

* it is the course's cell, unchanged: the grader's release copy has a cell with the same id and
  the same source (decided from the release copy the grader holds, never from tags or metadata
  the student controls; a changed course cell is student code and runs);
* it is not an nbgrader cell (setup, answer and test cells always run);
* nothing that runs reads what it makes: none of the names it binds or changes (assignments,
  ``def``/``class``/``import``, ``x[...] =``, ``x.attr =``, ``x.method(...)`` statements) is read
  by a cell that runs. Decided to a fixed point, so an experiment feeding another one that a
  running cell needs runs too. A cell that does not parse always runs.

Example:
    >>> import nbformat
    >>> cells = [nbformat.v4.new_code_cell("import numpy as np", id="a"),
    ...          nbformat.v4.new_code_cell("curve = np.arange(3)\\nplot(curve)", id="b"),
    ...          nbformat.v4.new_code_cell("def f(x):\\n    return np.sum(x)", id="c")]
    >>> cells[2].metadata["nbgrader"] = {"grade_id": "f", "solution": True}  # an answer cell
    >>> nb = nbformat.v4.new_notebook(cells=cells)
    >>> sorted(skippable_cells(nb, nb))
    [1]
"""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["skippable_cells", "names_read", "names_made"]


def _python(source: str) -> ast.Module | None:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython missing or odd input: parse as it is
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def names_read(tree: ast.AST) -> set[str]:
    """The names the code reads from outside: every name read (inside function bodies too)
    that the code does not bind itself (a loop variable, a local, an argument)."""
    read = {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    bound = {node.id for node in ast.walk(tree)
             if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    bound |= {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
              for a in [*node.posonlyargs, *node.args, *node.kwonlyargs,
                        *filter(None, [node.vararg, node.kwarg])]}
    bound |= {node.name for node in ast.walk(tree)
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    bound |= {(a.asname or a.name).split(".")[0] for node in ast.walk(tree)
              if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    return read - bound


def _base(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def names_made(tree: ast.Module, modules: set[str] = frozenset()) -> set[str]:
    """The names a cell binds or changes at its top level (see the module docstring)."""
    made: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            made.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            made.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            made |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            made |= set(node.names)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
                node.ctx, (ast.Store, ast.Del)):
            base = _base(node)
            if base:
                made.add(base)
    for statement in tree.body:  # x.method(...) as a statement may change x
        value = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            base = _base(value.func.value)
            if base and base not in modules:
                made.add(base)
    return made


def _is_nbgrader(cell: Any) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))


def skippable_cells(notebook: Any, release: Any) -> set[int]:
    """Indices of ``notebook``'s code cells that fast mode may skip (see the module docstring).

    ``release`` is the grader's own copy of the released notebook.
    """
    released = {c.get("id"): c.source.strip() for c in release.cells
                if c.cell_type == "code" and c.get("id") and not _is_nbgrader(c)}
    trees: dict[int, ast.Module | None] = {}
    modules: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tree = _python(cell.source)
        trees[index] = tree
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
    candidates = {
        i for i, tree in trees.items()
        if tree is not None and not _is_nbgrader(notebook.cells[i])
        and released.get(notebook.cells[i].get("id")) == notebook.cells[i].source.strip()
    }
    made = {i: names_made(trees[i], modules) for i in candidates}
    read = {i: names_read(t) if t is not None else set() for i, t in trees.items()}
    skipped = set(candidates)
    while True:
        running = [i for i in trees if i not in skipped]
        needed: set[str] = set()
        for i in running:
            needed |= read[i]
        back = {i for i in skipped if made[i] & needed}
        if not back:
            return skipped
        skipped -= back
