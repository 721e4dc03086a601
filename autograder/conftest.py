"""Run the hidden checks outside nbgrader: ``pytest autograder --notebook PATH``.

As in grading, the notebook runs in its own (sandboxed, where possible) kernel and the checks
run here, in pytest's process, reaching the notebook's functions through
:class:`tl_course.proxy.NotebookProxy` (fixture ``nb``). Without ``--notebook`` each
assignment's checks run against its source notebook. Checks of other assignments than the
notebook's are skipped. ``--full`` runs the course's experiments too (default: fast mode).
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:  # the checks' shared helpers: `from check_support import ...`
    sys.path.insert(0, str(HERE))
_OPEN: dict[Path, object] = {}


def pytest_addoption(parser):
    parser.addoption("--notebook", action="store", default=None, type=Path,
                     help="grade this notebook (a student's submission or a source notebook)")
    parser.addoption("--full", action="store_true", default=False,
                     help="run every cell, the course's experiments included")


def pytest_configure(config):
    config.addinivalue_line("markers", "grade_id(name): the graded cell a check belongs to")


def _assignment_of(item) -> str:
    return Path(item.fspath).resolve().relative_to(HERE).parts[0]


def _notebook_for(config, assignment: str) -> Path:
    chosen = config.getoption("--notebook")
    if chosen is not None:
        return Path(chosen).resolve()
    return ROOT / "source" / assignment / f"{assignment}.ipynb"


def pytest_collection_modifyitems(config, items):
    chosen = config.getoption("--notebook")
    if chosen is None:
        return
    stem = Path(chosen).stem
    skip = pytest.mark.skip(reason=f"checks of another assignment than {stem}")
    for item in items:
        if _assignment_of(item) != stem:
            item.add_marker(skip)


def _open(path: Path, assignment: str, full: bool):
    import nbformat

    from tl_course.notebook_grader import running_notebook

    if not path.is_file():
        raise FileNotFoundError(f"--notebook must be an existing notebook. Received: {path}")
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    base = Path(tempfile.mkdtemp(prefix="tl-autograder-"))
    base.chmod(0o711)
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    session = running_notebook(
        nbformat.read(path, as_version=4), release, base / "box", fast=not full,
        hide=[ROOT], keep=[ROOT / "tl_helpers", Path(sys.prefix)])
    proxy = session.__enter__()
    atexit.register(session.__exit__, None, None, None)
    return session, proxy


@pytest.fixture
def nb(request):
    assignment = _assignment_of(request.node)
    path = _notebook_for(request.config, assignment)
    if path not in _OPEN:
        _OPEN[path] = _open(path, assignment, request.config.getoption("--full"))
    return _OPEN[path][1]


def pytest_sessionfinish(session, exitstatus):
    for opened, _ in _OPEN.values():
        opened.__exit__(None, None, None)
    _OPEN.clear()
