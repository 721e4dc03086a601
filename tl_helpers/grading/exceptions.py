"""Errors on the grading wire: the grader's own, and the student's as (builtin type, message).

A check that calls into the student's kernel (:mod:`tl_helpers.grading.function_server`) may
meet two kinds of failure. :class:`WireError` is the grader's: what came back is not plain data
(a failed check, with the reason). An exception the student's function raised crosses as data,
``{"$": "exception", "type": name, "message": text}``: :func:`exception_type_name` picks the one
builtin type it crosses as (an exception class that inherits from three builtins cannot pass as
all three), and :func:`make_exception` builds a fresh builtin exception from an untrusted pair
on the other side. :func:`first_line` shortens an error to the reason shown to a student.

Example:
    >>> class Sly(ValueError, TypeError): pass
    >>> make_exception(exception_type_name(Sly("lr")), "lr")
    ValueError('lr')
"""

from __future__ import annotations

import builtins
from typing import Any

__all__ = [
    "WireError",
    "BUILTIN_EXCEPTIONS",
    "exception_type_name",
    "make_exception",
    "first_line",
]

BUILTIN_EXCEPTIONS = {
    name: value for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, Exception)
    and not issubclass(value, Warning)
}
"""Exception types that can cross, by name (builtin ``Exception`` subclasses)."""


class WireError(AssertionError):
    """What came back from the notebook is not plain data (a failed check, with the reason)."""


def exception_type_name(error: BaseException) -> str:
    """The one builtin exception type an exception crosses as: the first builtin class in its
    method resolution order (``Exception`` when there is none).

    Example:
        >>> class Sly(ValueError, TypeError, FileNotFoundError): pass
        >>> exception_type_name(Sly("x")), exception_type_name(KeyError("k"))
        ('ValueError', 'KeyError')
    """
    for klass in type(error).__mro__:
        if klass.__module__ == "builtins" and klass.__name__ in BUILTIN_EXCEPTIONS:
            return klass.__name__
    return "Exception"


def make_exception(name: Any, message: Any) -> Exception:
    """A fresh builtin exception from an untrusted (type name, message) pair.

    Example:
        >>> make_exception("ValueError", "lr must be > 0")
        ValueError('lr must be > 0')
        >>> make_exception("SystemExit", "bye")
        RuntimeError('the notebook raised SystemExit: bye')
    """
    text = message if isinstance(message, str) else repr(message)
    text = text[:4000]
    klass = BUILTIN_EXCEPTIONS.get(name) if isinstance(name, str) else None
    if klass is None:
        return RuntimeError(f"the notebook raised {str(name)[:80]}: {text}")
    try:
        return klass(text)
    except Exception:  # a builtin that needs other arguments (UnicodeDecodeError)
        return RuntimeError(f"{name}: {text}")


def first_line(error: BaseException, limit: int) -> str:
    """The first line of an exception's message, at most ``limit`` characters (for a reason
    shown to the student).

    Example:
        >>> first_line(ValueError("bad shape\\nTraceback ..."), 5)
        'bad s'
    """
    text = str(error).strip()
    return text.splitlines()[0][:limit] if text else ""
