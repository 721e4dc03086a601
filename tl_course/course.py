"""The course directory: where it is, its assignments, and releasing them with nbgrader.

The repository root is an nbgrader course directory: ``course/notebooks/<assignment>.py`` (the
authoring scripts) -> ``source/<assignment>/<assignment>.ipynb`` (instructor notebooks) ->
``release/<assignment>/<assignment>.ipynb`` (student versions, made by nbgrader), with the hidden
checks in ``autograder/<assignment>/``.

Example:
    >>> from pathlib import Path
    >>> find_course_root(Path("/"))
    Traceback (most recent call last):
    ...
    FileNotFoundError: No tl-course course directory at or above /. ...
"""

from __future__ import annotations

import contextlib
import filecmp
import io
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tl_course.authoring import build_notebook
from tl_helpers import config
from tl_helpers._validation import suggest

__all__ = [
    "find_course_root",
    "list_assignments",
    "check_assignment",
    "build_sources",
    "nbgrader_api",
    "release",
    "release_into",
    "in_folder",
    "release_differences",
    "source_differences",
    "tool_environment",
]


def tool_environment() -> None:
    """Put this interpreter's bin folder on PATH (nbgrader calls ``alembic`` and ``jupyter``)."""
    bin_dir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bin_dir not in parts:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *parts])
    config.quiet_tensorflow()


def find_course_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` with ``course/notebooks`` and ``autograder``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "course" / "notebooks").is_dir() and (folder / "autograder").is_dir():
            return folder
    raise FileNotFoundError(
        f"No tl-course course directory at or above {here}. Run the command from the course "
        "repository (it has course/notebooks/ and autograder/) or pass --course PATH. "
        f"Received: start={start}"
    )


def list_assignments(root: Path) -> list[str]:
    """Assignment names, from ``course/notebooks/*.py``, in course order."""
    return sorted(p.stem for p in (Path(root) / "course" / "notebooks").glob("[0-9]*.py"))


def check_assignment(root: Path, name: str) -> str:
    """Return ``name`` if it is an assignment of the course, else raise a helpful ValueError."""
    known = list_assignments(root)
    if name not in known:
        raise ValueError(
            f"Argument `assignment` must be an assignment of the course.{suggest(name, known)} "
            f"Known assignments: "
            f"{', '.join(known) or 'none'}. Received: assignment={name!r}"
        )
    return name


def build_sources(root: Path, assignments: list[str] | None = None) -> list[str]:
    """Regenerate ``source/<a>/<a>.ipynb`` from ``course/notebooks/<a>.py``; return the changed."""
    root = Path(root)
    changed = []
    for name in assignments or list_assignments(root):
        script = root / "course" / "notebooks" / f"{name}.py"
        if build_notebook(script, root / "source" / name / f"{name}.ipynb"):
            changed.append(name)
    return changed


def nbgrader_api(root: Path, db_url: str | None = None, exchange: str | Path | None = None):
    """An ``NbGraderAPI`` for the course at ``root`` with the course's nbgrader_config.py
    (``exchange``: the nbgrader exchange root to use instead of the configured one)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    tool_environment()
    root = Path(root).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    if exchange:
        config.Exchange.root = str(Path(exchange).resolve())
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log.setLevel(logging.ERROR)
    return api


@contextlib.contextmanager
def in_folder(folder: Path):
    """Run the body with ``folder`` as the current directory (nbgrader resolves paths from it)."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def release(root: Path, assignments: list[str] | None = None) -> dict[str, str]:
    """Build the source notebooks and run ``nbgrader generate_assignment --force`` for each.

    Returns:
        ``{assignment: "ok" | error text}``.
    """
    root = Path(root).resolve()
    names = [check_assignment(root, a) for a in (assignments or list_assignments(root))]
    build_sources(root, names)
    return {name: release_into(root, name) for name in names}


def release_into(root: Path, name: str) -> str:
    """Run ``nbgrader generate_assignment NAME --force`` at ``root``; "ok" or the error."""
    api = nbgrader_api(root)
    with in_folder(root), contextlib.redirect_stdout(io.StringIO()):
        result = api.generate_assignment(name, force=True, create=True)
    return "ok" if result["success"] else (result.get("error") or result["log"])


def source_differences(root: Path) -> list[str]:
    """Assignments whose committed source notebook differs from its authoring script."""
    from tl_course.authoring import notebook_text, parse_cells

    root = Path(root)
    stale = []
    for name in list_assignments(root):
        script = root / "course" / "notebooks" / f"{name}.py"
        notebook = root / "source" / name / f"{name}.ipynb"
        expected = notebook_text(parse_cells(script.read_text(encoding="utf-8"),
                                             origin=str(script)))
        if not notebook.exists() or notebook.read_text(encoding="utf-8") != expected:
            stale.append(name)
    return stale


def release_differences(root: Path) -> list[str]:
    """Files of ``release/`` that differ from a fresh ``generate_assignment`` of ``source/``."""
    root = Path(root).resolve()
    with tempfile.TemporaryDirectory(prefix="tl-release-") as tmp:
        copy = Path(tmp) / "course"
        copy.mkdir()
        for part in ("nbgrader_config.py", "course", "source", "autograder"):
            src = root / part
            if src.is_dir():
                shutil.copytree(src, copy / part)
            elif src.exists():
                shutil.copy2(src, copy / part)
        outcome = release(copy)
        problems = [f"{a}: {e}" for a, e in outcome.items() if e != "ok"]
        fresh, committed = copy / "release", root / "release"
        for name in list_assignments(root):
            comparison = filecmp.dircmp(fresh / name, committed / name)
            problems += _dircmp_problems(comparison, f"release/{name}")
    return problems


def _dircmp_problems(comparison: filecmp.dircmp, prefix: str) -> list[str]:
    problems = [f"{prefix}/{n}: missing" for n in comparison.left_only]
    problems += [f"{prefix}/{n}: not generated by nbgrader" for n in comparison.right_only
                 if n not in ("__pycache__", ".ipynb_checkpoints")]
    for name in comparison.common_files:
        if not filecmp.cmp(Path(comparison.left) / name, Path(comparison.right) / name,
                           shallow=False):
            problems.append(f"{prefix}/{name}: out of date (run: tl-course release)")
    for name, sub in comparison.subdirs.items():
        problems += _dircmp_problems(sub, f"{prefix}/{name}")
    return problems
