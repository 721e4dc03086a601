"""`tl-course grade`, collection step: bad zip entries and bad folder names cost only themselves.

Fast: a fake course root (only ``course/notebooks/00_mini.py``, which is all
``course.list_assignments`` reads), real zip files, no nbgrader, no notebook execution.
"""

from __future__ import annotations

import os
import stat
import unicodedata
import warnings
import zipfile
from pathlib import Path

import nbformat
import pytest

from tl_course.collect import Submission, collect

NFC_ZOE = "zo\u00eb"
NFD_ZOE = "zoe\u0308"


@pytest.fixture
def root(tmp_path) -> Path:
    course_root = tmp_path / "course_root"
    (course_root / "course" / "notebooks").mkdir(parents=True)
    (course_root / "course" / "notebooks" / "00_mini.py").write_text("# %% [markdown]\n# mini\n")
    return course_root


def _notebook(tag: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"answer = {tag!r}")]
    nb.cells[0].id = "answer"  # fixed, so that equal tags give equal bytes
    return nbformat.writes(nb).encode("utf-8")


def _write(folder: Path, relative: str, content: bytes) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _by_student(subs) -> dict[str, Submission]:
    return {s.student: s for s in subs}


def _symlink(name: str) -> zipfile.ZipInfo:
    """A zip entry that unzip would turn into a symbolic link (its content is the target)."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


class _LegacyName(zipfile.ZipInfo):
    """A zip entry whose UTF-8 name lacks the UTF-8 flag, as older Windows tools write it."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("utf-8"), self.flag_bits & ~0x800


# ------------------------------------------------------------------------------ zip entries
def test_bad_zip_entries_are_skipped_and_reported_honest_students_collected(root, tmp_path):
    honest = {"ann": _notebook("ann"), "bob": _notebook("bob"), "carl": _notebook("carl")}
    archive = tmp_path / "in" / "week3.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the repeated name, on purpose
        zf.writestr("export/ann/00_mini/00_mini.ipynb", honest["ann"])
        zf.writestr("export/ann/00_mini/data/labels.csv", b"cat,0\ndog,1\n")
        zf.writestr("export/bob/00_mini/my work (2).ipynb", honest["bob"])
        zf.writestr("export/carl/00_mini/00_mini.ipynb", honest["carl"])
        zf.writestr(_symlink("export/carl/00_mini/passwd.txt"), "/etc/passwd")
        zf.writestr(_symlink("export/fay/00_mini/00_mini.ipynb"), "/etc/passwd")  # fay's only
        zf.writestr("../evil.py", b"print('escaped')")
        zf.writestr("export/../../evil2.py", b"print('escaped')")
        zf.writestr("/tmp/evil3.py", b"print('absolute')")
        zf.writestr("export\\ann\\00_mini\\evil4.py", b"print('backslash')")
        nul = zipfile.ZipInfo("export/ann/00_mini/evil5.py")
        nul.filename = "export/ann/00_mini/evil5.py\x00.ipynb"  # zipfile would cut the name
        zf.writestr(nul, b"print('nul')")
        zf.writestr("export/ann/00_mini/evil\x1b[2J.py", b"print('control')")
        # one path written twice with different contents: neither is trusted
        zf.writestr("export/dan/00_mini/00_mini.ipynb", _notebook("dan, first"))
        zf.writestr("export/dan//00_mini/00_mini.ipynb", _notebook("dan, second"))
        zf.writestr("export/dan/00_mini/notes.md", b"dan's notes")
        # the same file twice, identical (a re-zipped export): kept once, nothing to report
        zf.writestr("export/eve/00_mini/00_mini.ipynb", _notebook("eve"))
        zf.writestr("export/eve/./00_mini/00_mini.ipynb", _notebook("eve"))
        zf.writestr("__MACOSX/export/ann/._00_mini", b"\x00\x05\x16\x07")
        zf.writestr("export/.DS_Store", b"\x00\x00\x00\x01Bud1")
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    before = _tree(tmp_path)

    subs, problems = collect(archive, root, sandbox / "work")

    by = _by_student(subs)
    assert sorted(by) == ["ann", "bob", "carl", "dan", "eve", "fay"]
    assert by["ann"].files == {"00_mini.ipynb": honest["ann"],
                               "data/labels.csv": b"cat,0\ndog,1\n"}
    assert by["ann"].errors == [] and by["ann"].notes == []
    assert by["bob"].files == {"00_mini.ipynb": honest["bob"]}
    assert "'my work (2).ipynb' graded as 00_mini.ipynb" in by["bob"].notes[0]
    assert by["carl"].files == {"00_mini.ipynb": honest["carl"]} and by["carl"].errors == []
    assert by["eve"].files == {"00_mini.ipynb": _notebook("eve")} and by["eve"].errors == []
    assert by["dan"].files == {"notes.md": b"dan's notes"}
    assert by["dan"].errors == ["no notebook: expected 00_mini.ipynb"]
    assert by["fay"].files == {} and by["fay"].errors == ["no notebook: expected 00_mini.ipynb"]

    expected = {
        "export/carl/00_mini/passwd.txt": "symbolic link",
        "export/fay/00_mini/00_mini.ipynb": "symbolic link",
        "../evil.py": "'..' component",
        "export/../../evil2.py": "'..' component",
        "/tmp/evil3.py": "absolute",
        "export\\ann\\00_mini\\evil4.py": "backslash",
        "export/ann/00_mini/evil5.py\x00.ipynb": "NUL character",
        "export/ann/00_mini/evil\x1b[2J.py": "control character (U+001B)",
        "export/dan/00_mini/00_mini.ipynb": "names the same file as 'export/dan//00_mini/",
        "export/dan//00_mini/00_mini.ipynb": "names the same file as 'export/dan/00_mini/",
    }
    assert len(problems) == len(expected), "\n".join(problems)
    for entry, why in expected.items():
        line = f"week3.zip: entry {entry!r} skipped: "
        assert any(p.startswith(line) and why in p for p in problems), (entry, problems)

    # nothing outside the work folder changed, nothing unsafe inside it
    assert _tree(tmp_path) - before == {p for p in _tree(tmp_path) if p.startswith("sandbox/work")}
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith("evil")]
    assert not [p for p in (sandbox / "work").rglob("*") if p.is_symlink()]
    assert not any("passwd" in p for p in _tree(sandbox / "work"))


def test_a_zip_of_only_bad_entries_reports_them_and_collects_nobody(root, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escape.ipynb", "{}")
    subs, problems = collect(archive, root, tmp_path / "work")
    assert subs == []
    assert problems == ["evil.zip: entry '../../escape.ipynb' skipped: its path has a '..' "
                        "component (it would be written outside the export)"]
    assert not (tmp_path / "escape.ipynb").exists()


def test_a_corrupt_entry_costs_only_itself(root, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("ann/00_mini/00_mini.ipynb", _notebook("ann"))
        zf.writestr("bob/00_mini/00_mini.ipynb", _notebook("bob") + b"CORRUPT-ME")
    archive.write_bytes(archive.read_bytes().replace(b"CORRUPT-ME", b"CORRUPT-ED"))
    subs, problems = collect(archive, root, tmp_path / "work")
    by = _by_student(subs)
    assert by["ann"].files == {"00_mini.ipynb": _notebook("ann")}
    assert by["bob"].files == {}  # bob is still on record, failing with the reason
    assert by["bob"].errors == ["no notebook: expected 00_mini.ipynb"]
    assert len(problems) == 1, problems
    assert problems[0].startswith("export.zip: entry 'bob/00_mini/00_mini.ipynb' skipped: it "
                                  "could not be extracted (BadZipFile: Bad CRC-32")
    assert not (tmp_path / "work" / "unzipped" / "bob" / "00_mini" / "00_mini.ipynb").exists()


# ------------------------------------------------------------------------------ student ids
def test_unicode_student_ids_are_collected_in_nfc(root, tmp_path):
    folder = tmp_path / "class"
    names = [NFC_ZOE, "\u00d8yvind", "\u674e\u96f7", unicodedata.normalize("NFD", "müller_2"),
             "a.b@uni.example+1", "x" * 64, "\u0905\u0928\u093f\u0932"]  # the last: अनिल
    for name in names:
        _write(folder, f"{name}/00_mini/00_mini.ipynb", _notebook(name))
    subs, problems = collect(folder, root, tmp_path / "work")
    assert problems == []
    by = _by_student(subs)
    assert sorted(by) == sorted(unicodedata.normalize("NFC", n) for n in names)
    assert "m\u00fcller_2" in by  # the NFD folder becomes the NFC id
    nfd = unicodedata.normalize("NFD", "müller_2")
    assert by["m\u00fcller_2"].files == {"00_mini.ipynb": _notebook(nfd)}
    assert all(s.errors == [] for s in subs)


def test_unicode_student_ids_from_a_zip_with_and_without_the_utf8_flag(root, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("\u674e\u96f7/00_mini/00_mini.ipynb", _notebook("li"))
        zf.writestr(_LegacyName(f"{NFC_ZOE}/00_mini/00_mini.ipynb"), _notebook("zoe"))
    with zipfile.ZipFile(archive) as zf:
        assert not zf.infolist()[1].flag_bits & 0x800  # really written without the flag
    subs, problems = collect(archive, root, tmp_path / "work")
    assert problems == []
    assert _by_student(subs)[NFC_ZOE].files == {"00_mini.ipynb": _notebook("zoe")}
    assert _by_student(subs)["\u674e\u96f7"].files == {"00_mini.ipynb": _notebook("li")}


@pytest.mark.parametrize("source", ["folder", "zip"])
def test_nfc_and_nfd_spellings_of_one_name_are_both_refused(root, tmp_path, source):
    folder = tmp_path / "class"
    for name in (NFC_ZOE, NFD_ZOE, "ann"):
        _write(folder, f"{name}/00_mini/00_mini.ipynb", _notebook(name))
    submissions = folder
    if source == "zip":
        submissions = tmp_path / "export.zip"
        with zipfile.ZipFile(submissions, "w") as zf:
            for name in (NFC_ZOE, NFD_ZOE, "ann"):
                zf.writestr(f"{name}/00_mini/00_mini.ipynb", _notebook(name))
    subs, problems = collect(submissions, root, tmp_path / "work")
    assert [s.student for s in subs] == ["ann"]
    assert len(problems) == 1, problems
    assert ascii(NFC_ZOE) in problems[0] and ascii(NFD_ZOE) in problems[0]
    assert "differ only by Unicode normalisation" in problems[0]
    assert "refused" in problems[0]


def test_bad_student_folder_names_are_refused_and_the_batch_goes_on(root, tmp_path):
    folder = tmp_path / "class"
    refused = {
        "...": "starts with a dot",
        ".zoe": "starts with a dot",
        "-x": "starts with '-'",
        "_x": "starts with '_'",
        "bad name!": "contains ' '",
        "x" * 65: "65 characters long (at most 64)",
        "tab\there": "control character (U+0009)",
        "back\\slash": "path separator",
        "rtl\u202eevil": "invisible formatting character (U+202E)",
    }
    for name in [*refused, "ok"]:
        _write(folder, f"{name}/00_mini/00_mini.ipynb", _notebook(name))
    os.makedirs(os.fsencode(folder) + b"/caf\xe9/00_mini")  # not UTF-8 on disk
    subs, problems = collect(folder, root, tmp_path / "work")
    assert [s.student for s in subs] == ["ok"]
    assert len(problems) == len(refused) + 1, "\n".join(problems)
    for name, why in refused.items():
        hits = [p for p in problems if p.startswith(f"student folder {name!r}")]
        assert len(hits) == 1 and why in hits[0], (name, problems)
        assert "Unicode letters, digits and _ . @ + -" in hits[0]
    assert any("caf" in p and "not valid UTF-8" in p for p in problems)


# ------------------------------------------------------------------------------ folders
def test_folder_layout_problems_are_reported_not_fatal(root, tmp_path):
    folder = tmp_path / "class"
    _write(folder, "ann/00_mini/00_mini.ipynb", _notebook("ann"))
    _write(folder, "ann/.ipynb_checkpoints/00_mini-checkpoint.ipynb", _notebook("old"))
    _write(folder, "bob/00_mini.ipynb", _notebook("bob"))  # no assignment folder
    _write(folder, "carl/00_mini/work/00_mini.ipynb", _notebook("carl"))  # one level too deep
    _write(folder, "readme.txt", b"hello")
    _write(folder, ".DS_Store", b"\x00")
    _write(folder, "Thumbs.db", b"\x00")
    (folder / "dora").symlink_to(folder / "ann", target_is_directory=True)
    (folder / "ann" / "00_mini" / "secret.txt").symlink_to("/etc/hostname")
    subs, problems = collect(folder, root, tmp_path / "work")
    by = _by_student(subs)
    assert sorted(by) == ["ann", "carl"]
    assert by["ann"].files == {"00_mini.ipynb": _notebook("ann")}
    assert by["ann"].notes == ["secret.txt is a symbolic link; not collected"]
    assert by["carl"].errors == ["no notebook: expected 00_mini.ipynb (notebooks in "
                                 "subfolders are not graded: ['work/00_mini.ipynb'])"]
    assert problems == [
        "'dora': a symbolic link, not a student folder; skipped",
        "readme.txt: not a student folder (expected <student>/<assignment>/<notebook>.ipynb); "
        "skipped",
        "bob: no assignment folder inside (expected bob/<assignment>/<notebook>.ipynb); "
        "nothing collected",
    ]
    originals = {path.name for path in by["ann"].originals}
    assert originals == {"00_mini.ipynb"}


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


def test_a_file_that_is_not_a_zip_is_refused_naming_the_argument(root, tmp_path):
    (tmp_path / "grades.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(ValueError, match=r"Argument `submissions` must be a folder or a \.zip; "
                                         r"this file is neither\. Received: .*grades\.pdf"):
        collect(tmp_path / "grades.pdf", root, tmp_path / "work")
