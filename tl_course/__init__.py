"""tl_course: the instructor's side of the course, the ``tl-course`` command and its grader.

The student library :mod:`tl_helpers` is what runs in a student's kernel. This package is what
an instructor runs: authoring and release (:mod:`~tl_course.authoring`, :mod:`~tl_course.course`,
:mod:`~tl_course.commands`), and grading a class (:mod:`~tl_course.batch` orchestrates
:mod:`~tl_course.collect`-style steps, :mod:`~tl_course.worker` grades one submission in a
sandboxed kernel through :mod:`~tl_course.notebook_grader`, and the hidden checks run here, in
the grader, through :mod:`~tl_course.proxy`). Nothing here is imported by ``import tl_helpers``.

Install it with the ``grader`` extra (``pip install 'tl-course[grader]'``): it needs pytest and
psutil, which a student's install does not.
"""
