"""Grade one notebook: run it in a sandboxed kernel, check each graded cell from outside.

1. The kernel starts in its sandbox (:mod:`tl_course.graded_kernel`; a warm one started ahead
   already runs the setup cell).
2. The notebook's code cells run in order. Locked course cells (setup, tests) run as the
   grader's release copy has them, whatever the submission did to them. In fast mode the
   course's unchanged experiment and explorer cells that nothing needs are skipped
   (:mod:`tl_course.fast_mode`); ``fast=False`` runs everything.
3. After each graded test cell has run (its visible checks, which give the student feedback
   but decide nothing: they ran in the student's process), the grader runs that cell's hidden
   checks in this process against the kernel (:mod:`tl_course.hidden_checks`,
   :mod:`tl_course.proxy`) and writes the outcome under the cell.
4. A cell that runs past its time limit is interrupted; a kernel that dies (``os._exit``, the
   memory limit, an interrupt ignored) is started again, the cells before are run again, and
   the cell that stopped it is left out with a note. Every other cell is still graded.

The scores are computed here, by the grader, never read from the student's process.

Example:
    >>> graded = grade_notebook(nb, release, Path("autograder/05_negative_transfer"),
    ...                         sandbox_dir=Path("/tmp/box"))              # doctest: +SKIP
    >>> {g: c.score for g, c in graded.cells.items()}                     # doctest: +SKIP
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from tl_course.fast_mode import skippable_cells
from tl_course.graded_kernel import GradedKernel, WarmKernel, kernel_options
from tl_course.hidden_checks import CellOutcome, HiddenChecks
from tl_course.proxy import NotebookProxy
from tl_helpers import config

__all__ = ["GradedNotebook", "grade_notebook", "graded_cells_of", "running_notebook"]

SKIPPED_NOTE = ("[tl-course] skipped while grading: the course's own experiment, unchanged "
                "(run it yourself to see its output)\n")
SKIPPED_TEST_NOTE = ("[tl-course] the visible checks of this cell were not run while grading "
                     "(run the cell yourself to see them); the hidden checks below grade it\n")


@dataclass
class GradedNotebook:
    """The executed notebook and what the grader found."""

    notebook: nbformat.NotebookNode
    cells: dict[str, CellOutcome] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    isolated: bool = False
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # kernel start, cells, checks

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.cells.values()), 2)


def graded_cells_of(release: nbformat.NotebookNode) -> dict[str, tuple[float, str]]:
    """grade_id -> (points, visible source) of the release's autograded test cells."""
    out = {}
    for cell in release.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"]] = (float(meta.get("points", 0)), cell.source)
    return out


def _locked_sources(release: nbformat.NotebookNode) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells
            if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("locked")
            and c.metadata["nbgrader"].get("grade_id")}


_WHY = {
    "timeout": "it kept running past the time limit (it was interrupted)",
    "hung": "it kept running past the time limit and ignored interrupts",
    "died": "it stopped the Python kernel",
    "memory": "it used more memory than the grader allows",
}


def _add(timings: dict[str, float], key: str, since: float) -> None:
    timings[key] = round(timings.get(key, 0.0) + time.monotonic() - since, 2)


def _stopped_output(why: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "error", ename="RuntimeError",
        evalue=f"tl-course grader: this cell was stopped and left out because {why}. "
               "Your other cells were graded.", traceback=[])


def grade_notebook(notebook: nbformat.NotebookNode, release: nbformat.NotebookNode,
                   tests_dir: Path, *, sandbox_dir: Path, fast: bool = True,
                   hide: list[Path] = (), keep: list[Path] = (),
                   env: dict[str, str] | None = None, isolate: bool | None = None,
                   cell_timeout: float = config.CELL_TIMEOUT,
                   course_cell_timeout: float = config.COURSE_CELL_TIMEOUT,
                   call_timeout: float = config.CALL_TIMEOUT,
                   checks_per_cell_s: float = config.CHECKS_PER_CELL_TIMEOUT,
                   memory_limit_bytes: int = 4 * 2**30,
                   submission_timeout: float | None = None,
                   checks: HiddenChecks | None = None, warm: WarmKernel | None = None,
                   after_setup: Any = None) -> GradedNotebook:
    """Run ``notebook`` in a sandboxed kernel and grade each of its graded cells.

    Args:
        notebook: the submission (its cell structure already repaired, see ``batch``).
        release: the grader's copy of the released notebook (locked cells, points, what is
            "unchanged").
        tests_dir: ``autograder/<assignment>``, read in this process only.
        sandbox_dir: an empty folder for the kernel's sandbox (others must be able to enter
            its parents).
        fast: skip the course's unchanged experiments that nothing needs.
        hide, keep, env, isolate: see :class:`tl_course.sandbox.SandboxedKernel`.
        cell_timeout: seconds a student's cell may run; ``course_cell_timeout`` for the
            course's own unchanged cells.
        call_timeout: seconds one call of a hidden check into the notebook may run;
            ``checks_per_cell_s`` for all checks of one cell.
        memory_limit_bytes: the kernel is stopped (and started again) above this.
        submission_timeout: seconds for the whole notebook; cells after it are not run.
        checks: a :class:`HiddenChecks` to reuse (its imports stay warm across submissions).
        warm: a :class:`WarmKernel` started ahead for this release and these options; used
            when the notebook's first code cell is the release's setup cell, stopped if not.
        after_setup: called with no argument once the setup cell has run (the checker starts
            the next submission's warm kernel then, while this one's cells and checks run).
    """
    started = time.monotonic()
    checks = checks or HiddenChecks(tests_dir)
    nb = copy.deepcopy(notebook)
    graded = graded_cells_of(release)
    locked = _locked_sources(release)
    released_ids = {c.get("id"): c.source.strip() for c in release.cells if c.cell_type == "code"}
    for cell in nb.cells:  # locked cells run as the release has them: decide what to skip on that
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in locked:
            cell.source = locked[grade_id]
    skip = skippable_cells(nb, release) if fast else set()
    result = GradedNotebook(nb)
    options = kernel_options(hide=hide, keep=keep, env=env, isolate=isolate,
                             call_timeout=call_timeout, memory_limit_bytes=memory_limit_bytes)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    first = nb.cells[code_cells[0]] if code_cells else None
    first_id = first.get("metadata", {}).get("nbgrader", {}).get("grade_id") if first else None
    if warm is not None and not (warm.options == options and first_id in locked
                                 and locked[first_id] == warm.setup):
        warm.stop()
        warm = None
    kernel = warm.kernel if warm is not None else GradedKernel(Path(sandbox_dir), options)
    left_out: dict[int, str] = {}
    ran: list[int] = []
    try:
        tick = time.monotonic()
        if warm is None:
            kernel.start()
        _add(result.timings, "kernel_start", tick)
        result.isolated = kernel.box.isolated
        index = 0
        deadline = started + submission_timeout if submission_timeout else None
        for index in code_cells:
            cell = nb.cells[index]
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = meta.get("grade_id")
            if deadline is not None and time.monotonic() > deadline:
                if not any("time limit for the whole" in n for n in result.notes):
                    result.notes.append(f"the notebook ran past the time limit for the whole "
                                        f"submission ({submission_timeout:g} s); cells from "
                                        f"{index} on were not run")
                cell.outputs = [_stopped_output("the submission's time limit was reached")]
                continue
            is_test = grade_id in graded and meta.get("grade") and not meta.get("solution")
            if index in skip:  # a skipped test cell is still graded: by its hidden checks
                cell.outputs = [nbformat.v4.new_output(
                    "stream", name="stdout", text=SKIPPED_TEST_NOTE if is_test else SKIPPED_NOTE)]
                result.skipped.append(index)
                if not is_test:
                    continue
            else:
                course_cell = released_ids.get(cell.get("id")) == cell.source.strip() and not meta
                timeout = max(course_cell_timeout, cell_timeout) if course_cell else cell_timeout
                tick = time.monotonic()
                if warm is not None and index == code_cells[0]:  # the setup ran ahead
                    outputs, status = kernel.collect(warm.msg_id, timeout)
                    if status not in ("ok", "error"):  # it could not: run it here, as ever
                        kernel.start()
                        outputs, status = _run_cell(kernel, index, timeout, ran, left_out, nb)
                else:
                    outputs, status = _run_cell(kernel, index, timeout, ran, left_out, nb)
                _add(result.timings, "cells", tick)
                if index == code_cells[0] and after_setup is not None:
                    after_setup()
                cell.outputs = outputs
                cell.execution_count = None
                if status in _WHY:
                    cell.outputs = outputs + [_stopped_output(_WHY[status])]
                elif kernel.box is not None:
                    ran.append(index)
            if is_test:
                points = graded[grade_id][0]
                if kernel.link is None:
                    outcome = CellOutcome(grade_id, points, note="the cell could not run")
                else:  # visible checks (run in the student's kernel, or skipped) teach
                    tick = time.monotonic()
                    outcome = _run_hidden(kernel, checks, grade_id, points, checks_per_cell_s)
                    _add(result.timings, "checks", tick)
                result.cells[grade_id] = outcome
                cell.outputs.append(nbformat.v4.new_output(
                    "stream", name="stdout", text=outcome.summary() + "\n"))
                cell.outputs.append(nbformat.v4.new_output(
                    "execute_result", data={"text/plain": repr(outcome.score)},
                    execution_count=None))
        present = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells}
        for grade_id, (points, _) in graded.items():
            if grade_id not in result.cells:
                note = "the cell was not run" if grade_id in present else "the test cell is missing"
                result.cells[grade_id] = CellOutcome(grade_id, points, note=note)
    finally:
        kernel.stop()
        checks.forget()
    for index, why in sorted(left_out.items()):
        result.notes.append(f"cell {index} was stopped and left out: {_WHY[why]}")
    result.seconds = round(time.monotonic() - started, 1)
    return result


def _run_cell(kernel: GradedKernel, index: int, timeout: float, ran: list[int],
              left_out: dict[int, str], nb: nbformat.NotebookNode) -> tuple[list, str]:
    """Run one cell; after a hung, dead or oversized kernel, start a fresh one and run the cells
    that ran before again (without their outputs)."""
    if kernel.box is None:
        return [], "died"
    outputs, status = kernel.run(nb.cells[index].source, timeout)
    if status in ("ok", "error"):
        return outputs, status
    left_out[index] = status
    if status == "timeout":
        _, probe = kernel.run("1", 10.0)
        if probe == "ok":
            return outputs, status
    if kernel.starts >= config.MAX_KERNEL_STARTS:
        kernel.stop()
        return outputs, status
    kernel.start()
    for i in ran:
        _, again = kernel.run(nb.cells[i].source, config.COURSE_CELL_TIMEOUT)
        if again not in ("ok", "error"):
            kernel.stop()
            break
    return outputs, status


def _run_hidden(kernel: GradedKernel, checks: HiddenChecks, grade_id: str, points: float,
                budget_s: float) -> CellOutcome:
    link = kernel.link
    link.deadline = time.monotonic() + budget_s
    try:
        outcome = checks.run(grade_id, NotebookProxy(link))
    finally:
        link.deadline = None
        try:
            link.release()  # what the checks handed the kernel need not stay in its memory
        except Exception:  # noqa: BLE001 - a kernel that cannot answer fails the next cell
            pass
    outcome.points = points
    return outcome


class running_notebook:  # noqa: N801 - used as a context manager, like open()
    """Run a notebook's code cells in a sandboxed kernel and hand out its proxy (``nb``).

    For ``pytest autograder --notebook PATH`` and for authors trying checks: the hidden checks
    then run in the caller's process, against the kernel, as in grading.

    Example:
        >>> with running_notebook(nb, release, Path("/tmp/box")) as proxy:  # doctest: +SKIP
        ...     proxy.logme(f, y)
    """

    def __init__(self, notebook: nbformat.NotebookNode, release: nbformat.NotebookNode,
                 sandbox_dir: Path, *, fast: bool = True, hide: list[Path] = (),
                 keep: list[Path] = (), env: dict[str, str] | None = None,
                 isolate: bool | None = None, cell_timeout: float = 600.0,
                 call_timeout: float = 60.0) -> None:
        self.nb = copy.deepcopy(notebook)
        self.release = release
        self.fast = fast
        self.cell_timeout = cell_timeout
        self.kernel = GradedKernel(Path(sandbox_dir), {
            "hide": list(hide), "keep": list(keep), "env": dict(env or {}), "isolate": isolate,
            "call_timeout": call_timeout, "memory_limit_bytes": 0})
        self.errors: list[str] = []

    def __enter__(self) -> NotebookProxy:
        locked = _locked_sources(self.release)
        skip = skippable_cells(self.nb, self.release) if self.fast else set()
        self.kernel.start()
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code" or index in skip:
                continue
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            source = locked.get(grade_id, cell.source)
            outputs, status = self.kernel.run(source, self.cell_timeout)
            if status != "ok":
                errors = [f"{o.get('ename')}: {str(o.get('evalue'))[:200]}" for o in outputs
                          if o.get("output_type") == "error"]
                self.errors.append(f"cell {index} ({status}): {errors}")
            if status in ("hung", "died", "memory"):
                break
        return NotebookProxy(self.kernel.link)

    def __exit__(self, *exc: Any) -> None:
        self.kernel.stop()
