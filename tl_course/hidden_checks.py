"""Run the hidden checks of one graded cell in the grader, against a notebook proxy.

The checks of ``autograder/<assignment>/test_*.py`` that carry
``@pytest.mark.grade_id("<id>")`` run with pytest in the grader's own process; their ``nb``
fixture is a :class:`tl_course.proxy.NotebookProxy` (or, for ``pytest autograder``,
anything with the notebook's names as attributes). Assertions are not rewritten
(``--assert=plain``), so a failure shows the message the check's author wrote and never the
check's code.

The checks of every assignment share helpers from ``autograder/check_support.py``
(:data:`SUPPORT_MODULE`, imported as ``from check_support import ...``): while a cell's checks
run, the folder above ``tests_dir`` is on ``sys.path``; :meth:`HiddenChecks.forget` drops the
imported support module with the check modules, so every submission (and every grading job,
whose private ``autograder/`` holds its own copy) imports its own. :func:`hidden_files` lists
what a grading job needs.

Example:
    >>> runner = HiddenChecks(Path("autograder/02_choosing_a_pretrained_model"))  # doctest: +SKIP
    >>> outcome = runner.run("a02_pareto_front", nb)                           # doctest: +SKIP
    >>> outcome.passed, outcome.total                                           # doctest: +SKIP
    (6, 6)
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CheckResult", "CellOutcome", "HiddenChecks", "HiddenChecksError", "SUPPORT_MODULE",
           "hidden_files"]

SUPPORT_MODULE = "check_support.py"
"""The helpers every assignment's checks share, in ``autograder/`` (the folder above theirs)."""
_SUPPORT_NAME = Path(SUPPORT_MODULE).stem


class HiddenChecksError(RuntimeError):
    """The hidden checks themselves cannot run (missing folder, import error, unknown id)."""


def hidden_files(tests_dir: Path) -> list[Path]:
    """The files the hidden checks of ``tests_dir`` (``autograder/<assignment>``) need to run:
    its ``test_*.py`` files and, where there is one, the shared :data:`SUPPORT_MODULE` of the
    folder above.

    Raises:
        HiddenChecksError: ``tests_dir`` holds no ``test_*.py`` file.

    Example:
        >>> course = Path(__file__).resolve().parents[1]  # a checkout of the course
        >>> [p.name for p in hidden_files(course / "autograder" / "05_negative_transfer")]
        ['test_05_negative_transfer.py', 'check_support.py']
    """
    tests_dir = Path(tests_dir)
    files = sorted(tests_dir.glob("test_*.py"))
    if not files:
        raise HiddenChecksError(f"Argument `tests_dir` must hold the hidden test files "
                                f"(test_*.py). Received: {tests_dir}")
    support = tests_dir.parent / SUPPORT_MODULE
    return files + ([support] if support.is_file() else [])


@dataclass
class CheckResult:
    """One hidden check: its title (the first docstring line), whether it passed, and why not."""

    title: str
    passed: bool
    message: str = ""


@dataclass
class CellOutcome:
    """The hidden checks of one graded cell."""

    grade_id: str
    points: float
    checks: list[CheckResult] = field(default_factory=list)
    note: str = ""  # why no check ran (visible checks failed, kernel gone, ...)

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def score(self) -> float:
        """``points * passed / total``, rounded to 2 decimals (0 when nothing ran)."""
        if not self.total or self.note:
            return 0.0
        return float(round(float(self.points) * self.passed / self.total, 2))

    def summary(self) -> str:
        """What the student reads under the cell."""
        if self.note:
            return f"{self.grade_id}: 0 of {self.points:g} points ({self.note})"
        lines = [f"{self.grade_id}: {self.passed}/{self.total} hidden checks passed, "
                 f"{self.score:g} of {self.points:g} points"]
        lines += [f"  - failed: {c.title}: {c.message}" for c in self.checks if not c.passed]
        return "\n".join(lines)


def _message(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr).splitlines()[-1]
    if text.startswith("AssertionError: "):
        text = text[len("AssertionError: "):]
    for prefix in ("WireError: ", "CallTimeout: ", "KernelGone: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    return first[:300]


class _Collector:
    """A pytest plugin: provides ``nb``, keeps one grade_id's checks, records the outcomes."""

    def __init__(self, namespace: Any, grade_id: str) -> None:
        self.namespace = namespace
        self.grade_id = grade_id
        self.titles: dict[str, str] = {}
        self.results: list[CheckResult] = []
        self.collect_errors: list[str] = []

    def pytest_configure(self, config: Any) -> None:
        config.addinivalue_line("markers", "grade_id(name): the graded cell a check belongs to")
        # only a failure's message is kept: no tracebacks that read and parse the check's source
        config.option.tbstyle = "native"

    def pytest_collection_modifyitems(self, session: Any, config: Any, items: list) -> None:
        keep = []
        for item in items:
            mark = item.get_closest_marker("grade_id")
            if mark and mark.args and mark.args[0] == self.grade_id:
                keep.append(item)
                doc = getattr(getattr(item, "function", None), "__doc__", None)
                title = doc.strip().splitlines()[0].rstrip(".") if doc and doc.strip() \
                    else item.name
                if getattr(item, "callspec", None) is not None and "[" not in title:
                    title += f" [{item.callspec.id}]"
                self.titles[item.nodeid] = title
        items[:] = keep

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {str(report.longrepr)[-300:]}")

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            title = self.titles.get(report.nodeid, report.nodeid.split("::")[-1])
            if report.passed:
                self.results.append(CheckResult(title, True))
            elif report.skipped:
                self.results.append(CheckResult(title, False, "skipped"))
            else:
                self.results.append(CheckResult(title, False, _message(report)))


class HiddenChecks:
    """The hidden checks of one assignment, run in this (the grader's) process.

    Args:
        tests_dir: ``autograder/<assignment>`` (its ``test_*.py`` files).
        basetemp: where checks' ``tmp_path`` folders go (default: a private temporary folder).
    """

    def __init__(self, tests_dir: Path, basetemp: Path | None = None) -> None:
        self.tests_dir = Path(tests_dir).resolve()
        self.files = sorted(str(p) for p in self.tests_dir.glob("test_*.py"))
        if not self.files:
            raise HiddenChecksError(f"Argument `tests_dir` must hold hidden test files "
                                    f"(test_*.py); it holds none. Received: {self.tests_dir}")
        self.support_dir = self.tests_dir.parent  # where SUPPORT_MODULE is, if there is one
        self.basetemp = Path(basetemp) if basetemp else Path(tempfile.mkdtemp(prefix="tl-checks-"))
        # pytest makes --basetemp itself but not its parents: a missing parent would fail every
        # check that uses tmp_path (FileNotFoundError) on a correct solution
        self.basetemp.mkdir(mode=0o700, parents=True, exist_ok=True)

    def forget(self) -> None:
        """Drop the imported check modules and the support module (and their caches) before
        the next submission (:meth:`run` takes its folder off ``sys.path`` when it ends)."""
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None) or ""
            # a cheap test first: resolving the path of each of TensorFlow's thousands of
            # modules took 0.5 s per submission
            if origin and os.path.basename(os.path.dirname(origin)) == self.tests_dir.name \
                    and Path(origin).resolve().parent == self.tests_dir:
                del sys.modules[name]
        self._drop_support(keep_own=False)

    def _drop_support(self, *, keep_own: bool) -> None:
        """Forget an imported support module: this job's own too unless ``keep_own`` (a copy
        from another folder, such as another grading job's, is always forgotten)."""
        module = sys.modules.get(_SUPPORT_NAME)
        if module is None:
            return
        origin = getattr(module, "__file__", None) or ""
        own = bool(origin) and Path(origin).resolve() == self.support_dir / SUPPORT_MODULE
        if not (own and keep_own):
            del sys.modules[_SUPPORT_NAME]

    def run(self, grade_id: str, namespace: Any) -> CellOutcome:
        """Run the checks marked ``grade_id`` with ``nb`` = ``namespace``."""
        import pytest

        collector = _Collector(namespace, grade_id)
        fixture = types.ModuleType("tl_course_nb_fixture")

        @pytest.fixture
        def nb() -> Any:
            return namespace

        fixture.nb = nb
        args = [*self.files, "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:logging",
                "-p", "no:randomly", "-p", "no:unraisableexception",
                "-p", "no:threadexception",  # each runs gc.collect (0.3 s) per session
                "--noconftest", "--assert=plain", "--capture=no",
                "-c", os.devnull, "--rootdir", str(self.tests_dir), "-W", "ignore",
                "--basetemp", str(self.basetemp / grade_id)]
        sink = io.StringIO()
        self._drop_support(keep_own=True)
        entry = str(self.support_dir)
        added = entry not in sys.path
        if added:  # `from check_support import ...` finds this job's copy, only while it runs
            sys.path.insert(0, entry)
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                pytest.main(args, plugins=[collector, fixture])
        finally:
            if added and entry in sys.path:
                sys.path.remove(entry)
        if collector.collect_errors:
            raise HiddenChecksError("the hidden checks could not be imported: "
                                    + " | ".join(collector.collect_errors))
        outcome = CellOutcome(grade_id, 0.0, collector.results)
        if not collector.results:
            raise HiddenChecksError(f"Argument `grade_id` must name a graded cell of the "
                                    f"hidden checks in {self.tests_dir}; no check is marked "
                                    f"grade_id({grade_id!r}). Received: grade_id={grade_id!r}")
        return outcome
