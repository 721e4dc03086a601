"""A simulated class for demos and tests: honest, partial, broken and hostile submissions.

Every submission is derived from the course's own source (solutions) and release (stubs)
notebooks, so the class exercises the real assignments::

    python -m tl_course.simulate build/demo_class        # every assignment
    tl-course grade build/demo_class --jobs 2

:data:`EXPECTED` says what a fair grader must do with each student; ``tests/test_batch.py``
asserts it and ``make demo`` prints the table.

Example:
    >>> EXPECTED["fakes_runner"]
    {'score': 'zero', 'review': True}
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat

from tl_course import course

__all__ = ["EXPECTED", "VARIANTS", "make_class", "inject_after", "graded_ids", "answer_ids",
           "strip_hidden_tests", "student_variants", "check_grades"]

# What a fair grader gives each student: "full", "zero", "partial" (exact per-cell values are
# checked in the tests), "flagged" (full marks except the flagged cells, which score 0 until a
# person decides), "failed" (reported, not graded); review=True: must be flagged.
EXPECTED: dict[str, dict] = {
    "solution": {"score": "full", "review": False},
    "stub": {"score": "zero", "review": False},
    "partial": {"score": "partial", "review": False},
    "corrupt_json": {"score": "failed", "review": False},
    "empty_notebook": {"score": "zero", "review": False},
    "deleted_test_cell": {"score": "full", "review": False},
    "edited_test_cell": {"score": "zero", "review": False},
    "changed_points": {"score": "zero", "review": False},
    "changed_grade_id": {"score": "zero", "review": False},
    "answer_exception": {"score": "partial", "review": False},
    "infinite_loop": {"score": "full", "review": False},
    "swallows_interrupt": {"score": "full", "review": False},
    "sys_exit": {"score": "full", "review": False},
    "kills_kernel": {"score": "full", "review": False},
    "output_flood": {"score": "full", "review": False},
    "memory_hog": {"score": "full", "review": False},
    "prints_hidden_tests": {"score": "flagged", "review": True},
    "fakes_runner": {"score": "zero", "review": True},
    "patches_pytest": {"score": "zero", "review": True},
    "patches_check_helpers": {"score": "zero", "review": True},
    "writes_gradebook": {"score": "flagged", "review": True},
    "snoops_kernel": {"score": "zero", "review": True},
    "forges_output": {"score": "zero", "review": False},
}


def graded_ids(nb: nbformat.NotebookNode) -> list[str]:
    """grade_ids of the autograded test cells, in order."""
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def answer_ids(nb: nbformat.NotebookNode) -> list[str]:
    """grade_ids of the answer (solution) cells, in order."""
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def _index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def inject_after(nb: nbformat.NotebookNode, grade_id: str | None, code: str
                 ) -> nbformat.NotebookNode:
    """A copy of ``nb`` with a new (student) code cell after the cell ``grade_id``
    (``None``: after the setup cell)."""
    nb = copy.deepcopy(nb)
    position = _index(nb, grade_id or "setup") + 1
    nb.cells.insert(position, nbformat.v4.new_code_cell(code))
    return nb


def _with_answers(release: nbformat.NotebookNode, source: nbformat.NotebookNode,
                  solved: set[str]) -> nbformat.NotebookNode:
    nb = copy.deepcopy(release)
    for grade_id in solved:
        nb.cells[_index(nb, grade_id)] = copy.deepcopy(source.cells[_index(source, grade_id)])
    return nb


def _edit_tests(nb: nbformat.NotebookNode, change: Callable[[dict, nbformat.NotebookNode], None]
                ) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for grade_id in graded_ids(nb):
        cell = nb.cells[_index(nb, grade_id)]
        change(cell.metadata["nbgrader"], cell)
    return nb


_SWALLOW = '''import time
while True:  # ignores every interrupt, also one that lands while another is being swallowed
    try:
        while True:
            try:
                while True:
                    time.sleep(0.01)
            except BaseException:
                pass
    except BaseException:
        pass
'''
_FLOOD = '''line = "x" * 999
for _ in range(100_000):  # 100 MB of output
    print(line)
'''
_HOG = '''hoard = []
while True:  # grows until the grader stops it
    hoard.append(b"x" * 50_000_000)
'''
_PRINT_HIDDEN = '''import glob, os
for path in glob.glob(os.path.join(os.environ.get("TL_AUTOGRADER_DIR", "/nonexistent"),
                                   "**", "*.py"), recursive=True):
    print(open(path).read())
'''
_FAKE_RUNNER = '''import tl_helpers.grading as grading
import tl_helpers.grading.kernel as kernel

def always_full(grade_id, points, namespace):
    return float(points)

grading.grade_cell = always_full
kernel.grade_cell = always_full
'''
_PATCH_PYTEST = '''import pytest, _pytest.python

pytest.main = lambda *args, **kwargs: 0
_pytest.python.pytest_pyfunc_call = lambda pyfuncitem: True
'''
_PATCH_CHECKS = '''import numpy, numpy.testing, tl_helpers.checks

for name in ("check_shape", "check_close", "check_type", "check_raises", "check_between"):
    setattr(tl_helpers.checks, name, lambda *args, **kwargs: None)
numpy.allclose = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
'''
_SNOOP_KERNEL = '''import gc, sys
secrets = [o for o in gc.get_objects() if isinstance(o, dict) and "key" in o]  # a receipt key?
sys.setprofile(lambda frame, event, arg: None)
'''
_FORGE_OUTPUT = '''ip = get_ipython()
def forge(lines):  # every later cell prints a full score instead of running
    return ["print('all hidden checks passed')\\n", "1000.0\\n"]
ip.input_transformers_post.append(forge)
'''
_WRITE_GRADEBOOK = '''import pathlib, sqlite3
here = pathlib.Path.cwd()
for folder in [here, *here.parents][:7]:  # up to the grader's work folder
    for db in folder.glob("gradebook.db"):
        try:
            with sqlite3.connect(db) as conn:
                conn.execute("UPDATE grade SET auto_score = 1000")
        except Exception:
            pass
    for other in folder.glob("**/*.ipynb"):
        if "autograded" not in other.parts and here not in other.parents:
            try:
                other.write_text("{}")  # vandalise other students' notebooks
            except Exception:
                pass
'''


def student_variants(source: nbformat.NotebookNode, release: nbformat.NotebookNode
              ) -> dict[str, nbformat.NotebookNode | bytes]:
    answers = answer_ids(source)
    first_answer = answers[0]
    half = set(answers[: max(1, len(answers) // 2)])
    broken = copy.deepcopy(source)
    cell = broken.cells[_index(broken, first_answer)]
    cell.source = 'raise RuntimeError("a bug in my first answer")\n' + cell.source
    empty = nbformat.v4.new_notebook()
    empty.metadata = copy.deepcopy(source.metadata)
    deleted = copy.deepcopy(source)
    del deleted.cells[_index(deleted, graded_ids(source)[0])]

    def edit_source(meta, cell):
        cell.source = f"print('all tests passed')\n{float(meta['points'])!r}"

    def edit_points(meta, cell):
        meta["points"] = 1000.0

    def edit_id(meta, cell):
        meta["grade_id"] = meta["grade_id"] + "_mine"
        cell.source = "1000.0"

    return {
        "solution": source,
        "stub": release,
        "partial": _with_answers(release, source, half),
        "corrupt_json": json.dumps(source)[: 200].encode(),
        "empty_notebook": empty,
        "deleted_test_cell": deleted,
        "edited_test_cell": _edit_tests(release, edit_source),
        "changed_points": _edit_tests(release, edit_points),
        "changed_grade_id": _edit_tests(release, edit_id),
        "answer_exception": broken,
        "infinite_loop": inject_after(source, None, "while True:\n    pass\n"),
        "swallows_interrupt": inject_after(source, None, _SWALLOW),
        "sys_exit": inject_after(source, None, "import sys\nsys.exit(3)\n"),
        "kills_kernel": inject_after(source, None, "import os\nos._exit(1)\n"),
        "output_flood": inject_after(source, None, _FLOOD),
        "memory_hog": inject_after(source, None, _HOG),
        "prints_hidden_tests": inject_after(source, None, _PRINT_HIDDEN),
        "fakes_runner": inject_after(release, None, _FAKE_RUNNER),
        "patches_pytest": inject_after(release, None, _PATCH_PYTEST),
        "patches_check_helpers": inject_after(release, None, _PATCH_CHECKS),
        "writes_gradebook": inject_after(source, None, _WRITE_GRADEBOOK),
        "snoops_kernel": inject_after(release, None, _SNOOP_KERNEL),
        "forges_output": inject_after(source, None, _FORGE_OUTPUT),
    }


VARIANTS = tuple(EXPECTED)
"""The simulated students, in the order the demo lists them."""


def strip_hidden_tests(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What a student could submit: the hidden blocks are never in a student's copy."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and "### BEGIN HIDDEN TESTS" in cell.source:
            cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0].rstrip() + "\n"
    return nb


def make_class(root: Path, out: Path, assignments: list[str] | None = None,
               variants: list[str] | None = None) -> list[tuple[str, str]]:
    """Write ``out/<variant>/<assignment>/<assignment>.ipynb`` for every variant and assignment.

    Submissions built from the source notebook lose their hidden test blocks first, as a real
    student's copy would. Returns the ``(student, assignment)`` pairs written.
    """
    root, out = Path(root), Path(out)
    names = [course.check_assignment(root, a) for a in (assignments or
                                                        course.list_assignments(root))]
    chosen = list(variants or VARIANTS)
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown:
        raise ValueError(f"Unknown variants {unknown}. Known: {', '.join(VARIANTS)}")
    written = []
    for name in names:
        source = strip_hidden_tests(
            nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4))
        release = nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)
        made = student_variants(source, release)
        for variant in chosen:
            target = out / variant / name / f"{name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            content = made[variant]
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                nbformat.write(content, target)
            written.append((variant, name))
    return written


HONEST = ("solution", "stub", "partial")


def check_grades(grades_csv: Path) -> list[str]:
    r"""Compare a graded simulated class (``grades.csv``) with :data:`EXPECTED`; return the
    differences (empty: every student got what a fair grader gives).

    Example:
        >>> import tempfile
        >>> csv_path = Path(tempfile.mkdtemp()) / "grades.csv"
        >>> _ = csv_path.write_text("student,assignment,status,score,max_score,needs_review\n"
        ...                         "solution,02,graded,18.14,22,no\n")
        >>> check_grades(csv_path)
        ['solution/02: expected full marks, got 18.14/22']
    """
    import csv

    problems = []
    with open(grades_csv, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            expected = EXPECTED.get(row["student"])
            if expected is None:
                continue
            who = f"{row['student']}/{row['assignment']}"
            kind = expected["score"]
            if kind == "failed":
                if row["status"] != "failed":
                    problems.append(f"{who}: expected to be reported as not graded, got "
                                    f"{row['status']}")
                continue
            if row["status"] != "graded":
                problems.append(f"{who}: not graded ({row['status']})")
                continue
            score, maximum = float(row["score"]), float(row["max_score"])
            review = row["needs_review"] == "yes"
            wrong = {"full": score != maximum, "zero": score != 0.0,
                     "partial": not 0.0 < score < maximum,
                     "flagged": score >= maximum}[kind]
            if wrong:
                what = {"full": "full marks", "zero": "0", "partial": "a partial score",
                        "flagged": "less than full marks (flagged cells at 0)"}[kind]
                problems.append(f"{who}: expected {what}, got {score:g}/{maximum:g}")
            if review != expected["review"]:
                problems.append(f"{who}: expected {'a' if expected['review'] else 'no'} review "
                                "flag")
    return problems


def main(argv: list[str] | None = None) -> int:
    """``python -m tl_course.simulate OUT [--hostile-on ASSIGNMENT]``, or
    ``--check GRADES_CSV`` after grading it.

    The honest students (solution, stub, partial) submit every assignment; the broken and
    hostile ones submit ``--hostile-on`` (default: the first assignment), which keeps a demo of
    all six assignments within minutes.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tl_course.simulate")
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--check", type=Path, metavar="GRADES_CSV",
                        help="compare a graded class's grades.csv with what each student "
                             "deserves (exit 1 on any difference)")
    parser.add_argument("--assignments", nargs="*", default=None)
    parser.add_argument("--hostile-on", default=None, metavar="ASSIGNMENT")
    args = parser.parse_args(argv)
    if args.check is not None:
        problems = check_grades(args.check)
        for problem in problems:
            print(f"UNFAIR: {problem}", file=sys.stderr)
        print(f"{args.check}: " + ("every student got what a fair grader gives" if not problems
                                   else f"{len(problems)} differences from a fair grade"))
        return 1 if problems else 0
    if args.out is None:
        parser.error("the class folder (OUT) is required")
    root = course.find_course_root()
    names = args.assignments or course.list_assignments(root)
    written = make_class(root, args.out, names, list(HONEST))
    hostile = [v for v in VARIANTS if v not in HONEST]
    written += make_class(root, args.out, [args.hostile_on or names[0]], hostile)
    print(f"Simulated class: {len(written)} submissions in {args.out} "
          f"({len(HONEST)} honest students x {len(names)} assignments, {len(hostile)} broken "
          f"or hostile ones on {args.hostile_on or names[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
