"""How ``tl-course grade`` grades a class: one frozen :class:`GradeOptions`, checked as it is
made.

Every setting of a grading run travels in one value, from the command line
(:mod:`tl_course.cli`) or a script to :func:`tl_course.batch.grade_submissions`, and from there
into each job's spec (:mod:`tl_course.staging`). A bad value is refused at once, with a message
in the library's form (what is allowed, then ``Received: name=value``), before anything is
collected or started.

Example:
    >>> GradeOptions(jobs=2, cell_timeout=30).memory_limit_gb
    4.0
    >>> GradeOptions(jobs=0)
    Traceback (most recent call last):
    ...
    ValueError: Argument `jobs` must be a positive integer. Received: jobs=0
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass

from tl_helpers import config

__all__ = ["GradeOptions"]


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class GradeOptions:
    """The settings of one grading run.

    Args:
        jobs: Submissions graded in parallel (checker processes, each with one sandboxed
            kernel at a time; the CPU threads are shared out between them).
        cell_timeout: Seconds one cell may run (None: the course configuration's).
        submission_timeout: Seconds one submission may take in all.
        memory_limit_gb: GiB one submission's kernel may use before it is stopped.
        fast: Skip the course's unchanged experiments that nothing needs (``False``: run every
            cell, for feedback with every plot).
        isolate: None = sandbox each kernel where possible; False = never.
        call_timeout: Seconds one call of a hidden check into the notebook may run.
        scheduler: Address of a Dask distributed scheduler (``tcp://host:8786``) whose workers
            grade the submissions instead of local checker processes (``jobs`` is then not
            used: the cluster's worker processes are the jobs); None: grade here.

    Raises:
        ValueError: if a value is out of range or of the wrong type.
    """

    jobs: int = 1
    cell_timeout: int | None = None
    submission_timeout: int = config.SUBMISSION_TIMEOUT
    memory_limit_gb: float = config.MEMORY_LIMIT_GB
    fast: bool = True
    isolate: bool | None = None
    call_timeout: float = config.CALL_TIMEOUT
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if not _is_integer(self.jobs) or self.jobs < 1:
            self._refuse("jobs", "a positive integer")
        if self.cell_timeout is not None and (
                not _is_number(self.cell_timeout) or self.cell_timeout <= 0):
            self._refuse("cell_timeout", "a positive number of seconds, or None (the course "
                                         "configuration's)")
        for name in ("submission_timeout", "call_timeout"):
            if not _is_number(getattr(self, name)) or getattr(self, name) <= 0:
                self._refuse(name, "a positive number of seconds")
        if not _is_number(self.memory_limit_gb) or self.memory_limit_gb <= 0:
            self._refuse("memory_limit_gb", "a positive number of GiB")
        if not isinstance(self.fast, bool):
            self._refuse("fast", "True or False")
        if self.isolate is not None and not isinstance(self.isolate, bool):
            self._refuse("isolate", "None (sandbox where possible), True or False")
        if self.scheduler is not None and (not isinstance(self.scheduler, str)
                                           or not self.scheduler.strip()):
            self._refuse("scheduler", "the address of a Dask scheduler (such as "
                                      "'tcp://127.0.0.1:8786'), or None")

    def _refuse(self, name: str, allowed: str) -> None:
        raise ValueError(f"Argument `{name}` must be {allowed}. "
                         f"Received: {name}={getattr(self, name)!r}")

    @property
    def threads(self) -> int:
        """CPU threads each checker and its kernel get: the machine's, shared out between the
        jobs; 0 (no limit) for a single job."""
        if self.jobs == 1:
            return 0
        return max(1, (os.cpu_count() or 1) // self.jobs)

    @property
    def kernel_env(self) -> dict[str, str]:
        """Environment variables that keep each kernel on its share of the threads (none for a
        single job)."""
        from tl_course.worker import kernel_thread_env

        return kernel_thread_env(self.threads) if self.jobs > 1 else {}
