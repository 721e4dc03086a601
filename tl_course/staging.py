"""What every grading job needs, read before any student code runs, and each job's spec.

:func:`snapshot_course` copies the release notebooks and hidden tests into the grader's private
folder (no kernel can read it) and reads the rest into a :class:`CourseSnapshot` in memory: a
notebook that rewrites files on disk cannot change what the next job is graded with.
:func:`require_released` refuses an assignment the course gradebook does not know, before any
work. :func:`job_spec` turns one submission into the plain data a checker process grades
(:func:`tl_course.worker.grade_job`), its notebook's course cells restored
(:func:`restore_course_cells`) and its timeouts and kernel settings filled in.

Example:
    >>> require_released(root, ["01_transfer"])  # doctest: +SKIP
    >>> snapshot = snapshot_course(root, ["01_transfer"], work, sandboxes=boxes,
    ...                            visibility=sandbox_visibility(root))  # doctest: +SKIP
    >>> job = job_spec(submission, snapshot, GradeOptions(), index=0)  # doctest: +SKIP
    >>> job["cell_timeout"]  # doctest: +SKIP
    60.0
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import re
import secrets
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from tl_course import course, scan
from tl_course.hidden_checks import hidden_files
from tl_helpers import config as settings  # (``config`` here is the course's nbgrader config)

if TYPE_CHECKING:
    from tl_course.collect import Submission
    from tl_course.options import GradeOptions

__all__ = ["CourseSnapshot", "snapshot_course",
           "require_released", "template_gradebook", "staging_config", "cell_grade_id",
           "restore_course_cells", "cell_timeout_of", "max_score", "job_spec", "kernel_fields",
           "portable_job"]

# A code cell of the course's own, unchanged (an experiment that trains models), may run
# config.COURSE_CELL_TIMEOUT seconds: the per-cell timeout is meant for the student's code, and
# one such cell can take a minute on a quiet machine and several on a busy one. The submission
# timeout still bounds the whole run.


@dataclass(frozen=True)
class CourseSnapshot:
    """What every job needs, read into memory before any student code runs: a notebook that
    rewrites files on disk cannot change what the next job is graded with."""

    config: str  # course/nbgrader_config.py
    template_db: dict[str, bytes]  # assignment -> gradebook with its cells, no solutions
    source: dict[str, nbformat.NotebookNode]
    release: dict[str, nbformat.NotebookNode]
    released: dict[str, str]  # grade_id -> released source
    trusted: dict[str, list[str]]  # assignment -> code cells the course itself wrote
    fingerprints: dict[str, list[str]]  # assignment -> lines only the hidden tests hold
    private: Path  # the grader's copies of release notebooks and hidden tests
    sandboxes: Path  # where each kernel's sandbox folder goes
    visibility: tuple[list[Path], list[Path]]  # (hide, keep) for the sandboxes


def require_released(root: Path, assignments: list[str]) -> None:
    """Refuse to grade an assignment the course gradebook does not know (before any grading,
    so no work is lost at the end): ``tl-course release`` puts it there."""
    path = root / "gradebook.db"
    known: set[str] = set()
    if path.is_file():
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            try:
                known = {name for (name,) in conn.execute("SELECT name FROM assignment")}
            except sqlite3.DatabaseError:
                known = set()
    missing = [name for name in assignments if name not in known]
    if missing:
        raise ValueError(
            f"The course gradebook {path} has no assignment {', '.join(missing)}: release it "
            f"first with `tl-course release {' '.join(missing)}`. Received: submissions of "
            f"{', '.join(missing)}")


def snapshot_course(root: Path, assignments: list[str], work: Path, *, sandboxes: Path,
                    visibility: tuple[list[Path], list[Path]]) -> CourseSnapshot:
    """Read what grading needs before any student code runs, into the grader's private folder
    ``work/private`` (which no kernel can read): release copies, hidden tests (with the shared
    :data:`~tl_course.hidden_checks.SUPPORT_MODULE`), gradebook templates."""
    config = (root / "course" / "nbgrader_config.py").read_text(encoding="utf-8")
    private = work / "private"
    sources, releases, template_db = {}, {}, {}
    released: dict[str, str] = {}
    trusted_cells, fingerprints = {}, {}
    for name in assignments:
        source_path = root / "source" / name / f"{name}.ipynb"
        release_path = root / "release" / name / f"{name}.ipynb"
        if not source_path.exists():
            course.build_sources(root, [name])
        source = nbformat.read(source_path, as_version=4)
        sources[name] = source
        trusted = [c.source for c in source.cells
                   if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("solution")]
        if not release_path.exists():
            raise FileNotFoundError(f"{release_path} is missing: run tl-course release {name}")
        release = nbformat.read(release_path, as_version=4)
        releases[name] = release
        (private / "release").mkdir(parents=True, exist_ok=True)
        nbformat.write(release, private / "release" / f"{name}.ipynb")
        trusted += [c.source for c in release.cells if c.cell_type == "code"]
        for c in release.cells:
            if cell_grade_id(c):
                released[cell_grade_id(c)] = c.source.strip()
        trusted_cells[name] = trusted
        fingerprints[name] = scan.hidden_fingerprints(root / "autograder" / name,
                                                      public="\n".join(trusted))
        for path in hidden_files(root / "autograder" / name):  # tests and support module
            copy = private / path.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())
        template_db[name] = template_gradebook(root, name, work)
    return CourseSnapshot(config, template_db, sources, releases, released, trusted_cells,
                          fingerprints, private, sandboxes, visibility)


def template_gradebook(root: Path, assignment: str, work: Path) -> bytes:
    """A gradebook with the assignment's cells, no students and no solution text."""
    folder = work / "templates" / assignment
    (folder / "source").mkdir(parents=True)
    shutil.copytree(root / "source" / assignment, folder / "source" / assignment)
    config = (root / "course" / "nbgrader_config.py").read_text(encoding="utf-8")
    (folder / "nbgrader_config.py").write_text(staging_config(config, folder, None))
    db = folder / "gradebook.db"
    _stamp_schema_version(root / "gradebook.db", db)
    outcome = course.release_into(folder, assignment)
    if outcome != "ok":
        raise RuntimeError(f"nbgrader could not process source/{assignment}: {outcome}")
    with sqlite3.connect(db) as conn:  # solutions never travel to a student's staging course
        conn.execute("UPDATE source_cell SET source = '' WHERE locked = 0")
    content = db.read_bytes()
    shutil.rmtree(folder)
    return content


def _stamp_schema_version(course_db: Path, new_db: Path) -> None:
    """Start ``new_db`` with the schema version of the course's gradebook. nbgrader stamps a
    new gradebook by running ``alembic heads`` in a subprocess (3.5 s, once per assignment and
    grading run); the course's gradebook, made by the same nbgrader, already holds the answer.
    Nothing is stamped when it cannot be read (nbgrader then asks alembic, as ever)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{course_db}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return
    if len(rows) != 1:
        return
    with contextlib.closing(sqlite3.connect(new_db)) as conn, conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version (version_num) VALUES (?)", rows[0])


def _source_digest(source: str) -> str:
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()


def staging_config(course_config: str, staging: Path, cell_timeout: float | None,
                   course_cells: list[str] = ()) -> str:
    """The course's nbgrader configuration, pointed at a staging course.

    Cells whose source is one of ``course_cells`` (unchanged course code) get
    ``config.COURSE_CELL_TIMEOUT`` seconds (or the cell timeout, if longer); every other cell
    gets the configured cell timeout.
    """
    lines = [
        course_config,
        "# --- set by tl-course grade for this staging course ---",
        f"c.CourseDirectory.root = {str(staging)!r}",
    ]
    if cell_timeout:
        lines.append(f"c.Execute.timeout = {int(cell_timeout)}")
    if course_cells:
        digests = sorted({_source_digest(text) for text in course_cells})
        lines += [
            "import hashlib as _hashlib",
            f"_COURSE_CELLS = set({digests!r})",
            "_CELL_TIMEOUT = c.Execute.timeout",
            f"_COURSE_TIMEOUT = max({settings.COURSE_CELL_TIMEOUT}, _CELL_TIMEOUT)",
            "def _timeout_for(cell):",
            "    digest = _hashlib.sha256(cell.source.strip().encode('utf-8')).hexdigest()",
            "    return _COURSE_TIMEOUT if digest in _COURSE_CELLS else _CELL_TIMEOUT",
            "c.Execute.timeout_func = _timeout_for",
        ]
    return "\n".join(lines) + "\n"


def cell_grade_id(cell: dict) -> str | None:
    """The nbgrader ``grade_id`` of ``cell``, or None for a cell nbgrader does not track."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def restore_course_cells(nb: nbformat.NotebookNode, source: nbformat.NotebookNode,
                         release: nbformat.NotebookNode) -> bytes:
    """The submission with the course's cell structure restored, as nbgrader needs it.

    nbgrader only re-adds a deleted test cell when the cell before it survived, and fails on a
    graded cell with an unknown grade_id. Here a cell with an unknown or repeated grade_id
    becomes an ordinary cell of the student's, and every missing course cell (setup, answer
    stub, test) is put back in the source's order. Locked cells are restored by nbgrader itself.
    """
    order = [cell_grade_id(c) for c in source.cells if cell_grade_id(c)]
    templates = {cell_grade_id(c): c for c in release.cells if cell_grade_id(c)}
    seen: set[str] = set()
    for cell in nb.cells:
        grade_id = cell_grade_id(cell)
        if grade_id is not None and (grade_id not in templates or grade_id in seen):
            del cell.metadata["nbgrader"]
        elif grade_id is not None:
            seen.add(grade_id)
    for position, grade_id in enumerate(order):
        if grade_id in seen or grade_id not in templates:
            continue
        where = {cell_grade_id(c): i for i, c in enumerate(nb.cells) if cell_grade_id(c)}
        before = [where[g] for g in order[:position] if g in where]
        restored = copy.deepcopy(templates[grade_id])
        restored["id"] = f"restored-{secrets.token_hex(4)}"
        nb.cells.insert(before[-1] + 1 if before else 0, restored)
        seen.add(grade_id)
    return nbformat.writes(nb).encode("utf-8")


def cell_timeout_of(config: str, override: float | None) -> float:
    """The per-cell timeout: ``override``, else the course configuration's, else
    :data:`tl_helpers.config.CELL_TIMEOUT`."""
    if override:
        return float(override)
    match = re.search(r"c\.Execute\.timeout\s*=\s*(\d+)", config)
    return float(match.group(1)) if match else float(settings.CELL_TIMEOUT)


def max_score(nb: nbformat.NotebookNode) -> float:
    """The points of every graded cell of ``nb`` (a source notebook) together."""
    return sum(float(c.metadata["nbgrader"]["points"]) for c in nb.cells
               if c.get("metadata", {}).get("nbgrader", {}).get("grade"))


def job_spec(sub: Submission, snapshot: CourseSnapshot, options: GradeOptions, *,
             index: int) -> dict:
    """What a checker process needs to grade one submission (plain data). Stores the notebook
    with its course cells restored in ``sub.staged``."""
    sub.staged = restore_course_cells(sub.notebook(), snapshot.source[sub.assignment],
                                      snapshot.release[sub.assignment])
    box = snapshot.sandboxes / f"box-{index}-{secrets.token_hex(8)}"
    return {
        "student": sub.student, "assignment": sub.assignment,
        "notebook": sub.staged.decode("utf-8"),
        "release": str(snapshot.private / "release" / f"{sub.assignment}.ipynb"),
        "tests_dir": str(snapshot.private / "autograder" / sub.assignment),
        "checks_tmp": str(snapshot.private / "checks-tmp"),
        "sandbox_dir": str(box), "fast": options.fast,
        **kernel_fields(snapshot.visibility, snapshot.sandboxes, options),
        "cell_timeout": cell_timeout_of(snapshot.config, options.cell_timeout),
        "course_cell_timeout": settings.COURSE_CELL_TIMEOUT,
        "submission_timeout": options.submission_timeout,
    }


def kernel_fields(visibility: tuple[list[Path], list[Path]], sandboxes: Path,
                  options: GradeOptions) -> dict:
    """The fields of a job that set up its kernel (the same for every submission of a run,
    so a kernel started ahead fits any of them)."""
    hide, keep = visibility
    return {"hide": [str(p) for p in [*hide, sandboxes]], "keep": [str(p) for p in keep],
            "env": options.kernel_env, "isolate": options.isolate,
            "call_timeout": options.call_timeout,
            "memory_limit_bytes": int(options.memory_limit_gb * 2**30)}


def portable_job(job: dict, snapshot: CourseSnapshot, *, threads: int) -> dict:
    """``job`` for a worker that sees none of the grader's files (a Dask worker, see
    :func:`tl_course.worker.grade_portable_job`): the snapshot's release notebook and hidden
    tests travel inside it, and its kernels get ``threads`` CPU threads (0: no limit).

    Example:
        >>> job = portable_job(job_spec(sub, snapshot, GradeOptions(), index=0), snapshot,
        ...                    threads=1)  # doctest: +SKIP
        >>> sorted(job["tests"])  # doctest: +SKIP
        ['05_negative_transfer/test_05_negative_transfer.py', 'check_support.py']
    """
    autograder = snapshot.private / "autograder"
    tests = {path.relative_to(autograder).as_posix(): path.read_text(encoding="utf-8")
             for path in hidden_files(autograder / job["assignment"])}
    release = Path(job["release"]).read_text(encoding="utf-8")
    return {**job, "release_text": release, "tests": tests, "threads": int(threads)}

