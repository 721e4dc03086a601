"""Run the hidden checks outside nbgrader: ``pytest autograder --notebook PATH``.

The ``nb`` fixture executes the notebook's code cells in this process (hidden test blocks left
out) and hands the tests its namespace, exactly as ``tl_helpers.grading.grade_cell`` does inside
a kernel. Without ``--notebook`` each assignment's checks run against its source notebook.
Checks of other assignments than the notebook's are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tl_helpers.grading.kernel import _Namespace

HERE = Path(__file__).resolve().parent
_CACHE: dict[Path, dict] = {}


def pytest_addoption(parser):
    parser.addoption("--notebook", action="store", default=None, type=Path,
                     help="grade this notebook (a student's submission or a source notebook)")


def pytest_configure(config):
    config.addinivalue_line("markers", "grade_id(name): the graded cell a check belongs to")


def _assignment_of(item) -> str:
    return Path(item.fspath).resolve().relative_to(HERE).parts[0]


def _notebook_for(config, assignment: str) -> Path:
    chosen = config.getoption("--notebook")
    if chosen is not None:
        return Path(chosen).resolve()
    return HERE.parent / "source" / assignment / f"{assignment}.ipynb"


def pytest_collection_modifyitems(config, items):
    chosen = config.getoption("--notebook")
    if chosen is None:
        return
    stem = Path(chosen).stem
    skip = pytest.mark.skip(reason=f"checks of another assignment than {stem}")
    for item in items:
        if _assignment_of(item) != stem:
            item.add_marker(skip)


def _execute(path: Path) -> dict:
    import matplotlib
    import nbformat

    matplotlib.use("Agg")
    if not path.is_file():
        raise FileNotFoundError(f"--notebook must be an existing notebook. Received: {path}")
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__main__"}
    try:
        from IPython.display import display

        namespace["display"] = display
    except ImportError:
        pass
    previous = Path.cwd()
    os.chdir(path.parent)
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
            try:  # like nbgrader: a failing cell does not stop the cells after it
                exec(compile("\n".join(lines), f"<{path.name} cell>", "exec"), namespace)
            except Exception:
                pass
    finally:
        os.chdir(previous)
    return namespace


@pytest.fixture
def nb(request):
    path = _notebook_for(request.config, _assignment_of(request.node))
    if path not in _CACHE:
        _CACHE[path] = _execute(path)
    return _Namespace(_CACHE[path])
