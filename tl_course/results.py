"""What ``tl-course grade`` hands back: one :class:`SubmissionResult` per student and
assignment, gathered in a :class:`GradeReport` with the problems of the run, its exit code and
the table printed at the end (and written to ``summary.txt``). Plain data: nothing here reads
or writes files.

Example:
    >>> result = SubmissionResult("ann", "00_mini", score=5.0, max_score=7.0)
    >>> report = GradeReport([result], Path("grades"), Path("feedback"))
    >>> report.exit_code
    0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SubmissionResult", "GradeReport"]


@dataclass
class SubmissionResult:
    """The outcome for one student and one assignment."""

    student: str
    assignment: str
    status: str = "graded"  # graded | failed
    score: float = 0.0
    max_score: float = 0.0
    cells: dict[str, tuple[float, float]] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)  # needs a human look
    notes: list[str] = field(default_factory=list)  # what the grader did, for the record
    errors: list[str] = field(default_factory=list)
    feedback: str = ""
    seconds: float = 0.0


@dataclass
class GradeReport:
    """All results of one ``tl-course grade`` run."""

    results: list[SubmissionResult]
    out_dir: Path
    feedback_dir: Path
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said once, no effect on the exit code

    @property
    def exit_code(self) -> int:
        """0 when every submission was graded, else 1."""
        failed = any(r.status != "graded" for r in self.results)
        return 1 if failed or self.problems else 0

    def summary_text(self) -> str:
        """The grade table, then what needs attention and why."""
        lines = [f"{'student':<22}{'assignment':<34}{'score':>12}  status"]
        for r in sorted(self.results, key=lambda r: (r.assignment, r.student)):
            score = f"{r.score:g}/{r.max_score:g}" if r.status == "graded" else "-"
            state = r.status + (" REVIEW" if r.review else "")
            lines.append(f"{r.student:<22}{r.assignment:<34}{score:>12}  {state}")
        attention = [r for r in self.results if r.review or r.errors or r.notes]
        if attention:
            lines.append("")
        for r in sorted(attention, key=lambda r: (r.assignment, r.student)):
            lines.append(f"{r.student} / {r.assignment}:")
            lines += [f"  error:  {e}" for e in r.errors]
            lines += [f"  review: {f}" for f in r.review]
            lines += [f"  note:   {n}" for n in r.notes]
        lines += [f"problem: {p}" for p in self.problems]
        lines += [f"warning: {w}" for w in self.warnings]
        graded = sum(r.status == "graded" for r in self.results)
        lines.append("")
        lines.append(f"{graded} of {len(self.results)} submissions graded; "
                     f"{sum(bool(r.review) for r in self.results)} flagged for manual review.")
        lines.append(f"Grades: {self.out_dir / 'grades.csv'}   Summary: "
                     f"{self.out_dir / 'summary.txt'}   Feedback: {self.feedback_dir}")
        return "\n".join(lines)
