"""The course's own assignments: in sync, complete, and the grading invariant CI must prove.

For every assignment the source notebook scores full points on every graded cell (visible and
hidden checks) and the release stub, graded with the hidden checks, scores 0 on every one.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re

import nbformat
import pytest
from grading_support import ROOT

import tl_helpers
from tl_course import commands, course

ASSIGNMENTS = course.list_assignments(ROOT)


def _notebook(kind: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / kind / name / f"{name}.ipynb", as_version=4)


OUTLINE = ["01_what_is_transfer_learning", "02_choosing_a_pretrained_model",
           "03_frozen_vs_trainable", "04_fine_tuning", "05_negative_transfer",
           "06_domain_adaptation"]


def test_assignments_follow_the_course_outline():
    assert ASSIGNMENTS, "no assignment in course/notebooks"
    assert set(ASSIGNMENTS) <= set(OUTLINE), ASSIGNMENTS
    for name in ASSIGNMENTS:
        assert list((ROOT / "autograder" / name).glob("test_*.py")), name


def test_source_notebooks_are_built_from_their_scripts():
    assert course.source_differences(ROOT) == []


def test_release_is_what_nbgrader_generates_from_source():
    assert course.release_differences(ROOT) == []


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_leaks_no_solution_and_no_hidden_test(name):
    text = (ROOT / "release" / name / f"{name}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "grade_cell("):
        assert marker not in text, marker
    assert not any(p.suffix == ".py" for p in (ROOT / "release" / name).iterdir())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_notebook_meets_the_course_standard(name):
    nb = _notebook("source", name)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    graded = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    quiz = [c for c in graded if c.metadata["nbgrader"]["grade_id"].endswith("_quiz")]
    assert len(graded) - len(quiz) >= 3, "at least three graded implementation exercises"
    assert len(quiz) == 1, "an auto-graded knowledge check"
    assert all("grade_cell(" in c.source for c in graded), "every graded cell runs hidden checks"
    assert "ipywidgets" in code or "widgets." in code, "an ipywidgets explorer"
    plots = len(re.findall(r"\bplot_\w+\(|plt\.(subplots|figure|plot|imshow|bar|scatter)\(", code))
    assert plots >= 2, "at least two plots"
    assert "learning objectives" in markdown or "learning goals" in markdown
    assert "knowledge check" in markdown and "takeaway" in markdown
    assert nb.cells[1].metadata.get("nbgrader", {}).get("grade_id") == "setup" or any(
        c.metadata.get("nbgrader", {}).get("grade_id") == "setup" for c in nb.cells[:4])


def _answer_function_names() -> set[str]:
    names = set()
    for name in ASSIGNMENTS:
        for cell in _notebook("source", name).cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                try:
                    tree = ast.parse(cell.source)
                except SyntaxError:
                    continue
                names |= {n.name for n in tree.body
                          if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return names


def test_tl_helpers_does_not_ship_the_exercises_answers():
    exported = set(tl_helpers.__all__)
    for module in pkgutil.walk_packages(tl_helpers.__path__, "tl_helpers."):
        if module.name.endswith(("__main__", ".pretrain", ".cli")):
            continue
        exported |= set(getattr(importlib.import_module(module.name), "__all__", []))
    overlap = sorted(_answer_function_names() & exported)
    assert overlap == [], f"tl_helpers exports exercise solutions: {overlap}"


def _runs_in_full_in_the_browser(request: pytest.FixtureRequest, name: str) -> bool:
    """Whether this session's browser test runs source/<name> top to bottom in JupyterLab (it
    is collected and not deselected, and Chromium and Playwright are here), failing on any
    error output: then that is the session's one full run of the notebook's experiments."""
    wanted = f"test_source_notebook_runs_in_jupyterlab[{name}]"
    if not any(item.name == wanted for item in request.session.items):
        return False
    from browser_support import browser_missing  # importable once tests/browser is collected

    return browser_missing() is None


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solutions_pass_every_check_and_stubs_score_zero(name, request):
    """Every hidden and visible check passes on the solution, none on the stub. In fast mode
    (experiments nothing reads are skipped, as in grading) when the browser test runs the
    notebook in full in this session; otherwise in full mode, so every cell still runs once."""
    full = not _runs_in_full_in_the_browser(request, name)
    problems = commands.validate_assignment(ROOT, name, timeout=300, full=full)
    assert problems == [], "\n".join(problems)
