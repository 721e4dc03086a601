"""Build nbgrader source notebooks from readable, diffable percent-format scripts.

Each assignment is written as ``course/notebooks/<assignment>.py``: cells separated by ``# %%``
lines whose tag says what the cell is for nbgrader::

    # %% [markdown]
    # # 01 What is transfer learning
    # Markdown lines start with "# ".

    # %% [setup]
    from tl_helpers.grading import start_assignment
    start_assignment("01_what_is_transfer_learning")

    # %% [answer] a01_extractor
    def build_extractor(...):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

    # %% [tests] a01_extractor points=3
    assert build_extractor(...).output_shape == (None, 64)      # visible sanity check
    ### BEGIN HIDDEN TESTS
    from tl_helpers.grading import grade_cell
    grade_cell("a01_extractor", points=3, namespace=globals())
    ### END HIDDEN TESTS

    # %%
    plain_code_cell()

``[setup]`` is locked; ``[answer] ID`` is a solution cell with grade_id ``ID_answer``; ``[tests]
ID points=N`` is a locked, graded test cell with grade_id ``ID`` (the key that joins the cell, its
hidden checks and its points). :func:`build_notebook` turns the script into
``source/<assignment>/<assignment>.ipynb``; ``tl-course release`` does it for every assignment.

Example:
    >>> nb = parse_cells("# %% [markdown]\\n# Hello\\n# %%\\nx = 1\\n")
    >>> [c.cell_type for c in nb.cells]
    ['markdown', 'code']
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

__all__ = ["parse_cells", "build_notebook", "notebook_text", "CellSyntaxError"]

_HEADER = re.compile(r"^# %%(?:\s*\[(?P<tag>[a-z-]+)\](?P<rest>.*))?\s*$")
_POINTS = re.compile(r"^points=(?P<points>\d+(?:\.\d+)?)$")


class CellSyntaxError(ValueError):
    """A ``# %%`` header the builder does not understand."""


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool,
              points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def _markdown_source(lines: list[str]) -> str:
    out = []
    for line in lines:
        if line.startswith("# "):
            out.append(line[2:])
        elif line.strip() == "#":
            out.append("")
        else:
            out.append(line)
    return "\n".join(out).strip("\n")


def parse_cells(text: str, *, origin: str = "<script>") -> nbformat.NotebookNode:
    """Parse a percent-format script into an nbformat v4 notebook with nbgrader metadata.

    Raises:
        CellSyntaxError: An unknown tag, a graded cell without an id or points, a duplicate id.
    """
    blocks: list[tuple[str | None, str, list[str], int]] = []
    current: tuple[str | None, str, list[str], int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = (header.group("tag"), (header.group("rest") or "").strip(), [], number)
            blocks.append(current)
        elif current is not None:
            current[2].append(line)
        elif line.strip():
            raise CellSyntaxError(f"{origin}:{number}: text before the first '# %%' line.")

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    seen: set[str] = set()
    for index, (tag, rest, lines, number) in enumerate(blocks):
        body = "\n".join(lines).strip("\n")
        where = f"{origin}:{number}"
        words = rest.split()
        if tag == "markdown":
            cell = nbformat.v4.new_markdown_cell(_markdown_source(lines))
        elif tag in (None, "setup", "answer", "tests"):
            cell = nbformat.v4.new_code_cell(body)
            if tag == "setup":
                grade_id = words[0] if words else "setup"
                cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=False,
                                                      locked=True)
            elif tag == "answer":
                if len(words) != 1:
                    raise CellSyntaxError(f"{where}: write '# %% [answer] GRADE_ID'.")
                grade_id = f"{words[0]}_answer"
                cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=True,
                                                      locked=False)
            elif tag == "tests":
                points = _POINTS.match(words[1]) if len(words) == 2 else None
                if points is None:
                    raise CellSyntaxError(f"{where}: write '# %% [tests] GRADE_ID points=N'.")
                grade_id = words[0]
                cell.metadata["nbgrader"] = _nbgrader(
                    grade_id, grade=True, solution=False, locked=True,
                    points=float(points.group("points")))
            if tag is not None:
                if grade_id in seen:
                    raise CellSyntaxError(f"{where}: grade_id {grade_id!r} is used twice.")
                seen.add(grade_id)
        else:
            raise CellSyntaxError(
                f"{where}: unknown cell tag [{tag}]; use markdown, setup, answer or tests."
            )
        cell["id"] = f"c{index:03d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The notebook as the JSON text the repository stores (stable, outputs stripped)."""
    return nbformat.writes(nb) + "\n"


def build_notebook(script: Path, output: Path) -> bool:
    """Write ``output`` from ``script``; return True when the file changed."""
    script, output = Path(script), Path(output)
    if not script.is_file():
        raise FileNotFoundError(f"Argument `script` must be an existing file. Received: {script}")
    nb = parse_cells(script.read_text(encoding="utf-8"), origin=str(script))
    text = notebook_text(nb)
    if output.exists() and output.read_text(encoding="utf-8") == text:
        return False
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return True
