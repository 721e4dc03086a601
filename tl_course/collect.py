"""Collect a class's submissions before any student code runs.

``tl-course grade`` accepts a folder, or a zip such as an LMS export, of
``<student>/<assignment>/*.ipynb``. :func:`collect` reads every file into memory with its
sha256 (so a notebook that rewrites files on disk cannot change what is graded, and changed
originals can be restored), unpacks a zip with :func:`safe_extract` (nothing is written outside
the grader's work folder), descends through the wrapper folders an LMS adds and picks the
notebook of each submission. A bad entry or folder costs only itself: it is one line of
``problems`` or an error of its submission, and every other student is collected.

Example:
    >>> subs, problems = collect(Path("week3.zip"), Path("."), work)  # doctest: +SKIP
    >>> [(s.student, s.assignment, s.errors) for s in subs]  # doctest: +SKIP
    [('zoë', '01_transfer', [])]
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tl_course import course, student_ids
from tl_helpers._validation import suggest

__all__ = ["Submission", "collect", "safe_extract", "find_class_folder"]


@dataclass
class Submission:
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


def safe_extract(archive: Path, target: Path) -> list[str]:
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
        >>> problems = safe_extract(Path("week3.zip"), work / "unzipped")  # doctest: +SKIP
        >>> problems  # doctest: +SKIP
        ["week3.zip: entry '../evil.py' skipped: its path has a '..' component ..."]
    """
    target.mkdir(parents=True, exist_ok=True)
    base = target.resolve()
    problems: list[str] = []

    def skip(name: str, why: str) -> None:
        problems.append(f"{archive.name}: entry {name!r} skipped: {why}")

    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"Argument `submissions` must be a readable zip archive ({error}). "
                         f"Received: {archive}") from error
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
            unsafe = student_ids.unsafe_character(name)
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


def find_class_folder(folder: Path, assignments: list[str]) -> Path:
    """Descend through wrapper folders (an LMS export often adds one) to ``<student>/...``.

    Example:
        >>> find_class_folder(Path("unzipped"), ["01_transfer"])  # doctest: +SKIP
        PosixPath('unzipped/export')
    """
    def listing(path: Path) -> list[Path]:
        try:
            return [p for p in path.iterdir()
                    if not p.name.startswith(".") and not student_ids.is_clutter(p.name)]
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


def collect(submissions: Path, root: Path, work: Path) -> tuple[list[Submission], list[str]]:
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
    submissions = Path(submissions)
    assignments = course.list_assignments(root)
    problems: list[str] = []
    if not submissions.exists():
        raise FileNotFoundError(
            f"Argument `submissions` must be a folder or a .zip. Received: {submissions}")
    from_zip = submissions.is_file()
    if from_zip:
        if not zipfile.is_zipfile(submissions):
            raise ValueError(f"Argument `submissions` must be a folder or a .zip; this file is "
                             f"neither. Received: {submissions}")
        problems += safe_extract(submissions, work / "unzipped")
        base = find_class_folder(work / "unzipped", assignments)
    else:
        base = find_class_folder(submissions.resolve(), assignments)
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
    found: list[Submission] = []
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
            sub = Submission(student, name, {}, {})
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


def _pick_notebook(sub: Submission) -> None:
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

