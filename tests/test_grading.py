"""Grading building blocks: the in-kernel runner, scans, course commands, collect."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest
from grading_support import ROOT, make_mini_course

from tl_course import commands, course, scan
from tl_course.collect import collect
from tl_helpers.grading.kernel import GradingSetupError


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return make_mini_course(tmp_path_factory.mktemp("mini") / "course")


# ----------------------------------------------------------------------------- scans
def test_scan_code_flags_grading_internals_not_ordinary_code():
    assert scan.scan_code("model.compile(optimizer='adam')\nhistory = model.fit(x, y)") == []
    assert "uses pytest (the grader's test runner)" in scan.scan_code("import pytest")
    assert "touches the grading runner" in scan.scan_code(
        "import tl_helpers.grading as g\ng.grade_cell = print")
    assert "touches the grading runner" in scan.scan_code("from tl_course import batch")
    assert "replaces library functions (monkeypatching)" in scan.scan_code(
        "np.allclose = lambda *a: True")
    assert "runs dynamically built code" in scan.scan_code("exec(open('x').read())")


def test_leaking_cells_and_redaction(tmp_path):
    (tmp_path / "test_x.py").write_text("assert nb.secret_function(3) == 42, 'hint'\n")
    fingerprints = scan.hidden_fingerprints(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_code_cell("leak()")]
    nb.cells[1].outputs = [nbformat.v4.new_output(
        "stream", name="stdout", text="assert nb.secret_function(3) == 42, 'hint'\n")]
    assert scan.leaking_cells(nb, fingerprints) == [1]
    scan.redact_cells(nb, [1])
    assert "removed by the grader" in nb.cells[1].outputs[0].text


# ----------------------------------------------------------------------------- the runner
def test_hidden_fingerprints_leave_out_lines_students_are_given(tmp_path):
    (tmp_path / "test_x.py").write_text(
        "    keras.utils.set_random_seed(seed)\n    assert nb.secret_rule(3) == 'forty-two'\n")
    public = "def f(seed):\n    keras.utils.set_random_seed(seed)\n"
    fingerprints = scan.hidden_fingerprints(tmp_path, public=public)
    assert fingerprints == ["assert nb.secret_rule(3) == 'forty-two'"]
    traceback = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "error", ename="KeyboardInterrupt", evalue="",
        traceback=["----> 2     keras.utils.set_random_seed(seed)"])])
    assert scan.leaking_cells(nbformat.v4.new_notebook(cells=[traceback]), fingerprints) == []


def test_grade_cell_without_setup_cell_says_what_to_do():
    code = ("from tl_helpers.grading.kernel import grade_cell, GradingSetupError\n"
            "try:\n    grade_cell('x', 1, {})\nexcept GradingSetupError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "run the Setup cell" in out
    assert GradingSetupError.__mro__[1] is RuntimeError


# ----------------------------------------------------------------------------- course
def test_hidden_checks_get_a_tmp_path_wherever_their_folder_is(tmp_path):
    """A checker process gives its checks a folder that does not exist yet (one per process):
    checks that write files to ``tmp_path`` must still pass (they failed with
    FileNotFoundError in ``tl-course grade`` while ``validate`` passed)."""
    from tl_course.hidden_checks import HiddenChecks

    tests = tmp_path / "autograder"
    tests.mkdir()
    (tests / "test_files.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.grade_id("g_files")
        def test_reads_back_a_file(nb, tmp_path):
            path = tmp_path / "x.txt"
            path.write_text("hello")
            assert nb.size(path) == 5
    """))
    checks = HiddenChecks(tests, basetemp=tmp_path / "checks-tmp" / "1234")
    outcome = checks.run("g_files", type("Nb", (), {"size": staticmethod(
        lambda path: len(Path(path).read_text()))})())
    assert [c.passed for c in outcome.checks] == [True], outcome.summary()


def test_course_root_and_assignment_names(mini):
    assert course.find_course_root(mini / "source" / "00_mini") == mini
    assert course.list_assignments(mini) == ["00_mini"]
    with pytest.raises(ValueError, match='Did you mean "00_mini"'):
        course.check_assignment(mini, "00_mine")
    with pytest.raises(FileNotFoundError, match="No tl-course course directory"):
        course.find_course_root(Path("/"))


def test_release_and_source_differences_are_detected(mini, tmp_path):
    copy = tmp_path / "copy"
    import shutil

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


def test_validate_proves_the_invariant_and_catches_a_broken_solution(mini, tmp_path, capsys):
    assert commands.validate_command(mini, None) == 0
    assert "valid" in capsys.readouterr().out
    import shutil

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


# ----------------------------------------------------------------------------- collect
def _write_nb(path: Path, nb=None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb or nbformat.v4.new_notebook(), path)


def test_collect_reads_an_lms_zip_with_a_wrapper_folder(mini, tmp_path):
    source = nbformat.read(mini / "source" / "00_mini" / "00_mini.ipynb", as_version=4)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/ann/00_mini/my work (1).ipynb", nbformat.writes(source))
        zf.writestr("export/bob/00_mini/00_mini.ipynb", "{not json")
        zf.writestr("export/bob/99_unknown/x.ipynb", nbformat.writes(source))
    subs, problems = collect(archive, mini, tmp_path / "work")
    by = {(s.student, s.assignment): s for s in subs}
    assert problems == []
    assert by[("ann", "00_mini")].errors == []
    assert "graded as 00_mini.ipynb" in by[("ann", "00_mini")].notes[0]
    assert "not a valid notebook" in by[("bob", "00_mini")].errors[0]
    assert "unknown assignment '99_unknown'" in by[("bob", "99_unknown")].errors[0]


def test_collect_refuses_unsafe_archives_and_bad_names(mini, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escape.ipynb", "{}")
    subs, problems = collect(archive, mini, tmp_path / "work")
    assert subs == [] and "'..' component" in problems[0]  # the entry is skipped, reported
    assert not (tmp_path.parent / "escape.ipynb").exists()
    folder = tmp_path / "class"
    _write_nb(folder / "bad name!" / "00_mini" / "00_mini.ipynb")
    _write_nb(folder / "ok" / "00_mini" / "00_mini.ipynb")
    subs, problems = collect(folder, mini, tmp_path / "work2")
    assert [s.student for s in subs] == ["ok"]
    assert "letters, digits" in problems[0]
    with pytest.raises(FileNotFoundError, match="submissions"):
        collect(tmp_path / "nowhere", mini, tmp_path / "work3")


def test_cli_grade_reports_a_missing_folder(mini, capsys):
    from tl_course import cli

    assert cli.main(["grade", str(mini / "nowhere"), "--course", str(mini)]) == 2
    assert "Argument `submissions`" in capsys.readouterr().err


def test_repository_is_a_course_directory():
    assert course.find_course_root(ROOT) == ROOT
    assert (ROOT / "nbgrader_config.py").exists()


def test_grading_processes_skip_the_slow_optional_iri_parser():
    """``skip_slow_imports`` keeps jsonschema (imported by nbformat) from building the IRI
    parser of ``rfc3987_syntax`` (2.4 s per process); notebooks still validate."""
    code = textwrap.dedent("""
        import sys
        from tl_course.startup import skip_slow_imports
        skip_slow_imports()
        import nbformat
        nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]))
        print(sys.modules.get("rfc3987_syntax", "absent"), "jsonschema" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["None", "True"]
