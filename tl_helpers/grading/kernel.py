"""The grading runner that lives inside a notebook's kernel.

Every course notebook starts with a locked *Setup* cell that calls :func:`start_assignment`, and
every graded test cell ends with a hidden block that calls :func:`grade_cell`::

    # Setup cell (locked, runs before any student code)
    from tl_helpers.grading import start_assignment
    start_assignment("01_what_is_transfer_learning")

    # graded test cell: visible sanity checks, then (hidden from students)
    from tl_helpers.grading import grade_cell
    grade_cell("a01_extractor", points=3, namespace=globals())

:func:`grade_cell` runs the hidden pytest checks of ``autograder/<assignment>/`` that carry the
mark ``@pytest.mark.grade_id("a01_extractor")`` against the notebook's namespace (fixture ``nb``),
prints a short summary that names failed checks without showing test code, and returns the partial
credit ``points * passed / total`` as a plain ``float`` (what nbgrader reads as the cell's score).

Defence in depth while grading (``tl-course grade`` sets ``TL_GRADING_KEY_FILE``):

* the setup cell reads a per-submission secret key and deletes the key file before any student
  code runs; every score is printed with an HMAC receipt that ``tl-course grade`` verifies, so a
  faked runner (or a faked score) cannot produce a credited cell;
* objects the checks rely on (builtins, pytest, numpy comparisons, this runner) are snapshotted
  before student code runs and compared before each cell is graded; an audit hook (PEP 578, it
  cannot be removed) records student code opening the hidden tests or the gradebook. A tampered
  cell scores 0 and the receipt carries the reason, which the grader flags for manual review.

Outside grading (a student's own copy, where ``autograder/`` does not exist)
:func:`start_assignment` does nothing and :func:`grade_cell` is never reached, because the
hidden block is not released.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import hmac
import io
import os
import signal
import sys
import time
import types
import warnings
from pathlib import Path
from typing import Any

__all__ = [
    "start_assignment",
    "grade_cell",
    "find_autograder_dir",
    "GradingSetupError",
    "RECEIPT_PREFIX",
    "receipt_signature",
    "CHECK_TIME_LIMIT_S",
    "CELL_TIME_LIMIT_S",
]

RECEIPT_PREFIX = "[tl-course receipt"
CHECK_TIME_LIMIT_S = float(os.environ.get("TL_CHECK_TIME_LIMIT", "20"))
"""Seconds one hidden check may run before it counts as failed."""
CELL_TIME_LIMIT_S = float(os.environ.get("TL_CELL_TIME_LIMIT", "45"))
"""Seconds all hidden checks of one cell may run (below nbgrader's 60 s cell timeout)."""


class GradingSetupError(RuntimeError):
    """The hidden checks cannot run (no Setup cell, no autograder folder, unknown grade_id)."""


class _CheckTimeout(BaseException):
    """Raised inside a check that ran past CHECK_TIME_LIMIT_S (BaseException: not swallowed by
    a student's ``except Exception``)."""


class _State:
    """Everything captured by the Setup cell, before any student code ran."""

    def __init__(self, assignment: str, tests_dir: Path, key: bytes | None) -> None:
        self.assignment = assignment
        self.tests_dir = tests_dir
        self.key = key
        self.snapshot: dict[str, Any] = {}
        self.events: list[str] = []
        self.runner_active = False


# The state lives in a closure cell rather than a module attribute, so that replacing the module's
# attributes does not replace it. (A determined student can still dig it out; the static scan in
# tl-course grade flags code that reaches for grading internals.)
def _make_store():
    box: dict[str, _State] = {}

    def get() -> _State | None:
        return box.get("state")

    def put(state: _State) -> None:
        box["state"] = state

    return get, put


_get_state, _put_state = _make_store()


def find_autograder_dir(assignment: str, start: Path | None = None) -> Path | None:
    """Locate ``autograder/<assignment>``: ``$TL_AUTOGRADER_DIR`` first, else the nearest
    course root above ``start`` (default: the current folder).

    Example:
        >>> find_autograder_dir("no_such_assignment", Path("/")) is None
        True
    """
    env = os.environ.get("TL_AUTOGRADER_DIR")
    if env:
        candidate = Path(env) / assignment
        return candidate if candidate.is_dir() else None
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "autograder" / assignment
        if candidate.is_dir() and (folder / "source").is_dir():
            return candidate
    return None


def receipt_signature(key: bytes, assignment: str, grade_id: str, score: float, points: float,
                      flags: str) -> str:
    """HMAC of one graded cell's result (what ``tl-course grade`` recomputes to verify it)."""
    message = f"{assignment}|{grade_id}|{score!r}|{float(points)!r}|{flags}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _quiet_everything() -> None:
    """Nothing may reach stderr in a graded cell (nbgrader then gives 0 points)."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)


def _watched_objects() -> dict[str, Any]:
    """The objects a check's verdict depends on, by a stable name."""
    import numpy
    import numpy.testing
    import pytest

    # ipykernel itself swaps `input` (stdin forwarding) on every execution
    watched: dict[str, Any] = {
        f"builtins.{k}": v for k, v in vars(builtins).items()
        if (not k.startswith("_") or k in ("__import__", "__build_class__")) and k != "input"}
    for name in ("main", "raises", "approx", "fail", "skip", "fixture", "mark"):
        watched[f"pytest.{name}"] = getattr(pytest, name)
    for name in ("allclose", "isclose", "array_equal", "all", "any", "asarray", "testing"):
        watched[f"numpy.{name}"] = getattr(numpy, name)
    for name in ("assert_allclose", "assert_array_equal", "assert_equal"):
        watched[f"numpy.testing.{name}"] = getattr(numpy.testing, name)
    me = sys.modules[__name__]
    for name, value in vars(me).items():  # the runner: its functions and plugin classes
        if callable(value) and getattr(value, "__module__", None) == __name__:
            watched[f"runner.{name}"] = value
            for attr, member in vars(value).items() if isinstance(value, type) else ():
                if callable(member):
                    watched[f"runner.{name}.{attr}"] = member
    import tl_helpers.checks

    for name in tl_helpers.checks.__all__:
        watched[f"tl_helpers.checks.{name}"] = getattr(tl_helpers.checks, name)
    import tl_helpers.grading

    watched["tl_helpers.grading.grade_cell"] = tl_helpers.grading.grade_cell
    for module in ("pytest", "_pytest.python", "numpy", "builtins", __name__,
                   "tl_helpers.grading", "tl_helpers.checks"):
        watched[f"sys.modules[{module}]"] = sys.modules.get(module)
    import _pytest.python

    watched["_pytest.python.pytest_pyfunc_call"] = _pytest.python.pytest_pyfunc_call
    watched["AssertionError.__init__"] = AssertionError.__init__
    return watched


def _install_audit_hook(state: _State, hidden: Path, gradebook: Path | None,
                        work: Path | None, own: Path | None) -> None:
    """Record (never block) what student code touches: the hidden tests, the gradebook, other
    submissions in the grader's work folder, tracing hooks."""
    hidden_root, gradebook_path = str(hidden), str(gradebook) if gradebook else None
    work_root, own_root = (str(work) if work else None), (str(own) if own else None)

    def hook(event: str, args: tuple) -> None:
        if state.runner_active:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            try:
                path = os.path.abspath(os.fsdecode(args[0]))
            except Exception:
                return
            if path.startswith(hidden_root):
                state.events.append("opened the hidden tests")
            elif gradebook_path and path.startswith(gradebook_path):
                state.events.append("opened the gradebook")
            elif work_root and path.startswith(work_root) and not (
                    own_root and path.startswith(own_root)):
                state.events.append("opened another submission's files")
        elif event in ("sys.settrace", "sys.setprofile", "sys.addaudithook"):
            state.events.append(event)

    sys.addaudithook(hook)


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow and touch it once with file descriptor 2 pointed at /dev/null: its C++
    start-up lines (absl, oneDNN, cuInit) would otherwise show as red stderr in the notebook."""
    if "tensorflow" in sys.modules:
        return
    try:
        sys.stderr.flush()
    except Exception:
        pass
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        try:
            import tensorflow as tf

            tf.zeros(1)
        except ImportError:
            pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def start_assignment(assignment: str, *, tensorflow: bool = True) -> bool:
    """Prepare the kernel for grading; call it in the locked Setup cell, before student code.

    Quiets TensorFlow's log lines, finds the hidden checks of ``assignment`` and (only while
    ``tl-course grade`` runs the notebook) takes the receipt key and the integrity snapshot.

    Args:
        assignment: The assignment folder name, e.g. ``"01_what_is_transfer_learning"``.
        tensorflow: Also import TensorFlow now, with its start-up log lines silenced.

    Returns:
        True when hidden checks were found (instructor or grader), False in a student's copy.

    Example:
        >>> start_assignment("no_such_assignment", tensorflow=False)
        False
    """
    _quiet_everything()
    if tensorflow:
        _import_tensorflow_quietly()
    tests_dir = find_autograder_dir(assignment)
    if tests_dir is None:
        return False
    key = None
    key_file = os.environ.pop("TL_GRADING_KEY_FILE", None)
    if key_file and os.path.exists(key_file):
        with open(key_file, "rb") as handle:
            key = handle.read().strip()
        os.remove(key_file)
    progress = os.environ.pop("TL_PROGRESS_FILE", None)
    if progress:
        _track_cells(progress)
    state = _State(assignment, tests_dir, key)
    state.snapshot = _watched_objects()
    if key is not None:
        def _path(name: str) -> Path | None:
            value = os.environ.pop(name, None)
            return Path(value).resolve() if value else None

        _install_audit_hook(state, tests_dir.parent.resolve(), _path("TL_GRADEBOOK"),
                            _path("TL_GRADING_WORK"), _path("TL_JOB_DIR"))
    _put_state(state)
    return True


def _track_cells(path: str) -> None:
    """Append "<n> <sha1 of the cell's code>" to ``path`` before each cell runs, so that the
    grader can tell which cell hung or killed the kernel and grade the rest without it."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    counter = iter(range(1, 1 << 30))

    def before(info) -> None:
        digest = hashlib.sha1(str(info.raw_cell).encode()).hexdigest()
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{next(counter)} {digest}\n")

    shell.events.register("pre_run_cell", before)


def _integrity_problems(state: _State) -> list[str]:
    problems = []
    try:
        now = _watched_objects()
    except Exception as error:  # a deleted module or attribute is tampering too
        return [f"grading objects missing ({type(error).__name__})"]
    for name, value in state.snapshot.items():
        if now.get(name) is not value:
            problems.append(f"{name} replaced")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        problems.append("tracing active")
    problems.extend(dict.fromkeys(state.events))  # unique, in order
    return problems


class _Namespace:
    """The notebook's globals as attributes; a missing name fails with a teaching message."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        object.__setattr__(self, "_ns", namespace)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._ns[name]
        except KeyError:
            raise AssertionError(
                f"The notebook does not define `{name}`. Run all cells above and keep the "
                "function name given in the exercise."
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self._ns


class _Collector:
    """A pytest plugin: hands tests the namespace, keeps the chosen grade_id, records results."""

    def __init__(self, namespace: dict[str, Any], grade_id: str, deadline: float) -> None:
        self.namespace = _Namespace(namespace)
        self.grade_id = grade_id
        self.deadline = deadline
        self.results: list[tuple[str, bool, str]] = []
        self.collect_errors: list[str] = []

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "grade_id(name): the graded cell a check belongs to")

    def pytest_collection_modifyitems(self, session, config, items):
        keep = []
        for item in items:
            mark = item.get_closest_marker("grade_id")
            if mark and mark.args and mark.args[0] == self.grade_id:
                keep.append(item)
        items[:] = keep

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(str(report.nodeid))

    def pytest_runtest_call(self, item):
        remaining = min(CHECK_TIME_LIMIT_S, self.deadline - time.monotonic())
        if remaining <= 0:
            raise _CheckTimeout("the cell's time for hidden checks ran out")

        def on_alarm(signum, frame):
            raise _CheckTimeout(f"took longer than {CHECK_TIME_LIMIT_S:.0f} s")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, remaining)
        try:
            item.runtest()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return True  # we ran it: pytest must not run it again

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and not report.passed):
            title = _title(report)
            if report.passed:
                self.results.append((title, True, ""))
            elif report.skipped:
                self.results.append((title, False, "skipped"))
            else:
                self.results.append((title, False, _message(report)))


_ITEMS_BY_ID: dict[str, str] = {}


def _title(report) -> str:
    return _ITEMS_BY_ID.get(report.nodeid) or report.nodeid.split("::")[-1]


def _message(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr).splitlines()[-1]
    # "AssertionError: message" -> "message"; other exceptions keep their type name
    if text.startswith("AssertionError: "):
        text = text[len("AssertionError: "):]
    elif text.startswith("_CheckTimeout: "):
        text = "timed out: " + text[len("_CheckTimeout: "):]
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    return first[:300]


class _TitlePlugin:
    def pytest_collection_finish(self, session):
        for item in session.items:
            doc = getattr(getattr(item, "function", None), "__doc__", None)
            if doc and doc.strip():
                title = doc.strip().splitlines()[0].rstrip(".")
                if getattr(item, "callspec", None) is not None:
                    title += f" [{item.callspec.id}]"
                _ITEMS_BY_ID[item.nodeid] = title


def _run_checks(state: _State, grade_id: str, namespace: dict[str, Any]) -> tuple[int, int, list]:
    import pytest

    deadline = time.monotonic() + CELL_TIME_LIMIT_S
    collector = _Collector(namespace, grade_id, deadline)
    tests = sorted(str(p) for p in state.tests_dir.glob("test_*.py"))
    if not tests:
        raise GradingSetupError(f"No hidden test files in {state.tests_dir}.")
    nb_fixture = _nb_fixture_plugin(collector.namespace)
    args = [*tests, "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:logging",
            "--noconftest", "--assert=plain", "--capture=fd", "-c", os.devnull,
            "--rootdir", str(state.tests_dir), "-W", "ignore"]
    sink = io.StringIO()
    state.runner_active = True
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            pytest.main(args, plugins=[collector, nb_fixture, _TitlePlugin()])
    finally:
        state.runner_active = False
    if collector.collect_errors:
        raise GradingSetupError(f"Hidden checks failed to import: {collector.collect_errors}")
    results = collector.results
    return sum(ok for _, ok, _ in results), len(results), results


def _nb_fixture_plugin(namespace: _Namespace):
    import pytest

    plugin = types.ModuleType("tl_course_nb_fixture")

    @pytest.fixture
    def nb():
        return namespace

    plugin.nb = nb
    return plugin


def _flag_text(items: list[str]) -> str:
    return ";".join(items)[:400].replace("]", ")").replace(" ", "_")


def grade_cell(grade_id: str, points: float, namespace: dict[str, Any]) -> float:
    """Run the hidden checks of one graded cell and return its partial credit.

    Args:
        grade_id: The cell's nbgrader ``grade_id``; hidden checks carry
            ``@pytest.mark.grade_id(grade_id)``.
        points: The cell's points (the score never exceeds them).
        namespace: The notebook's globals (pass ``globals()``).

    Returns:
        ``points * passed / total`` rounded to 2 decimals, as a plain ``float``.

    Raises:
        GradingSetupError: The Setup cell was not run, or no hidden check carries ``grade_id``.
    """
    state = _get_state()
    if state is None:
        raise GradingSetupError(
            "The hidden checks are not loaded: run the Setup cell at the top of the notebook "
            "(and keep the autograder/ folder of the course next to source/)."
        )
    problems = _integrity_problems(state) if state.key is not None else []
    events = [p for p in problems if p in state.events]  # seen, not changed: flag only
    problems = [p for p in problems if p not in state.events]
    flags = "ok"
    if events:
        flags = "events:" + _flag_text(events)
    if problems:
        score, passed, total, results = 0.0, 0, 0, []
        flags = "tampered:" + _flag_text(problems + events)
        print(f"{grade_id}: not graded automatically (grading objects were changed by the "
              "notebook's code); an instructor will review it.")
    else:
        passed, total, results = _run_checks(state, grade_id, namespace)
        if total == 0:
            raise GradingSetupError(
                f"No hidden check is marked grade_id({grade_id!r}) in {state.tests_dir}."
            )
        score = float(round(float(points) * passed / total, 2))
        print(f"{grade_id}: {passed}/{total} checks passed, {score:g} of {float(points):g} points")
        for title, ok, message in results:
            if not ok:
                print(f"  - failed: {title}: {message}")
    if state.key is not None:
        signature = receipt_signature(state.key, state.assignment, grade_id, score, points, flags)
        print(f"{RECEIPT_PREFIX} {grade_id} {score!r} {float(points)!r} {flags} {signature}]")
    return score
