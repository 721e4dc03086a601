"""Grading on a Dask distributed cluster: ``tl-course grade --scheduler ADDRESS``.

Each submission's job goes to a worker of the cluster (a ``LocalCluster``, an SSH cluster, or
dask-jobqueue on a SLURM/PBS cluster) instead of a local checker process. A worker needs the
installed package only: the job carries the release notebook and the hidden tests the grader
snapshotted (:func:`tl_course.staging.portable_job`), and the worker grades it as a local
checker does (:func:`tl_course.worker.grade_portable_job`: a sandboxed kernel, the checks in the
worker's process). The results come back as plain data and this process stays the single writer
of the gradebook, the feedback and the CSV (:mod:`tl_course.batch`).

A worker that dies mid-job is Dask's to handle: the scheduler gives the job to another worker,
and after ``distributed.scheduler.allowed-failures`` deaths (3 by default) reports it
(``KilledWorker``), which fails that submission alone, with the reason in ``summary.txt``.

Example:
    >>> from distributed import LocalCluster                            # doctest: +SKIP
    >>> cluster = LocalCluster(n_workers=2, threads_per_worker=1)     # doctest: +SKIP
    >>> grade_submissions(klass, root, GradeOptions(scheduler=cluster.scheduler_address))
    ... # doctest: +SKIP
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tl_course import worker
from tl_course.staging import CourseSnapshot, portable_job

__all__ = ["connect", "worker_threads", "run_jobs_on_cluster", "CONNECT_TIMEOUT"]

CONNECT_TIMEOUT = 10
"""Seconds to wait for the scheduler to answer before giving up (before any grading)."""


def connect(address: str) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``.

    Raises:
        ImportError: ``distributed`` is not installed here.
        ValueError: no scheduler answered at ``address`` (named in the message).
    """
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("`tl-course grade --scheduler` needs Dask's `distributed` package, "
                          "here and on every worker: pip install 'tl-course[cluster]'") from None
    try:
        return Client(address, timeout=f"{CONNECT_TIMEOUT}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ValueError(
            f"Argument `scheduler` must be the address of a running Dask scheduler; none "
            f"answered at {address} within {CONNECT_TIMEOUT} s ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else 'no answer'}). Start one with "
            f"`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`, or grade "
            f"here with --jobs. Received: scheduler={address!r}") from None


def worker_threads(cpus: dict[str, int]) -> int:
    """CPU threads for each worker's kernel and checks: each host's cores shared out between
    the workers it runs (``cpus``: worker address -> that host's core count), the smallest
    share of any host, at least 1.

    Example:
        >>> worker_threads({"tcp://10.0.0.1:4001": 2, "tcp://10.0.0.1:4002": 2,
        ...                 "tcp://10.0.0.2:4001": 16})
        1
        >>> worker_threads({"tcp://10.0.0.2:4001": 16, "tcp://10.0.0.2:4002": 16})
        8
    """
    hosts = Counter(urlsplit(address).hostname for address in cpus)
    shares = [max(1, int(count or 1) // hosts[urlsplit(address).hostname])
              for address, count in cpus.items()]
    return min(shares) if shares else 1


def run_jobs_on_cluster(specs: list[tuple[int, dict]], *, client: Any,
                        snapshot: CourseSnapshot,
                        finish: Callable[[int, dict], None]) -> dict[int, dict]:
    """Grade every ``(index, job spec)`` of ``specs`` on the cluster of ``client``;
    ``finish(index, outcome)`` runs here as each job ends. The kernels the workers started
    ahead for a next job that did not come are stopped at the end.

    Returns:
        Each index's outcome (see :func:`tl_course.worker.grade_job`).
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    cpus = client.run(os.cpu_count)
    threads = worker_threads(cpus)
    run = secrets.token_hex(4)
    futures = {}
    for position, (index, job) in enumerate(specs):
        job = portable_job({**job, "warm_next": position < len(specs) - len(cpus)}, snapshot,
                           threads=threads)
        future = client.submit(worker.grade_portable_job, job, key=f"tl-grade-{run}-{index}",
                               pure=False)
        futures[future] = index
    outcomes: dict[int, dict] = {}
    try:
        for future in as_completed(futures, loop=client.loop):
            index = futures[future]
            try:
                outcome = future.result()
                if type(outcome) is not dict:
                    outcome = {"ok": False, "error": "the worker answered with no outcome"}
            except KilledWorker:
                outcome = {"ok": False, "error": "the grading workers died while grading this "
                           "submission (Dask gave it up after its allowed failures)"}
            except Exception as error:  # noqa: BLE001 - one submission fails, not the class
                outcome = {"ok": False, "error": f"grader error on the cluster: "
                                                 f"{type(error).__name__}: {error}"}
            outcomes[index] = outcome
            finish(index, outcome)
    finally:
        for future in futures:
            future.cancel()
        try:
            client.run(worker.stop_warm)
        except Exception:  # noqa: BLE001 - a worker gone: its kernels went with it
            pass
    return outcomes
