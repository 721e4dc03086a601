"""Grading benchmark: seconds per submission against the floor, fast vs full, 1 vs 2 jobs.

The floor is measured in the same run: a sandboxed kernel that runs only the notebook's setup
cell (kernel start + ``import tensorflow``), which every submission pays. For each assignment a
class of identical full-solution submissions is graded with ``tl-course grade`` (fast mode,
the default) with ``--jobs 1`` and ``--jobs 2``; ``--full`` adds the full mode for comparison.
Two figures per submission: the class's wall time divided by its size (the run's fixed costs,
the checkers' TensorFlow import and the gradebook templates, shared by the class), and the
median time one submission spent in its checker (kernel start to last hidden check: what each
further student adds). For each class run it also prints how many of the machine's cores were
busy on average (from /proc/stat: the whole machine, so run it on an otherwise idle one): with
one job the next submission's kernel already starts while the current one is graded, and a
second job can only gain what the first leaves idle. Each class is also graded on a Dask
``LocalCluster`` (``tl-course grade --scheduler``; two worker processes unless
``--dask-workers`` says otherwise), and submissions per minute are printed for ``--jobs 1``,
``--jobs 2`` and the cluster. The cluster lives for the whole bench, as a real one would: its
workers import TensorFlow during the first assignment only.

    python bench/grading.py                          # every assignment, 4 students
    python bench/grading.py 02_choosing_a_pretrained_model 05_negative_transfer --students 2
    python bench/grading.py --dask-workers 0         # without the Dask column

Prints a table and writes bench/results/grading.json. Acceptance (issue 13, 2 cores): median
over the six assignments of fast-mode seconds per submission <= 2x the floor, none over 4x;
>= 1.5x submissions per minute with 2 jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TL_PROGRESS", "0")

from tl_course.startup import skip_slow_imports  # noqa: E402

skip_slow_imports()  # as tl-course does

from tl_course import course, simulate  # noqa: E402
from tl_course.batch import grade_submissions  # noqa: E402
from tl_course.options import GradeOptions  # noqa: E402


def floor_seconds(root: Path, name: str, work: Path, repeats: int = 3) -> float:
    """Median seconds of a sandboxed kernel that runs only the setup cell, after one start that
    is not counted (the first after an install reads TensorFlow from disk: 3-5x slower)."""
    from tl_course.graded_kernel import GradedKernel
    from tl_course.worker import sandbox_visibility

    release = nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)
    setup = next(c.source for c in release.cells if c.cell_type == "code")
    hide, keep = sandbox_visibility(root)
    times = []
    for i in range(repeats + 1):
        folder = work / f"floor-{name}-{i}"
        start = time.perf_counter()
        kernel = GradedKernel(folder, {"hide": hide, "keep": keep, "env": {}, "isolate": None,
                                       "call_timeout": 30, "memory_limit_bytes": 0})
        kernel.start()
        kernel.run(setup, 300)
        kernel.stop()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of every CPU since boot, from /proc/stat (None where it is not)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cores_busy(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """How many cores were busy on average between two :func:`cpu_ticks` (the whole machine)."""
    if before is None or after is None or after[1] == before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]) * (os.cpu_count() or 1), 2)


def grade_class(root: Path, name: str, students: int, work: Path, jobs: int, fast: bool,
                scheduler: str | None = None) -> dict:
    source = nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4)
    klass = work / f"class_{name}"
    if not klass.exists():
        for i in range(students):
            target = klass / f"student{i:02d}" / name / f"{name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(simulate.strip_hidden_tests(source), target)
    start, ticks = time.perf_counter(), cpu_ticks()
    report = grade_submissions(klass, root, GradeOptions(jobs=jobs, fast=fast,
                                                         scheduler=scheduler),
                               out=work / f"grades_{name}_{jobs}_{fast}_{bool(scheduler)}")
    seconds, busy = time.perf_counter() - start, cores_busy(ticks, cpu_ticks())
    graded = [r for r in report.results if r.status == "graded"]
    return {"s_per_submission": round(seconds / students, 1), "cores_busy": busy,
            "per_minute": round(60 * students / seconds, 2),
            # one submission in its checker: kernel start to last hidden check (no fixed costs)
            "checker_s": round(statistics.median(r.seconds for r in graded), 1) if graded else None,
            "all_full_marks": len(graded) == students and all(
                r.score == r.max_score for r in graded)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--full", action="store_true", help="also time --full (slow)")
    parser.add_argument("--dask-workers", type=int, default=2,
                        help="also grade on a Dask LocalCluster of this many worker processes "
                             "(one thread each; 0: skip)")
    args = parser.parse_args(argv)
    root = ROOT
    names = args.assignments or course.list_assignments(root)
    work = Path(tempfile.mkdtemp(prefix="tl-bench-grading-"))
    work.chmod(0o711)
    rows = []
    dask = None
    try:
        if args.dask_workers:
            from distributed import LocalCluster

            dask = LocalCluster(n_workers=args.dask_workers, threads_per_worker=1,
                                processes=True, dashboard_address=None, host="127.0.0.1")
        floor = floor_seconds(root, names[0], work)
        print(f"floor (sandboxed kernel + setup cell): {floor:.1f} s   "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
        for name in names:
            row = {"assignment": name, "students": args.students}
            for jobs in (1, 2):
                result = grade_class(root, name, args.students, work, jobs, fast=True)
                row[f"fast_jobs{jobs}_s"] = result["s_per_submission"]
                row[f"fast_jobs{jobs}_cores_busy"] = result["cores_busy"]
                if jobs == 1:
                    row["checker_s"] = result["checker_s"]
                row[f"fast_jobs{jobs}_full_marks"] = result["all_full_marks"]
                row[f"jobs{jobs}_per_minute"] = result["per_minute"]
            if dask is not None:
                result = grade_class(root, name, args.students, work, 1, fast=True,
                                     scheduler=dask.scheduler_address)
                row["dask_s"] = result["s_per_submission"]
                row["dask_per_minute"] = result["per_minute"]
                row["dask_cores_busy"] = result["cores_busy"]
                row["dask_full_marks"] = result["all_full_marks"]
            if args.full:
                result = grade_class(root, name, args.students, work, 1, fast=False)
                row["full_jobs1_s"] = result["s_per_submission"]
            row["x_floor"] = round(row["fast_jobs1_s"] / floor, 2)
            row["checker_x_floor"] = round(row["checker_s"] / floor, 2)
            row["speedup_2_jobs"] = round(row["fast_jobs1_s"] / row["fast_jobs2_s"], 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        if dask is not None:
            dask.close()
        shutil.rmtree(work, ignore_errors=True)
    multiples = [r["x_floor"] for r in rows]
    checker = [r["checker_x_floor"] for r in rows]
    summary = {"floor_s": round(floor, 1), "median_x_floor": statistics.median(multiples),
               "max_x_floor": max(multiples), "median_checker_x_floor": statistics.median(checker),
               "max_checker_x_floor": max(checker),
               "median_speedup_2_jobs": statistics.median(r["speedup_2_jobs"] for r in rows),
               "load_average": os.getloadavg()[0], "cpus": os.cpu_count(),
               "python": platform.python_version()}
    print(f"\n{'assignment':<34}{'fast s/sub':>11}{'x floor':>9}{'checker s':>10}{'x floor':>9}"
          f"{'2 jobs s':>10}{'speed-up':>10}{'cores busy 1/2 jobs':>21}")
    for r in rows:
        print(f"{r['assignment']:<34}{r['fast_jobs1_s']:>11}{r['x_floor']:>9}{r['checker_s']:>10}"
              f"{r['checker_x_floor']:>9}{r['fast_jobs2_s']:>10}{r['speedup_2_jobs']:>10}"
              f"{r['fast_jobs1_cores_busy']!s:>14} / {r['fast_jobs2_cores_busy']!s:<4}")
    print(f"\n{'submissions per minute':<34}{'--jobs 1':>10}{'--jobs 2':>10}"
          f"{f'Dask x{args.dask_workers}':>10}")
    for r in rows:
        print(f"{r['assignment']:<34}{r['jobs1_per_minute']:>10}{r['jobs2_per_minute']:>10}"
              f"{r.get('dask_per_minute', '-')!s:>10}")
    if dask is not None:
        summary["dask_workers"] = args.dask_workers
        summary["median_dask_per_minute"] = statistics.median(r["dask_per_minute"] for r in rows)
    summary["median_jobs1_per_minute"] = statistics.median(r["jobs1_per_minute"] for r in rows)
    summary["median_jobs2_per_minute"] = statistics.median(r["jobs2_per_minute"] for r in rows)
    print(json.dumps(summary))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "grading.json").write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
