"""Probes used by the hidden checks of assignment 02 (see :mod:`tl_helpers.grading.probes`).

Classes need ``get_state()``, ``set_state(state)`` and ``from_state(state)`` (plain data);
functions take and return plain data (or objects that stay in the kernel).
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

import numpy as np

__all__: list[str] = ["call_with_str_paths", "file_bytes_after_call"]


def call_with_str_paths(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function`` with every ``pathlib`` path among its arguments given as a ``str``.

    A check sends files to the kernel as ``Path`` arguments (the grader copies the file along
    and rewrites the path); a plain ``str`` naming a grader's file means nothing in the kernel.
    To see how a function treats a path given as text, the check sends a ``Path`` and this probe
    hands the function its text. Other arguments are passed unchanged.

    Args:
        function: the function to call.
        *args: positional arguments; ``PurePath`` values are turned into ``str``.
        **kwargs: keyword arguments; ``PurePath`` values are turned into ``str``.

    Returns:
        What ``function`` returns (its exceptions propagate).

    Example:
        >>> from pathlib import Path
        >>> call_with_str_paths(lambda p, n: (type(p).__name__, n), Path("m.keras"), 3)
        ('str', 3)
    """
    def text(value: Any) -> Any:
        return str(value) if isinstance(value, PurePath) else value

    return function(*[text(a) for a in args], **{k: text(v) for k, v in kwargs.items()})


def file_bytes_after_call(function: Any, path: Any) -> np.ndarray | None:
    """Call ``function(path)``, then read the file at ``path`` back.

    The grader copies a ``Path`` argument's file into the kernel: a function that writes to
    its file changes that copy, never the grader's file, so whether it did can only be seen
    here.

    Args:
        function: the function to call with the path.
        path: the path of a file.

    Returns:
        The file's bytes after the call as a ``uint8`` array, or ``None`` when the file is gone
        (the call's exceptions propagate).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "m.pt"
        >>> _ = path.write_bytes(b"ab")
        >>> file_bytes_after_call(lambda p: Path(p).write_bytes(b"c"), path).tolist()
        [99]
    """
    function(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    return np.frombuffer(data, dtype=np.uint8).copy()
