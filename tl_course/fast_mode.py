"""Which cells grading may skip: the course's own experiments, unchanged, that nothing needs.

The hidden checks need the student's functions, not the course's experiments. A code cell is
skipped in fast mode when all of these hold:

* it is the course's cell, unchanged: the grader's release copy has a cell with the same id and
  the same source (decided from the release copy the grader holds, never from tags or metadata
  the student controls; a changed course cell is student code and runs);
* it is not an nbgrader cell other than a graded test cell (setup and answer cells always
  run); a graded test cell's visible checks teach, they do not grade: the grader still runs
  its hidden checks at that point, against the student's functions (which is why hidden
  checks read only what answer cells make: ``nb.<function>``, ``nb.answers``);
* nothing that runs reads what it makes: none of the names it binds or changes (assignments,
  ``def``/``class``/``import``, ``x[...] =``, ``x.attr =``, ``x.method(...)`` statements) is read
  by a cell that runs after it, nor inside a function of a running cell before it (a function
  reads its globals when it is called, which may be later: by a later cell or by a hidden
  check; the course's own test cells, as the release has them, call their lambdas at once).
  A cell's top-level code runs before any later cell, so what a later cell makes cannot
  matter to it. Decided to a fixed point, so an experiment feeding another one that a
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

__all__ = ["skippable_cells", "names_read", "names_read_later", "names_made"]


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


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def _binds(node: ast.AST) -> set[str]:
    """Names one node binds in the scope it appears in."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return {node.id}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, ast.ExceptHandler) and node.name:
        return {node.name}
    if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        return {node.name}
    return set()


def _scope_nodes(node: ast.AST, classes: bool = True):
    """The nodes of ``node``'s own scope: not inside nested functions, lambdas or
    comprehensions (those are yielded, their insides are not), nor inside class bodies when
    ``classes`` is False (a class body runs at once, but what it binds are class attributes)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, (*_FUNCTIONS, *_COMPREHENSIONS)) and (
                classes or not isinstance(child, ast.ClassDef)):
            yield from _scope_nodes(child, classes)


def _bound_by(node: ast.AST) -> set[str]:
    """Every name ``node`` binds in its own scope (a class: its name, not its attributes)."""
    if isinstance(node, ast.ClassDef):
        return {node.name}
    return set().union(*(_binds(n) for n in [node, *_scope_nodes(node, classes=False)]))


def _free_names(scope: ast.AST) -> set[str]:
    """Names a function, lambda or comprehension reads that it does not bind itself (Python's
    scoping: arguments, assignments anywhere in the body and comprehension targets are local)."""
    if isinstance(scope, _COMPREHENSIONS):
        parts = [scope.key, scope.value] if isinstance(scope, ast.DictComp) else [scope.elt]
        local: set[str] = set()
        loads: set[str] = set()
        for generator in scope.generators:
            local |= {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
            parts += [generator.iter, *generator.ifs]
        for part in parts[1 if isinstance(scope, ast.DictComp) else 0:]:
            loads |= _loads_in(part)
        # the first iterable is evaluated in the enclosing scope, before any target is bound
        return (loads - local) | _loads_in(scope.generators[0].iter)
    args = scope.args
    local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                             *filter(None, [args.vararg, args.kwarg])]}
    body = scope.body if isinstance(scope.body, list) else [scope.body]
    declared: set[str] = set()
    loads = set()
    for statement in body:
        for node in [statement, *_scope_nodes(statement, classes=False)]:
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                declared |= set(node.names)
        local |= _bound_by(statement)
        loads |= _loads_in(statement)
    return loads - (local - declared)


def _loads_in(node: ast.AST) -> set[str]:
    """Names read by ``node`` in its scope plus the free names of the scopes nested in it."""
    loads = {node.id} if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) else set()
    if isinstance(node, (*_FUNCTIONS, *_COMPREHENSIONS)):
        return _free_names(node) | _defaults(node)
    for child in _scope_nodes(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            loads.add(child.id)
        elif isinstance(child, (*_FUNCTIONS, *_COMPREHENSIONS)):
            loads |= _free_names(child) | _defaults(child)
    return loads


def _defaults(node: ast.AST) -> set[str]:
    """What a def evaluates when it runs: default values and decorators."""
    if not isinstance(node, _FUNCTIONS):
        return set()
    parts = [*node.args.defaults, *filter(None, node.args.kw_defaults)]
    parts += getattr(node, "decorator_list", [])
    return set().union(*(_loads_in(p) for p in parts)) if parts else set()


def _read_in_order(statements: list[ast.stmt], bound: set[str]) -> tuple[set[str], set[str]]:
    """(names read from outside, names surely bound after) for statements run in order."""
    read: set[str] = set()
    bound = set(bound)
    for statement in statements:
        if isinstance(statement, (ast.For, ast.AsyncFor)):
            read |= _loads_in(statement.iter) - bound
            inner = bound | {n.id for n in ast.walk(statement.target) if isinstance(n, ast.Name)}
            read |= _loads_in(statement.target) - inner  # x[i] = ... targets read x and i
            read |= _read_in_order(statement.body, inner)[0]
            read |= _read_in_order(statement.orelse, bound)[0]
        elif isinstance(statement, ast.While):
            read |= _loads_in(statement.test) - bound
            read |= _read_in_order(statement.body + statement.orelse, bound)[0]
        elif isinstance(statement, ast.If):
            read |= _loads_in(statement.test) - bound
            body_read, body_bound = _read_in_order(statement.body, bound)
            else_read, else_bound = _read_in_order(statement.orelse, bound)
            read |= body_read | else_read
            bound = body_bound & else_bound
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                read |= _loads_in(item.context_expr) - bound
                if item.optional_vars is not None:
                    bound |= {n.id for n in ast.walk(item.optional_vars)
                              if isinstance(n, ast.Name)}
            body_read, bound = _read_in_order(statement.body, bound)
            read |= body_read
        elif isinstance(statement, (ast.Try, getattr(ast, "TryStar", ast.Try), ast.Match)):
            read |= _loads_in(statement) - bound  # what it binds may not be bound after it
        else:  # one simple statement, def or class: everything it reads counts
            read |= _loads_in(statement) - bound
            bound |= _bound_by(statement)
    return read, bound


def names_read(tree: ast.Module) -> set[str]:
    """The names a cell reads from outside: a top-level read of a name not surely bound by the
    cell's earlier statements, or a read inside a function (or lambda, comprehension) of a
    name that is not local to it."""
    return _read_in_order(tree.body, set())[0]


def names_read_later(tree: ast.Module) -> set[str]:
    """The outside names read inside the cell's functions and lambdas: read when they are
    called, which may be after later cells have run (by a later cell or a hidden check), so
    the cell's own top-level names count too: a later cell may bind them again."""
    later: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, _FUNCTIONS):
            later |= _free_names(node)
    return later


def _base(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def names_made(tree: ast.Module, modules: set[str] = frozenset()) -> set[str]:
    """The names a cell binds or changes at its top level (see the module docstring)."""
    made = set().union(*(_bound_by(s) for s in tree.body))
    for node in ast.walk(tree):  # functions too: they may change globals when called
        if isinstance(node, (ast.Global, ast.Nonlocal)):
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


def _is_visible_test(cell: Any) -> bool:
    """A graded test cell of the release: its visible checks teach, the hidden ones grade."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade_id") and meta.get("grade") and not meta.get("solution"))


def skippable_cells(notebook: Any, release: Any) -> set[int]:
    """Indices of ``notebook``'s code cells that fast mode may skip (see the module docstring).

    ``release`` is the grader's own copy of the released notebook.
    """
    released = {c.get("id"): c.source.strip() for c in release.cells
                if c.cell_type == "code" and c.get("id")
                and (not _is_nbgrader(c) or _is_visible_test(c))}
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
        if tree is not None
        and released.get(notebook.cells[i].get("id")) == notebook.cells[i].source.strip()
    }
    made = {i: names_made(trees[i], modules) for i in candidates}
    read = {i: names_read(t) if t is not None else set() for i, t in trees.items()}
    # the course's own test cells call their lambdas at once (``check_raises(lambda: ...)``)
    tests = {c.source.strip() for c in release.cells
             if c.cell_type == "code" and _is_visible_test(c)}
    later = {i: names_read_later(t) if t is not None
             and notebook.cells[i].source.strip() not in tests else set()
             for i, t in trees.items()}
    skipped = set(candidates)
    while True:
        running = [i for i in trees if i not in skipped]
        back = {i for i in skipped
                if any(made[i] & (read[j] if j > i else later[j]) for j in running)}
        if not back:
            return skipped
        skipped -= back
