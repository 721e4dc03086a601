"""What the grader writes (tl_course.record): grades.csv, summary.txt, readable feedback."""

from __future__ import annotations

import csv

from tl_course.record import FEEDBACK_STYLE, readable_feedback, write_reports
from tl_course.results import GradeReport, SubmissionResult


def test_reports_hold_one_row_per_result_and_the_summary(tmp_path):
    results = [SubmissionResult("bob", "00_mini", score=5, max_score=7,
                                review=["t1: cell 3 uses pytest (0 points until reviewed)"]),
               SubmissionResult("ann", "00_mini", status="failed", errors=["not a notebook"])]
    report = GradeReport(results, tmp_path / "out", tmp_path / "feedback")
    write_reports(report)
    with open(tmp_path / "out" / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["student"], r["status"], r["score"], r["needs_review"]) for r in rows] == [
        ("ann", "failed", "0", "no"), ("bob", "graded", "5", "yes")]
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert "1 of 2 submissions graded; 1 flagged for manual review." in summary
    assert "error:  not a notebook" in summary and report.exit_code == 1


def test_feedback_tables_are_spaced_and_grader_paths_hidden():
    page = readable_feedback("<html><head></head><body><table><tr><td>2014</td><td>138,357,544"
                             "</td></tr></table>/tmp/tl-grade-x1/private/a.py</body></html>")
    assert FEEDBACK_STYLE in page  # cell padding and rules: columns no longer run together
    assert "/tmp/tl-grade-" not in page and "[grader folder]" in page
