"""Grading: the in-kernel runner of hidden checks, notebook authoring, release, batch grading.

Students only ever meet :func:`start_assignment` (the Setup cell). Instructors use the
``tl-course`` commands built on the other modules.
"""

from tl_helpers.grading.kernel import GradingSetupError, grade_cell, start_assignment

__all__ = ["start_assignment", "grade_cell", "GradingSetupError"]
