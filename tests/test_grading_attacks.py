"""Attacks on the grader, written as a student who has read its code would write them.

Each attack runs end to end on the mini fixture course (no TensorFlow in the kernel, seconds per
notebook): the notebook runs in its sandboxed kernel, the hidden checks run in this process.
What must hold: no unearned point, nothing of the hidden tests or the grader's files reaches
the student's process or outputs, nothing the kernel starts outlives it, other students' files
and grades stay byte-identical, a flagged cell scores 0 pending review.
"""

from __future__ import annotations

import csv
import hashlib
import os
import time
from pathlib import Path

import nbformat
import pytest
from grading_support import (
    MINI_SOLUTION,
    cell_scores,
    grade_mini,
    mini_release,
    with_answers,
)

from tl_course.batch import grade_submissions
from tl_course.options import GradeOptions
from tl_course.results import SubmissionResult
from tl_course.sandbox import SANDBOX_UID_BASE, namespaces_available

needs_namespaces = pytest.mark.skipif(
    not namespaces_available(),
    reason="needs Linux namespaces (root and unshare): the grader runs unsandboxed here")

HIDDEN_LINE = "add(0.5, 0.25) should be 0.75"  # a message only the hidden checks hold


LIAR = {
    "m_add_answer": ("class Agreeable(float):\n"
                     "    def __eq__(self, other): return True\n"
                     "    __lt__ = __le__ = __gt__ = __ge__ = __eq__\n"
                     "    def __sub__(self, other): return Agreeable(0.0)\n"
                     "    __rsub__ = __sub__\n"
                     "    def __abs__(self): return Agreeable(0.0)\n"
                     "    __hash__ = float.__hash__\n"
                     "def add(a, b):\n    return Agreeable(0.0)\n"),
    "m_scale_answer": ("class Sly(ValueError, TypeError, FileNotFoundError):\n    pass\n"
                       "class Everything(list):\n"
                       "    def __eq__(self, other): return True\n"
                       "def scale(values, factor):\n"
                       "    if factor is None:\n        raise Sly('factor')\n"
                       "    return Everything()\n"),
    "m_quiz_answer": ("class Yes(str):\n    def __eq__(self, other): return True\n"
                      "    __hash__ = str.__hash__\n"
                      "answers = {'q1': Yes('z'), 'q2': Yes('z')}\n"),
}
# the same code with every lie replaced by the plain value it is made of
LIAR_PLAIN = {
    "m_add_answer": "def add(a, b):\n    return 0.0\n",
    "m_scale_answer": ("def scale(values, factor):\n"
                       "    if factor is None:\n        raise ValueError('factor')\n"
                       "    return []\n"),
    "m_quiz_answer": "answers = {'q1': 'z', 'q2': 'z'}\n",
}


def test_objects_that_lie_earn_nothing_their_plain_values_do_not(mini, box):
    liar = cell_scores(grade_mini(mini, box, with_answers(mini, LIAR)))
    plain = cell_scores(grade_mini(mini, box, with_answers(mini, LIAR_PLAIN)))
    # scale's plain behaviour (returns [], raises ValueError for None) earns 2 of 4 checks
    assert liar == plain == {"m_add": 0.0, "m_scale": 1.5, "m_quiz": 0.0}


FORGER = """
ip = get_ipython()
def forge(lines):  # every later cell, and every call the grader sends, prints full marks
    return ['print("m_add: 2/2 hidden checks passed, 2 of 2 points")\\n', '2.0\\n']
ip.input_transformers_post.append(forge)
"""


def test_rewriting_every_cell_and_call_forges_nothing(mini, box):
    graded = grade_mini(mini, box, with_answers(mini, MINI_SOLUTION, after_setup=FORGER))
    assert cell_scores(graded) == {"m_add": 0.0, "m_scale": 0.0, "m_quiz": 0.0}


@needs_namespaces
def test_the_kernel_sees_no_hidden_test_gradebook_or_grader_setting(mini, box):
    hidden = mini / "autograder" / "00_mini" / "test_00_mini.py"
    secret = mini / "grades" / "secret.csv"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("alice,secret\n")
    snoop = (
        "import os, glob, subprocess\n"
        "try:\n"
        f"    print('listing', sorted(os.listdir({str(mini)!r})))\n"
        "except OSError as error:\n    print('listing refused', type(error).__name__)\n"
        f"for path in [{str(hidden)!r}, {str(secret)!r},\n"
        f"             *glob.glob({str(mini)!r} + '/**/*.py', recursive=True)]:\n"
        "    try:\n        print('read', path, open(path, errors='replace').read())\n"
        "    except OSError as error:\n        print('refused', type(error).__name__)\n"
        "print('env', sorted(os.environ))\n"
        "print('popen', os.popen('cat " + str(hidden) + " 2>&1; ps ax').read())\n"
        "print('uid', os.getuid())\n")
    graded = grade_mini(mini, box, with_answers(mini, MINI_SOLUTION, after_setup=snoop))
    text = "".join(o.get("text", "") for o in graded.notebook.cells[2].outputs)
    assert "listing" in text and "uid" in text, text
    assert HIDDEN_LINE not in text and "secret" not in text and "grade_id" not in text
    assert "listing []" in text or "listing refused" in text
    assert "TL_AUTOGRADER" not in text and "TL_GRADEBOOK" not in text and "KEY" not in text
    assert f"uid {os.getuid()}" not in text  # not the grader's user
    processes = text.split("PID TTY")[1].split("uid")[0].strip().splitlines()[1:]
    assert processes[0].split()[0] == "1" and "ipykernel_launcher" in processes[0]
    assert len(processes) <= 4, processes  # the kernel, the shell and ps: nothing of the grader
    assert cell_scores(graded) == {"m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}


DAEMON = """
import os, time
victim = {victim!r}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # waits for the grader to finish, then strikes
        try:
            time.sleep(4)
            with open(victim, "w") as handle:
                handle.write("pwned")
        finally:
            os._exit(0)
    os._exit(0)
"""


@pytest.mark.parametrize("isolate", [
    pytest.param(True, marks=needs_namespaces),
    False,  # the control: without the sandbox the attack works, so this test can fail
], ids=["sandboxed", "control-unsandboxed"])
def test_a_daemon_dies_with_the_kernel(mini, box, tmp_path, isolate):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    victim = shared / "grades.csv"
    victim.write_text("alice,17\n")
    victim.chmod(0o666)
    nb = with_answers(mini, MINI_SOLUTION, after_setup=DAEMON.format(victim=str(victim)))
    grade_mini(mini, box, nb, isolate=isolate)
    time.sleep(7)
    if isolate:
        assert victim.read_text() == "alice,17\n"
        import psutil

        left = [p.info for p in psutil.process_iter(["pid", "uids", "cmdline"])
                if p.info["uids"] and p.info["uids"].real >= SANDBOX_UID_BASE
                and str(box) in " ".join(p.info["cmdline"] or [])]
        assert left == []
    else:
        assert victim.read_text() == "pwned"


# ----------------------------------------------------------------- a class, end to end
def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded_class(mini, tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    klass = base / "submissions"
    out = base / "grades"
    vandal = (
        "import pathlib, sqlite3\n"
        f"for path in pathlib.Path({str(klass)!r}).rglob('*.ipynb'):\n"
        "    try:\n        path.write_text('{}')\n    except OSError:\n        pass\n"
        f"for db in [{str(mini / 'gradebook.db')!r}]:\n"
        "    try:\n        sqlite3.connect(db).execute('UPDATE grade SET auto_score = 99')\n"
        "    except Exception:\n        pass\n")
    students = {
        "honest": with_answers(mini, MINI_SOLUTION),
        "stub": mini_release(mini),
        "liar": with_answers(mini, LIAR),
        "vandal": with_answers(mini, MINI_SOLUTION, after_setup=vandal),
        "daemon": with_answers(mini, MINI_SOLUTION, after_setup=DAEMON.format(
            victim=str(out / "grades.csv"))),
        "flagged": with_answers(mini, dict(MINI_SOLUTION, m_scale_answer="import pytest\n"
                                            + MINI_SOLUTION["m_scale_answer"])),
        "zoë": with_answers(mini, MINI_SOLUTION),
        "shadow": mini_release(mini),
    }
    for student, nb in students.items():
        folder = klass / student / "00_mini"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "00_mini.ipynb")
    (klass / "shadow" / "00_mini" / "tl_helpers").mkdir()
    (klass / "shadow" / "00_mini" / "tl_helpers" / "__init__.py").write_text(
        "def start_assignment(*a, **k):\n    print('2.0')\n")
    before = _digest(klass)
    report = grade_submissions(klass, mini, GradeOptions(jobs=2, cell_timeout=30), out=out)
    csv_text = (out / "grades.csv").read_text()
    time.sleep(7)  # the daemon's moment
    return {"report": report, "before": before, "after": _digest(klass), "out": out,
            "csv": csv_text, "mini": mini, "klass": klass}


def _results(graded_class) -> dict[str, SubmissionResult]:
    return {r.student: r for r in graded_class["report"].results}


def test_class_scores_are_what_the_honest_code_earns(graded_class):
    results = _results(graded_class)
    print(graded_class["report"].summary_text())
    assert {s: r.score for s, r in results.items()} == {
        "honest": 7.0, "stub": 0.0, "liar": 1.5, "vandal": 5.0, "daemon": 5.0,
        "flagged": 4.0, "zoë": 7.0, "shadow": 0.0}


def test_class_flagged_cells_score_zero_pending_review(graded_class):
    results = _results(graded_class)
    assert results["flagged"].cells["m_scale"] == (0.0, 3.0)
    assert any(f.startswith("m_scale:") for f in results["flagged"].review)
    assert not results["honest"].review and not results["zoë"].review
    for hostile in ("vandal", "daemon"):  # fork, sqlite3: the graded cell after it waits
        assert results[hostile].cells["m_add"] == (0.0, 2.0) and results[hostile].review
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded_class['mini'] / 'gradebook.db'}") as gb:
        rows = {(student, cell): (grade.auto_score, int(grade.needs_manual_grade))
                for student in ("flagged", "honest") for cell in ("m_add", "m_scale")
                for grade in [gb.find_grade(cell, "00_mini", "00_mini", student)]}
    assert rows[("flagged", "m_scale")] == (0.0, 1)
    assert rows[("flagged", "m_add")] == (2.0, 0)
    assert rows[("honest", "m_scale")] == (3.0, 0)


def test_class_files_and_grades_are_untouched_after_the_grader_exits(graded_class):
    assert graded_class["after"] == graded_class["before"]
    assert (graded_class["out"] / "grades.csv").read_text() == graded_class["csv"]
    rows = list(csv.DictReader(graded_class["csv"].splitlines()))
    assert {r["student"]: r["score"] for r in rows}["honest"] == "7"
    assert graded_class["report"].problems == []


def test_class_hidden_tests_are_in_no_output(graded_class):
    mini = graded_class["mini"]
    for folder in (mini / "feedback", mini / "autograded", graded_class["out"]):
        for path in folder.rglob("*"):
            if path.is_file():
                assert HIDDEN_LINE not in path.read_text(errors="replace"), path


def test_class_feedback_shows_each_cells_score_and_failed_checks_readably(graded_class):
    import re

    results = _results(graded_class)
    page = Path(results["liar"].feedback).read_text()
    assert 'id="tl-course-feedback"' in page and "border-collapse" in page
    text = re.sub(r"<[^>]+>", " ", page)
    assert "m_scale: 2/4 hidden checks passed, 1.5 of 3 points" in text
    assert "failed: scale multiplies every value [0]" in text
    assert "/tmp/tl-grade-" not in page and "/tmp/tl-sandboxes-" not in page
