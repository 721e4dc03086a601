"""nbgrader settings of the tl-course course (loaded by ../nbgrader_config.py).

The repository root is the course directory: source/ holds the instructor notebooks, release/
the generated student versions. gradebook.db, submitted/, autograded/ and feedback/ are created
there by nbgrader and ignored by git. `tl-course grade` runs each student in a private copy of
this configuration (see tl_course/staging.py) and merges the verified scores back.
"""
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "tl-course"
# hidden checks and caches never travel with an assignment
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            ".tl-cache", "*.weights.h5"]

# Released answer cells: a stub that fails loudly and says what to do.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError(\"Exercise not done yet: replace this line with your code.\")"
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Execution: one cell may run 60 s (hidden checks stop themselves at 45 s) and is then
# interrupted; outputs are capped. A kernel that ignores the interrupt makes autograde fail fast
# (raise_on_iopub_timeout); `tl-course grade` then leaves that cell out and grades the rest.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.raise_on_iopub_timeout = True
c.Execute.iopub_timeout = 10
c.LimitOutput.max_lines = 300
c.LimitOutput.max_traceback = 40

# A deleted test cell is put back (and scored), never skipped with a stale grade.
c.OverwriteCells.add_missing_cells = True

# TensorFlow's C++ log lines go to stderr, and any stderr in a test cell scores 0.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"cuInit|cuda_(platform|executor|driver)|TF_ENABLE_ONEDNN_OPTS|oneDNN custom operations"
