"""The instructor and student commands of ``tl-course``: release, validate, check (and grade).

Example:
    $ tl-course release                 # source -> release for every assignment
    $ tl-course validate                # CI invariant: solutions pass, stubs score 0
    $ tl-course check release/01_what_is_transfer_learning/01_what_is_transfer_learning.ipynb
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import nbformat

from tl_course import course
from tl_course.execute import (
    graded_cells,
    run_notebook,
)

__all__ = ["release_command", "validate_assignment", "validate_command", "check_command",
           "collect_command"]


def release_command(root: Path, assignments: list[str] | None, *,
                    exchange: str | None = None) -> int:
    """Regenerate source notebooks from course/notebooks and release/ with nbgrader; with
    ``exchange`` (an exchange root, or "" for the configured one) also release them to the
    nbgrader exchange, where students fetch them."""
    outcome = course.release(root, assignments or None)
    for name, result in outcome.items():
        print(f"{name:<40} {'released' if result == 'ok' else 'FAILED: ' + result}")
    if exchange is not None and all(r == "ok" for r in outcome.values()):
        from tl_course import exchange as nbexchange

        shared = nbexchange.release_to_exchange(root, list(outcome), exchange or None)
        for name, result in shared.items():
            print(f"{name:<40} {'in the exchange' if result == 'ok' else 'FAILED: ' + result}")
        outcome.update(shared)
    return 0 if all(r == "ok" for r in outcome.values()) else 1


def collect_command(root: Path, assignments: list[str], *, exchange: str | None = None) -> int:
    """Collect the submissions of ``assignments`` (every assignment when empty) from the
    nbgrader exchange into ``submitted/``, ready for ``tl-course grade submitted``."""
    from tl_course import exchange as nbexchange

    names = assignments or course.list_assignments(root)
    outcome = nbexchange.collect_from_exchange(root, names, exchange or None)
    for name, result in outcome.items():
        print(f"{name:<40} {'collected' if result == 'ok' else 'FAILED: ' + result}")
    print(f"submissions: {Path(root) / 'submitted'}  (next: tl-course grade "
          f"{Path(root) / 'submitted'} --return-feedback)")
    return 0 if all(r == "ok" for r in outcome.values()) else 1


def validate_assignment(root: Path, name: str, *, timeout: int = 300,
                        full: bool = True) -> list[str]:
    """Prove the invariant for one assignment; return the problems (empty = valid).

    The source notebook, graded as a submission (``full``: every cell run, so a broken
    experiment shows), must score full points on every graded cell, visible and hidden checks,
    with no cell raising; the release stub must score 0 on every graded cell. Both run in
    sandboxed kernels with the hidden checks in this process, as ``tl-course grade`` does.
    """
    from tl_course.notebook_grader import grade_notebook
    from tl_course.worker import sandbox_visibility

    root = Path(root).resolve()
    source_path = root / "source" / name / f"{name}.ipynb"
    release_path = root / "release" / name / f"{name}.ipynb"
    problems = []
    for path in (source_path, release_path):
        if not path.is_file():
            problems.append(f"{path.relative_to(root)} is missing (run: tl-course release)")
    if problems:
        return problems
    release = nbformat.read(release_path, as_version=4)
    hide, keep = sandbox_visibility(root)
    tests = root / "autograder" / name
    with tempfile.TemporaryDirectory(prefix="tl-validate-") as tmp:
        base = Path(tmp)
        base.chmod(0o711)
        options = {"hide": hide, "keep": keep, "cell_timeout": timeout,
                   "course_cell_timeout": max(timeout, 300)}
        solved = grade_notebook(nbformat.read(source_path, as_version=4), release, tests,
                                sandbox_dir=base / "source", fast=not full, **options)
        stub = grade_notebook(release, release, tests, sandbox_dir=base / "stub", fast=True,
                              **options)
    for grade_id, outcome in solved.cells.items():
        if outcome.score != float(outcome.points):
            problems.append(f"{name} source: {grade_id} scored {outcome.score:g}/"
                            f"{outcome.points:g}\n{_indent(outcome.summary())}")
    for cell in solved.notebook.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if errors:
                problems.append(f"{name} source: a cell raised {errors[0].ename}: "
                                f"{errors[0].evalue}\n{_indent(cell.source[:200])}")
    problems += [f"{name} source: {note}" for note in solved.notes]
    for grade_id, outcome in stub.cells.items():
        if outcome.score != 0:
            problems.append(f"{name} release stub: {grade_id} scored {outcome.score:g} (free "
                            f"points)\n{_indent(outcome.summary())}")
    return problems


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines()[-12:])


def validate_command(root: Path, assignments: list[str] | None, *, sync: bool = True) -> int:
    """CI: sources in sync with course/notebooks, release in sync with source, and the invariant."""
    root = Path(root).resolve()
    names = [course.check_assignment(root, a) for a in (assignments or
                                                        course.list_assignments(root))]
    problems = []
    if sync:
        problems += [f"source/{a}: out of date (run: tl-course release)"
                     for a in course.source_differences(root) if a in names]
        problems += course.release_differences(root)
    for name in names:
        start = time.perf_counter()
        found = validate_assignment(root, name)
        state = "ok" if not found else f"{len(found)} problem(s)"
        print(f"{name:<40} {state} ({time.perf_counter() - start:.0f} s)", flush=True)
        problems += found
    for problem in problems:
        print(f"  - {problem}")
    print("valid" if not problems else f"INVALID: {len(problems)} problem(s)")
    return 0 if not problems else 1


def check_command(notebook: Path, *, timeout: int = 120) -> int:
    """A student's self-check: run the notebook and report each exercise's visible test."""
    notebook = Path(notebook)
    print(f"Running {notebook} (this takes a minute or two)...", flush=True)
    nb = run_notebook(notebook, cwd=notebook.parent, timeout=timeout,
                      env={"TL_AUTOGRADER_DIR": str(Path(tempfile.gettempdir()) / "tl-none")})
    cells = graded_cells(nb)
    if not cells:
        print("This notebook has no graded cells.")
        return 0
    failed = 0
    for cell in cells:
        meta = cell.metadata["nbgrader"]
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            failed += 1
            print(f"  [ ] {meta['grade_id']} ({meta['points']:g} points): "
                  f"{errors[0].ename}: {errors[0].evalue}")
        else:
            print(f"  [x] {meta['grade_id']} ({meta['points']:g} points): visible checks pass")
    print(f"\n{len(cells) - failed} of {len(cells)} exercises pass their visible checks. "
          "Hidden checks test more cases when your instructor grades the notebook.")
    return 0 if not failed else 1
