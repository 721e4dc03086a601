"""Fast mode: which course cells a grading run may skip, and that skipping changes no score.

The unit tests read cell sources only. The end-to-end test grades a half-solved submission of 02
and of 05 (the simulated class's "partial" student: the first half of the answers solved) both
ways on the real assignments; fast mode must skip some of the course's experiments and still
agree with full mode cell by cell.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from tl_course import simulate
from tl_course.fast_mode import names_read, skippable_cells
from tl_course.notebook_grader import grade_notebook
from tl_course.worker import sandbox_visibility

ROOT = Path(__file__).resolve().parents[1]


def _nb(*cells):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src, id=f"c{i}")
                                           for i, src in enumerate(cells)])


def test_fast_mode_skips_unchanged_experiments_nothing_reads():
    release = _nb("import numpy as np", "results = np.ones(3)\nresults.sum()",
                  "for k in range(3):\n    print(k)", "def helper(x):\n    return x + 1")
    answer = nbformat.v4.new_code_cell("def f(x):\n    return helper(x)", id="a")
    answer.metadata["nbgrader"] = {"grade_id": "f", "solution": True}
    release.cells.append(answer)
    assert skippable_cells(release, release) == {0, 1, 2}  # nothing that runs needs numpy
    changed = nbformat.from_dict(release)
    changed.cells[1].source = "results = np.zeros(3)"  # a changed course cell is student code
    assert skippable_cells(changed, release) == {2}
    reads = nbformat.from_dict(release)
    reads.cells.append(nbformat.v4.new_code_cell("print(results)", id="mine"))
    assert skippable_cells(reads, release) == {2}
    hidden_tag = nbformat.from_dict(release)
    hidden_tag.cells[0].metadata["tags"] = ["skip"]  # tags the student controls change nothing
    assert skippable_cells(hidden_tag, release) == {0, 1, 2}


def test_fast_mode_skips_visible_checks_but_not_what_the_answers_read():
    release = _nb("base = load()", "data = make()", "assert f(base) == 1")
    answer = nbformat.v4.new_code_cell("def f(x):\n    return len(data)", id="a")
    answer.metadata["nbgrader"] = {"grade_id": "f", "solution": True}
    release.cells.insert(2, answer)
    release.cells[3].metadata["nbgrader"] = {"grade_id": "f_test", "grade": True,
                                             "solution": False, "points": 1}
    # the visible check (cell 3) and the course cell only it reads (base) are skipped; data is
    # read by the answer's function, so it runs
    assert skippable_cells(release, release) == {0, 3}
    mine = nbformat.from_dict(release)  # metadata the student controls decides nothing
    mine.cells.append(nbformat.v4.new_code_cell("print('mine')", id="m"))
    mine.cells[4].metadata["nbgrader"] = dict(release.cells[3].metadata["nbgrader"])
    assert skippable_cells(mine, release) == {0, 3}
    changed = nbformat.from_dict(release)  # a test cell that is not the release's runs
    changed.cells[3].source = "assert f(base) == 1  # edited"
    assert skippable_cells(changed, release) == set()


def test_fast_mode_skips_an_experiment_that_only_later_cells_could_see():
    release = _nb("model = make()", "print(model)", "model.set_weights(old)\nrun_probe(model)")
    answer = nbformat.v4.new_code_cell("def f(x):\n    return x + 1", id="a")
    answer.metadata["nbgrader"] = {"grade_id": "f", "solution": True}
    release.cells.insert(2, answer)
    mine = nbformat.from_dict(release)
    mine.cells[1].source = "print(model)  # mine"  # student code reading model: cell 0 runs
    # cell 3 changes model after every cell that reads it has run: it cannot matter
    assert skippable_cells(mine, release) == {3}
    later = nbformat.from_dict(mine)  # a function reads model when called, maybe after cell 3
    later.cells[2].source = "def f(x):\n    return model(x)"
    assert skippable_cells(later, release) == set()


def test_fast_mode_sees_a_global_read_next_to_a_local_of_the_same_name():
    release = _nb("patches = load()", "x = 1")
    submitted = nbformat.from_dict(release)
    submitted.cells.append(nbformat.v4.new_code_cell(
        "def show(patches):\n    return patches\n\ndef count():\n    return len(patches)", id="m"))
    # `patches` is an argument of show() but a global in count(): the load must run
    assert skippable_cells(submitted, release) == {1}
    comprehension = nbformat.from_dict(submitted)
    comprehension.cells[2].source = "sizes = [len(p) for p in patches]"
    assert skippable_cells(comprehension, release) == {1}


@pytest.mark.parametrize("source,read", [
    ("class A:\n    x = 1\nprint(x)", {"print", "x"}),  # x is A's attribute, not a global
    ("z = [x for x in x]", {"x"}),  # the first iterable is read outside the comprehension
    ("try:\n    import foo\nexcept ImportError:\n    pass\nfoo.bar()", {"ImportError", "foo"}),
    ("def f(v):\n    return v + offset\nv = f(1)", {"offset"}),
], ids=["class_attribute", "comprehension_iterable", "try_may_not_bind", "argument_is_local"])
def test_fast_mode_reads_names_as_python_scopes_them(source, read):
    assert names_read(ast.parse(source)) == read


@pytest.mark.parametrize("name", ["02_choosing_a_pretrained_model", "05_negative_transfer"])
def test_fast_and_full_mode_agree_cell_by_cell(name):
    source = simulate.strip_hidden_tests(
        nbformat.read(ROOT / "source" / name / f"{name}.ipynb", as_version=4))
    release = nbformat.read(ROOT / "release" / name / f"{name}.ipynb", as_version=4)
    partial = simulate.student_variants(source, release)["partial"]
    hide, keep = sandbox_visibility(ROOT)
    base = Path(tempfile.mkdtemp(prefix="tl-test-modes-"))
    base.chmod(0o711)
    try:
        graded = {fast: grade_notebook(partial, release, ROOT / "autograder" / name,
                                       sandbox_dir=base / str(fast), fast=fast, hide=hide,
                                       keep=keep, cell_timeout=300)
                  for fast in (True, False)}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    fast, full = graded[True], graded[False]
    assert fast.skipped and not full.skipped
    # a graded test cell whose visible checks were skipped is still graded by its hidden checks
    tests = [i for i in fast.skipped
             if partial.cells[i].metadata.get("nbgrader", {}).get("grade")]
    assert tests
    for i in tests:
        text = "".join(o.get("text", "") for o in fast.notebook.cells[i].outputs)
        assert "visible checks of this cell were not run" in text and "hidden checks passed" in text
    assert {g: c.score for g, c in fast.cells.items()} == \
        {g: c.score for g, c in full.cells.items()}
    assert 0 < full.score < sum(c.points for c in full.cells.values())  # really partial
