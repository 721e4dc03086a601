"""Notebook benchmark: wall time and peak kernel memory of every source notebook, run headless.

    python bench/notebooks.py                  # every assignment
    python bench/notebooks.py 03_frozen_vs_trainable

Each solved (source) notebook runs top to bottom, every cell, in a fresh sandboxed kernel with
an empty cache (a student's first run), exactly as ``tl-course validate`` grades it: the hidden
checks run afterwards in this process against the kernel (they are not part of the student's
time). A thread samples the resident memory of the kernel process. Prints a table and writes
bench/results/notebooks.json.

Columns: ``run s`` is what a student waits for (kernel start + every cell) and ``peak MB`` the
kernel's peak while the cells run; ``checks s`` / ``+checks MB`` the grader's hidden checks (their
probes run in the same kernel, after the cells they grade); ``score`` what the grader gave the
solution (it must be full marks).
Targets on 2 cores: every notebook <= 2 minutes and <= 2 GB, the whole course <= 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TL_PROGRESS", "0")

import nbformat  # noqa: E402

from tl_course import course  # noqa: E402
from tl_course.hidden_checks import HiddenChecks  # noqa: E402
from tl_course.notebook_grader import grade_notebook  # noqa: E402
from tl_course.worker import sandbox_visibility  # noqa: E402


class PeakMemory(threading.Thread):
    """Samples the summed RSS of this process's children (the kernel) every 0.1 s.

    ``peak`` is the highest while the notebook's cells run (what a student's kernel needs);
    ``peak_with_checks`` also counts the hidden checks' probes, which run in the same kernel.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.peak_with_checks = 0
        self.checking = False
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self.done.wait(0.1):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_with_checks = max(self.peak_with_checks, total)
            if not self.checking:
                self.peak = max(self.peak, total)


class TimedChecks(HiddenChecks):
    """The hidden checks, telling the memory monitor when they run."""

    def __init__(self, tests_dir: Path, monitor: PeakMemory) -> None:
        super().__init__(tests_dir)
        self.monitor = monitor

    def run(self, grade_id, namespace):  # noqa: ANN001, ANN201 - HiddenChecks.run's signature
        self.monitor.checking = True
        try:
            return super().run(grade_id, namespace)
        finally:
            self.monitor.checking = False


def bench_notebook(root: Path, name: str) -> dict:
    """Grade ``source/<name>`` in full mode and return its figures."""
    source = nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4)
    release = nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)
    hide, keep = sandbox_visibility(root)
    monitor = PeakMemory()
    monitor.start()
    with tempfile.TemporaryDirectory(prefix="tl-bench-") as tmp:
        Path(tmp).chmod(0o711)  # the sandboxed kernel's own user must be able to enter it
        graded = grade_notebook(source, release, root / "autograder" / name,
                                sandbox_dir=Path(tmp) / "box", fast=False, hide=hide, keep=keep,
                                cell_timeout=600, course_cell_timeout=600,
                                checks=TimedChecks(root / "autograder" / name, monitor))
    monitor.done.set()
    monitor.join()
    errors = sum(1 for c in graded.notebook.cells if c.cell_type == "code"
                 and not c.get("metadata", {}).get("nbgrader", {}).get("grade")
                 for o in c.get("outputs", []) if o.output_type == "error")
    timings = graded.timings
    run = timings.get("kernel_start", 0.0) + timings.get("cells", 0.0)
    points = sum(c.points for c in graded.cells.values())
    return {"assignment": name, "seconds": round(run, 1),
            "checks_seconds": round(timings.get("checks", 0.0), 1),
            "peak_kernel_rss_mb": round(monitor.peak / 2**20),
            "peak_with_checks_mb": round(monitor.peak_with_checks / 2**20),
            "score": graded.score, "points": points, "cells_with_errors": errors,
            "isolated": graded.isolated, "notes": graded.notes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "notebooks.json")
    args = parser.parse_args(argv)
    names = args.assignments or course.list_assignments(ROOT)
    rows = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average before: {load:.2f}")
    print(f"{'assignment':<34}{'run s':>8}{'peak MB':>9}{'checks s':>10}{'+checks MB':>11}"
          f"{'score':>9}{'errors':>8}")
    for name in names:
        row = bench_notebook(ROOT, name)
        rows.append(row)
        score = f"{row['score']:g}/{row['points']:g}"
        print(f"{name:<34}{row['seconds']:>8.1f}{row['peak_kernel_rss_mb']:>9}"
              f"{row['checks_seconds']:>10.1f}{row['peak_with_checks_mb']:>11}{score:>9}"
              f"{row['cells_with_errors']:>8}",
              flush=True)
        for note in row["notes"]:
            print(f"    note: {note}")
    total = sum(r["seconds"] for r in rows)
    peak = max((r["peak_kernel_rss_mb"] for r in rows), default=0)
    print(f"{'whole course':<34}{total:>8.1f}{peak:>9}")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "load_before": load,
                                    "load_after": load_after, "rows": rows,
                                    "total_seconds": total}, indent=2))
    print(f"\n{machine}, load average after {load_after:.2f}. Results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
