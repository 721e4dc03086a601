"""`tl-course grade` settings: one GradeOptions, refused at once when a value is bad."""

from __future__ import annotations

import dataclasses

import pytest

from tl_course.options import GradeOptions
from tl_helpers import config


def test_defaults_are_the_command_lines():
    options = GradeOptions()
    assert (options.jobs, options.cell_timeout, options.submission_timeout,
            options.memory_limit_gb, options.fast, options.isolate) == (1, None, 900, 4.0,
                                                                        True, None)
    assert options.call_timeout == config.CALL_TIMEOUT
    assert options.threads == 0 and options.kernel_env == {}  # one job: no thread limit
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.jobs = 2


def test_parallel_jobs_share_the_threads_out():
    options = GradeOptions(jobs=2)
    assert options.threads >= 1
    assert options.kernel_env["OMP_NUM_THREADS"] == str(options.threads)


@pytest.mark.parametrize("jobs", [0, -1, 1.5, "2", True])
def test_bad_jobs_are_refused(jobs):
    with pytest.raises(ValueError) as info:
        GradeOptions(jobs=jobs)
    assert str(info.value) == (f"Argument `jobs` must be a positive integer. "
                               f"Received: jobs={jobs!r}")


@pytest.mark.parametrize("memory", [0, -4.0, "4", None])
def test_a_bad_memory_limit_is_refused(memory):
    with pytest.raises(ValueError, match=r"Argument `memory_limit_gb` must be a positive number "
                                         rf"of GiB\. Received: memory_limit_gb={memory!r}"):
        GradeOptions(memory_limit_gb=memory)


@pytest.mark.parametrize("name, value", [("cell_timeout", 0), ("cell_timeout", -5),
                                         ("submission_timeout", 0), ("call_timeout", -1.0),
                                         ("fast", None), ("isolate", "no"),
                                         ("scheduler", ""), ("scheduler", 8786)])
def test_other_bad_values_are_refused_naming_the_argument(name, value):
    with pytest.raises(ValueError, match=rf"^Argument `{name}` must be .* "
                                         rf"Received: {name}={value!r}$"):
        GradeOptions(**{name: value})


def test_the_command_line_refuses_bad_options_before_any_work(tmp_path, capsys):
    from tl_course import cli

    (tmp_path / "course" / "notebooks").mkdir(parents=True)
    (tmp_path / "autograder").mkdir()
    assert cli.main(["grade", str(tmp_path), "--course", str(tmp_path), "--jobs", "0"]) == 2
    assert "Argument `jobs` must be a positive integer. Received: jobs=0" in (
        capsys.readouterr().err)
