"""Record a grading run: this process alone writes what the checkers computed.

:func:`record_outcome` turns one checker's outcome into a :class:`SubmissionResult` (scores
clipped to each cell's points, the checks of :mod:`tl_course.verify`, hidden tests printed by
the notebook removed) and writes its feedback HTML from the verified notebook and scores
(:func:`write_feedback`). Once every job has ended, :func:`record_gradebook` stores the scores
in the course gradebook and :func:`write_reports` writes ``grades.csv`` and ``summary.txt``.

Example:
    >>> record_gradebook(root, report.results)  # doctest: +SKIP
    >>> write_reports(report)  # doctest: +SKIP
    >>> (report.out_dir / "grades.csv").read_text().splitlines()[0]  # doctest: +SKIP
    'student,assignment,status,score,max_score,needs_review,review,errors,notes,feedback'
"""

from __future__ import annotations

import csv
import re
import shutil
import warnings
from pathlib import Path

import nbformat

from tl_course import course, scan
from tl_course.collect import Submission
from tl_course.results import GradeReport, SubmissionResult
from tl_course.staging import CourseSnapshot, max_score, staging_config
from tl_course.verify import flagged_cells, submission_checks, zero_flagged

__all__ = ["record_outcome", "record_gradebook", "write_feedback", "readable_feedback",
           "write_reports", "FEEDBACK_STYLE"]


def record_outcome(root: Path, sub: Submission, result: SubmissionResult, outcome: dict,
                   snapshot: CourseSnapshot, work: Path) -> None:
    """Record one graded job: scores computed by the checker, flags, feedback."""
    result.max_score = max_score(snapshot.source[sub.assignment])
    if not outcome.get("ok"):
        result.status = "failed"
        result.errors.append(outcome.get("error") or "grading failed")
        return
    result.seconds = float(outcome.get("seconds", 0.0))
    result.notes += outcome.get("notes", [])
    points = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
              for c in snapshot.source[sub.assignment].cells
              if c.get("metadata", {}).get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")}
    for grade_id, maximum in points.items():
        score, _, _ = outcome["cells"].get(grade_id, [0.0, maximum, ""])
        result.cells[grade_id] = (min(max(float(score), 0.0), maximum), maximum)
    nb = nbformat.reads(outcome["notebook"], as_version=4)
    submission_checks(sub, result, snapshot)
    leaks = scan.leaking_cells(nb, snapshot.fingerprints[sub.assignment])
    if leaks:
        scan.redact_cells(nb, leaks)
        result.review.append(f"cells {leaks} printed the hidden tests (removed from the "
                             "feedback)")
    zero_flagged(result)
    staging = work / "feedback-staging" / f"{sub.student}__{sub.assignment}"
    (staging / "autograded" / sub.student / sub.assignment).mkdir(parents=True)
    (staging / "nbgrader_config.py").write_text(staging_config(snapshot.config, staging, None))
    try:
        write_feedback(root, staging, sub, result, nb, snapshot.template_db[sub.assignment])
    except Exception as error:  # noqa: BLE001 - the grade stands; the feedback is extra
        result.notes.append(f"feedback HTML could not be generated ({type(error).__name__})")
    shutil.rmtree(staging, ignore_errors=True)


def record_gradebook(root: Path, results: list[SubmissionResult]) -> None:
    """Store the computed scores in the course gradebook (this process is its only writer).

    Cells named in a review flag, or every cell when a flag concerns the whole submission, are
    recorded with score 0 and marked as needing a manual grade (the formgrader shows them)
    until a person decides."""
    from nbgrader.api import Gradebook

    course.tool_environment()
    with warnings.catch_warnings(), \
            Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tl-course") as gb:
        warnings.simplefilter("ignore")
        for r in results:
            if r.status == "graded":
                _store_scores(gb, r, needs_review=flagged_cells(r))


def _store_scores(gb, result: SubmissionResult, needs_review: set[str]) -> None:
    """Write ``result``'s cell scores into the open gradebook ``gb``; the cells in
    ``needs_review`` are marked as needing a manual grade."""
    gb.update_or_create_student(result.student)
    submission = gb.update_or_create_submission(result.assignment, result.student)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if grade.name in result.cells:
                grade.auto_score = result.cells[grade.name][0]
                grade.manual_score = None
                grade.needs_manual_grade = grade.name in needs_review
    gb.db.commit()


def write_feedback(root: Path, staging: Path, sub: Submission, result: SubmissionResult,
                   nb: nbformat.NotebookNode, template_db: bytes) -> None:
    """Feedback HTML from the verified notebook and verified scores (never the staging db)."""
    from nbgrader.api import Gradebook

    path = staging / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
    nbformat.write(nb, path)
    verified = staging.parent / "verified.db"
    verified.write_bytes(template_db)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{verified}", "tl-course") as gb:
        warnings.simplefilter("ignore")
        _store_scores(gb, result, needs_review=set())
    api = course.nbgrader_api(staging, db_url=f"sqlite:///{verified}")
    with course.in_folder(staging):
        outcome = api.generate_feedback(sub.assignment, sub.student, force=True)
    produced = staging / "feedback" / sub.student / sub.assignment
    if outcome.get("success") and produced.is_dir():
        target = root / "feedback" / sub.student / sub.assignment
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(produced, target)
        for page in target.glob("*.html"):
            page.write_text(readable_feedback(page.read_text(encoding="utf-8")),
                            encoding="utf-8")
        result.feedback = str(target / f"{sub.assignment}.html")
    else:
        result.notes.append("feedback HTML could not be generated")
    autograded = root / "autograded" / sub.student / sub.assignment
    shutil.rmtree(autograded, ignore_errors=True)
    shutil.copytree(path.parent, autograded)
    submitted = root / "submitted" / sub.student / sub.assignment
    if not any(original.parent.resolve() == submitted.resolve() for original in sub.originals):
        shutil.rmtree(submitted, ignore_errors=True)
        sub.write(submitted)


FEEDBACK_STYLE = """<style id="tl-course-feedback">
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.25em 0.8em; border: 1px solid #d0d0d0; text-align: right; }
th { background: #f4f4f4; }
</style>"""


def readable_feedback(html: str) -> str:
    """Feedback HTML with spaced, ruled tables (nbgrader's template runs table columns together)
    and without paths of the grader's own folders.

    Example:
        >>> "tl-course-feedback" in readable_feedback("<html><head></head><body></body></html>")
        True
    """
    if "tl-course-feedback" not in html:
        html = html.replace("</head>", FEEDBACK_STYLE + "\n</head>", 1)
    return re.sub(r"/tmp/tl-(?:grade|sandboxes)-[^\s\"'<]*", "[grader folder]", html)


def write_reports(report: GradeReport) -> None:
    """Write ``grades.csv`` (one row per result) and ``summary.txt`` into ``report.out_dir``."""
    report.out_dir.mkdir(parents=True, exist_ok=True)
    with open(report.out_dir / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", "status", "score", "max_score",
                         "needs_review", "review", "errors", "notes", "feedback"])
        for r in sorted(report.results, key=lambda r: (r.assignment, r.student)):
            writer.writerow([r.student, r.assignment, r.status, f"{r.score:g}",
                             f"{r.max_score:g}", "yes" if r.review else "no",
                             " | ".join(r.review), " | ".join(r.errors), " | ".join(r.notes),
                             r.feedback])
    (report.out_dir / "summary.txt").write_text(report.summary_text() + "\n", encoding="utf-8")

