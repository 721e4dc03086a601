"""A checker process (tl_course.worker): it starts its first submission's kernel as it starts,
grades a job and stops the kernels it started."""

from __future__ import annotations

import nbformat
from grading_support import MINI_SOLUTION, with_answers

from tl_course import worker
from tl_course.options import GradeOptions
from tl_course.staging import kernel_fields
from tl_course.worker import sandbox_visibility


def test_kernel_thread_env_caps_every_thread_pool():
    env = worker.kernel_thread_env(1)
    assert env and set(env.values()) == {"1"}
    assert "OMP_NUM_THREADS" in env


def test_sandbox_visibility_hides_the_course_but_keeps_the_library(mini):
    hide, keep = sandbox_visibility(mini)
    assert mini.resolve() in hide
    assert any(path.name == "tl_helpers" for path in keep)


def test_a_checker_starts_its_first_submissions_kernel_as_it_starts(mini, box, tmp_path):
    """``tl-course grade`` hands each checker the kernel fields of the run: the kernel it
    starts before importing TensorFlow serves its first submission (no kernel start there)."""
    fields = kernel_fields(sandbox_visibility(mini), box, GradeOptions())
    release = mini / "release" / "00_mini" / "00_mini.ipynb"
    assert release.is_file()
    worker.start_ahead({"release": str(release), "sandbox_dir": str(box / "ahead"), **fields})
    try:
        outcome = worker.grade_job({
            "notebook": nbformat.writes(with_answers(mini, MINI_SOLUTION)), "release": str(release),
            "tests_dir": str(mini / "autograder" / "00_mini"), "checks_tmp": str(tmp_path),
            "sandbox_dir": str(box / "job"), "fast": True, "cell_timeout": 30, **fields})
    finally:
        worker.stop_warm()
    assert outcome["ok"], outcome
    assert outcome["timings"]["kernel_start"] < 0.05  # the kernel started ahead served it
    assert {g: c[0] for g, c in outcome["cells"].items()} == {"m_add": 2.0, "m_scale": 3.0,
                                                             "m_quiz": 2.0}


def test_each_job_starts_with_a_fresh_heap_and_nothing_leaks_from_job_to_job():
    """What was alive (and so frozen) at one job's start and dies in a reference cycle during
    the job is collected at the next job's start; what is alive then is frozen."""
    import gc
    import weakref

    class Node:
        pass

    try:
        cycle = Node()
        cycle.self = cycle  # alive at this job's start: frozen with the rest
        gone = weakref.ref(cycle)
        worker.fresh_heap()
        assert gc.get_freeze_count() > 0
        del cycle  # dies during the job, inside a reference cycle
        gc.collect()  # the job's own collections skip frozen objects
        assert gone() is not None
        worker.fresh_heap()  # the next job's start
        assert gone() is None, "an object frozen by one job leaked past the next job's start"
    finally:
        gc.unfreeze()
