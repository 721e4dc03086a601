"""`tl-course grade`, staging step: what every job needs, read before any student code runs.

The mini fixture course (released once per module, no TensorFlow); the job specs are plain data,
no notebook runs here.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from tl_course.batch import grade_submissions
from tl_course.collect import Submission
from tl_course.hidden_checks import SUPPORT_MODULE
from tl_course.options import GradeOptions
from tl_course.staging import (
    cell_grade_id,
    cell_timeout_of,
    job_spec,
    kernel_fields,
    max_score,
    require_released,
    restore_course_cells,
    snapshot_course,
    staging_config,
    template_gradebook,
)
from tl_helpers.config import COURSE_CELL_TIMEOUT


def _notebook(root: Path, folder: str) -> nbformat.NotebookNode:
    return nbformat.read(root / folder / "00_mini" / "00_mini.ipynb", as_version=4)


def test_unchanged_course_cells_get_the_long_timeout(tmp_path):
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader

    text = staging_config("c = get_config()\nc.Execute.timeout = 60\n", tmp_path, None,
                          ["results = run_experiment()"])
    (tmp_path / "nbgrader_config.py").write_text(text)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    execute = Execute(config=config)
    cell = nbformat.v4.new_code_cell
    assert execute._get_timeout(cell("results = run_experiment()\n")) == COURSE_CELL_TIMEOUT
    assert execute._get_timeout(cell("results = run_experiment(); cheat()")) == 60
    assert execute._get_timeout(cell("while True: pass")) == 60


def test_the_cell_timeout_is_the_override_else_the_course_configuration():
    assert cell_timeout_of("c.Execute.timeout = 45\n", None) == 45.0
    assert cell_timeout_of("c.Execute.timeout = 45\n", 7) == 7.0
    assert cell_timeout_of("c = get_config()\n", None) == 60.0


def test_gradebook_templates_take_the_schema_version_from_the_course_gradebook(mini, tmp_path,
                                                                                monkeypatch):
    """A template gradebook gets the course gradebook's schema version; nbgrader does not run
    ``alembic heads`` for it (a 3.5 s subprocess per assignment and grading run)."""
    import sqlite3

    import nbgrader.api

    def no_alembic() -> str:
        raise AssertionError("nbgrader ran alembic for a template gradebook")

    monkeypatch.setattr(nbgrader.api, "get_alembic_version", no_alembic)
    template = tmp_path / "template.db"
    template.write_bytes(template_gradebook(mini, "00_mini", tmp_path / "work"))
    version = "SELECT version_num FROM alembic_version"
    with sqlite3.connect(mini / "gradebook.db") as course_db, sqlite3.connect(template) as db:
        assert db.execute(version).fetchall() == course_db.execute(version).fetchall()
        assert db.execute("SELECT name FROM assignment").fetchall() == [("00_mini",)]
        # solutions never travel in a template
        assert db.execute("SELECT count(*) FROM source_cell WHERE locked = 0 AND source != ''"
                          ).fetchone() == (0,)


def test_the_snapshot_copies_hidden_tests_and_the_shared_support_module(mini, tmp_path):
    (mini / "autograder" / SUPPORT_MODULE).write_text("SHARED = 1\n")
    try:
        snapshot = snapshot_course(mini, ["00_mini"], tmp_path / "work",
                                   sandboxes=tmp_path / "boxes", visibility=([], []))
    finally:
        (mini / "autograder" / SUPPORT_MODULE).unlink()
    private = tmp_path / "work" / "private"
    assert snapshot.private == private
    assert (private / "autograder" / SUPPORT_MODULE).read_text() == "SHARED = 1\n"
    assert (private / "autograder" / "00_mini" / "test_00_mini.py").read_bytes() == (
        mini / "autograder" / "00_mini" / "test_00_mini.py").read_bytes()
    assert (private / "release" / "00_mini.ipynb").is_file()
    assert max_score(snapshot.source["00_mini"]) == 7.0
    assert snapshot.template_db["00_mini"].startswith(b"SQLite format 3")
    assert snapshot.fingerprints["00_mini"]  # lines only the hidden tests hold


def test_a_deleted_test_cell_is_put_back_in_the_sources_order(mini):
    source, release = _notebook(mini, "source"), _notebook(mini, "release")
    student = _notebook(mini, "release")
    student.cells = [c for c in student.cells if cell_grade_id(c) != "m_scale"]
    repeated = copy.deepcopy(next(c for c in student.cells if cell_grade_id(c) == "m_add"))
    repeated["id"] = "copy-of-m-add"
    student.cells.append(repeated)  # a repeated id: becomes an ordinary cell of the student's
    restored = nbformat.reads(restore_course_cells(student, source, release).decode(),
                              as_version=4)
    order = [cell_grade_id(c) for c in source.cells if cell_grade_id(c)]
    assert "m_scale" in order
    assert [cell_grade_id(c) for c in restored.cells if cell_grade_id(c)] == order
    assert "nbgrader" not in restored.cells[-1].metadata
    assert restored.cells[-1].source == repeated.source


def test_a_job_spec_is_plain_data_with_the_runs_settings(mini, tmp_path):
    snapshot = snapshot_course(mini, ["00_mini"], tmp_path / "work",
                               sandboxes=tmp_path / "boxes", visibility=([mini], []))
    content = (mini / "release" / "00_mini" / "00_mini.ipynb").read_bytes()
    sub = Submission("ann", "00_mini", {"00_mini.ipynb": content}, {})
    options = GradeOptions(cell_timeout=12, submission_timeout=99, memory_limit_gb=0.5)
    job = job_spec(sub, snapshot, options, index=3)
    assert sub.staged and job["notebook"] == sub.staged.decode("utf-8")
    assert job["cell_timeout"] == 12.0 and job["submission_timeout"] == 99
    assert job["course_cell_timeout"] == COURSE_CELL_TIMEOUT and job["fast"] is True
    assert job["tests_dir"] == str(tmp_path / "work" / "private" / "autograder" / "00_mini")
    assert Path(job["sandbox_dir"]).name.startswith("box-3-")
    assert job["memory_limit_bytes"] == 2**29 and job["env"] == {}
    assert job["hide"] == [str(mini), str(tmp_path / "boxes")]
    fields = kernel_fields(([mini], []), tmp_path / "boxes", options)
    assert {k: job[k] for k in fields} == fields


def test_an_assignment_missing_from_the_gradebook_stops_grading_before_any_work(tmp_path):
    root = tmp_path / "course_root"
    (root / "course" / "notebooks").mkdir(parents=True)
    (root / "course" / "notebooks" / "00_mini.py").write_text("# %% [markdown]\n# mini\n")
    notebook = tmp_path / "class" / "ana" / "00_mini" / "00_mini.ipynb"
    notebook.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1")]),
                   notebook)
    with pytest.raises(ValueError, match=r"no assignment 00_mini.*tl-course release 00_mini"):
        require_released(root, ["00_mini"])
    # was: every submission graded, then a MissingEntry traceback while recording the grades
    with pytest.raises(ValueError, match=r"no assignment 00_mini.*tl-course release 00_mini"):
        grade_submissions(tmp_path / "class", root, out=tmp_path / "grades")
    assert not (root / "gradebook.db").exists() and not (tmp_path / "grades").exists()
