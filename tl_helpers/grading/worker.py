"""Autograde ONE submission in its own staging course, in its own process.

Started by :mod:`tl_helpers.grading.batch` as ``python -m tl_helpers.grading.worker JOB.json``.
The staging course holds only this student's submission, a gradebook with the assignment's
cells and the course configuration, so nothing the notebook does can reach another student.

A submission whose kernel hangs past its interrupts, dies (``os._exit``) or outgrows the memory
limit cannot be autograded by nbgrader in one go. The kernel logs which cell it started last
(see ``kernel._track_cells``); the worker replaces that student cell with a line that raises a
clear error and grades again, so every other cell is still graded exactly.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import sys
import threading
import time
from pathlib import Path

import nbformat

__all__ = ["main", "STOPPED_CELL_TEMPLATE"]

STOPPED_CELL_TEMPLATE = (
    'raise RuntimeError("tl-course grader: this cell was not run because {why}. '
    'Your other cells were graded.")'
)
MAX_ATTEMPTS = 4


class _MemoryWatch(threading.Thread):
    """Kill any kernel of this process whose resident memory passes the limit."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(daemon=True)
        self.limit = limit_bytes
        self.killed = False
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self.stop.wait(0.2):
            for child in me.children(recursive=True):
                try:
                    if child.memory_info().rss > self.limit:
                        child.kill()
                        self.killed = True
                except psutil.Error:
                    continue


def _kill_descendants() -> None:
    import psutil

    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()


def _last_started_cell(progress: Path) -> tuple[int, str] | None:
    if not progress.exists():
        return None
    lines = [ln.split() for ln in progress.read_text().splitlines() if len(ln.split()) == 2]
    if not lines:
        return None
    number, digest = lines[-1]
    return int(number), digest


def _neutralise(notebook: Path, digest: str, trusted: set[str], why: str) -> str | None:
    """Replace the student's cell whose code hashes to ``digest`` (or, when that cell is one of
    the course's locked cells, the student cell just above it). Return a description."""
    nb = nbformat.read(notebook, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    target = None
    for i in code_cells:
        if hashlib.sha1(nb.cells[i].source.encode()).hexdigest() == digest:
            target = i
            break
    if target is None:
        return None
    while target is not None and nb.cells[target].source.strip() in trusted:
        earlier = [i for i in code_cells if i < target
                   and nb.cells[i].source.strip() not in trusted
                   and not nb.cells[i].source.startswith('raise RuntimeError("tl-course grader')]
        target = earlier[-1] if earlier else None
    if target is None:
        return None
    nb.cells[target].source = STOPPED_CELL_TEMPLATE.format(why=why)
    nbformat.write(nb, notebook)
    return f"cell {target} was stopped and left out ({why})"


def _failure_reason(log: str, memory_killed: bool) -> str:
    if memory_killed:
        return "it used more memory than the grader allows"
    lowered = log.lower()
    if "timeout" in lowered or "timed out" in lowered:
        return "it kept running past the time limit and ignored interrupts"
    if "dead" in lowered or "died" in lowered:
        return "it stopped the Python kernel"
    return "the notebook could not be executed past it"


def grade(job: dict) -> dict:
    """Run nbgrader autograde for the job (with salvage retries); return the outcome."""
    from tl_helpers.grading.course import nbgrader_api

    staging = Path(job["staging"])
    student, assignment = job["student"], job["assignment"]
    notebook = staging / "submitted" / student / assignment / f"{assignment}.ipynb"
    progress = Path(job["progress_file"])
    trusted = set(job["trusted_sources"])
    key_file = Path(job["key_file"])
    key = key_file.read_bytes()
    key_file.unlink()
    os.chdir(staging)
    api = nbgrader_api(staging)
    notes: list[str] = []
    outcome = {"ok": False, "notes": notes, "error": "", "attempts": 0}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcome["attempts"] = attempt
        progress.unlink(missing_ok=True)
        # the kernel reads and deletes its key file before any student code runs
        attempt_key = key_file.with_name(f"key-{secrets.token_hex(8)}")
        attempt_key.write_bytes(key)
        os.environ["TL_GRADING_KEY_FILE"] = str(attempt_key)
        watch = _MemoryWatch(int(job["memory_limit_bytes"]))
        watch.start()
        started = time.monotonic()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                result = api.autograde(assignment, student, force=True, create=True)
        except Exception as error:  # nbgrader itself failed
            result = {"success": False, "log": f"{type(error).__name__}: {error}", "error": ""}
        finally:
            watch.stop.set()
            _kill_descendants()
            attempt_key.unlink(missing_ok=True)
        log = (result.get("log") or "") + (result.get("error") or "")
        autograded = staging / "autograded" / student / assignment / f"{assignment}.ipynb"
        if result.get("success") and autograded.exists() and not watch.killed:
            outcome["ok"] = True
            outcome["seconds"] = round(time.monotonic() - started, 1)
            return outcome
        why = _failure_reason(log, watch.killed)
        last = _last_started_cell(progress)
        described = _neutralise(notebook, last[1], trusted, why) if last else None
        if described is None:
            outcome["error"] = f"autograde failed: {why}. " + _tail(log)
            return outcome
        notes.append(described)
    outcome["error"] = "autograde failed after stopping several cells. "
    return outcome


def _tail(log: str, lines: int = 6) -> str:
    kept = [ln for ln in log.splitlines() if ln.strip()][-lines:]
    return " | ".join(kept)[-800:]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job_file = Path(argv[0])
    job = json.loads(job_file.read_text())
    outcome = grade(job)
    Path(job["result_file"]).write_text(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
