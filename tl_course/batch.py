"""``tl-course grade``: grade a class of submissions fairly, without losses, out of reach of the
code being graded.

Pipeline for a folder (or a zip such as an LMS export) of ``<student>/<assignment>/*.ipynb``:

1. **Collect** (:mod:`tl_course.collect`): every file is copied into the grader's private work
   folder and its sha256 recorded, before any student code runs. A bad zip entry, an unknown
   assignment, a missing notebook or an unreadable file is reported for that entry or student;
   the batch goes on.
2. **Stage** (:mod:`tl_course.staging`): an assignment the gradebook does not know is refused
   before any work; the release notebooks, hidden tests and gradebook templates are read into
   the grader's private folder, and each submission becomes a job spec (plain data).
3. **Grade**: ``--jobs N`` checker processes (:mod:`tl_course.worker`) each take one
   submission after another (:func:`run_jobs`), or, with ``--scheduler ADDRESS``, the workers
   of a Dask cluster do (:mod:`tl_course.cluster`; each job carries its release and tests).
   The submission's kernel runs in a sandbox of its own (PID, mount and network namespaces,
   its own user id, resource limits; it cannot see the course folder, the hidden tests, the
   gradebook or other submissions), the hidden checks run in the checker and reach the
   notebook's functions through plain data only (:mod:`tl_course.notebook_grader`). Fast
   mode (the default) skips the course's unchanged experiments that nothing needs. The
   settings travel in one
   :class:`~tl_course.options.GradeOptions`.
4. **Verify and record** (:mod:`tl_course.verify`, :mod:`tl_course.record`): this process
   alone writes the scores the checkers computed into the gradebook, the feedback HTML,
   ``grades.csv`` and ``summary.txt``, after every job has ended, and reads them back to verify
   them. Code that reaches for grading internals, an edited grading file or printed hidden
   tests flag the graded cell concerned: 0 points, pending a person's review. Submitted files
   that changed are restored. The results are a :class:`~tl_course.results.GradeReport`.

Example:
    $ tl-course grade exports/week3.zip --jobs 2

    >>> report = grade_submissions(Path("exports/week3.zip"), Path("."),
    ...                            GradeOptions(jobs=2))  # doctest: +SKIP
    >>> report.exit_code  # doctest: +SKIP
    0
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from tl_course import course, worker
from tl_course.collect import collect
from tl_course.options import GradeOptions
from tl_course.record import record_gradebook, record_outcome, write_reports
from tl_course.results import GradeReport, SubmissionResult
from tl_course.staging import (
    job_spec,
    kernel_fields,
    max_score,
    require_released,
    snapshot_course,
)
from tl_course.verify import (
    check_originals,
    guarded_files,
    restore_guarded,
    verify_records,
    zero_flagged,
)
from tl_helpers import config

__all__ = ["GradeOptions", "SubmissionResult", "GradeReport", "grade_submissions", "run_jobs"]


def grade_submissions(submissions: Path, root: Path, options: GradeOptions | None = None, *,
                      out: Path | None = None) -> GradeReport:
    """Grade every ``<student>/<assignment>`` in ``submissions`` (a folder or a zip).

    Args:
        submissions: Folder of ``<student>/<assignment>/*.ipynb`` or a zip of one.
        root: The course directory.
        options: How to grade (jobs, timeouts, memory limit, fast mode, sandboxing); default
            ``GradeOptions()``.
        out: Where ``grades.csv`` and ``summary.txt`` go (default ``<root>/grades``).

    Returns:
        A :class:`GradeReport`; its ``exit_code`` is 1 when any submission was not graded.
    """
    from tl_course.sandbox import namespaces_available

    options = GradeOptions() if options is None else options
    if not isinstance(options, GradeOptions):
        raise TypeError(f"Argument `options` must be a GradeOptions or None. "
                        f"Received: options={options!r}")
    root = Path(root).resolve()
    out = Path(out) if out else root / "grades"
    course.tool_environment()
    work = Path(tempfile.mkdtemp(prefix="tl-grade-"))  # 0700: no kernel can read it
    sandboxes = Path(tempfile.mkdtemp(prefix="tl-sandboxes-"))
    sandboxes.chmod(0o711)
    pool = client = None
    try:
        if options.scheduler:  # before any work: an address that does not answer loses nothing
            from tl_course import cluster

            client = cluster.connect(options.scheduler)
        subs, problems = collect(submissions, root, work)
        needed = sorted({s.assignment for s in subs if not s.errors})
        require_released(root, needed)
        visibility = worker.sandbox_visibility(
            root, [Path(submissions).resolve(), out.resolve(), work])
        if needed and client is None:  # the checkers import TensorFlow while this process
            # prepares the course
            first = next(s for s in subs if not s.errors)
            ahead = {  # the first submission's kernel, started by each checker at once
                "release": str(root / "release" / first.assignment / f"{first.assignment}.ipynb"),
                "sandbox_dir": str(sandboxes / "ahead"),
                **kernel_fields(visibility, sandboxes, options)}
            pool = _start_checkers(min(options.jobs, sum(not s.errors for s in subs)),
                                   threads=options.threads, ahead=ahead)
        guarded = guarded_files(root)
        snapshot = snapshot_course(root, needed, work, sandboxes=sandboxes,
                                   visibility=visibility)
        if options.isolate is not False and not namespaces_available():
            print("tl-course grade: kernels are NOT isolated on this machine (needs Linux, "
                  "root and unshare); each runs as a plain process.", file=sys.stderr)
        results: dict[int, SubmissionResult] = {}
        runnable = []
        for index, sub in enumerate(subs):
            result = SubmissionResult(sub.student, sub.assignment, notes=list(sub.notes))
            results[index] = result
            if sub.errors:
                result.status, result.errors = "failed", list(sub.errors)
                if sub.assignment in snapshot.source:
                    result.max_score = max_score(snapshot.source[sub.assignment])
            else:
                runnable.append(index)
        progress = _progress(len(runnable))
        not_isolated = False  # some kernel ran without a sandbox

        def finish(index: int, outcome: dict) -> None:
            """Scores, flags and feedback of one job, while the checkers grade the next ones."""
            nonlocal not_isolated
            record_outcome(root, subs[index], results[index], outcome, snapshot, work)
            if outcome.get("ok") and not outcome.get("isolated"):
                not_isolated = True
            # a sandboxed kernel cannot reach the course's files; an unsandboxed one could
            if not outcome.get("isolated", True) and restore_guarded(guarded):
                results[index].review.append("the course's grading files changed while it was "
                                             "graded (restored)")
                zero_flagged(results[index])
            progress.update(1)
            progress.set_postfix_str(f"{subs[index].student}/{subs[index].assignment}")

        specs = [(i, job_spec(subs[i], snapshot, options, index=i)) for i in runnable]
        for position, (_, job) in enumerate(specs):  # a checker starts its next kernel early
            job["warm_next"] = position < len(specs) - options.jobs
        if client is not None:
            cluster.run_jobs_on_cluster(specs, client=client, snapshot=snapshot, finish=finish)
        else:
            run_jobs(specs, processes=options.jobs, threads=options.threads, finish=finish,
                     pool=pool)
            pool = None  # run_jobs shut it down
        progress.close()
        report = GradeReport([results[i] for i in sorted(results)], out, root / "feedback",
                             problems)
        if not_isolated and options.isolate is not False:
            report.warnings.append("kernels were not isolated (no namespaces here): grading "
                                   "was not sandboxed")
        check_originals(subs, report)
        record_gradebook(root, report.results)
        write_reports(report)
        report.problems += verify_records(root, report)
        if report.problems:
            write_reports(report)
        return report
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if client is not None:
            client.close()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(sandboxes, ignore_errors=True)


def _start_checkers(count: int, *, threads: int, ahead: dict | None = None
                    ) -> ProcessPoolExecutor:
    """A pool of ``count`` checker processes, started now (each imports TensorFlow once, and
    first starts a kernel for the submission it will grade first, see ``worker.warm_up``)."""
    import multiprocessing

    config.quiet_tensorflow()  # the checkers inherit it at start
    pool = ProcessPoolExecutor(max_workers=max(1, count),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker.warm_up, initargs=(threads, ahead))
    for _ in range(max(1, count)):  # a spawn pool starts one process per waiting task
        pool.submit(int)
    return pool


def run_jobs(specs: list[tuple[int, dict]], *, processes: int, threads: int,
             finish: Callable[[int, dict], None],
             pool: ProcessPoolExecutor | None = None) -> dict[int, dict]:
    """Grade every ``(index, job spec)`` of ``specs`` in ``processes`` checker processes.

    ``pool`` is a pool already started (it is shut down here), else one is started with
    ``threads`` CPU threads per checker (0: no limit). A checker that dies is replaced and its
    job tried once more (then reported). ``finish(index, outcome)`` runs here as each job ends
    (its feedback is written while the checkers go on).

    Returns:
        Each index's outcome (see :func:`tl_course.worker.grade_job`).
    """
    from concurrent.futures.process import BrokenProcessPool

    outcomes: dict[int, dict] = {}
    pending = list(specs)
    tries: dict[int, int] = {}
    while pending:
        pool = pool or _start_checkers(min(processes, len(pending)), threads=threads)
        with pool:
            futures = {pool.submit(worker.grade_job, job): (index, job)
                       for index, job in pending}
            pending = []
            for future in as_completed(futures):
                index, job = futures[future]
                try:
                    outcomes[index] = future.result()
                except BrokenProcessPool:
                    tries[index] = tries.get(index, 0) + 1
                    if tries[index] < 2:
                        pending.append((index, job))
                        continue
                    outcomes[index] = {"ok": False, "error": "the grading process died twice "
                                       "while grading this submission"}
                except Exception as error:  # noqa: BLE001
                    outcomes[index] = {"ok": False, "error": f"grader error: {error}"}
                finish(index, outcomes[index])
        pool = None  # shut down; a retry round starts a fresh one
    return outcomes


def _progress(total: int) -> Any:
    from tqdm.auto import tqdm

    disable = not config.show_progress()
    return tqdm(total=total, desc="grading", unit="submission", disable=disable)
