"""A whole class graded end to end: honest, broken and hostile submissions side by side.

Uses the mini fixture course (no TensorFlow) so the full batch of the issue's bad and hostile
submissions grades in about two minutes; ``make demo`` does the same on the real assignments.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest
from grading_support import built_once, make_mini_course

from tl_course import simulate
from tl_course.batch import grade_submissions
from tl_course.options import GradeOptions
from tl_course.results import GradeReport, SubmissionResult

POINTS = {"m_add": 2.0, "m_scale": 3.0, "m_quiz": 2.0}
FULL = sum(POINTS.values())
# exact per-cell scores the honest code in each submission deserves
EXACT = {
    "partial": {"m_add": 2.0, "m_scale": 0.0, "m_quiz": 0.0},  # first half of the answers
    "answer_exception": {"m_add": 0.0, "m_scale": 3.0, "m_quiz": 2.0},
}
REGRADED = ["solution", "stub", "partial", "deleted_test_cell", "fakes_runner", "output_flood"]
VANDAL = '''import pathlib
victim = pathlib.Path({victim!r})
victim.write_text("{{}}")  # overwrite another student's submitted file
'''


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return built_once(tmp_path_factory, "test_batch", lambda: _grade_the_class(tmp_path_factory))


def _grade_the_class(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("class")
    root = make_mini_course(base / "course")
    klass = base / "submissions"
    simulate.make_class(root, klass)
    victim = klass / "solution" / "00_mini" / "00_mini.ipynb"
    source = nbformat.read(root / "source" / "00_mini" / "00_mini.ipynb", as_version=4)
    vandal = simulate.inject_after(simulate.strip_hidden_tests(source), None,
                                   VANDAL.format(victim=str(victim)))
    (klass / "vandal" / "00_mini").mkdir(parents=True)
    nbformat.write(vandal, klass / "vandal" / "00_mini" / "00_mini.ipynb")
    before = _checksums(klass)
    options = GradeOptions(jobs=2, cell_timeout=6, memory_limit_gb=1.0, submission_timeout=300)
    first = grade_submissions(klass, root, options, out=base / "grades1")
    after_first = _checksums(klass)
    again = base / "again"  # a second run over part of the class (time)
    for student in REGRADED:
        shutil.copytree(klass / student, again / student)
    second = grade_submissions(again, root, options, out=base / "grades2")
    return {"root": root, "class": klass, "base": base, "first": first, "second": second,
            "before": before, "after_first": after_first, "after_second": _checksums(klass)}


def _by_student(report: GradeReport) -> dict[str, SubmissionResult]:
    return {r.student: r for r in report.results}


@pytest.mark.parametrize("student", list(simulate.EXPECTED))
def test_each_submission_is_graded_as_its_honest_code_deserves(graded, student):
    result = _by_student(graded["first"])[student]
    expected = simulate.EXPECTED[student]
    print(result)
    if expected["score"] == "failed":
        assert result.status == "failed" and result.errors, result
        return
    assert result.status == "graded", result.errors
    assert result.max_score == FULL
    if expected["score"] == "full":
        assert result.cells == {g: (p, p) for g, p in POINTS.items()}, result
    elif expected["score"] == "flagged":  # 0 on the flagged cells until a person decides
        flagged = {g for g in POINTS for f in result.review if f.startswith(f"{g}:")}
        assert flagged, result.review
        assert result.cells == {g: (0.0 if g in flagged else p, p)
                                for g, p in POINTS.items()}, result
    elif expected["score"] == "zero":
        assert result.score == 0.0, result
    else:
        assert {g: s for g, (s, _) in result.cells.items()} == EXACT[student]
    assert bool(result.review) == expected["review"], result.review


def test_cheaters_never_score_more_than_their_honest_code_and_are_flagged(graded):
    results = _by_student(graded["first"])
    for student in ("fakes_runner", "patches_pytest", "patches_check_helpers", "snoops_kernel",
                    "forges_output"):
        assert results[student].score == 0.0, student
    hidden = results["prints_hidden_tests"]
    assert hidden.review and hidden.score < FULL, hidden.review  # flagged: 0 pending review
    feedback = Path(hidden.feedback).read_text()
    assert "test_scale_keeps_input" not in feedback and "should be 0.75" not in feedback


def test_hung_and_killed_kernels_lose_only_the_offending_cell(graded):
    results = _by_student(graded["first"])
    for student, why in (("swallows_interrupt", "ignored interrupts"),
                         ("infinite_loop", "past the time limit"),
                         ("kills_kernel", "stopped the Python kernel"),
                         ("memory_hog", "more memory")):
        assert any(why in note for note in results[student].notes), results[student].notes


def test_submitted_files_are_unchanged_and_the_vandal_reaches_nothing(graded):
    assert graded["after_first"] == graded["before"]
    assert graded["after_second"] == graded["before"]
    results = _by_student(graded["first"])
    assert results["solution"].score == FULL
    vandal = results["vandal"]  # its own code is the solution; its attack reached nothing
    assert vandal.review and vandal.score == FULL - sum(
        p for g, p in POINTS.items() if any(f.startswith(f"{g}:") for f in vandal.review))
    assert not any("changed during grading" in p for p in graded["first"].problems)


def test_regrading_gives_identical_results(graded):
    def table(report):
        return sorted((r.student, r.status, r.score, tuple(sorted(r.cells.items())),
                       bool(r.review)) for r in report.results)

    print("\n".join(str(r) for r in graded["second"].results))
    first = [row for row in table(graded["first"]) if row[0] in REGRADED]
    assert first == table(graded["second"])


def test_gradebook_and_csv_hold_the_verified_scores(graded):
    from nbgrader.api import Gradebook

    report = graded["first"]
    rows = list(csv.DictReader(open(report.out_dir / "grades.csv")))
    assert {r["student"] for r in rows} == {r.student for r in report.results}
    by = _by_student(report)
    for row in rows:
        assert float(row["score"]) == by[row["student"]].score
        assert (row["needs_review"] == "yes") == bool(by[row["student"]].review)
    with Gradebook(f"sqlite:///{graded['root'] / 'gradebook.db'}", "tl-course") as gb:
        for r in report.results:
            if r.status != "graded":
                continue
            submission = gb.find_submission("00_mini", r.student)
            assert submission.score == pytest.approx(r.score), r.student


def test_summary_lists_every_student_and_exit_code_reports_failures(graded):
    report = graded["first"]
    text = report.summary_text()
    for student in simulate.EXPECTED:
        assert student in text
    assert "corrupt_json / 00_mini:" in text and "not a valid notebook" in text
    assert report.exit_code == 1  # corrupt_json could not be graded
    assert (report.out_dir / "summary.txt").read_text().startswith("student")
