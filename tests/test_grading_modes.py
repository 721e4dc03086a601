"""Fast mode (the default) and full mode give the same score in every graded cell.

A half-solved submission of 02 and of 05 (the simulated class's "partial" student: the first
half of the answers solved) is graded both ways on the real assignments; fast mode must skip
some of the course's experiments and still agree cell by cell.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from tl_course import simulate
from tl_course.notebook_grader import grade_notebook
from tl_course.worker import sandbox_visibility

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["02_choosing_a_pretrained_model", "05_negative_transfer"])
def test_fast_and_full_mode_agree_cell_by_cell(name):
    source = simulate._strip_hidden_tests(
        nbformat.read(ROOT / "source" / name / f"{name}.ipynb", as_version=4))
    release = nbformat.read(ROOT / "release" / name / f"{name}.ipynb", as_version=4)
    partial = simulate._variants(source, release)["partial"]
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
    assert {g: c.score for g, c in fast.cells.items()} == \
        {g: c.score for g, c in full.cells.items()}
    assert 0 < full.score < sum(c.points for c in full.cells.values())  # really partial
