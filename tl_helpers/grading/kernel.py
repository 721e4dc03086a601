"""What a notebook's kernel runs of the grading: the Setup cell, and (instructors) the hidden block.

Every course notebook starts with a locked *Setup* cell::

    from tl_helpers.grading import start_assignment
    start_assignment("01_what_is_transfer_learning")

which quiets TensorFlow's start-up lines (stderr in a graded cell would cost points).

Grading itself does not happen in the kernel: ``tl-course grade`` and ``tl-course validate`` run
the released notebook (no hidden blocks) in a sandboxed kernel and run the hidden checks in the
grader, through :mod:`tl_course.proxy`. The student's process holds no key, no hidden
test and no runner.

In an instructor's *source* notebook each graded test cell ends with a hidden block::

    grade_cell("a01_extractor", points=3, namespace=globals())

so that an author running the source notebook in JupyterLab sees the hidden checks' outcome
under the cell. That runs in the author's own kernel, which is fine: it is their code. The
hidden block is never released to students.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = ["start_assignment", "grade_cell", "find_autograder_dir", "GradingSetupError"]


class GradingSetupError(RuntimeError):
    """The hidden checks cannot run (no autograder folder, unknown grade_id)."""


def find_autograder_dir(assignment: str, start: Path | None = None) -> Path | None:
    """Locate ``autograder/<assignment>``: the nearest course root (a folder with ``source/``
    and ``autograder/``) above ``start`` (default: the current folder).

    Example:
        >>> find_autograder_dir("no_such_assignment", Path("/")) is None
        True
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "autograder" / assignment
        if candidate.is_dir() and (folder / "source").is_dir():
            return candidate
    return None


def _quiet_everything() -> None:
    from tl_helpers import config

    config.quiet_tensorflow(force=True)
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow and touch it once with file descriptor 2 pointed at /dev/null: its C++
    start-up lines (absl, oneDNN, cuInit) would otherwise show as red stderr in the notebook."""
    if "tensorflow" in sys.modules:
        return
    try:
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
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


_TESTS: dict[str, Path] = {}


def start_assignment(assignment: str, *, tensorflow: bool = True) -> bool:
    """Prepare the kernel; call it in the locked Setup cell.

    Quiets TensorFlow's log lines and, in an instructor's checkout, finds the hidden checks of
    ``assignment`` for the source notebook's hidden blocks.

    Args:
        assignment: The assignment folder name, e.g. ``"01_what_is_transfer_learning"``.
        tensorflow: Also import TensorFlow now, with its start-up log lines silenced.

    Returns:
        True when hidden checks were found (an instructor's checkout), False otherwise.

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
    _TESTS["dir"] = tests_dir
    return True


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
                "function name given in the exercise.") from None

    def __contains__(self, name: str) -> bool:
        return name in self._ns


def grade_cell(grade_id: str, points: float, namespace: dict[str, Any]) -> float:
    """Run one graded cell's hidden checks in this kernel (an author's source notebook) and
    return ``points * passed / total`` as a plain float.

    Raises:
        GradingSetupError: The Setup cell was not run, or no hidden check carries ``grade_id``.
    """
    from tl_course.hidden_checks import HiddenChecks, HiddenChecksError

    tests_dir = _TESTS.get("dir")
    if tests_dir is None:
        raise GradingSetupError(
            "The hidden checks are not loaded: run the Setup cell at the top of the notebook "
            "(and keep the autograder/ folder of the course next to source/).")
    runner = HiddenChecks(tests_dir)
    runner.forget()
    try:
        outcome = runner.run(grade_id, _Namespace(namespace))
    except HiddenChecksError as error:
        raise GradingSetupError(str(error)) from None
    outcome.points = float(points)
    print(outcome.summary())
    return outcome.score
