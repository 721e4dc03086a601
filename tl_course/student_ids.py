"""Student ids from the folder names of a class's submissions: Unicode, NFC, never ambiguous.

A submission is ``<student>/<assignment>/<notebook>.ipynb``; the ``<student>`` folder name,
normalised to Unicode NFC, is the student id written to the gradebook, ``grades.csv`` and the
feedback folders. So a name must be safe as a path component and mean one student only:

* 1 to 64 characters: Unicode letters (``zoë``, ``Øyvind``, ``李雷``), digits and ``_ . @ + -``,
  with combining marks after the first character (scripts such as Devanagari need them);
* starting with a letter or digit (so never ``.``, ``..`` or a hidden ``.name``);
* no ``/``, ``\\``, NUL, control or invisible formatting characters, no undecodable bytes;
* NFC-distinct: two folders whose names differ only by Unicode normalisation (NFC ``zoë`` and
  NFD ``zoe\\u0308``, which look identical) are both refused rather than merged.

Example:
    >>> from tl_course.student_ids import check_student_id, student_ids
    >>> check_student_id("zoe\\u0308") == "zo\\u00eb"  # NFD in, NFC out
    True
    >>> ids, problems = student_ids(["ann", "zo\\u00eb", "zoe\\u0308", ".."])
    >>> ids
    {'ann': 'ann'}
    >>> len(problems)  # '..' refused; both spellings of zoë refused, in one message
    2
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = [
    "MAX_LENGTH",
    "STUDENT_ID_RULE",
    "check_student_id",
    "is_clutter",
    "student_ids",
    "unsafe_character",
]

MAX_LENGTH = 64
_PUNCTUATION = frozenset("_.@+-")
STUDENT_ID_RULE = (f"student folder names are 1 to {MAX_LENGTH} Unicode letters, digits and "
                   "_ . @ + -, starting with a letter or digit")

# Folders and files that operating systems and editors add to an export; never a student.
_CLUTTER = frozenset({"__MACOSX", ".DS_Store", ".ipynb_checkpoints", ".git", ".Trashes",
                      ".Spotlight-V100", ".fseventsd", ".TemporaryItems", "Thumbs.db",
                      "desktop.ini"})


def is_clutter(name: str) -> bool:
    """True for what an OS or editor leaves in an export (``__MACOSX``, ``.DS_Store``, ``._x``).

    Example:
        >>> is_clutter("__MACOSX"), is_clutter("._00_mini.ipynb"), is_clutter("ann")
        (True, True, False)
    """
    return name in _CLUTTER or name.startswith("._")


def unsafe_character(name: str) -> str | None:
    """Describe the first control, invisible-format or undecodable character of ``name``.

    Returns ``None`` when there is none. Undecodable bytes (a name that is not UTF-8 on disk)
    reach Python as lone surrogates, and right-to-left overrides or zero-width characters
    would let one name pass for another in a report.

    Example:
        >>> unsafe_character("ann"), unsafe_character("a\\u202eb")
        (None, 'an invisible formatting character (U+202E)')
    """
    for char in name:
        category = unicodedata.category(char)
        if char == "\x00":
            return "a NUL character"
        if category == "Cs":
            return f"bytes that are not valid UTF-8 (U+{ord(char):04X})"
        if category in ("Cc", "Zl", "Zp"):
            return f"a control character (U+{ord(char):04X})"
        if category in ("Cf", "Co", "Cn"):
            return f"an invisible formatting character (U+{ord(char):04X})"
    return None


def _show(name: str) -> str:
    """The name as written, plus its code points when they are not plain ASCII."""
    return repr(name) if name.isascii() else f"{name!r} (code points {ascii(name)})"


def _reason(name: str) -> str | None:
    """Why ``name`` is not a valid student folder name, or ``None`` when it is."""
    if name in (".", ".."):
        return f"{name!r} names a folder itself or its parent, not a student"
    if name == "":
        return "the name is empty"
    if "/" in name or "\\" in name:
        return "it contains a path separator ('/' or '\\')"
    unsafe = unsafe_character(name)
    if unsafe:
        return f"it contains {unsafe}"
    if name.startswith("."):
        return "it starts with a dot (a hidden folder)"
    student = unicodedata.normalize("NFC", name)
    if len(student) > MAX_LENGTH:
        return f"it is {len(student)} characters long (at most {MAX_LENGTH})"
    first = unicodedata.category(student[0])
    if not (first.startswith("L") or first == "Nd"):
        return f"it starts with {student[0]!r}, not a letter or digit"
    for char in student[1:]:
        category = unicodedata.category(char)
        if not (category[0] in "LM" or category == "Nd" or char in _PUNCTUATION):
            return f"it contains {char!r} (U+{ord(char):04X}), which is not allowed"
    return None


def _refusal(name: str) -> str | None:
    reason = _reason(name)
    return f"student folder {_show(name)} refused: {reason}; {STUDENT_ID_RULE}" if reason else None


def check_student_id(name: str) -> str:
    """Return the student id (NFC) of the folder ``name``, or raise a ValueError saying why not.

    Args:
        name: A student folder name, as found on disk or in a zip.

    Returns:
        ``name`` normalised to NFC.

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: ``name`` breaks the rule (the message names the folder and the rule).

    Example:
        >>> check_student_id("m\\u00fcller_2")
        'müller_2'
        >>> check_student_id("..")
        Traceback (most recent call last):
        ...
        ValueError: student folder '..' refused: '..' names a folder itself or its parent, \
not a student; student folder names are 1 to 64 Unicode letters, digits and _ . @ + -, \
starting with a letter or digit. Received: name='..'
    """
    if not isinstance(name, str):
        raise TypeError(f"Argument `name` must be a str. Received: name={name!r} "
                        f"(of type {type(name).__name__})")
    refusal = _refusal(name)
    if refusal:
        raise ValueError(f"{refusal}. Received: name={name!r}")
    return unicodedata.normalize("NFC", name)


def student_ids(names: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Map each acceptable folder name to its student id; describe every refused one.

    Names that break the rule are refused one by one. Names that pass but share an NFC form
    (they differ only by Unicode normalisation, so they would be one student) are all refused,
    in one message naming each of them: neither may overwrite the other.

    Args:
        names: Student folder names, as found on disk or in a zip.

    Returns:
        ``(ids, problems)``: ``ids`` maps each accepted folder name to its NFC student id;
        ``problems`` holds one message per refusal, naming the folder(s) and the reason.

    Example:
        >>> student_ids(["Øyvind", "bad name!"])[0]
        {'Øyvind': 'Øyvind'}
    """
    problems: list[str] = []
    by_id: dict[str, list[str]] = {}
    for name in names:
        refusal = _refusal(name)
        if refusal:
            problems.append(f"{refusal}; skipped")
            continue
        by_id.setdefault(unicodedata.normalize("NFC", name), []).append(name)
    ids: dict[str, str] = {}
    for student, folders in by_id.items():
        if len(folders) == 1:
            ids[folders[0]] = student
            continue
        shown = " and ".join(_show(f) for f in folders)
        problems.append(f"student folders {shown} refused: their names differ only by Unicode "
                        f"normalisation (both are the student id {student!r} in NFC), so one "
                        "would overwrite the other; rename or merge them and grade again")
    return ids, problems
