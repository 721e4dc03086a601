"""`tl-course grade --scheduler`: a class graded on a Dask cluster equals the class graded with
``--jobs 2``, cell for cell and file for file, even when a worker is killed mid-job, and a
submission that dials the scheduler to run its own code on a worker reaches nothing.

Uses the mini fixture course (no TensorFlow) and a ``LocalCluster`` of two worker processes
on 127.0.0.1; ``bench/grading.py --scheduler local`` measures the real assignments.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import nbformat
import pytest
from grading_support import MINI_SOLUTION, built_once, make_mini_course, with_answers

from tl_course import cluster, simulate, worker
from tl_course.batch import grade_submissions
from tl_course.options import GradeOptions
from tl_course.sandbox import namespaces_available

distributed = pytest.importorskip("distributed", reason="Dask's distributed is not installed")

# honest, broken, hostile, flagged and unreadable students of the simulated class
STUDENTS = ["solution", "stub", "partial", "prints_hidden_tests", "corrupt_json"]
SLOW = "slow"  # the solution, with a cell that sleeps: its worker is killed while it runs
DIALER = "dials_scheduler"  # the solution, plus a cell that asks the scheduler to run its code
DIAL = """
try:
    from distributed import Client
    with Client({address!r}, timeout="3s") as _client:
        _client.submit(lambda: open({marker!r}, "w").write("ran as a Dask task"),
                       pure=False).result(timeout=10)
except Exception as _error:
    print("the scheduler is out of reach:", type(_error).__name__)
"""
OPTIONS = {"cell_timeout": 10, "memory_limit_gb": 1.0, "submission_timeout": 300}


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _kill_the_worker_grading(client, student: str, killed: list, stop: threading.Event) -> None:
    """Kill (SIGKILL) the worker process that is grading ``student``, once, mid-job."""
    while not stop.is_set() and not killed:
        try:
            running = client.run(worker.running_job)
        except Exception:  # noqa: BLE001 - a worker restarting
            running = {}
        for address, job in running.items():
            if job == f"{student}/00_mini":
                time.sleep(1.0)  # well inside the job: its kernel runs the sleeping cell
                pid = client.run(os.getpid, workers=[address])[address]
                os.kill(pid, signal.SIGKILL)
                killed.append((address, pid))
                return
        time.sleep(0.1)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return built_once(tmp_path_factory, "test_cluster", lambda: _grade_on_both(tmp_path_factory))


def _grade_on_both(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("cluster")  # 0700: no kernel's user can write the marker
    marker = base / "dialed-the-scheduler"
    root = make_mini_course(base / "course")
    klass = base / "submissions"
    # the workers start in a folder that is gone when they grade (as when the grader's
    # feedback step, which changes folder, restarts a killed worker): they must not need it
    started_in = base / "gone"
    started_in.mkdir()
    previous = Path.cwd()
    os.chdir(started_in)
    try:
        dask = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                        dashboard_address=None, host="127.0.0.1")
    finally:
        os.chdir(previous)
    started_in.rmdir()
    with dask:
        simulate.make_class(root, klass, variants=STUDENTS)
        slow = with_answers(root, MINI_SOLUTION, after_setup="import time\ntime.sleep(6)")
        dialer = with_answers(root, MINI_SOLUTION, after_setup=DIAL.format(
            address=dask.scheduler_address, marker=str(marker)))
        for student, notebook in ((SLOW, slow), (DIALER, dialer)):
            (klass / student / "00_mini").mkdir(parents=True)
            nbformat.write(notebook, klass / student / "00_mini" / "00_mini.ipynb")
        before = _checksums(klass)

        local = grade_submissions(klass, root, GradeOptions(jobs=2, **OPTIONS),
                                  out=base / "local")
        local_feedback = _checksums(root / "feedback")
        shutil.rmtree(root / "feedback")

        killed: list = []
        stop = threading.Event()
        with distributed.Client(dask.scheduler_address, set_as_default=False) as watcher:
            killer = threading.Thread(target=_kill_the_worker_grading,
                                      args=(watcher, SLOW, killed, stop), daemon=True)
            killer.start()
            try:
                on_dask = grade_submissions(
                    klass, root, GradeOptions(scheduler=dask.scheduler_address, **OPTIONS),
                    out=base / "dask")
            finally:
                stop.set()
                killer.join(30)
    return {"root": root, "local": local, "dask": on_dask, "killed": killed,
            "local_feedback": local_feedback, "dask_feedback": _checksums(root / "feedback"),
            "before": before, "after": _checksums(klass), "marker": marker}


def _table(report) -> dict:
    return {(r.student, r.assignment): (r.status, r.score, r.max_score, sorted(r.cells.items()),
                                        r.review, r.errors)
            for r in report.results}


def test_a_worker_was_killed_mid_job_and_its_submission_was_graded_elsewhere(graded):
    assert graded["killed"], "the slow student's job was never seen running on a worker"
    slow = {r.student: r for r in graded["dask"].results}[SLOW]
    assert slow.status == "graded" and slow.score == slow.max_score > 0, slow


def test_the_cluster_gives_every_student_the_grade_local_grading_gives(graded):
    local, dask = _table(graded["local"]), _table(graded["dask"])
    assert set(dask) == {(s, "00_mini") for s in [*STUDENTS, SLOW, DIALER]}
    assert dask == local
    by = {r.student: r for r in graded["dask"].results}
    assert by["solution"].score == by["solution"].max_score > 0
    assert by["stub"].score == 0
    assert 0 < by["partial"].score < by["partial"].max_score
    assert by["prints_hidden_tests"].review  # flagged on the cluster as here
    assert by["corrupt_json"].status == "failed"


def test_the_cluster_writes_the_same_files_and_touches_no_submission(graded):
    assert graded["dask_feedback"] == graded["local_feedback"]
    assert (graded["dask"].out_dir / "grades.csv").read_bytes() == \
        (graded["local"].out_dir / "grades.csv").read_bytes()
    assert graded["after"] == graded["before"]
    assert not graded["dask"].problems


@pytest.mark.skipif(not namespaces_available(),
                    reason="needs Linux namespaces: an unsandboxed kernel can reach the "
                           "scheduler (the README says to run workers sandboxed)")
def test_a_submission_cannot_reach_the_scheduler_to_run_code_on_a_worker(graded):
    assert not graded["marker"].exists(), graded["marker"].read_text()
    dialer = {r.student: r for r in graded["dask"].results}[DIALER]
    assert dialer.status == "graded", dialer.errors  # importing distributed brings in pytest,
    assert dialer.review  # which the grader flags: that cell waits for a person at 0 points


def test_a_scheduler_that_does_not_answer_is_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    with pytest.raises(ValueError, match=r"Argument `scheduler` must be the address of a "
                                         r"running Dask scheduler.*tcp://127\.0\.0\.1:9"):
        grade_submissions(tmp_path / "nothing", tmp_path,
                          GradeOptions(scheduler="tcp://127.0.0.1:9"), out=tmp_path / "grades")
    assert not (tmp_path / "grades").exists()


def test_the_command_line_names_the_scheduler_that_did_not_answer(tmp_path, monkeypatch, capsys):
    from tl_course import cli

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    (tmp_path / "course" / "notebooks").mkdir(parents=True)
    (tmp_path / "autograder").mkdir()
    code = cli.main(["grade", str(tmp_path), "--course", str(tmp_path),
                     "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "none answered at tcp://127.0.0.1:9" in capsys.readouterr().err
