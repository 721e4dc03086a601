"""Shared set-up of the grading tests: a private copy of the mini fixture course, its release,
submissions made from it, and the scores a graded notebook got (the ``mini`` and ``box``
fixtures are in the root conftest.py)."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import nbformat

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mini_course"
T = TypeVar("T")


def make_mini_course(target: Path) -> Path:
    """Copy the fixture course with the real course configuration and release it."""
    from tl_course import course

    shutil.copytree(FIXTURE, target)
    shutil.copy(ROOT / "nbgrader_config.py", target / "nbgrader_config.py")
    shutil.copy(ROOT / "course" / "nbgrader_config.py", target / "course" / "nbgrader_config.py")
    shutil.copy(ROOT / "autograder" / "conftest.py", target / "autograder" / "conftest.py")
    outcome = course.release(target)
    assert outcome == {"00_mini": "ok"}, outcome
    return target


def mini_release(mini: Path) -> nbformat.NotebookNode:
    """The released (student) notebook of the mini course."""
    return nbformat.read(mini / "release" / "00_mini" / "00_mini.ipynb", as_version=4)


def with_answers(mini: Path, answers: dict[str, str], after_setup: str = ""
                 ) -> nbformat.NotebookNode:
    """The release with ``answers`` (grade id -> source) in its answer cells, and
    ``after_setup`` as a cell of its own after the setup cell."""
    nb = copy.deepcopy(mini_release(mini))
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    if after_setup:
        nb.cells.insert(2, nbformat.v4.new_code_cell(after_setup))
    return nb


MINI_SOLUTION = {
    "m_add_answer": "def add(a, b):\n    return a + b\n",
    "m_scale_answer": ("def scale(values, factor):\n    if factor is None:\n"
                       "        raise ValueError('factor must be a number')\n"
                       "    return [v * factor for v in values]\n"),
    "m_quiz_answer": "answers = {'q1': 'b', 'q2': 'c'}\n",
}


def cell_scores(graded) -> dict[str, float]:
    """The scores per cell (printed with the grader's notes and errors: shown on failure)."""
    print("\n".join(c.summary() for c in graded.cells.values()), graded.notes)
    for i, cell in enumerate(graded.notebook.cells):
        errors = [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", [])
                  if o.get("output_type") == "error"]
        if errors:
            print(f"cell {i}: {errors}")
    return {g: c.score for g, c in graded.cells.items()}


def grade_mini(mini: Path, box: Path, nb: nbformat.NotebookNode,
               release: nbformat.NotebookNode | None = None, **options):
    """Grade ``nb`` against the mini course (or against ``release``, a changed copy of its
    release) in a sandboxed kernel under ``box``."""
    from tl_course.notebook_grader import grade_notebook
    from tl_course.worker import sandbox_visibility

    hide, keep = sandbox_visibility(mini)
    options.setdefault("cell_timeout", 30)
    release = mini_release(mini) if release is None else release
    return grade_notebook(nb, release, mini / "autograder" / "00_mini",
                          sandbox_dir=box / "kernel", hide=hide, keep=keep, **options)


def built_once(tmp_path_factory, name: str, build: Callable[[], T]) -> T:
    """``build()``, run once per test run however pytest-xdist shares a module out.

    ``--dist worksteal`` can split one module between two workers, and each would then build
    the module's fixture (test_batch's graded class, about two minutes, was built twice). The
    first worker here builds it, under a lock in the run's shared temporary folder, and pickles
    the value there; a worker that comes later waits for the lock and reads it. The value must
    be plain data (reports, paths, checksums), and ``build`` must leave nothing to tear down.
    """
    import fcntl
    import os
    import pickle

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    data = shared / f"built-once-{name}.pickle"
    with open(shared / f"built-once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if data.exists():
            return pickle.loads(data.read_bytes())
        value = build()
        data.write_bytes(pickle.dumps(value))
        return value
