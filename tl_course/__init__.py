"""tl_course: the instructor's side of the course, the ``tl-course`` command and its grader.

The student library :mod:`tl_helpers` is what runs in a student's kernel. This package is what
an instructor runs: the ``tl-course`` command (:mod:`~tl_course.cli`), authoring and release
(:mod:`~tl_course.authoring`, :mod:`~tl_course.course`, :mod:`~tl_course.commands`), and grading
a class: :mod:`~tl_course.batch` orchestrates :mod:`~tl_course.collect` (submissions into
memory), :mod:`~tl_course.staging` (what each job needs), the checker processes of
:mod:`~tl_course.worker` (one submission in a sandboxed kernel through
:mod:`~tl_course.notebook_grader`; the hidden checks run here, in the grader, through
:mod:`~tl_course.proxy`), then :mod:`~tl_course.verify` and :mod:`~tl_course.record`. Settings
come from :mod:`tl_helpers.config`. Nothing here is imported by ``import tl_helpers``.

Install it with the ``grader`` extra (``pip install 'tl-course[grader]'``): it needs pytest and
psutil, which a student's install does not.
"""
