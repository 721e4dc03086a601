"""Run a notebook headless (nbclient) and read the score of each graded cell (nbgrader's rule).

Used by ``tl-course check`` (a student's self-check), ``tl-course validate`` and the benchmarks.

Example:
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("1")
    >>> cell.metadata["nbgrader"] = {"grade": True, "grade_id": "x", "points": 2.0,
    ...                              "solution": False, "locked": True}
    >>> cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "1.5"})]
    >>> cell_score(cell)
    1.5
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["CellResult", "run_notebook", "graded_cells", "cell_score", "cell_message"]


@dataclass
class CellResult:
    """One graded cell after execution."""

    grade_id: str
    points: float
    score: float
    message: str


def run_notebook(path: Path, *, cwd: Path | None = None, timeout: int = 120,
                 env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Execute every cell of ``path`` (errors do not stop the run) and return the notebook.

    The file itself is not modified. ``env`` entries are set for the kernel, after
    ``TL_HEADLESS=1`` (no frontend: explorers draw their default view once, see
    :mod:`tl_helpers.explorers`).
    """
    from nbclient import NotebookClient

    from tl_course.course import tool_environment

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Argument `path` must be an existing notebook. Received: {path}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:
        raise ValueError(f"Argument `path` must be a readable notebook ({error}). "
                         f"Received: {path}") from None
    tool_environment()
    env = {"TL_HEADLESS": "1", **(env or {})}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": str(cwd or path.parent)}})
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def graded_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The notebook's graded (autograded test) code cells, in order."""
    return [c for c in nb.cells if c.cell_type == "code"
            and c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def cell_score(cell: nbformat.NotebookNode) -> float:
    """The score nbgrader gives an executed graded code cell (its ``determine_grade``)."""
    from nbgrader.utils import determine_grade

    score, _ = determine_grade(cell)
    return float(score or 0.0)


def cell_message(cell: nbformat.NotebookNode) -> str:
    """What the cell printed, with the error (if any) last; for reports."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text.rstrip())
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "execute_result":
            parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(p for p in parts if p)
