"""The instructor's commands (tl_course.commands): validate, a student's check, and the
hidden checks run as a plain ``pytest autograder``."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tl_course import commands, course


def test_validate_proves_the_invariant_and_catches_a_broken_solution(mini, tmp_path, capsys):
    assert commands.validate_command(mini, None) == 0
    assert "valid" in capsys.readouterr().out
    broken = tmp_path / "broken"
    shutil.copytree(mini, broken)
    script = broken / "course" / "notebooks" / "00_mini.py"
    script.write_text(script.read_text().replace("return [v * factor for v in values]",
                                                 "return [v * factor for v in values][:1]"))
    course.release(broken)
    assert commands.validate_command(broken, None) == 1
    out = capsys.readouterr().out
    assert "00_mini source: m_scale scored 1.5/3" in out  # hidden checks grade; 2 of 4 pass


def test_check_reports_visible_tests_for_a_student(mini, capsys):
    release = mini / "release" / "00_mini" / "00_mini.ipynb"
    assert commands.check_command(release) == 1
    out = capsys.readouterr().out
    assert "[ ] m_add (2 points): NotImplementedError" in out
    assert "0 of 3 exercises pass their visible checks" in out


def test_pytest_autograder_grades_a_single_notebook(mini):
    def run(notebook):
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "autograder",
             "--notebook", str(notebook), "-c", str(mini / "none.ini"), "--rootdir", str(mini)],
            cwd=mini, capture_output=True, text=True, timeout=300)

    (mini / "none.ini").write_text("[pytest]\n")
    good = run(mini / "source" / "00_mini" / "00_mini.ipynb")
    assert good.returncode == 0 and "8 passed" in good.stdout, good.stdout + good.stderr
    stub = run(mini / "release" / "00_mini" / "00_mini.ipynb")
    assert stub.returncode == 1 and "8 failed" in stub.stdout, stub.stdout
