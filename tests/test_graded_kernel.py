"""The kernel a submission is graded in (tl_course.graded_kernel): a kernel started ahead
serves exactly one submission that begins with the release's setup cell."""

from __future__ import annotations

import nbformat
from grading_support import MINI_SOLUTION, cell_scores, mini_release, with_answers

from tl_course.graded_kernel import WarmKernel, kernel_options
from tl_course.notebook_grader import grade_notebook
from tl_course.sandbox import namespaces_available
from tl_course.worker import sandbox_visibility


def test_a_kernel_started_ahead_serves_one_submission_that_begins_with_the_setup(mini, box):
    """The checker starts the next submission's kernel early and runs the release's setup cell
    in it. It is used only by a submission whose first code cell is that setup cell, and a
    submission graded alongside it cannot see it."""
    hide, keep = sandbox_visibility(mini)
    hide = [*hide, box]  # as in tl-course grade: the sandboxes' folder is hidden from kernels
    options = kernel_options(hide=hide, keep=keep)
    full = {"m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}

    def grade(nb, warm=None):
        return grade_notebook(nb, mini_release(mini), mini / "autograder" / "00_mini",
                              sandbox_dir=box / "kernel", hide=hide, keep=keep,
                              cell_timeout=30, warm=warm)

    warm = WarmKernel.start(mini_release(mini), box / "warm", options)
    graded = grade(with_answers(mini, MINI_SOLUTION), warm)
    assert graded.timings["kernel_start"] < 0.05  # no kernel was started: the early one served
    assert cell_scores(graded) == full
    assert warm.kernel.box is None and not (box / "warm" / "kernel-1").exists()  # stopped

    if namespaces_available():  # a kernel started ahead is invisible to the one being graded
        other = WarmKernel.start(mini_release(mini), box / "warm", options)
        spy = ("import os\nothers = [p for p in os.listdir('/proc') if p.isdigit()]\n"
               f"print('visible', os.path.exists({str(box / 'warm')!r}), len(others))")
        try:
            outputs = grade(with_answers(mini, MINI_SOLUTION, after_setup=spy)).notebook.cells[2]
            printed = "".join(o.get("text", "") for o in outputs.get("outputs", []))
            assert "visible False" in printed, printed
            assert int(printed.split()[-1]) <= 3, printed  # its own sandbox's processes only
        finally:
            other.stop()

    # own code before the setup cell: the early kernel is stopped, a fresh one runs everything
    warm = WarmKernel.start(mini_release(mini), box / "warm", options)
    mine = with_answers(mini, MINI_SOLUTION)
    mine.cells.insert(1, nbformat.v4.new_code_cell("import sys\nsys.modules.pop('json', None)"))
    graded = grade(mine, warm)
    assert graded.timings["kernel_start"] > 0 and warm.kernel.box is None
    assert cell_scores(graded) == full
