"""What a notebook's kernel runs of the grading (tl_helpers.grading.kernel)."""

from __future__ import annotations

import subprocess
import sys

from tl_helpers.grading.kernel import GradingSetupError


def test_grade_cell_without_setup_cell_says_what_to_do():
    code = ("from tl_helpers.grading.kernel import grade_cell, GradingSetupError\n"
            "try:\n    grade_cell('x', 1, {})\nexcept GradingSetupError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "run the Setup cell" in out
    assert GradingSetupError.__mro__[1] is RuntimeError
