"""Checks after grading: what a submission may not do, and that nothing was lost or changed.

A checker reports scores; this process decides what stands. :func:`submission_checks` notes
edited locked cells and changed ids and flags code that reaches for grading internals on the
graded cell after it (:func:`flag_cells`); :func:`zero_flagged` gives a flagged cell 0 points
until a person decides. :func:`restore_guarded` puts back a grading file an unsandboxed
notebook changed, :func:`check_originals` a submitted file, and :func:`verify_records` reads the
gradebook and ``grades.csv`` back and compares them with the results in memory.

Example:
    >>> result = SubmissionResult("ann", "00_mini", cells={"m_add": (2.0, 2.0)},
    ...                           review=["m_add: cell 3 imports pytest"])
    >>> zero_flagged(result)
    >>> result.cells, result.score
    ({'m_add': (0.0, 2.0)}, 0.0)
"""

from __future__ import annotations

import csv
import hashlib
import re
import warnings
from pathlib import Path

import nbformat

from tl_course import scan
from tl_course.collect import Submission
from tl_course.results import GradeReport, SubmissionResult
from tl_course.staging import CourseSnapshot, cell_grade_id

__all__ = ["flag_cells", "flagged_cells", "zero_flagged", "submission_checks", "guarded_files",
           "restore_guarded", "check_originals", "verify_records"]


def flag_cells(nb: nbformat.NotebookNode, findings: list[str]) -> list[str]:
    """Turn "cell N: reason" findings into "<grade_id>: ..." flags on the graded cell that
    grades cell N (the next test cell after it; the last one for cells after every test)."""
    tests = [(i, cell_grade_id(c)) for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    flags = []
    for finding in findings:
        match = re.match(r"cell (\d+): (.*)", finding)
        if not match or not tests:
            flags.append(finding)
            continue
        number = int(match.group(1))
        grade_id = next((g for i, g in tests if i > number), tests[-1][1])
        flags.append(f"{grade_id}: cell {number} {match.group(2)} (0 points until reviewed)")
    return flags


def flagged_cells(result: SubmissionResult) -> set[str]:
    """The graded cells a review flag names ("<grade_id>: ..."); every cell when a flag names
    none (it concerns the whole submission).

    Example:
        >>> r = SubmissionResult("ann", "a", cells={"t1": (2, 2), "t2": (1, 2)},
        ...                      review=["t2: cell 3 uses pytest (0 points until reviewed)"])
        >>> sorted(flagged_cells(r))
        ['t2']
    """
    named = {g for g in result.cells for f in result.review if f.startswith(f"{g}:")}
    whole = any(not any(f.startswith(f"{g}:") for g in result.cells) for f in result.review)
    return set(result.cells) if whole else named


def zero_flagged(result: SubmissionResult) -> None:
    """A flagged cell scores 0 until a person decides (a flag naming no cell: every cell)."""
    flagged = flagged_cells(result)
    for grade_id, (_, maximum) in list(result.cells.items()):
        if grade_id in flagged:
            result.cells[grade_id] = (0.0, maximum)
    result.score = round(sum(s for s, _ in result.cells.values()), 2)
    result.max_score = sum(p for _, p in result.cells.values())


def submission_checks(sub: Submission, result: SubmissionResult,
                      snapshot: CourseSnapshot) -> None:
    """Notes and flags from the submitted file itself: edited locked cells, changed ids, code
    that reaches for grading internals (flagged on the graded cell after it)."""
    nb = sub.notebook()
    source = snapshot.source[sub.assignment]
    locked = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells
              if c.get("metadata", {}).get("nbgrader", {}).get("locked")}
    seen = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        seen.add(grade_id)
        if grade_id in locked:
            original = locked[grade_id]
            if meta.get("locked") and cell.source.strip() not in (
                    snapshot.released.get(grade_id, ""), original.source.strip()):
                result.notes.append(f"{grade_id}: locked cell was edited (the original was "
                                    "restored for grading)")
            if "points" in original.metadata["nbgrader"] and \
                    meta.get("points") != original.metadata["nbgrader"]["points"]:
                result.notes.append(f"{grade_id}: points changed to {meta.get('points')!r} "
                                    "(the course's points were used)")
        elif meta.get("locked") or meta.get("grade"):
            result.notes.append(f"unknown grade_id {grade_id!r} in the submission (changed id?); "
                                "not graded")
    for grade_id, original in locked.items():
        if grade_id not in seen and original.metadata["nbgrader"].get("grade"):
            result.notes.append(f"{grade_id}: test cell was missing (put back and graded)")
    staged = nbformat.reads(sub.staged.decode("utf-8"), as_version=4) if sub.staged else nb
    findings = scan.scan_notebook(staged, snapshot.trusted[sub.assignment])
    result.review += flag_cells(staged, findings)


def guarded_files(root: Path) -> dict[Path, bytes]:
    """The files that decide grades: the grading code (both packages), hidden tests,
    configuration, notebooks."""
    import tl_course
    import tl_helpers

    files = []
    for package in (tl_helpers, tl_course):
        files += Path(package.__file__).resolve().parent.rglob("*.py")
    for part in ("autograder", "source", "release", "course"):
        folder = root / part
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                      and p.suffix in (".py", ".ipynb")]
    files.append(root / "nbgrader_config.py")
    return {p: p.read_bytes() for p in files if p.is_file()}


def restore_guarded(guarded: dict[Path, bytes]) -> list[str]:
    """Put back any grading file a notebook changed (``guarded``: what :func:`guarded_files`
    read before grading); return the changed paths."""
    changed = []
    for path, content in guarded.items():
        try:
            same = path.read_bytes() == content
        except OSError:
            same = False
        if not same:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            changed.append(str(path))
    return changed


def check_originals(subs: list[Submission], report: GradeReport) -> None:
    """Every submitted file must be byte-identical after grading; restore it if not."""
    by_key = {(r.student, r.assignment): r for r in report.results}
    for sub in subs:
        for original, (_relative, digest) in sub.originals.items():
            if original.exists() and hashlib.sha256(original.read_bytes()).hexdigest() == digest:
                continue
            content = next(c for r, c in sub.files.items()
                           if hashlib.sha256(c).hexdigest() == digest)
            original.parent.mkdir(parents=True, exist_ok=True)
            original.write_bytes(content)
            report.problems.append(f"{original} changed during grading; restored from the "
                                   "copy read before grading")
            result = by_key.get((sub.student, sub.assignment))
            if result is not None:
                result.notes.append(f"{original.name} was changed by another notebook while "
                                    "grading; restored (it was graded from the copy read "
                                    "before grading)")


def verify_records(root: Path, report: GradeReport) -> list[str]:
    """Read the gradebook and grades.csv back and compare them with the results in memory."""
    from nbgrader.api import Gradebook, MissingEntry

    problems = []
    with warnings.catch_warnings(), \
            Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tl-course") as gb:
        warnings.simplefilter("ignore")
        for r in report.results:
            if r.status != "graded":
                continue
            for grade_id, (score, _) in r.cells.items():
                try:
                    grade = gb.find_grade(grade_id, r.assignment, r.assignment, r.student)
                except MissingEntry:
                    problems.append(f"gradebook lacks {r.student}/{r.assignment}/{grade_id}")
                    continue
                if abs(float(grade.auto_score or 0.0) - score) > 1e-9:
                    problems.append(f"gradebook holds {grade.auto_score} for {r.student}/"
                                    f"{r.assignment}/{grade_id}, the grader computed {score}")
    with open(report.out_dir / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {(row["student"], row["assignment"]): row for row in csv.DictReader(handle)}
    for r in report.results:
        row = rows.get((r.student, r.assignment))
        if row is None or row["status"] != r.status or (
                r.status == "graded" and row["score"] != f"{r.score:g}"):
            problems.append(f"grades.csv does not hold the computed result of {r.student}/"
                            f"{r.assignment}")
    return problems

