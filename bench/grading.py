"""Grading benchmark: seconds per submission, parallel speed-up, grading overhead, hidden checks.

For each assignment, a class of identical full-solution submissions is graded with
``tl-course grade`` sequentially and with ``--jobs 2``; the same notebook is also executed
plainly (nbclient, no hidden checks) and with its hidden checks, which isolates what the checks
themselves cost.

    python bench/grading.py                       # every assignment, 4 students
    python bench/grading.py 00_mini --course tests/fixtures/...  --students 6

Prints a table and writes bench/results/grading.json. Targets on 2 cores: <= 15 s per
TensorFlow submission sequential, >= 1.5x with 2 jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TL_PROGRESS", "0")

from tl_helpers.grading import batch, course, simulate  # noqa: E402
from tl_helpers.grading.execute import run_notebook  # noqa: E402


def _timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def bench_assignment(root: Path, name: str, students: int, work: Path) -> dict:
    source = nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4)
    solution = simulate._strip_hidden_tests(source)
    klass = work / f"class_{name}"
    for i in range(students):
        target = klass / f"student{i:02d}" / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(solution, target)
    row: dict = {"assignment": name, "students": students}
    for jobs in (1, 2):
        seconds, report = _timed(batch.grade_submissions, klass, root, jobs=jobs,
                                 out=work / f"grades_{name}_{jobs}")
        graded = [r for r in report.results if r.status == "graded"]
        row[f"jobs{jobs}_s_per_submission"] = round(seconds / students, 2)
        row[f"jobs{jobs}_all_full_marks"] = all(r.score == r.max_score for r in graded) and \
            len(graded) == students
    row["speedup_2_jobs"] = round(row["jobs1_s_per_submission"] /
                                  row["jobs2_s_per_submission"], 2)
    plain_nb = work / f"{name}_plain.ipynb"
    nbformat.write(solution, plain_nb)
    folder = root / "source" / name
    none = {"TL_AUTOGRADER_DIR": str(work / "no-hidden-checks")}
    plain, _ = _timed(run_notebook, plain_nb, cwd=folder, timeout=600, env=none)
    checked, _ = _timed(run_notebook, root / "source" / name / f"{name}.ipynb", cwd=folder,
                        timeout=600, env={"TL_AUTOGRADER_DIR": str(root / "autograder")})
    row["plain_run_s"] = round(plain, 1)
    row["run_with_hidden_checks_s"] = round(checked, 1)
    row["hidden_checks_s"] = round(checked - plain, 1)
    row["grading_overhead_x"] = round(row["jobs1_s_per_submission"] / plain, 2)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--course", type=Path, default=ROOT)
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "grading.json")
    args = parser.parse_args(argv)
    root = course.find_course_root(args.course)
    names = args.assignments or course.list_assignments(root)
    course.release(root, names)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="tl-bench-grading-"))
    try:
        for name in names:
            rows.append(bench_assignment(root, name, args.students, work))
            r = rows[-1]
            print(f"{name:<34} seq {r['jobs1_s_per_submission']:>6.1f} s/sub   2 jobs "
                  f"{r['jobs2_s_per_submission']:>6.1f} s/sub   x{r['speedup_2_jobs']:.2f}   "
                  f"plain run {r['plain_run_s']:>5.1f} s   "
                  f"hidden checks {r['hidden_checks_s']:>5.1f} s   "
                  f"overhead x{r['grading_overhead_x']:.2f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))
    print(f"\n{machine}. Results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
