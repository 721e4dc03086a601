"""Grading one notebook (tl_course.notebook_grader): honest work earns its points, a stub
none, partial credit names the failed checks, and the time limits cost only what ran over."""

from __future__ import annotations

import copy

import nbformat
from grading_support import MINI_SOLUTION, cell_scores, grade_mini, mini_release, with_answers


def test_honest_solution_and_stub(mini, box):
    answer_ids = [c.metadata["nbgrader"]["grade_id"] for c in mini_release(mini).cells
                  if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert answer_ids == list(MINI_SOLUTION)
    assert cell_scores(grade_mini(mini, box, with_answers(mini, MINI_SOLUTION))) == {
        "m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}
    assert cell_scores(grade_mini(mini, box, mini_release(mini))) == {
        "m_add": 0.0, "m_scale": 0.0, "m_quiz": 0.0}


def test_partial_credit_names_failed_checks_never_their_code(mini, box):
    answers = dict(MINI_SOLUTION, m_scale_answer="def scale(values, factor):\n"
                   "    return [v * factor for v in values]\n",
                   m_quiz_answer="answers = {'q1': 'b', 'q2': 'a'}\n")
    graded = grade_mini(mini, box, with_answers(mini, answers))
    assert cell_scores(graded) == {"m_add": 2.0, "m_scale": 2.25, "m_quiz": 1.0}
    text = graded.cells["m_scale"].summary() + graded.cells["m_quiz"].summary()
    assert "failed: scale rejects factor=None with a ValueError naming the argument" in text
    assert "failed: knowledge check [q2]: q2 is not right yet" in text
    assert "nb.scale" not in text and "pytest.raises" not in text


def test_a_hung_cell_is_stopped_and_the_rest_graded(mini, box):
    nb = with_answers(mini, MINI_SOLUTION, after_setup="import time\nwhile True:\n    "
                       "try:\n        time.sleep(0.01)\n    except BaseException:\n        pass\n")
    graded = grade_mini(mini, box, nb, cell_timeout=5)
    assert cell_scores(graded) == {"m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}
    assert "left out" in graded.notes[0]


def test_a_call_past_its_limit_fails_that_check_only(mini, box):
    slow = dict(MINI_SOLUTION, m_add_answer="import time\ndef add(a, b):\n"
                "    if a == 2:\n        time.sleep(60)\n    return a + b\n")
    graded = grade_mini(mini, box, with_answers(mini, slow), call_timeout=3)
    assert cell_scores(graded) == {"m_add": 1.0, "m_scale": 3.0, "m_quiz": 2.0}
    assert "interrupted" in graded.cells["m_add"].summary()


def test_fast_mode_decides_on_the_locked_cells_as_they_run(mini, box):
    """A locked test cell runs as the release has it, so what the submission's copy of it
    reads (here a lambda that reads an experiment's result) cannot make an experiment run."""
    release = mini_release(mini)
    experiment = nbformat.v4.new_code_cell("curve = [1, 2, 3]\nprint('EXPERIMENT RAN')",
                                           id="experiment")
    release.cells.insert(2, experiment)
    nb = with_answers(mini, MINI_SOLUTION)
    nb.cells.insert(2, copy.deepcopy(experiment))
    test_cell = next(c for c in nb.cells
                     if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "m_add")
    test_cell.source += "\nlater = lambda: curve\n"  # changed by the student: restored
    graded = grade_mini(mini, box, nb, release=release)
    assert cell_scores(graded) == {"m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}
    assert 2 in graded.skipped
    assert "EXPERIMENT RAN" not in str(graded.notebook.cells[2].outputs)
    assert "later = lambda" not in graded.notebook.cells[nb.cells.index(test_cell)].source
