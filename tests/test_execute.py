"""Running a notebook headless and reading its graded cells (tl_course.execute)."""

from __future__ import annotations

import os

import nbformat
import pytest

from tl_course.execute import cell_message, cell_score, graded_cells, run_notebook


def _graded(source: str, grade_id: str, *, solution: bool = False) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": 2.0,
                                 "solution": solution, "locked": not solution}
    return cell


def test_run_notebook_runs_every_cell_headless_and_leaves_the_file_alone(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os\nprint(os.environ.get('TL_HEADLESS'), 'x')"),
        nbformat.v4.new_code_cell("1 / 0"),  # an error does not stop the run
        _graded("print('after the error')", "g1"),
    ])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    headless_before = os.environ.get("TL_HEADLESS")
    ran = run_notebook(path, timeout=60)
    assert cell_message(ran.cells[0]) == "1 x"
    assert cell_message(ran.cells[1]).startswith("ZeroDivisionError")
    assert cell_message(ran.cells[2]) == "after the error"
    assert cell_score(ran.cells[2]) == 2.0  # nbgrader: a graded cell without error scores full
    assert path.read_bytes() == before
    assert os.environ.get("TL_HEADLESS") == headless_before  # set for the kernel only


def test_run_notebook_errors_name_the_argument(tmp_path):
    with pytest.raises(FileNotFoundError, match="Argument `path` must be an existing notebook"):
        run_notebook(tmp_path / "missing.ipynb")
    (tmp_path / "bad.ipynb").write_text("{not json")
    with pytest.raises(ValueError, match="Argument `path` must be a readable notebook"):
        run_notebook(tmp_path / "bad.ipynb")


def test_graded_cells_are_the_autograded_test_cells_in_order():
    nb = nbformat.v4.new_notebook(cells=[
        _graded("answer = 1", "a", solution=True), nbformat.v4.new_code_cell("x = 1"),
        _graded("assert answer == 1", "t1"), _graded("assert x == 1", "t2")])
    assert [c.metadata["nbgrader"]["grade_id"] for c in graded_cells(nb)] == ["t1", "t2"]
