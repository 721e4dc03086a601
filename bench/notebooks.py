"""Notebook benchmark: wall time and peak kernel memory of every source notebook, run headless.

    python bench/notebooks.py                  # every assignment
    python bench/notebooks.py 03_frozen_vs_trainable

Each notebook runs top to bottom with nbclient (with its hidden checks, as an instructor runs
it) while a thread samples the resident memory of the kernel process. Prints a table and writes
bench/results/notebooks.json. Targets on 2 cores: every notebook <= 2 minutes and <= 2 GB, the
whole course <= 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TL_PROGRESS", "0")

from tl_helpers.grading import course  # noqa: E402
from tl_helpers.grading.execute import graded_cells, run_notebook  # noqa: E402


class PeakMemory(threading.Thread):
    """Samples the summed RSS of this process's children (the kernel) every 0.1 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
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
            self.peak = max(self.peak, total)


def bench_notebook(root: Path, name: str) -> dict:
    path = root / "source" / name / f"{name}.ipynb"
    monitor = PeakMemory()
    monitor.start()
    start = time.perf_counter()
    nb = run_notebook(path, cwd=path.parent, timeout=600,
                      env={"TL_AUTOGRADER_DIR": str(root / "autograder")})
    seconds = time.perf_counter() - start
    monitor.done.set()
    monitor.join()
    errors = sum(1 for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []) if o.output_type == "error")
    return {"assignment": name, "seconds": round(seconds, 1),
            "peak_kernel_rss_mb": round(monitor.peak / 2**20),
            "graded_cells": len(graded_cells(nb)), "cells_with_errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "notebooks.json")
    args = parser.parse_args(argv)
    names = args.assignments or course.list_assignments(ROOT)
    rows = []
    print(f"{'assignment':<34}{'seconds':>9}{'peak MB':>9}{'errors':>8}")
    for name in names:
        row = bench_notebook(ROOT, name)
        rows.append(row)
        print(f"{name:<34}{row['seconds']:>9.1f}{row['peak_kernel_rss_mb']:>9}"
              f"{row['cells_with_errors']:>8}", flush=True)
    total = sum(r["seconds"] for r in rows)
    peak = max((r["peak_kernel_rss_mb"] for r in rows), default=0)
    print(f"{'whole course':<34}{total:>9.1f}{peak:>9}")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "rows": rows, "total_seconds": total},
                                   indent=2))
    print(f"\n{machine}. Results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
