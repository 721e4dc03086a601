"""Static checks of a submission (tl_course.scan): grading internals, leaked hidden tests."""

from __future__ import annotations

import nbformat

from tl_course import scan


def test_scan_code_flags_grading_internals_not_ordinary_code():
    assert scan.scan_code("model.compile(optimizer='adam')\nhistory = model.fit(x, y)") == []
    assert "uses pytest (the grader's test runner)" in scan.scan_code("import pytest")
    assert "touches the grading runner" in scan.scan_code(
        "import tl_helpers.grading as g\ng.grade_cell = print")
    assert "touches the grading runner" in scan.scan_code("from tl_course import batch")
    assert "replaces library functions (monkeypatching)" in scan.scan_code(
        "np.allclose = lambda *a: True")
    assert "runs dynamically built code" in scan.scan_code("exec(open('x').read())")


def test_leaking_cells_and_redaction(tmp_path):
    (tmp_path / "test_x.py").write_text("assert nb.secret_function(3) == 42, 'hint'\n")
    fingerprints = scan.hidden_fingerprints(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_code_cell("leak()")]
    nb.cells[1].outputs = [nbformat.v4.new_output(
        "stream", name="stdout", text="assert nb.secret_function(3) == 42, 'hint'\n")]
    assert scan.leaking_cells(nb, fingerprints) == [1]
    scan.redact_cells(nb, [1])
    assert "removed by the grader" in nb.cells[1].outputs[0].text


def test_hidden_fingerprints_leave_out_lines_students_are_given(tmp_path):
    (tmp_path / "test_x.py").write_text(
        "    keras.utils.set_random_seed(seed)\n    assert nb.secret_rule(3) == 'forty-two'\n")
    public = "def f(seed):\n    keras.utils.set_random_seed(seed)\n"
    fingerprints = scan.hidden_fingerprints(tmp_path, public=public)
    assert fingerprints == ["assert nb.secret_rule(3) == 'forty-two'"]
    traceback = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "error", ename="KeyboardInterrupt", evalue="",
        traceback=["----> 2     keras.utils.set_random_seed(seed)"])])
    assert scan.leaking_cells(nbformat.v4.new_notebook(cells=[traceback]), fingerprints) == []


def test_hidden_fingerprints_cover_the_shared_support_module(tmp_path):
    """``autograder/check_support.py`` holds reference implementations (06's MMD): printing it
    is a leak like printing a test file."""
    tests = tmp_path / "autograder" / "01_x"
    tests.mkdir(parents=True)
    (tests / "test_x.py").write_text("from check_support import reference_answer\n")
    (tmp_path / "autograder" / "check_support.py").write_text(
        "def reference_answer(x):\n    return (x @ x.T).mean() - 2 * x.sum()\n")
    assert scan.hidden_fingerprints(tests) == ["def reference_answer(x):",
                                               "return (x @ x.T).mean() - 2 * x.sum()"]
