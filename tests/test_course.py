"""The course directory (tl_course.course): its root, assignments, and source/release in sync."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from grading_support import ROOT

from tl_course import course


def test_course_root_and_assignment_names(mini):
    assert course.find_course_root(mini / "source" / "00_mini") == mini
    assert course.list_assignments(mini) == ["00_mini"]
    with pytest.raises(ValueError, match='Did you mean "00_mini"'):
        course.check_assignment(mini, "00_mine")
    with pytest.raises(FileNotFoundError, match="No tl-course course directory"):
        course.find_course_root(Path("/"))


def test_release_and_source_differences_are_detected(mini, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(mini, copy)
    assert course.source_differences(copy) == []
    assert course.release_differences(copy) == []
    released = copy / "release" / "00_mini" / "00_mini.ipynb"
    released.write_text(released.read_text().replace("add(1, 2)", "add(1, 3)"))
    assert course.release_differences(copy) == [
        "release/00_mini/00_mini.ipynb: out of date (run: tl-course release)"]
    script = copy / "course" / "notebooks" / "00_mini.py"
    script.write_text(script.read_text() + "\n# %%\nprint('new cell')\n")
    assert course.source_differences(copy) == ["00_mini"]


def test_repository_is_a_course_directory():
    assert course.find_course_root(ROOT) == ROOT
    assert (ROOT / "nbgrader_config.py").exists()
