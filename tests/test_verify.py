"""Checks after grading (tl_course.verify): flags land on the right cell and score 0 pending
review, grading files and submitted files are put back, the records say what was computed."""

from __future__ import annotations

import nbformat

from tl_course import verify
from tl_course.results import SubmissionResult


def _notebook() -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell("setup()")]
    for grade_id in ("t1", "t2"):
        answer = nbformat.v4.new_code_cell("def f(): ...")
        answer.metadata["nbgrader"] = {"grade_id": f"{grade_id}_answer", "solution": True,
                                       "grade": False, "locked": False}
        test = nbformat.v4.new_code_cell("check(f)")
        test.metadata["nbgrader"] = {"grade_id": grade_id, "grade": True, "solution": False,
                                     "locked": True, "points": 2}
        cells += [answer, test]
    return nbformat.v4.new_notebook(cells=cells)


def test_a_finding_flags_the_test_cell_that_grades_it():
    flags = verify.flag_cells(_notebook(), ["cell 1: uses pytest", "cell 4: edits builtins",
                                            "the notebook as a whole: odd"])
    assert flags == ["t1: cell 1 uses pytest (0 points until reviewed)",
                     "t2: cell 4 edits builtins (0 points until reviewed)",
                     "the notebook as a whole: odd"]


def test_a_flagged_cell_scores_zero_and_a_flag_naming_no_cell_zeroes_all():
    result = SubmissionResult("ann", "00_mini", cells={"t1": (2.0, 2.0), "t2": (1.0, 2.0)},
                              review=["t1: cell 1 uses pytest (0 points until reviewed)"])
    verify.zero_flagged(result)
    assert result.cells == {"t1": (0.0, 2.0), "t2": (1.0, 2.0)} and result.score == 1.0
    result.review.append("something about the whole notebook")
    verify.zero_flagged(result)
    assert result.score == 0.0 and result.max_score == 4.0


def test_grading_files_of_both_packages_are_guarded_and_put_back(tmp_path):
    guarded = verify.guarded_files(tmp_path)
    names = {(p.parent.name, p.name) for p in guarded}
    assert ("tl_course", "batch.py") in names and ("grading", "kernel.py") in names
    target = tmp_path / "autograder" / "test_x.py"
    target.parent.mkdir()
    target.write_text("assert True\n")
    guarded = {target: target.read_bytes()}
    target.write_text("assert False  # edited by a notebook\n")
    assert verify.restore_guarded(guarded) == [str(target)]
    assert target.read_text() == "assert True\n"
    assert verify.restore_guarded(guarded) == []
