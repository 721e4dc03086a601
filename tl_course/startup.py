"""What every grading process does first, before it imports nbformat.

nbformat imports jsonschema, and jsonschema imports the optional ``rfc3987_syntax`` package when
it is installed (JupyterLab's dependencies install it), which builds an Earley parser for IRIs
at import: 2.4 s on 2 cores, paid by the ``tl-course`` process and again by every checker
process, for IRI format checks that notebook validation never uses. :func:`skip_slow_imports`
marks that package absent in this process, so jsonschema skips those two format checks.
Student kernels do not import nbformat and are left alone.

Example:
    >>> skip_slow_imports()  # before anything imports nbformat
"""

from __future__ import annotations

import sys

__all__ = ["skip_slow_imports"]

SLOW_OPTIONAL_MODULES = ("rfc3987_syntax",)
"""Optional imports of the grader's dependencies that cost seconds and serve it nothing."""


def skip_slow_imports() -> None:
    """Make ``import rfc3987_syntax`` fail with ImportError in this process (jsonschema, its
    only user here, then goes without it), unless it is already imported."""
    for name in SLOW_OPTIONAL_MODULES:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]
