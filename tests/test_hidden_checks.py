"""tl_course.hidden_checks: the hidden checks share autograder/check_support.py, and every
grading job imports its own copy, forgotten after each submission."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from grading_support import ROOT

from tl_course.hidden_checks import (
    SUPPORT_MODULE,
    HiddenChecks,
    HiddenChecksError,
    hidden_files,
)

CHECKS = textwrap.dedent('''
    import pytest
    from check_support import answer, calls

    @pytest.mark.grade_id("g_support")
    def test_uses_the_support_module(nb):
        """the support module is importable"""
        calls.append(1)
        assert nb.value == answer(), f"expected {answer()}"

    @pytest.mark.grade_id("g_support")
    def test_imports_inside_a_check(nb):
        """a check may import it when it runs"""
        import check_support

        assert check_support.answer() == answer()
''')


def _job(root: Path, answer: int, name: str = "00_job") -> Path:
    """``root/autograder/<name>/test_<name>.py`` using ``root/autograder/check_support.py``."""
    tests = root / "autograder" / name
    tests.mkdir(parents=True)
    (tests / f"test_{name}.py").write_text(CHECKS)
    (root / "autograder" / SUPPORT_MODULE).write_text(
        f"calls = []\n\ndef answer():\n    return {answer}\n")
    return tests


def _nb(value):
    return type("Nb", (), {"value": value})()


@pytest.fixture(autouse=True)
def _clean_imports():
    before = list(sys.path)
    yield
    for name in [n for n in sys.modules if n == "check_support" or n.startswith("test_00_")]:
        del sys.modules[name]  # what a test's checks imported (each test's are in a new folder)
    sys.path[:] = before


def test_hidden_checks_import_the_support_module_and_forget_it(tmp_path):
    tests = _job(tmp_path, 42)
    checks = HiddenChecks(tests, basetemp=tmp_path / "tmp")
    outcome = checks.run("g_support", _nb(42))
    assert [c.passed for c in outcome.checks] == [True, True], outcome.summary()
    assert str(tests.parent) not in sys.path  # only while the checks run
    support = sys.modules["check_support"]
    assert Path(support.__file__).resolve() == (tests.parent / SUPPORT_MODULE).resolve()
    assert checks.run("g_support", _nb(42)).passed == 2  # the next cell: the same module
    assert sys.modules["check_support"] is support and support.calls == [1, 1]
    checks.forget()  # the submission is graded
    assert "check_support" not in sys.modules
    assert not any(Path(getattr(m, "__file__", None) or "/").resolve().parent == tests.resolve()
                   for m in list(sys.modules.values()))
    assert checks.run("g_support", _nb(42)).passed == 2  # the next submission: imported afresh
    assert sys.modules["check_support"] is not support
    assert sys.modules["check_support"].calls == [1]


def test_every_job_sees_its_own_copy_of_the_support_module(tmp_path):
    first = HiddenChecks(_job(tmp_path / "job1", 1), basetemp=tmp_path / "tmp1")
    second = HiddenChecks(_job(tmp_path / "job2", 2, "00_other"), basetemp=tmp_path / "tmp2")
    assert first.run("g_support", _nb(1)).passed == 2
    outcome = second.run("g_support", _nb(2))  # the first job's module is still imported
    assert outcome.passed == 2, outcome.summary()
    assert sys.modules["check_support"].answer() == 2
    assert first.run("g_support", _nb(1)).passed == 2


def test_a_failed_import_is_reported_and_leaves_no_path_behind(tmp_path):
    tests = tmp_path / "autograder" / "00_job"
    tests.mkdir(parents=True)
    (tests / "test_00_job.py").write_text(CHECKS)  # no check_support.py next to it
    checks = HiddenChecks(tests, basetemp=tmp_path / "tmp")
    with pytest.raises(HiddenChecksError, match="could not be imported"):
        checks.run("g_support", _nb(0))
    assert str(tests.parent) not in sys.path


def test_hidden_files_lists_the_tests_and_the_support_module(tmp_path):
    tests = _job(tmp_path, 1)
    (tests / "notes.txt").write_text("not a check")
    assert hidden_files(tests) == [tests / "test_00_job.py", tmp_path / "autograder" /
                                   SUPPORT_MODULE]
    (tmp_path / "autograder" / SUPPORT_MODULE).unlink()
    assert hidden_files(tests) == [tests / "test_00_job.py"]  # a course without one
    with pytest.raises(HiddenChecksError, match=r"Argument `tests_dir` .* Received: "):
        hidden_files(tmp_path)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "autograder").glob("0*")))
def test_course_checks_use_the_course_support_module(name):
    files = hidden_files(ROOT / "autograder" / name)
    assert files[-1] == ROOT / "autograder" / SUPPORT_MODULE
    assert all(f.name.startswith("test_") for f in files[:-1])


def test_hidden_checks_get_a_tmp_path_wherever_their_folder_is(tmp_path):
    """A checker process gives its checks a folder that does not exist yet (one per process):
    checks that write files to ``tmp_path`` must still pass (they failed with
    FileNotFoundError in ``tl-course grade`` while ``validate`` passed)."""
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


def test_bad_folders_and_unknown_grade_ids_are_named(tmp_path):
    with pytest.raises(HiddenChecksError, match=r"Argument `tests_dir` must hold hidden test "
                                                r"files \(test_\*\.py\); it holds none"):
        HiddenChecks(tmp_path)
    checks = HiddenChecks(_job(tmp_path, 1), basetemp=tmp_path / "tmp")
    with pytest.raises(HiddenChecksError, match=r"no check is marked grade_id\('g_nope'\)\. "
                                                r"Received: grade_id='g_nope'"):
        checks.run("g_nope", _nb(1))
