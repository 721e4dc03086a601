"""Attacks on the grader, written as a student who has read its code would write them.

Each attack runs end to end on the mini fixture course (no TensorFlow in the kernel, seconds per
notebook): the notebook runs in its sandboxed kernel, the hidden checks run in this process.
What must hold: no unearned point, nothing of the hidden tests or the grader's files reaches
the student's process or outputs, nothing the kernel starts outlives it, other students' files
and grades stay byte-identical, a flagged cell scores 0 pending review.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import os
import time
from pathlib import Path

import nbformat
import pytest
from grading_support import make_mini_course

from tl_course.batch import grade_submissions
from tl_course.notebook_grader import grade_notebook
from tl_course.options import GradeOptions
from tl_course.results import SubmissionResult
from tl_course.sandbox import SANDBOX_UID_BASE, namespaces_available
from tl_course.staging import kernel_fields
from tl_course.worker import sandbox_visibility

needs_namespaces = pytest.mark.skipif(
    not namespaces_available(),
    reason="needs Linux namespaces (root and unshare): the grader runs unsandboxed here")

HIDDEN_LINE = "add(0.5, 0.25) should be 0.75"  # a message only the hidden checks hold


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return make_mini_course(tmp_path_factory.mktemp("attacks") / "course")


@pytest.fixture
def box():
    """A folder for sandboxes outside pytest's temporary folders (pytest keeps their parent at
    mode 0700, which the kernel's own user could not enter)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="tl-test-sandbox-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _release(mini: Path) -> nbformat.NotebookNode:
    return nbformat.read(mini / "release" / "00_mini" / "00_mini.ipynb", as_version=4)


def _with_answers(mini: Path, answers: dict[str, str], after_setup: str = ""
                  ) -> nbformat.NotebookNode:
    nb = copy.deepcopy(_release(mini))
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    if after_setup:
        nb.cells.insert(2, nbformat.v4.new_code_cell(after_setup))
    return nb


SOLUTION = {
    "m_add_answer": "def add(a, b):\n    return a + b\n",
    "m_scale_answer": ("def scale(values, factor):\n    if factor is None:\n"
                       "        raise ValueError('factor must be a number')\n"
                       "    return [v * factor for v in values]\n"),
    "m_quiz_answer": "answers = {'q1': 'b', 'q2': 'c'}\n",
}


def _grade(mini: Path, box: Path, nb: nbformat.NotebookNode, **options):
    hide, keep = sandbox_visibility(mini)
    options.setdefault("cell_timeout", 30)
    return grade_notebook(nb, _release(mini), mini / "autograder" / "00_mini",
                          sandbox_dir=box / "kernel", hide=hide, keep=keep, **options)


def _scores(graded) -> dict[str, float]:
    """The scores per cell (printed with the grader's notes and errors: shown on failure)."""
    print("\n".join(c.summary() for c in graded.cells.values()), graded.notes)
    for i, cell in enumerate(graded.notebook.cells):
        errors = [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", [])
                  if o.get("output_type") == "error"]
        if errors:
            print(f"cell {i}: {errors}")
    return {g: c.score for g, c in graded.cells.items()}


def _answer_ids(mini: Path) -> None:
    ids = [c.metadata["nbgrader"]["grade_id"] for c in _release(mini).cells
           if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert ids == list(SOLUTION), ids


def test_honest_solution_and_stub(mini, box):
    _answer_ids(mini)
    assert _scores(_grade(mini, box, _with_answers(mini, SOLUTION))) == {
        "m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}
    assert _scores(_grade(mini, box, _release(mini))) == {
        "m_add": 0.0, "m_scale": 0.0, "m_quiz": 0.0}


def test_partial_credit_names_failed_checks_never_their_code(mini, box):
    answers = dict(SOLUTION, m_scale_answer="def scale(values, factor):\n"
                   "    return [v * factor for v in values]\n",
                   m_quiz_answer="answers = {'q1': 'b', 'q2': 'a'}\n")
    graded = _grade(mini, box, _with_answers(mini, answers))
    assert _scores(graded) == {"m_add": 2.0, "m_scale": 2.25, "m_quiz": 1.0}
    text = graded.cells["m_scale"].summary() + graded.cells["m_quiz"].summary()
    assert "failed: scale rejects factor=None with a ValueError naming the argument" in text
    assert "failed: knowledge check [q2]: q2 is not right yet" in text
    assert "nb.scale" not in text and "pytest.raises" not in text


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
    liar = _scores(_grade(mini, box, _with_answers(mini, LIAR)))
    plain = _scores(_grade(mini, box, _with_answers(mini, LIAR_PLAIN)))
    # scale's plain behaviour (returns [], raises ValueError for None) earns 2 of 4 checks
    assert liar == plain == {"m_add": 0.0, "m_scale": 1.5, "m_quiz": 0.0}


FORGER = """
ip = get_ipython()
def forge(lines):  # every later cell, and every call the grader sends, prints full marks
    return ['print("m_add: 2/2 hidden checks passed, 2 of 2 points")\\n', '2.0\\n']
ip.input_transformers_post.append(forge)
"""


def test_rewriting_every_cell_and_call_forges_nothing(mini, box):
    graded = _grade(mini, box, _with_answers(mini, SOLUTION, after_setup=FORGER))
    assert _scores(graded) == {"m_add": 0.0, "m_scale": 0.0, "m_quiz": 0.0}


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
    graded = _grade(mini, box, _with_answers(mini, SOLUTION, after_setup=snoop))
    text = "".join(o.get("text", "") for o in graded.notebook.cells[2].outputs)
    assert "listing" in text and "uid" in text, text
    assert HIDDEN_LINE not in text and "secret" not in text and "grade_id" not in text
    assert "listing []" in text or "listing refused" in text
    assert "TL_AUTOGRADER" not in text and "TL_GRADEBOOK" not in text and "KEY" not in text
    assert f"uid {os.getuid()}" not in text  # not the grader's user
    processes = text.split("PID TTY")[1].split("uid")[0].strip().splitlines()[1:]
    assert processes[0].split()[0] == "1" and "ipykernel_launcher" in processes[0]
    assert len(processes) <= 4, processes  # the kernel, the shell and ps: nothing of the grader
    assert _scores(graded) == {"m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}


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
    nb = _with_answers(mini, SOLUTION, after_setup=DAEMON.format(victim=str(victim)))
    _grade(mini, box, nb, isolate=isolate)
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


def test_a_hung_cell_is_stopped_and_the_rest_graded(mini, box):
    nb = _with_answers(mini, SOLUTION, after_setup="import time\nwhile True:\n    "
                       "try:\n        time.sleep(0.01)\n    except BaseException:\n        pass\n")
    graded = _grade(mini, box, nb, cell_timeout=5)
    assert _scores(graded) == {"m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}
    assert "left out" in graded.notes[0]


def test_a_call_past_its_limit_fails_that_check_only(mini, box):
    slow = dict(SOLUTION, m_add_answer="import time\ndef add(a, b):\n"
                "    if a == 2:\n        time.sleep(60)\n    return a + b\n")
    graded = _grade(mini, box, _with_answers(mini, slow), call_timeout=3)
    assert _scores(graded) == {"m_add": 1.0, "m_scale": 3.0, "m_quiz": 2.0}
    assert "interrupted" in graded.cells["m_add"].summary()


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
        "honest": _with_answers(mini, SOLUTION),
        "stub": _release(mini),
        "liar": _with_answers(mini, LIAR),
        "vandal": _with_answers(mini, SOLUTION, after_setup=vandal),
        "daemon": _with_answers(mini, SOLUTION, after_setup=DAEMON.format(
            victim=str(out / "grades.csv"))),
        "flagged": _with_answers(mini, dict(SOLUTION, m_scale_answer="import pytest\n"
                                            + SOLUTION["m_scale_answer"])),
        "zoë": _with_answers(mini, SOLUTION),
        "shadow": _release(mini),
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


def test_a_checker_starts_its_first_submissions_kernel_as_it_starts(mini, box, tmp_path):
    """``tl-course grade`` hands each checker the kernel fields of the run: the kernel it
    starts before importing TensorFlow serves its first submission (no kernel start there)."""
    from tl_course import worker

    fields = kernel_fields(sandbox_visibility(mini), box, GradeOptions())
    release = mini / "release" / "00_mini" / "00_mini.ipynb"
    assert release.is_file()
    worker._start_ahead({"release": str(release), "sandbox_dir": str(box / "ahead"), **fields})
    try:
        outcome = worker.grade_job({
            "notebook": nbformat.writes(_with_answers(mini, SOLUTION)), "release": str(release),
            "tests_dir": str(mini / "autograder" / "00_mini"), "checks_tmp": str(tmp_path),
            "sandbox_dir": str(box / "job"), "fast": True, "cell_timeout": 30, **fields})
    finally:
        worker.stop_warm()
    assert outcome["ok"], outcome
    assert outcome["timings"]["kernel_start"] < 0.05  # the kernel started ahead served it
    assert {g: c[0] for g, c in outcome["cells"].items()} == {"m_add": 2.0, "m_scale": 3.0,
                                                             "m_quiz": 2.0}


def test_a_kernel_started_ahead_serves_one_submission_that_begins_with_the_setup(mini, box):
    """The checker starts the next submission's kernel early and runs the release's setup cell
    in it. It is used only by a submission whose first code cell is that setup cell, and a
    submission graded alongside it cannot see it."""
    from tl_course.graded_kernel import WarmKernel, kernel_options

    hide, keep = sandbox_visibility(mini)
    hide = [*hide, box]  # as in tl-course grade: the sandboxes' folder is hidden from kernels
    options = kernel_options(hide=hide, keep=keep)
    full = {"m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}

    def grade(nb, warm=None):
        return grade_notebook(nb, _release(mini), mini / "autograder" / "00_mini",
                              sandbox_dir=box / "kernel", hide=hide, keep=keep,
                              cell_timeout=30, warm=warm)

    warm = WarmKernel.start(_release(mini), box / "warm", options)
    graded = grade(_with_answers(mini, SOLUTION), warm)
    assert graded.timings["kernel_start"] < 0.05  # no kernel was started: the early one served
    assert _scores(graded) == full
    assert warm.kernel.box is None and not (box / "warm" / "kernel-1").exists()  # stopped

    if namespaces_available():  # a kernel started ahead is invisible to the one being graded
        other = WarmKernel.start(_release(mini), box / "warm", options)
        spy = ("import os\nothers = [p for p in os.listdir('/proc') if p.isdigit()]\n"
               f"print('visible', os.path.exists({str(box / 'warm')!r}), len(others))")
        try:
            outputs = grade(_with_answers(mini, SOLUTION, after_setup=spy)).notebook.cells[2]
            printed = "".join(o.get("text", "") for o in outputs.get("outputs", []))
            assert "visible False" in printed, printed
            assert int(printed.split()[-1]) <= 3, printed  # its own sandbox's processes only
        finally:
            other.stop()

    # own code before the setup cell: the early kernel is stopped, a fresh one runs everything
    warm = WarmKernel.start(_release(mini), box / "warm", options)
    mine = _with_answers(mini, SOLUTION)
    mine.cells.insert(1, nbformat.v4.new_code_cell("import sys\nsys.modules.pop('json', None)"))
    graded = grade(mine, warm)
    assert graded.timings["kernel_start"] > 0 and warm.kernel.box is None
    assert _scores(graded) == full
