"""Shared set-up of the grading tests: a private copy of the mini fixture course."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mini_course"


def make_mini_course(target: Path) -> Path:
    """Copy the fixture course with the real course configuration and release it."""
    from tl_course import course

    shutil.copytree(FIXTURE, target)
    shutil.copy(ROOT / "nbgrader_config.py", target / "nbgrader_config.py")
    shutil.copy(ROOT / "course" / "nbgrader_config.py", target / "course" / "nbgrader_config.py")
    shutil.copy(ROOT / "autograder" / "conftest.py", target / "autograder" / "conftest.py")
    outcome = course.release(target)
    assert outcome == {"00_mini": "ok"}, outcome
    return target
