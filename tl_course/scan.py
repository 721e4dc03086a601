"""Static checks of a submission: code that reaches for grading internals, and leaked tests.

Nothing here changes a score by itself: a finding flags the submission for manual review
(``tl-course grade`` prints it in the summary and the CSV). The signed receipts of
:mod:`tl_helpers.grading.kernel` are what keep a faked score from being credited.

Example:
    >>> scan_code("import pytest\\npytest.main = lambda *a: 0")
    ["uses pytest (the grader's test runner)"]
    >>> scan_code("model.compile(optimizer='adam')")
    []
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import nbformat

__all__ = ["SUSPICIOUS_PATTERNS", "scan_code", "scan_notebook", "hidden_fingerprints",
           "leaking_cells", "redact_cells"]

SUSPICIOUS_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bautograder\b|hidden[-_ ]?tests?\b", "mentions the hidden tests"),
    (r"gradebook|\bsubmitted/|\bautograded/|\bfeedback/", "touches the gradebook or other "
                                                           "students' folders"),
    (r"\b_?pytest\b", "uses pytest (the grader's test runner)"),
    (r"tl_helpers\.grading|\btl_course\b|\bgrade_cell\b|\bstart_assignment\b|receipt|TL_GRADING|"
     r"TL_AUTOGRADER|TL_PROGRESS_FILE", "touches the grading runner"),
    (r"\bbuiltins\b|__builtins__", "changes Python's builtins"),
    (r"sys\.modules|\bimportlib\b|__import__|meta_path|path_hooks", "manipulates imports"),
    (r"(?<![\w.])(exec|eval|compile)\s*\(|\bmarshal\b|\bbase64\b|\bcodecs\.decode",
     "runs dynamically built code"),
    (r"\bgc\.(get_objects|get_referrers|get_referents)|__closure__|__code__|__globals__|"
     r"\bctypes\b|sys\._getframe|\binspect\.(currentframe|stack|getsource)|settrace|setprofile|"
     r"addaudithook", "inspects or rewrites running code"),
    (r"\bsubprocess\b|os\.(system|popen|fork|kill|exec\w*|spawn\w*)|\bmultiprocessing\b",
     "starts or signals processes"),
    (r"shutil\.(rmtree|move)|os\.(remove|unlink|rename|replace|rmdir)|"
     r"\.(unlink|rmdir|rename)\(|\.\./", "deletes, moves or reaches outside its folder"),
    (r"\bsignal\.", "changes signal handling"),
    (r"\bsqlite3\b", "opens a database"),
    (r"(?m)^\s*(np|numpy|tf|tensorflow|keras|tl|tl_helpers|sklearn|plt|matplotlib)(\.\w+)+\s*=[^=]"
     r"|\bsetattr\s*\(", "replaces library functions (monkeypatching)"),
)
_COMPILED = [(re.compile(p), reason) for p, reason in SUSPICIOUS_PATTERNS]


def scan_code(code: str) -> list[str]:
    """Reasons ``code`` deserves a human look (empty when nothing suspicious was found)."""
    return [reason for pattern, reason in _COMPILED if pattern.search(code)]


def scan_notebook(nb: nbformat.NotebookNode, trusted_sources: Iterable[str]) -> list[str]:
    """Scan every code cell the student wrote or changed.

    Args:
        nb: The submitted notebook.
        trusted_sources: Sources of the cells the course itself provides (source and release
            notebooks); a cell whose source is one of them is not the student's code.
    """
    trusted = {s.strip() for s in trusted_sources}
    findings: dict[str, None] = {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or str(cell.get("source", "")).strip() in trusted:
            continue
        for reason in scan_code(str(cell.get("source", ""))):
            findings[f"cell {index}: {reason}"] = None
    return list(findings)


def hidden_fingerprints(tests_dir: Path, min_length: int = 24, public: str = "") -> list[str]:
    r"""Distinctive lines of the hidden test files and of the support module they share
    (``autograder/check_support.py``, which holds reference implementations), used to spot them
    in a notebook's output.

    Lines that also occur in ``public`` (the course code students are given) are left out: a
    traceback that quotes the notebook's own ``keras.utils.set_random_seed(seed)`` is no leak.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "test_a.py").write_text("assert secret_answer(3) == 42\nx = 1\n")
        >>> hidden_fingerprints(folder, min_length=10)
        ['assert secret_answer(3) == 42']
        >>> hidden_fingerprints(folder, min_length=10, public="assert secret_answer(3) == 42")
        []
    """
    from tl_course.hidden_checks import hidden_files

    lines: dict[str, None] = {}
    for path in hidden_files(tests_dir):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if (len(text) >= min_length and not text.startswith(("import ", "from ", "#"))
                    and text not in public):
                lines[text] = None
    return list(lines)


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    if output.get("output_type") == "error":
        return "\n".join([str(output.get("evalue", "")), *map(str, output.get("traceback", []))])
    data = output.get("data", {})
    return "\n".join(str(v) for k, v in data.items() if k.startswith("text/"))


def leaking_cells(nb: nbformat.NotebookNode, fingerprints: list[str]) -> list[int]:
    """Indices of cells whose outputs contain a line of the hidden tests."""
    if not fingerprints:
        return []
    found = []
    for index, cell in enumerate(nb.cells):
        text = "\n".join(_output_text(o) for o in cell.get("outputs", []))
        if text and any(f in text for f in fingerprints):
            found.append(index)
    return found


def redact_cells(nb: nbformat.NotebookNode, indices: Iterable[int]) -> None:
    """Replace the outputs of the given cells with a note (used before feedback is made)."""
    for index in indices:
        nb.cells[index].outputs = [nbformat.v4.new_output(
            "stream", name="stdout",
            text="[output removed by the grader: it contained the course's hidden tests]\n")]
