"""The grader's checker processes: each grades one submission after another.

``tl-course grade --jobs N`` starts N of these (a process pool). A checker never runs student
code: it starts the submission's sandboxed kernel, drives it, and runs the hidden checks in its
own process (:func:`tl_course.notebook_grader.grade_notebook`). TensorFlow is imported
once per checker, not once per submission, and the checks' modules are imported again for every
submission (no state carries over from one student to the next). Once a submission's setup cell
has run, the checker starts a fresh sandboxed kernel for its next submission and runs the
release's setup cell there (a locked course cell, the same for every student), so the next
student does not wait for the kernel start and ``import tensorflow``
(:class:`tl_course.graded_kernel.WarmKernel`; a kernel serves one submission only).
The first submission's kernel is started the same way as the checker starts, before the
checker imports TensorFlow itself, so both imports run at once.

Example:
    >>> from concurrent.futures import ProcessPoolExecutor               # doctest: +SKIP
    >>> pool = ProcessPoolExecutor(2, initializer=warm_up, initargs=(1,))  # doctest: +SKIP
    >>> pool.submit(grade_job, job).result()["cells"]                     # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

__all__ = ["warm_up", "start_ahead", "stop_warm", "fresh_heap", "grade_job", "sandbox_visibility",
           "kernel_thread_env", "prepare_checker", "grade_portable_job", "running_job"]

_CHECKS: dict[str, Any] = {}
_WARM: dict[str, Any] = {}  # "kernel": the WarmKernel started for the next submission
_PORTABLE: dict[str, Any] = {}  # a cluster worker's private folders, settings and job thread
_RUNNING: dict[str, str] = {}  # "job": "<student>/<assignment>" while a portable job runs


def kernel_thread_env(threads: int) -> dict[str, str]:
    """Environment variables that keep one kernel on ``threads`` CPU threads."""
    value = str(max(1, int(threads)))
    return {"OMP_NUM_THREADS": value, "OPENBLAS_NUM_THREADS": value, "MKL_NUM_THREADS": value,
            "TF_NUM_INTRAOP_THREADS": value, "TF_NUM_INTEROP_THREADS": "1"}


def sandbox_visibility(root: Path, also_hide: list[Path] = ()) -> tuple[list[Path], list[Path]]:
    """(hide, keep) for a course: the course folder (and ``also_hide``) hidden, except the
    ``tl_helpers`` package and the Python environment, which a student also has."""
    import tl_helpers

    package = Path(tl_helpers.__file__).resolve().parent
    hide = [Path(root).resolve(), *[Path(p).resolve() for p in also_hide]]
    keep = [package, Path(sys.prefix).resolve()]
    return hide, keep


def warm_up(threads: int = 0, ahead: dict | None = None) -> None:
    """Pool initializer: quiet TensorFlow, import it once, and use ``threads`` CPU threads.

    ``ahead`` (the fields of a job: release, sandbox_dir, hide, keep, env, isolate,
    call_timeout, memory_limit_bytes) starts a kernel for this checker's first submission
    before TensorFlow is imported here, so that the kernel's start and setup cell run while
    this process imports (used if the first submission matches, see :func:`grade_job`).
    """
    from multiprocessing.util import Finalize

    from tl_course.startup import skip_slow_imports

    skip_slow_imports()
    Finalize(None, stop_warm, exitpriority=10)  # when the pool shuts this checker down
    Finalize(None, _exit_at_once, exitpriority=-100)  # the last thing this checker does
    if ahead:
        start_ahead(ahead)
    prepare_checker(threads)


def _kernel_options(job: dict) -> dict:
    from tl_course.graded_kernel import kernel_options

    return kernel_options(hide=job["hide"], keep=job["keep"], env=job.get("env"),
                          isolate=job.get("isolate"), call_timeout=job.get("call_timeout", 30),
                          memory_limit_bytes=job["memory_limit_bytes"])


def start_ahead(job: dict) -> None:
    """Start the kernel of a checker's first submission (a failure only means it starts its
    own kernel later, as ever)."""
    import nbformat

    from tl_course.graded_kernel import WarmKernel

    try:
        release = nbformat.read(job["release"], as_version=4)
        _WARM["kernel"] = WarmKernel.start(release, Path(f"{job['sandbox_dir']}-{os.getpid()}"),
                                           _kernel_options(job))
    except Exception:  # noqa: BLE001
        _WARM.pop("kernel", None)


def _exit_at_once() -> None:
    """End a pool's checker once its finalizers have run, without tearing TensorFlow down
    (about 1 s that the pool's shutdown, and so the whole grading run, waited for). It holds
    nothing to save: its results went back with each job, its kernels are stopped."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def stop_warm() -> None:
    """Stop the kernel started ahead for a next submission (none came, or the run ends)."""
    warm = _WARM.pop("kernel", None)
    if warm is not None:
        warm.stop()


def fresh_heap() -> None:
    """Before each job: reset Keras, collect everything, then freeze what is alive (TensorFlow,
    Keras, this process's own state), so that the collections during the job skip it (0.2 s
    each with TensorFlow loaded). Unfrozen first, so that what the last job froze and has since
    died (its kernel's client, say) is collected now: nothing leaks from job to job."""
    import gc

    import keras

    gc.unfreeze()
    keras.backend.clear_session()  # a full collection (gc.collect)
    gc.freeze()


def grade_job(job: dict) -> dict:
    """Grade one submission. ``job``: notebook (JSON text), release (path), tests_dir,
    sandbox_dir, fast, hide, keep, env, timeouts, memory_limit_bytes. Returns plain data."""
    import nbformat

    from tl_course.graded_kernel import WarmKernel
    from tl_course.hidden_checks import HiddenChecks
    from tl_course.notebook_grader import grade_notebook

    warm = _WARM.pop("kernel", None)
    try:
        fresh_heap()
        notebook = nbformat.reads(job["notebook"], as_version=4)
        release = nbformat.read(job["release"], as_version=4)
        tests_dir = job["tests_dir"]
        checks = _CHECKS.get(tests_dir)
        if checks is None:
            checks = _CHECKS[tests_dir] = HiddenChecks(  # one temporary folder per checker
                Path(tests_dir), basetemp=Path(job["checks_tmp"]) / str(os.getpid()))
        options = _kernel_options(job)

        def start_next() -> None:
            """The next submission's kernel starts now, while this one is graded."""
            if job.get("warm_next"):
                try:
                    _WARM["kernel"] = WarmKernel.start(
                        release, Path(job["sandbox_dir"] + "-next"), options)
                except Exception:  # noqa: BLE001 - the next job then starts its own kernel
                    _WARM.pop("kernel", None)

        graded = grade_notebook(
            notebook, release, Path(tests_dir), sandbox_dir=Path(job["sandbox_dir"]),
            fast=job.get("fast", True), **options, cell_timeout=job["cell_timeout"],
            course_cell_timeout=job.get("course_cell_timeout", 300),
            submission_timeout=job.get("submission_timeout"), checks=checks, warm=warm,
            after_setup=start_next)
    except Exception as error:  # noqa: BLE001 - a bug of ours must not lose the class
        if warm is not None:
            warm.stop()
        stop_warm()
        return {"ok": False, "error": f"grader error: {type(error).__name__}: {error}",
                "trace": traceback.format_exc()[-2000:]}
    return {
        "ok": True,
        "cells": {g: [c.score, c.points, c.summary()] for g, c in graded.cells.items()},
        "notebook": nbformat.writes(graded.notebook),
        "notes": graded.notes, "isolated": graded.isolated, "seconds": graded.seconds,
        "skipped": len(graded.skipped), "timings": dict(graded.timings),
    }


def running_job() -> str | None:
    """``"<student>/<assignment>"`` of the portable job this process is grading, else None (a
    cluster's operator, or a test, asks each worker with ``client.run``)."""
    return _RUNNING.get("job")


def grade_portable_job(job: dict) -> dict:
    """Grade one submission on a worker that has only the installed package (a Dask worker,
    :mod:`tl_course.cluster`): ``job`` is a :func:`grade_job` spec that carries its release
    notebook and hidden tests (``release_text``; ``tests``: path under ``autograder/`` -> text,
    see :func:`tl_course.staging.portable_job`) and the thread count of this worker's kernels.

    They are written into this process's private folder (0700, hidden from every kernel, as
    are the grader's folders named in the job), the job's paths are made local, and it runs
    in this process's one job thread: one submission at a time, whatever the worker's thread
    count, and the sandboxes it starts (which end with the thread that started them) live as
    long as the process.
    """
    from concurrent.futures import ThreadPoolExecutor

    if "thread" not in _PORTABLE:
        _PORTABLE["thread"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tl-grade")
    folders = _worker_folders()  # asked here: Dask tells its worker to its own threads only
    return _PORTABLE["thread"].submit(_grade_portable, job, folders).result()


def _grade_portable(job: dict, worker_folders: list[str]) -> dict:
    import atexit
    import secrets
    import tempfile

    try:
        threads = int(job.get("threads") or 0)
        if _PORTABLE.get("threads") != threads:  # this process's first job (or new settings)
            prepare_checker(threads)
            _PORTABLE["threads"] = threads
        if "private" not in _PORTABLE:
            _PORTABLE["private"] = Path(tempfile.mkdtemp(prefix="tl-worker-"))  # 0700
            sandboxes = Path(tempfile.mkdtemp(prefix="tl-worker-sandboxes-"))
            sandboxes.chmod(0o711)
            _PORTABLE["sandboxes"] = sandboxes
            atexit.register(_remove_portable_folders)  # a killed worker leaves them in /tmp
        private, sandboxes = _PORTABLE["private"], _PORTABLE["sandboxes"]
        # a worker inherits its cwd from whoever started it: a grader that had changed into a
        # folder it later removed left a LocalCluster's restarted worker without one (pytest,
        # which the checks run in, then fails at os.getcwd())
        os.chdir(private)
        course = _course_copy(private, job["release_text"], job["tests"])
        _, keep = sandbox_visibility(private)
        local = {key: value for key, value in job.items() if key not in ("release_text", "tests")}
        local.update({
            "release": str(course / "release.ipynb"),
            "tests_dir": str(course / "autograder" / job["assignment"]),
            "checks_tmp": str(private / "checks-tmp"),
            "sandbox_dir": str(sandboxes / f"box-{secrets.token_hex(8)}"),
            "hide": [*job["hide"], str(private), str(sandboxes), *worker_folders],
            "keep": [str(p) for p in keep],
            "env": kernel_thread_env(threads) if threads else {},
        })
    except Exception as error:  # noqa: BLE001 - reported for this submission, the class goes on
        return {"ok": False, "error": f"grader error on the worker: {type(error).__name__}: "
                                      f"{error}", "trace": traceback.format_exc()[-2000:]}
    _RUNNING["job"] = f"{job.get('student')}/{job.get('assignment')}"
    try:
        return grade_job(local)
    finally:
        _RUNNING.pop("job", None)


def _course_copy(private: Path, release_text: str, tests: dict[str, str]) -> Path:
    """The folder in ``private`` holding this release (``release.ipynb``) and these hidden
    tests (``autograder/...``): written by the first job that brings them, kept for the next."""
    import hashlib
    import json
    import secrets

    payload = json.dumps([release_text, sorted(tests.items())])
    course = private / hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
    if not course.is_dir():
        staging = private / f"staging-{secrets.token_hex(4)}"
        for name, text in tests.items():
            target = (staging / "autograder" / name).resolve()
            if staging.resolve() not in target.parents:
                raise ValueError(f"a hidden test path leaves its folder: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (staging / "release.ipynb").write_text(release_text, encoding="utf-8")
        staging.rename(course)
    return course


def _remove_portable_folders() -> None:
    import shutil

    stop_warm()
    for key in ("sandboxes", "private"):
        if key in _PORTABLE:
            shutil.rmtree(_PORTABLE.pop(key), ignore_errors=True)


def prepare_checker(threads: int) -> None:
    """Quiet TensorFlow, import it (and Keras) once, and keep this process and the kernels it
    starts on ``threads`` CPU threads (0: no limit): a pool's checker (:func:`warm_up`) and a
    cluster worker's first job (:func:`grade_portable_job`)."""
    import warnings

    from tl_course.startup import skip_slow_imports
    from tl_helpers import config

    skip_slow_imports()
    config.quiet_tensorflow(force=True)
    os.environ.setdefault("TL_PROGRESS", "0")  # read by config.show_progress()
    os.environ.setdefault("MPLBACKEND", "Agg")
    if threads:
        os.environ.update(kernel_thread_env(threads))
    warnings.filterwarnings("ignore")
    import tensorflow as tf

    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # already initialised
            pass
    import keras  # noqa: F401
    from threadpoolctl import threadpool_limits

    if threads:
        threadpool_limits(threads)


def _worker_folders() -> list[str]:
    """The Dask worker's own folder (spilled data, locks), which a kernel must not see."""
    try:
        from distributed import get_worker

        return [str(Path(get_worker().local_directory).resolve())]
    except Exception:  # noqa: BLE001 - not in a Dask worker
        return []

