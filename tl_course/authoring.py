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

    # %%
    plain_code_cell()

``[setup]`` is locked; ``[answer] ID`` is a solution cell with grade_id ``ID_answer``; ``[tests]
ID points=N`` is a locked, graded test cell with grade_id ``ID`` (the key that joins the cell, its
hidden checks and its points). The builder ends every ``[tests]`` cell with its hidden block
(:func:`hidden_block`: ``grade_cell("ID", points=N, ...)`` between nbgrader's ``### BEGIN HIDDEN
TESTS`` / ``### END HIDDEN TESTS`` markers), written from the header; a script that types the
block itself is refused. Grade ids are lower-case letters, digits and underscores, each used
once. :func:`build_notebook` turns the script into ``source/<assignment>/<assignment>.ipynb``;
``tl-course release`` does it for every assignment.

Example:
    >>> nb = parse_cells("# %% [markdown]\\n# Hello\\n# %%\\nx = 1\\n")
    >>> [c.cell_type for c in nb.cells]
    ['markdown', 'code']
    >>> nb = parse_cells("# %% [tests] a01_f points=2\\nassert f() == 1\\n")
    >>> print(nb.cells[0].source)
    assert f() == 1
    ### BEGIN HIDDEN TESTS
    from tl_helpers.grading import grade_cell
    grade_cell("a01_f", points=2, namespace=globals())
    ### END HIDDEN TESTS
"""

from __future__ import annotations

import math
import numbers
import re
from pathlib import Path

import nbformat

__all__ = ["parse_cells", "build_notebook", "notebook_text", "hidden_block", "CellSyntaxError",
           "GRADE_ID_PATTERN", "BEGIN_HIDDEN", "END_HIDDEN"]

_HEADER = re.compile(r"^# %%(?:\s*\[(?P<tag>[a-z-]+)\](?P<rest>.*))?\s*$")
_POINTS = re.compile(r"^points=(?P<points>\d+(?:\.\d+)?)$")

GRADE_ID_PATTERN = r"[a-z0-9_]+"
"""What a grade id may contain (lower-case letters, digits, underscores): it names the cell in
nbgrader's gradebook, joins the cell to its hidden checks and is typed into a Python string."""
_GRADE_ID = re.compile(rf"^{GRADE_ID_PATTERN}$")

BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"


class CellSyntaxError(ValueError):
    """A ``# %%`` header the builder does not understand."""


def _points_text(points: float) -> str:
    return str(int(points)) if float(points).is_integer() else repr(float(points))


def hidden_block(grade_id: str, points: float) -> str:
    """The hidden block that ends the ``[tests]`` cell ``grade_id`` worth ``points``.

    nbgrader removes it from the student's version; in the source notebook it runs the cell's
    hidden checks (:func:`tl_helpers.grading.grade_cell`) and its value is the cell's score.

    Raises:
        ValueError: ``grade_id`` is not lower-case letters, digits and underscores, or
            ``points`` is not a positive number.

    Example:
        >>> print(hidden_block("a03_freeze_until", 3))
        ### BEGIN HIDDEN TESTS
        from tl_helpers.grading import grade_cell
        grade_cell("a03_freeze_until", points=3, namespace=globals())
        ### END HIDDEN TESTS
        >>> hidden_block("a03 freeze", 3)
        Traceback (most recent call last):
        ...
        ValueError: Argument `grade_id` must be lower-case letters, digits and underscores \
(such as "a03_freeze_until"). Received: grade_id='a03 freeze'
    """
    if not isinstance(grade_id, str) or not _GRADE_ID.match(grade_id):
        raise ValueError("Argument `grade_id` must be lower-case letters, digits and underscores "
                         f'(such as "a03_freeze_until"). Received: grade_id={grade_id!r}')
    if (isinstance(points, bool) or not isinstance(points, numbers.Real)
            or not math.isfinite(points) or points <= 0):
        raise ValueError(f"Argument `points` must be a positive number. Received: "
                         f"points={points!r}")
    return "\n".join([
        BEGIN_HIDDEN,
        "from tl_helpers.grading import grade_cell",
        f'grade_cell("{grade_id}", points={_points_text(points)}, namespace=globals())',
        END_HIDDEN,
    ])


def _typed_hidden_line(lines: list[str], tests_cell: bool) -> str | None:
    """The first line of a hand-typed hidden block (None when there is none)."""
    for line in lines:
        text = line.strip()
        if BEGIN_HIDDEN in text or END_HIDDEN in text or (tests_cell and "grade_cell(" in text):
            return text
    return None


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


def _checked_id(grade_id: str, where: str) -> str:
    if not _GRADE_ID.match(grade_id):
        raise CellSyntaxError(
            f"{where}: a grade id must be lower-case letters, digits and underscores (such as "
            f"a03_freeze_until). Received: {grade_id!r}")
    return grade_id


def parse_cells(text: str, *, origin: str = "<script>") -> nbformat.NotebookNode:
    """Parse a percent-format script into an nbformat v4 notebook with nbgrader metadata.

    Every ``[tests]`` cell gets its :func:`hidden_block` appended.

    Raises:
        CellSyntaxError: An unknown tag, a graded cell without an id or points, an id that is
            not lower-case letters, digits and underscores, a duplicate id, a hidden block
            typed by hand.
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
    seen: dict[str, int] = {}
    for index, (tag, rest, lines, number) in enumerate(blocks):
        body = "\n".join(lines).strip("\n")
        where = f"{origin}:{number}"
        words = rest.split()
        if tag == "markdown":
            cell = nbformat.v4.new_markdown_cell(_markdown_source(lines))
        elif tag in (None, "setup", "answer", "tests"):
            typed = _typed_hidden_line(lines, tag == "tests")
            if typed is not None:
                cell_name = f"# %% [{tag}] {rest}".rstrip() if tag else "# %%"
                raise CellSyntaxError(
                    f"{where}: the cell '{cell_name}' types a hidden block by hand. The builder "
                    "writes every [tests] cell's hidden block from its header ('# %% [tests] "
                    f"GRADE_ID points=N'): delete the lines from '{BEGIN_HIDDEN}' to "
                    f"'{END_HIDDEN}' (and any grade_cell call). Received: {typed!r}")
            cell = nbformat.v4.new_code_cell(body)
            if tag == "setup":
                grade_id = _checked_id(words[0] if words else "setup", where)
                cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=False,
                                                      locked=True)
            elif tag == "answer":
                if len(words) != 1:
                    raise CellSyntaxError(f"{where}: write '# %% [answer] GRADE_ID'.")
                grade_id = f"{_checked_id(words[0], where)}_answer"
                cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=True,
                                                      locked=False)
            elif tag == "tests":
                points = _POINTS.match(words[1]) if len(words) == 2 else None
                if points is None:
                    raise CellSyntaxError(f"{where}: write '# %% [tests] GRADE_ID points=N'.")
                grade_id = _checked_id(words[0], where)
                value = float(points.group("points"))
                if value <= 0:
                    raise CellSyntaxError(f"{where}: the points of [tests] {grade_id} must be a "
                                          f"positive number. Received: {words[1]}")
                cell.source = "\n".join(
                    part for part in (body, hidden_block(grade_id, value)) if part)
                cell.metadata["nbgrader"] = _nbgrader(
                    grade_id, grade=True, solution=False, locked=True, points=value)
            if tag is not None:
                if grade_id in seen:
                    raise CellSyntaxError(
                        f"{where}: grade_id {grade_id!r} is used twice (first at line "
                        f"{seen[grade_id]}); give every cell its own id. Received: {grade_id!r}")
                seen[grade_id] = number
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
