"""``tl-course grade``: grade a class of submissions fairly, without losses, out of reach of the
code being graded.

Pipeline for a folder (or a zip such as an LMS export) of ``<student>/<assignment>/*.ipynb``:

1. **Collect**: every file is copied into the grader's private work folder and its sha256
   recorded, before any student code runs. A bad zip entry, an unknown assignment, a missing
   notebook or an unreadable file is reported for that entry or student; the batch goes on.
2. **Grade**: ``--jobs N`` checker processes (:mod:`tl_course.worker`) each take one
   submission after another. The submission's kernel runs in a sandbox of its own (PID, mount
   and network namespaces, its own user id, resource limits; it cannot see the course folder,
   the hidden tests, the gradebook or other submissions), the hidden checks run in the checker
   and reach the notebook's functions through plain data only
   (:mod:`tl_course.notebook_grader`). Fast mode (the default) skips the course's
   unchanged experiments that nothing needs.
3. **Record**: this process alone writes the scores the checkers computed into the gradebook,
   the feedback HTML, ``grades.csv`` and ``summary.txt``, after every job has ended, and reads
   them back to verify them. Code that reaches for grading internals, an edited grading file or
   printed hidden tests flag the graded cell concerned: 0 points, pending a person's review.
   Submitted files that changed are restored.

Example:
    $ tl-course grade exports/week3.zip --jobs 2
"""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import os
import re
import secrets
import shutil
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tl_course import course, scan, worker
from tl_helpers._validation import suggest

__all__ = ["SubmissionResult", "GradeReport", "collect", "grade_submissions"]


@dataclass
class SubmissionResult:
    """The outcome for one student and one assignment."""

    student: str
    assignment: str
    status: str = "graded"  # graded | failed
    score: float = 0.0
    max_score: float = 0.0
    cells: dict[str, tuple[float, float]] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)  # needs a human look
    notes: list[str] = field(default_factory=list)  # what the grader did, for the record
    errors: list[str] = field(default_factory=list)
    feedback: str = ""
    seconds: float = 0.0


@dataclass
class GradeReport:
    """All results of one ``tl-course grade`` run."""

    results: list[SubmissionResult]
    out_dir: Path
    feedback_dir: Path
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said once, no effect on the exit code

    @property
    def exit_code(self) -> int:
        """0 when every submission was graded, else 1."""
        failed = any(r.status != "graded" for r in self.results)
        return 1 if failed or self.problems else 0

    def summary_text(self) -> str:
        """The grade table, then what needs attention and why."""
        lines = [f"{'student':<22}{'assignment':<34}{'score':>12}  status"]
        for r in sorted(self.results, key=lambda r: (r.assignment, r.student)):
            score = f"{r.score:g}/{r.max_score:g}" if r.status == "graded" else "-"
            state = r.status + (" REVIEW" if r.review else "")
            lines.append(f"{r.student:<22}{r.assignment:<34}{score:>12}  {state}")
        attention = [r for r in self.results if r.review or r.errors or r.notes]
        if attention:
            lines.append("")
        for r in sorted(attention, key=lambda r: (r.assignment, r.student)):
            lines.append(f"{r.student} / {r.assignment}:")
            lines += [f"  error:  {e}" for e in r.errors]
            lines += [f"  review: {f}" for f in r.review]
            lines += [f"  note:   {n}" for n in r.notes]
        lines += [f"problem: {p}" for p in self.problems]
        lines += [f"warning: {w}" for w in self.warnings]
        graded = sum(r.status == "graded" for r in self.results)
        lines.append("")
        lines.append(f"{graded} of {len(self.results)} submissions graded; "
                     f"{sum(bool(r.review) for r in self.results)} flagged for manual review.")
        lines.append(f"Grades: {self.out_dir / 'grades.csv'}   Summary: "
                     f"{self.out_dir / 'summary.txt'}   Feedback: {self.feedback_dir}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- collect
@dataclass
class _Submission:
    """One student's files for one assignment, held in memory from before any code ran."""

    student: str
    assignment: str
    files: dict[str, bytes]  # relative path -> content (the notebook as <assignment>.ipynb)
    originals: dict[Path, tuple[str, str]]  # original file -> (relative path, sha256)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    staged: bytes = b""  # the notebook as handed to nbgrader (structure repaired)

    @property
    def notebook_name(self) -> str:
        return f"{self.assignment}.ipynb"

    def notebook(self) -> nbformat.NotebookNode:
        return nbformat.reads(self.files[self.notebook_name].decode("utf-8"), as_version=4)

    def write(self, folder: Path, *, staged: bool = False) -> None:
        for relative, content in self.files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if staged and relative == self.notebook_name:
                content = self.staged
            target.write_bytes(content)


def _safe_extract(archive: Path, target: Path) -> list[str]:
    """Extract the files and folders of ``archive`` under ``target``; return what was skipped.

    One bad entry never costs the other students their submissions. An entry whose name is
    absolute or has a ``..`` component, a backslash, a NUL or a control character, an entry that
    is a link or a device, entries that name one file (``a//b``, ``a/./b``, a repeated name)
    with different contents, and an entry the filesystem cannot hold beside an earlier one are
    skipped, each described in one message naming the zip, the entry and why. A skipped entry
    whose path is safe still leaves its folder, so its student is graded (or shown failing, e.g.
    with no notebook) rather than missing. Identical duplicates are extracted once. Nothing is
    ever written outside ``target``.

    Example:
        >>> problems = _safe_extract(Path("week3.zip"), work / "unzipped")  # doctest: +SKIP
        >>> problems  # doctest: +SKIP
        ["week3.zip: entry '../evil.py' skipped: its path has a '..' component ..."]
    """
    import stat

    from tl_course.student_ids import unsafe_character

    target.mkdir(parents=True, exist_ok=True)
    base = target.resolve()
    problems: list[str] = []

    def skip(name: str, why: str) -> None:
        problems.append(f"{archive.name}: entry {name!r} skipped: {why}")

    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{archive} is not a readable zip archive: {error}") from error
    with zf:
        folders: list[tuple[str, tuple[str, ...], bool]] = []  # name, path, is an entry
        files: dict[tuple[str, ...], list[tuple[str, zipfile.ZipInfo]]] = {}
        for info in zf.infolist():
            name = info.orig_filename  # before zipfile cuts it at a NUL
            if not info.flag_bits & 0x800:  # no UTF-8 flag, yet many tools write UTF-8 names
                try:
                    name = name.encode("cp437").decode("utf-8")
                except UnicodeError:
                    pass
            kind = stat.S_IFMT(info.external_attr >> 16)
            unsafe = unsafe_character(name)
            if "\x00" in name:
                why = "its name contains a NUL character"
            elif "\\" in name:
                why = "its name contains a backslash (a Windows path separator)"
            elif name.startswith("/") or re.match(r"[A-Za-z]:", name):
                why = "its path is absolute"
            elif ".." in name.split("/"):
                why = "its path has a '..' component (it would be written outside the export)"
            elif unsafe:
                why = f"its name contains {unsafe}"
            else:
                why = ""
            if why:
                skip(name, why)
                continue
            parts = tuple(p for p in name.split("/") if p not in ("", "."))
            if not parts:
                continue
            if kind == stat.S_IFLNK or kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                skip(name, "it is a symbolic link" if kind == stat.S_IFLNK else
                     "it is not a regular file (a device, pipe or socket)")
                folders.append((name, parts[:-1], False))  # its student still shows up
            elif name.endswith("/") or kind == stat.S_IFDIR:
                folders.append((name, parts, True))
            else:
                files.setdefault(parts, []).append((name, info))
        for parts, group in files.items():
            name, info = group[0]
            if any(i.CRC != info.CRC or i.file_size != info.file_size for _, i in group):
                for index, (other, _) in enumerate(group):
                    rest = ", ".join(repr(n) for j, (n, _) in enumerate(group) if j != index)
                    skip(other, f"it names the same file as {rest} (once '//' and '/./' are "
                                "unified) with different contents; neither is trusted")
                folders.append((name, parts[:-1], False))
                continue
            dest = target.joinpath(*parts)
            created = False
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                if not dest.parent.resolve().is_relative_to(base):
                    skip(name, "it would be written outside the extraction folder")
                    continue
                with zf.open(info) as source:
                    with open(dest, "xb") as sink:
                        created = True
                        shutil.copyfileobj(source, sink)
            except Exception as error:  # encrypted, corrupt or unwritable: this entry only
                if created:
                    dest.unlink(missing_ok=True)
                elif isinstance(error, FileExistsError):
                    skip(name, "an earlier entry already made a file or folder at this path "
                               "(the names differ only in a way this filesystem ignores)")
                    continue
                reason = error.strerror if isinstance(error, OSError) and error.strerror else (
                    f"{type(error).__name__}: {error}")
                skip(name, f"it could not be extracted ({reason})")
        for name, parts, is_entry in folders:
            try:
                target.joinpath(*parts).mkdir(parents=True, exist_ok=True)
            except OSError as error:
                if is_entry:
                    skip(name, f"it could not be created ({error.strerror or error})")
    return problems


def _class_folder(folder: Path, assignments: list[str]) -> Path:
    """Descend through wrapper folders (an LMS export often adds one) to ``<student>/...``."""
    from tl_course.student_ids import is_clutter

    def listing(path: Path) -> list[Path]:
        try:
            return [p for p in path.iterdir()
                    if not p.name.startswith(".") and not is_clutter(p.name)]
        except OSError:
            return []

    def is_folder(path: Path) -> bool:
        return path.is_dir() and not path.is_symlink()

    for _ in range(3):
        entries = listing(folder)
        looks_like_students = any(
            is_folder(child) and child.name in assignments
            for entry in entries if is_folder(entry) for child in listing(entry))
        if looks_like_students or len(entries) != 1 or not is_folder(entries[0]):
            return folder
        folder = entries[0]
    return folder


def collect(submissions: Path, root: Path, work: Path) -> tuple[list[_Submission], list[str]]:
    """Read every submission into memory (with checksums) and describe what was found.

    Nothing found here stops the batch: a bad zip entry, a refused student folder (see
    :mod:`tl_course.student_ids`: the student id is the folder name in NFC) or a
    student folder without assignments is one line of ``problems``; an unknown assignment, a
    missing or invalid notebook or an unreadable file is an error of that submission. Every
    other student is collected.

    Example:
        >>> subs, problems = collect(Path("week3.zip"), Path("."), work)  # doctest: +SKIP
        >>> [(s.student, s.assignment, s.errors) for s in subs]  # doctest: +SKIP
        [('zoë', '01_transfer', [])]
    """
    from tl_course import student_ids

    submissions = Path(submissions)
    assignments = course.list_assignments(root)
    problems: list[str] = []
    if not submissions.exists():
        raise FileNotFoundError(
            f"Argument `submissions` must be a folder or a .zip. Received: {submissions}")
    from_zip = submissions.is_file()
    if from_zip:
        if not zipfile.is_zipfile(submissions):
            raise ValueError(f"{submissions} is neither a folder nor a zip archive.")
        problems += _safe_extract(submissions, work / "unzipped")
        base = _class_folder(work / "unzipped", assignments)
    else:
        base = _class_folder(submissions.resolve(), assignments)
    candidates: list[Path] = []
    for entry in sorted(base.iterdir()):
        if student_ids.is_clutter(entry.name):
            continue
        if entry.is_symlink():
            problems.append(f"{entry.name!r}: a symbolic link, not a student folder; skipped")
        elif entry.is_dir():
            candidates.append(entry)
        elif not entry.name.startswith("."):
            problems.append(f"{entry.name}: not a student folder (expected "
                            "<student>/<assignment>/<notebook>.ipynb); skipped")
    ids, refused = student_ids.student_ids([p.name for p in candidates])
    problems += refused
    found: list[_Submission] = []
    for student_dir in candidates:
        if student_dir.name not in ids:
            continue
        student = ids[student_dir.name]
        assignment_dirs = []
        try:
            for p in sorted(student_dir.iterdir()):
                if p.name.startswith(".") or student_ids.is_clutter(p.name):
                    continue
                if p.is_symlink():
                    problems.append(f"{student}/{p.name}: a symbolic link, not an assignment "
                                    "folder; skipped")
                elif p.is_dir():
                    assignment_dirs.append(p)
        except OSError as error:
            problems.append(f"{student}: the folder could not be read ({error.strerror}); "
                            "skipped")
            continue
        if not assignment_dirs:
            problems.append(f"{student}: no assignment folder inside (expected "
                            f"{student}/<assignment>/<notebook>.ipynb); nothing collected")
        for assignment_dir in assignment_dirs:
            name = assignment_dir.name
            sub = _Submission(student, name, {}, {})
            found.append(sub)
            if name not in assignments:
                sub.errors.append(f"unknown assignment {name!r}.{suggest(name, assignments)} "
                                  f"Known: {', '.join(assignments)}")
                continue
            for path in sorted(assignment_dir.rglob("*")):
                relative = path.relative_to(assignment_dir).as_posix()
                if any(part.startswith(".") for part in Path(relative).parts):
                    continue
                if path.is_symlink():
                    sub.notes.append(f"{relative} is a symbolic link; not collected")
                    continue
                if not path.is_file():
                    continue
                try:
                    content = path.read_bytes()
                except OSError as error:
                    sub.errors.append(f"{relative} could not be read ({error.strerror})")
                    continue
                sub.files[relative] = content
                if not from_zip:
                    sub.originals[path] = (relative, hashlib.sha256(content).hexdigest())
            _pick_notebook(sub)
    return found, problems


def _pick_notebook(sub: _Submission) -> None:
    notebooks = sorted(r for r in sub.files if r.lower().endswith(".ipynb") and "/" not in r)
    if not notebooks:
        nested = sorted(r for r in sub.files if r.lower().endswith(".ipynb"))
        where = f" (notebooks in subfolders are not graded: {nested})" if nested else ""
        sub.errors.append(f"no notebook: expected {sub.notebook_name}{where}")
        return
    if sub.notebook_name not in sub.files:
        if len(notebooks) > 1:
            sub.errors.append(f"{len(notebooks)} notebooks and none named "
                              f"{sub.notebook_name}: {notebooks}")
            return
        sub.files[sub.notebook_name] = sub.files.pop(notebooks[0])
        sub.notes.append(f"notebook {notebooks[0]!r} graded as {sub.notebook_name}")
    try:
        nb = sub.notebook()
        nbformat.validate(nb)
    except Exception as error:
        sub.errors.append(f"{sub.notebook_name} is not a valid notebook: "
                          f"{str(error).splitlines()[0][:200]}")
        return
    if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
        sub.notes.append("the notebook has no code; the course's locked cells are graded alone")


# ----------------------------------------------------------------------------- per job
@dataclass
class _Course:
    """What every job needs, read into memory before any student code runs: a notebook that
    rewrites files on disk cannot change what the next job is graded with."""

    root: Path
    config: str  # course/nbgrader_config.py
    template_db: dict[str, bytes]
    hidden: dict[str, dict[str, bytes]]  # assignment -> hidden test file -> content
    source: dict[str, nbformat.NotebookNode]
    trusted: dict[str, list[str]]
    fingerprints: dict[str, list[str]]
    released: dict[str, str] = field(default_factory=dict)  # grade_id -> released source
    release: dict[str, nbformat.NotebookNode] = field(default_factory=dict)
    guarded: dict[Path, bytes] = field(default_factory=dict)  # the grading code itself
    private: Path = Path()  # the grader's copies of release notebooks and hidden tests
    sandboxes: Path = Path()  # where each kernel's sandbox folder goes
    visibility: tuple[list[Path], list[Path]] = ((), ())  # (hide, keep) for the sandboxes
    not_isolated: bool = False  # some kernel ran without a sandbox


def _template_gradebook(root: Path, assignment: str, work: Path) -> bytes:
    """A gradebook with the assignment's cells, no students and no solution text."""
    import sqlite3

    folder = work / "templates" / assignment
    (folder / "source").mkdir(parents=True)
    shutil.copytree(root / "source" / assignment, folder / "source" / assignment)
    config = (root / "course" / "nbgrader_config.py").read_text(encoding="utf-8")
    (folder / "nbgrader_config.py").write_text(_config_text(config, folder, None))
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
    import sqlite3

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


# Seconds a code cell of the course's own, unchanged (an experiment that trains models) may run:
# the per-cell timeout is meant for the student's code, and one such cell can take a minute on a
# quiet machine and several on a busy one. The submission timeout still bounds the whole run.
COURSE_CELL_TIMEOUT = 300
# Seconds one call of a hidden check into the notebook may run.
CALL_TIMEOUT = 30.0


def _source_digest(source: str) -> str:
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()


def _config_text(course_config: str, staging: Path, cell_timeout: int | None,
                 course_cells: list[str] = ()) -> str:
    """The course's nbgrader configuration, pointed at a staging course.

    Cells whose source is one of ``course_cells`` (unchanged course code) get
    ``COURSE_CELL_TIMEOUT`` seconds (or the cell timeout, if longer); every other cell gets the
    configured cell timeout.
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
            f"_COURSE_TIMEOUT = max({COURSE_CELL_TIMEOUT}, _CELL_TIMEOUT)",
            "def _timeout_for(cell):",
            "    digest = _hashlib.sha256(cell.source.strip().encode('utf-8')).hexdigest()",
            "    return _COURSE_TIMEOUT if digest in _COURSE_CELLS else _CELL_TIMEOUT",
            "c.Execute.timeout_func = _timeout_for",
        ]
    return "\n".join(lines) + "\n"


def _nbgrader_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _repair(nb: nbformat.NotebookNode, source: nbformat.NotebookNode,
            release: nbformat.NotebookNode) -> bytes:
    """The submission with the course's cell structure restored, as nbgrader needs it.

    nbgrader only re-adds a deleted test cell when the cell before it survived, and fails on a
    graded cell with an unknown grade_id. Here a cell with an unknown or repeated grade_id
    becomes an ordinary cell of the student's, and every missing course cell (setup, answer
    stub, test) is put back in the source's order. Locked cells are restored by nbgrader itself.
    """
    order = [_nbgrader_id(c) for c in source.cells if _nbgrader_id(c)]
    templates = {_nbgrader_id(c): c for c in release.cells if _nbgrader_id(c)}
    seen: set[str] = set()
    for cell in nb.cells:
        grade_id = _nbgrader_id(cell)
        if grade_id is not None and (grade_id not in templates or grade_id in seen):
            del cell.metadata["nbgrader"]
        elif grade_id is not None:
            seen.add(grade_id)
    for position, grade_id in enumerate(order):
        if grade_id in seen or grade_id not in templates:
            continue
        where = {_nbgrader_id(c): i for i, c in enumerate(nb.cells) if _nbgrader_id(c)}
        before = [where[g] for g in order[:position] if g in where]
        restored = copy.deepcopy(templates[grade_id])
        restored["id"] = f"restored-{secrets.token_hex(4)}"
        nb.cells.insert(before[-1] + 1 if before else 0, restored)
        seen.add(grade_id)
    return nbformat.writes(nb).encode("utf-8")


def _cell_timeout(config: str, override: int | None) -> float:
    """The per-cell timeout: ``override``, else the course configuration's, else 60 s."""
    if override:
        return float(override)
    match = re.search(r"c\.Execute\.timeout\s*=\s*(\d+)", config)
    return float(match.group(1)) if match else 60.0


def _job(sub: _Submission, info: _Course, options: dict, index: int) -> dict:
    """What a checker process needs to grade one submission (plain data)."""
    sub.staged = _repair(sub.notebook(), info.source[sub.assignment],
                         info.release[sub.assignment])
    box = info.sandboxes / f"box-{index}-{secrets.token_hex(8)}"
    return {
        "student": sub.student, "assignment": sub.assignment,
        "notebook": sub.staged.decode("utf-8"),
        "release": str(info.private / "release" / f"{sub.assignment}.ipynb"),
        "tests_dir": str(info.private / "autograder" / sub.assignment),
        "checks_tmp": str(info.private / "checks-tmp"),
        "sandbox_dir": str(box), "fast": options["fast"],
        **_kernel_fields(info.visibility, info.sandboxes, options),
        "cell_timeout": options["cell_timeout"], "course_cell_timeout": COURSE_CELL_TIMEOUT,
        "submission_timeout": options["submission_timeout"],
    }


def _kernel_fields(visibility: tuple[list[Path], list[Path]], sandboxes: Path,
                   options: dict) -> dict:
    """The fields of a job that set up its kernel (the same for every submission of a run,
    so a kernel started ahead fits any of them)."""
    hide, keep = visibility
    return {"hide": [str(p) for p in [*hide, sandboxes]], "keep": [str(p) for p in keep],
            "env": options["kernel_env"], "isolate": options["isolate"],
            "call_timeout": options["call_timeout"],
            "memory_limit_bytes": int(options["memory_limit_gb"] * 2**30)}


def _flag_cells(nb: nbformat.NotebookNode, findings: list[str]) -> list[str]:
    """Turn "cell N: reason" findings into "<grade_id>: ..." flags on the graded cell that
    grades cell N (the next test cell after it; the last one for cells after every test)."""
    tests = [(i, _nbgrader_id(c)) for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    flags = []
    for finding in findings:
        match = re.match(r"cell (\d+): (.*)", finding)
        if not match or not tests:
            flags.append(finding)
            continue
        number = int(match.group(1))
        grade_id = next((g for i, g in tests if i > number), tests[-1][1])
        flags.append(f"{grade_id}: cell {number} {match.group(2)} (0 points until reviewed)")
    return flags


def _finish(root: Path, sub: _Submission, result: SubmissionResult, outcome: dict,
            info: _Course, work: Path) -> None:
    """Record one graded job: scores computed by the checker, flags, feedback."""
    result.max_score = _max_score(info.source[sub.assignment])
    if not outcome.get("ok"):
        result.status = "failed"
        result.errors.append(outcome.get("error") or "grading failed")
        return
    result.seconds = float(outcome.get("seconds", 0.0))
    result.notes += outcome.get("notes", [])
    if not outcome.get("isolated"):
        info.not_isolated = True
    points = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
              for c in info.source[sub.assignment].cells
              if c.get("metadata", {}).get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")}
    for grade_id, maximum in points.items():
        score, _, _ = outcome["cells"].get(grade_id, [0.0, maximum, ""])
        result.cells[grade_id] = (min(max(float(score), 0.0), maximum), maximum)
    nb = nbformat.reads(outcome["notebook"], as_version=4)
    _submission_checks(sub, result, info)
    leaks = scan.leaking_cells(nb, info.fingerprints[sub.assignment])
    if leaks:
        scan.redact_cells(nb, leaks)
        result.review.append(f"cells {leaks} printed the hidden tests (removed from the "
                             "feedback)")
    _zero_flagged(result)
    staging = work / "feedback-staging" / f"{sub.student}__{sub.assignment}"
    (staging / "autograded" / sub.student / sub.assignment).mkdir(parents=True)
    (staging / "nbgrader_config.py").write_text(_config_text(info.config, staging, None))
    try:
        _feedback(root, staging, sub, result, nb, info.template_db[sub.assignment])
    except Exception as error:  # noqa: BLE001 - the grade stands; the feedback is extra
        result.notes.append(f"feedback HTML could not be generated ({type(error).__name__})")
    shutil.rmtree(staging, ignore_errors=True)


def _zero_flagged(result: SubmissionResult) -> None:
    """A flagged cell scores 0 until a person decides (a flag naming no cell: every cell)."""
    named = {g for g in result.cells for f in result.review if f.startswith(f"{g}:")}
    whole = any(not any(f.startswith(f"{g}:") for g in result.cells) for f in result.review)
    for grade_id, (_, maximum) in list(result.cells.items()):
        if whole or grade_id in named:
            result.cells[grade_id] = (0.0, maximum)
    result.score = round(sum(s for s, _ in result.cells.values()), 2)
    result.max_score = sum(p for _, p in result.cells.values())


def _submission_checks(sub: _Submission, result: SubmissionResult, info: _Course) -> None:
    """Notes and flags from the submitted file itself: edited locked cells, changed ids, code
    that reaches for grading internals (flagged on the graded cell after it)."""
    nb = sub.notebook()
    source = info.source[sub.assignment]
    locked = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells
              if c.get("metadata", {}).get("nbgrader", {}).get("locked")}
    seen = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        seen.add(grade_id)
        if grade_id in locked:
            original = locked[grade_id]
            if meta.get("locked") and cell.source.strip() not in (
                    info.released.get(grade_id, ""), original.source.strip()):
                result.notes.append(f"{grade_id}: locked cell was edited (the original was "
                                    "restored for grading)")
            if "points" in original.metadata["nbgrader"] and \
                    meta.get("points") != original.metadata["nbgrader"]["points"]:
                result.notes.append(f"{grade_id}: points changed to {meta.get('points')!r} "
                                    "(the course's points were used)")
        elif meta.get("locked") or meta.get("grade"):
            result.notes.append(f"unknown grade_id {grade_id!r} in the submission (changed id?); "
                                "not graded")
    for grade_id, original in locked.items():
        if grade_id not in seen and original.metadata["nbgrader"].get("grade"):
            result.notes.append(f"{grade_id}: test cell was missing (put back and graded)")
    staged = nbformat.reads(sub.staged.decode("utf-8"), as_version=4) if sub.staged else nb
    findings = scan.scan_notebook(staged, info.trusted[sub.assignment])
    result.review += _flag_cells(staged, findings)


# ------------------------------------------------------------------------------- record
def _record(root: Path, results: list[SubmissionResult]) -> None:
    """Store the computed scores in the course gradebook (this process is its only writer).

    Cells named in a review flag, or every cell when a flag concerns the whole submission, are
    recorded with score 0 and marked as needing a manual grade (the formgrader shows them)
    until a person decides."""
    from nbgrader.api import Gradebook

    course.tool_environment()
    with warnings.catch_warnings(), \
            Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tl-course") as gb:
        warnings.simplefilter("ignore")
        for r in results:
            if r.status != "graded":
                continue
            named = {g for g in r.cells for f in r.review if f.startswith(f"{g}:")}
            whole = any(not any(f.startswith(f"{g}:") for g in r.cells) for f in r.review)
            gb.update_or_create_student(r.student)
            submission = gb.update_or_create_submission(r.assignment, r.student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name in r.cells:
                        grade.auto_score = r.cells[grade.name][0]
                        grade.manual_score = None
                        grade.needs_manual_grade = whole or grade.name in named
            gb.db.commit()


def _feedback(root: Path, staging: Path, sub: _Submission, result: SubmissionResult,
              nb: nbformat.NotebookNode, template_db: bytes) -> None:
    """Feedback HTML from the verified notebook and verified scores (never the staging db)."""
    from nbgrader.api import Gradebook

    path = staging / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
    nbformat.write(nb, path)
    verified = staging.parent / "verified.db"
    verified.write_bytes(template_db)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{verified}", "tl-course") as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_student(sub.student)
        submission = gb.update_or_create_submission(sub.assignment, sub.student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in result.cells:
                    grade.auto_score = result.cells[grade.name][0]
                    grade.needs_manual_grade = False
        gb.db.commit()
    api = course.nbgrader_api(staging, db_url=f"sqlite:///{verified}")
    with course.in_folder(staging):
        outcome = api.generate_feedback(sub.assignment, sub.student, force=True)
    produced = staging / "feedback" / sub.student / sub.assignment
    if outcome.get("success") and produced.is_dir():
        target = root / "feedback" / sub.student / sub.assignment
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(produced, target)
        for page in target.glob("*.html"):
            page.write_text(readable_feedback(page.read_text(encoding="utf-8")),
                            encoding="utf-8")
        result.feedback = str(target / f"{sub.assignment}.html")
    else:
        result.notes.append("feedback HTML could not be generated")
    autograded = root / "autograded" / sub.student / sub.assignment
    shutil.rmtree(autograded, ignore_errors=True)
    shutil.copytree(path.parent, autograded)
    submitted = root / "submitted" / sub.student / sub.assignment
    if not any(original.parent.resolve() == submitted.resolve() for original in sub.originals):
        shutil.rmtree(submitted, ignore_errors=True)
        sub.write(submitted)


FEEDBACK_STYLE = """<style id="tl-course-feedback">
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.25em 0.8em; border: 1px solid #d0d0d0; text-align: right; }
th { background: #f4f4f4; }
</style>"""


def readable_feedback(html: str) -> str:
    """Feedback HTML with spaced, ruled tables (nbgrader's template runs table columns together)
    and without paths of the grader's own folders.

    Example:
        >>> "tl-course-feedback" in readable_feedback("<html><head></head><body></body></html>")
        True
    """
    if "tl-course-feedback" not in html:
        html = html.replace("</head>", FEEDBACK_STYLE + "\n</head>", 1)
    return re.sub(r"/tmp/tl-(?:grade|sandboxes)-[^\s\"'<]*", "[grader folder]", html)


def _write_reports(report: GradeReport) -> None:
    report.out_dir.mkdir(parents=True, exist_ok=True)
    with open(report.out_dir / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", "status", "score", "max_score",
                         "needs_review", "review", "errors", "notes", "feedback"])
        for r in sorted(report.results, key=lambda r: (r.assignment, r.student)):
            writer.writerow([r.student, r.assignment, r.status, f"{r.score:g}",
                             f"{r.max_score:g}", "yes" if r.review else "no",
                             " | ".join(r.review), " | ".join(r.errors), " | ".join(r.notes),
                             r.feedback])
    (report.out_dir / "summary.txt").write_text(report.summary_text() + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------- main
def grade_submissions(submissions: Path, root: Path, *, jobs: int = 1, out: Path | None = None,
                      cell_timeout: int | None = None, submission_timeout: int = 900,
                      memory_limit_gb: float = 4.0, fast: bool = True,
                      isolate: bool | None = None) -> GradeReport:
    """Grade every ``<student>/<assignment>`` in ``submissions`` (a folder or a zip).

    Args:
        submissions: Folder of ``<student>/<assignment>/*.ipynb`` or a zip of one.
        root: The course directory.
        jobs: Submissions graded in parallel (checker processes, each with one sandboxed
            kernel at a time; the CPU threads are shared out between them).
        out: Where ``grades.csv`` and ``summary.txt`` go (default ``<root>/grades``).
        cell_timeout: Seconds one cell may run (default: the course configuration).
        submission_timeout: Seconds one submission may take in all.
        memory_limit_gb: Memory one submission's kernel may use before it is stopped.
        fast: Skip the course's unchanged experiments that nothing needs (``False``: run every
            cell, for feedback with every plot).
        isolate: None = sandbox each kernel where possible; False = never.

    Returns:
        A :class:`GradeReport`; its ``exit_code`` is 1 when any submission was not graded.
    """
    from tl_course.sandbox import namespaces_available
    from tl_helpers._validation import check_int

    check_int("jobs", jobs, minimum=1)
    root = Path(root).resolve()
    out = Path(out) if out else root / "grades"
    course.tool_environment()
    work = Path(tempfile.mkdtemp(prefix="tl-grade-"))  # 0700: no kernel can read it
    sandboxes = Path(tempfile.mkdtemp(prefix="tl-sandboxes-"))
    sandboxes.chmod(0o711)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    kernel_env = worker.kernel_thread_env(threads) if jobs > 1 else {}
    pool = None
    try:
        subs, problems = collect(submissions, root, work)
        needed = sorted({s.assignment for s in subs if not s.errors})
        _check_gradebook(root, needed)
        visibility = worker.sandbox_visibility(
            root, [Path(submissions).resolve(), out.resolve(), work])
        options = {"submission_timeout": submission_timeout, "call_timeout": CALL_TIMEOUT,
                   "memory_limit_gb": memory_limit_gb, "fast": fast, "isolate": isolate,
                   "kernel_env": kernel_env}
        if needed:  # the checkers import TensorFlow while this process prepares the course
            first = next(s for s in subs if not s.errors)
            ahead = {  # the first submission's kernel, started by each checker at once
                "release": str(root / "release" / first.assignment / f"{first.assignment}.ipynb"),
                "sandbox_dir": str(sandboxes / "ahead"),
                **_kernel_fields(visibility, sandboxes, options)}
            pool = _start_checkers(min(jobs, sum(not s.errors for s in subs)),
                                   threads if jobs > 1 else 0, ahead)
        info = _prepare_course(root, needed, work)
        info.sandboxes = sandboxes
        info.visibility = visibility
        if isolate is not False and not namespaces_available():
            print("tl-course grade: kernels are NOT isolated on this machine (needs Linux, "
                  "root and unshare); each runs as a plain process.", file=sys.stderr)
        results: dict[int, SubmissionResult] = {}
        runnable = []
        for index, sub in enumerate(subs):
            result = SubmissionResult(sub.student, sub.assignment, notes=list(sub.notes))
            results[index] = result
            if sub.errors:
                result.status, result.errors = "failed", list(sub.errors)
                if sub.assignment in info.source:
                    result.max_score = _max_score(info.source[sub.assignment])
            else:
                runnable.append(index)
        options["cell_timeout"] = _cell_timeout(info.config, cell_timeout)
        progress = _progress(len(runnable))

        def finish(index: int, outcome: dict) -> None:
            """Scores, flags and feedback of one job, while the checkers grade the next ones."""
            _finish(root, subs[index], results[index], outcome, info, work)
            # a sandboxed kernel cannot reach the course's files; an unsandboxed one could
            if not outcome.get("isolated", True) and _restore_guarded(info):
                results[index].review.append("the course's grading files changed while it was "
                                             "graded (restored)")
                _zero_flagged(results[index])
            progress.update(1)
            progress.set_postfix_str(f"{subs[index].student}/{subs[index].assignment}")

        job_list = [(i, _job(subs[i], info, options, i)) for i in runnable]
        for position, (_, job) in enumerate(job_list):  # a checker starts its next kernel early
            job["warm_next"] = position < len(job_list) - jobs
        _grade_parallel(job_list, jobs, threads if jobs > 1 else 0, finish, pool)
        pool = None  # _grade_parallel shut it down
        progress.close()
        report = GradeReport([results[i] for i in sorted(results)], out, root / "feedback",
                             problems)
        if info.not_isolated and isolate is not False:
            report.warnings.append("kernels were not isolated (no namespaces here): grading "
                                   "was not sandboxed")
        _check_originals(subs, report)
        _record(root, report.results)
        _write_reports(report)
        report.problems += _verify_records(root, report)
        if report.problems:
            _write_reports(report)
        return report
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(sandboxes, ignore_errors=True)


def _start_checkers(count: int, threads: int, ahead: dict | None = None):
    """A pool of ``count`` checker processes, started now (each imports TensorFlow once, and
    first starts a kernel for the submission it will grade first, see ``worker.warm_up``)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the checkers inherit it at start
    pool = ProcessPoolExecutor(max_workers=max(1, count),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker.warm_up, initargs=(threads, ahead))
    for _ in range(max(1, count)):  # a spawn pool starts one process per waiting task
        pool.submit(int)
    return pool


def _grade_parallel(jobs_list: list[tuple[int, dict]], jobs: int, threads: int,
                    finish: Callable[[int, dict], None], pool=None) -> dict[int, dict]:
    """Grade every job in ``jobs`` checker processes (``pool``, already started, or a new
    one); a checker that dies is replaced and its job tried once more (then reported).
    ``finish(index, outcome)`` runs here as each job ends (its feedback is written while the
    checkers go on)."""
    from concurrent.futures.process import BrokenProcessPool

    outcomes: dict[int, dict] = {}
    pending = list(jobs_list)
    tries: dict[int, int] = {}
    while pending:
        pool = pool or _start_checkers(min(jobs, len(pending)), threads)
        with pool:
            futures = {pool.submit(worker.grade_job, job): (index, job)
                       for index, job in pending}
            pending = []
            for future in as_completed(futures):
                index, job = futures[future]
                try:
                    outcomes[index] = future.result()
                except BrokenProcessPool:
                    tries[index] = tries.get(index, 0) + 1
                    if tries[index] < 2:
                        pending.append((index, job))
                        continue
                    outcomes[index] = {"ok": False, "error": "the grading process died twice "
                                       "while grading this submission"}
                except Exception as error:  # noqa: BLE001
                    outcomes[index] = {"ok": False, "error": f"grader error: {error}"}
                finish(index, outcomes[index])
        pool = None  # shut down; a retry round starts a fresh one
    return outcomes


def _verify_records(root: Path, report: GradeReport) -> list[str]:
    """Read the gradebook and grades.csv back and compare them with the results in memory."""
    from nbgrader.api import Gradebook, MissingEntry

    problems = []
    with warnings.catch_warnings(), \
            Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tl-course") as gb:
        warnings.simplefilter("ignore")
        for r in report.results:
            if r.status != "graded":
                continue
            for grade_id, (score, _) in r.cells.items():
                try:
                    grade = gb.find_grade(grade_id, r.assignment, r.assignment, r.student)
                except MissingEntry:
                    problems.append(f"gradebook lacks {r.student}/{r.assignment}/{grade_id}")
                    continue
                if abs(float(grade.auto_score or 0.0) - score) > 1e-9:
                    problems.append(f"gradebook holds {grade.auto_score} for {r.student}/"
                                    f"{r.assignment}/{grade_id}, the grader computed {score}")
    with open(report.out_dir / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {(row["student"], row["assignment"]): row for row in csv.DictReader(handle)}
    for r in report.results:
        row = rows.get((r.student, r.assignment))
        if row is None or row["status"] != r.status or (
                r.status == "graded" and row["score"] != f"{r.score:g}"):
            problems.append(f"grades.csv does not hold the computed result of {r.student}/"
                            f"{r.assignment}")
    return problems


def _progress(total: int):
    from tqdm.auto import tqdm

    disable = os.environ.get("TL_PROGRESS", "1") == "0"
    return tqdm(total=total, desc="grading", unit="submission", disable=disable)


def _max_score(nb: nbformat.NotebookNode) -> float:
    return sum(float(c.metadata["nbgrader"]["points"]) for c in nb.cells
               if c.get("metadata", {}).get("nbgrader", {}).get("grade"))


def _prepare_course(root: Path, assignments: list[str], work: Path) -> _Course:
    """Read what grading needs before any student code runs, into the grader's private folder
    (which no kernel can read): release copies, hidden tests, gradebook templates."""
    config = (root / "course" / "nbgrader_config.py").read_text(encoding="utf-8")
    info = _Course(root, config, {}, {}, {}, {}, {})
    info.private = work / "private"
    info.guarded = _guarded_files(root)
    for name in assignments:
        source_path = root / "source" / name / f"{name}.ipynb"
        release_path = root / "release" / name / f"{name}.ipynb"
        if not source_path.exists():
            course.build_sources(root, [name])
        source = nbformat.read(source_path, as_version=4)
        info.source[name] = source
        trusted = [c.source for c in source.cells
                   if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("solution")]
        if not release_path.exists():
            raise FileNotFoundError(f"{release_path} is missing: run tl-course release {name}")
        released = nbformat.read(release_path, as_version=4)
        info.release[name] = released
        (info.private / "release").mkdir(parents=True, exist_ok=True)
        nbformat.write(released, info.private / "release" / f"{name}.ipynb")
        trusted += [c.source for c in released.cells if c.cell_type == "code"]
        for c in released.cells:
            if _nbgrader_id(c):
                info.released[_nbgrader_id(c)] = c.source.strip()
        info.trusted[name] = trusted
        info.fingerprints[name] = scan.hidden_fingerprints(root / "autograder" / name,
                                                           public="\n".join(trusted))
        tests = info.private / "autograder" / name
        tests.mkdir(parents=True)
        for path in sorted((root / "autograder" / name).glob("*.py")):
            (tests / path.name).write_bytes(path.read_bytes())
        info.hidden[name] = {p.name: p.read_bytes() for p in sorted(tests.glob("test_*.py"))}
        info.template_db[name] = _template_gradebook(root, name, work)
    return info


def _check_gradebook(root: Path, assignments: list[str]) -> None:
    """Refuse to grade an assignment the course gradebook does not know (before any grading,
    so no work is lost at the end): ``tl-course release`` puts it there."""
    import sqlite3

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


def _guarded_files(root: Path) -> dict[Path, bytes]:
    """The files that decide grades: the grading code, hidden tests, configuration, notebooks."""
    import tl_helpers

    package = Path(tl_helpers.__file__).resolve().parent
    files = [p for p in package.rglob("*.py")]
    for part in ("autograder", "source", "release", "course"):
        folder = root / part
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                      and p.suffix in (".py", ".ipynb")]
    files.append(root / "nbgrader_config.py")
    return {p: p.read_bytes() for p in files if p.is_file()}


def _restore_guarded(info: _Course) -> list[str]:
    """Put back any grading file a notebook changed; return the changed paths."""
    changed = []
    for path, content in info.guarded.items():
        try:
            same = path.read_bytes() == content
        except OSError:
            same = False
        if not same:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            changed.append(str(path))
    return changed


def _check_originals(subs: list[_Submission], report: GradeReport) -> None:
    """Every submitted file must be byte-identical after grading; restore it if not."""
    by_key = {(r.student, r.assignment): r for r in report.results}
    for sub in subs:
        for original, (_relative, digest) in sub.originals.items():
            if original.exists() and hashlib.sha256(original.read_bytes()).hexdigest() == digest:
                continue
            content = next(c for r, c in sub.files.items()
                           if hashlib.sha256(c).hexdigest() == digest)
            original.parent.mkdir(parents=True, exist_ok=True)
            original.write_bytes(content)
            report.problems.append(f"{original} changed during grading; restored from the "
                                   "copy read before grading")
            result = by_key.get((sub.student, sub.assignment))
            if result is not None:
                result.notes.append(f"{original.name} was changed by another notebook while "
                                    "grading; restored (it was graded from the copy read "
                                    "before grading)")
