"""Student-facing checks shared by the notebooks' visible tests and the hidden checks.

Each helper raises ``AssertionError`` with a message that says what was expected, what was
received and, where given, a hint naming the usual misconception. They check behaviour only and
contain no exercise's solution.

Example:
    >>> import numpy as np
    >>> check_shape(np.zeros((4, 3)), (4, 3), "features")
    >>> check_shape(np.zeros((4, 2)), (4, 3), "features")
    Traceback (most recent call last):
    ...
    AssertionError: `features` should have shape (4, 3), but it has shape (4, 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["check_shape", "check_close", "check_type", "check_raises", "check_between",
           "check_quiz"]


def _hint(hint: str | None) -> str:
    return f" Hint: {hint}" if hint else ""


def check_type(value: Any, expected: type | tuple[type, ...], name: str,
               hint: str | None = None) -> None:
    """Fail unless ``value`` is an instance of ``expected``.

    Example:
        >>> check_type(3, int, "n")
    """
    if not isinstance(value, expected):
        names = (" or ".join(t.__name__ for t in expected) if isinstance(expected, tuple)
                 else expected.__name__)
        raise AssertionError(
            f"`{name}` should be a {names}, but it is a {type(value).__name__}.{_hint(hint)}")


def check_shape(value: Any, expected: Sequence[int | None], name: str,
                hint: str | None = None) -> None:
    """Fail unless ``value`` has ``expected`` shape (``None`` matches any size).

    Example:
        >>> check_shape(np.zeros((2, 5)), (None, 5), "logits")
    """
    shape = tuple(getattr(value, "shape", np.shape(value)))
    expected = tuple(expected)
    ok = len(shape) == len(expected) and all(
        e is None or s == e for s, e in zip(shape, expected, strict=True))
    if not ok:
        raise AssertionError(
            f"`{name}` should have shape {expected}, but it has shape {shape}.{_hint(hint)}")


def check_close(actual: Any, expected: Any, name: str, *, atol: float = 1e-6,
                rtol: float = 1e-5, hint: str | None = None) -> None:
    """Fail unless ``actual`` is numerically close to ``expected`` (scalars or arrays).

    Example:
        >>> check_close(0.1 + 0.2, 0.3, "total")
    """
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        raise AssertionError(
            f"`{name}` should have shape {e.shape}, but it has shape {a.shape}.{_hint(hint)}")
    if not np.allclose(a, e, atol=atol, rtol=rtol, equal_nan=False):
        worst = float(np.max(np.abs(a - e))) if a.size else 0.0
        shown = f"{float(e):.6g}, got {float(a):.6g}" if a.ndim == 0 else \
            f"values within {atol:g}; the largest difference is {worst:.3g}"
        raise AssertionError(f"`{name}` is not right: expected {shown}.{_hint(hint)}")


def check_between(value: float, low: float, high: float, name: str,
                  hint: str | None = None) -> None:
    """Fail unless ``low <= value <= high``.

    Example:
        >>> check_between(0.8, 0.0, 1.0, "accuracy")
    """
    if not (low <= float(value) <= high):
        raise AssertionError(
            f"`{name}` should be between {low:g} and {high:g}, but it is {float(value):.4g}."
            f"{_hint(hint)}")


def check_raises(function: Callable[[], Any], exception: type[BaseException], what: str,
                 match: str | None = None, hint: str | None = None) -> None:
    """Fail unless calling ``function()`` raises ``exception`` (whose text contains ``match``).

    Example:
        >>> check_raises(lambda: int("x"), ValueError, "int('x')")
    """
    try:
        function()
    except exception as error:
        if match is not None and match.lower() not in str(error).lower():
            raise AssertionError(
                f"{what} raised {type(error).__name__}, but its message should mention "
                f"{match!r}. It said: {str(error)[:200]!r}.{_hint(hint)}") from None
        return
    except Exception as error:
        raise AssertionError(
            f"{what} should raise {exception.__name__}, but it raised {type(error).__name__}: "
            f"{str(error)[:200]}.{_hint(hint)}") from None
    raise AssertionError(f"{what} should raise {exception.__name__}, but it did not.{_hint(hint)}")


def _shown(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_quiz(answers: Any, questions: int, choices: Sequence[str] = ("a", "b", "c")) -> None:
    """Fail unless ``answers`` answers the knowledge check: a dict with exactly the keys
    ``"q1"`` to ``f"q{questions}"``, each answer one of ``choices``.

    It checks the form only (every question answered, each with an offered choice), never
    whether an answer is right: that is for the hidden checks.

    Args:
        answers: The student's answers, such as ``{"q1": "b", "q2": "a"}``.
        questions: How many questions the knowledge check has (``q1`` to ``qN``).
        choices: The answers a question offers (lower case).

    Raises:
        AssertionError: ``answers`` is not a dict, misses a question or has an unknown key, or
            an answer is not one of ``choices``; the message says which.
        ValueError: ``questions`` is not a positive int or ``choices`` is not a non-empty
            sequence of strings (the notebook's own call is wrong).

    Example:
        >>> check_quiz({"q1": "b", "q2": "a"}, questions=2)
        >>> check_quiz({"q1": "b"}, questions=2)
        Traceback (most recent call last):
        ...
        AssertionError: Argument `answers` must answer every question: its keys should be \
['q1', 'q2'] (missing: ['q2']). Received: answers with the keys ['q1']
    """
    if isinstance(questions, bool) or not isinstance(questions, int | np.integer) \
            or questions < 1:
        raise ValueError(f"Argument `questions` must be a positive int (the number of questions). "
                         f"Received: questions={questions!r}")
    if isinstance(choices, str):
        choices = tuple(choices)
    if not isinstance(choices, Sequence) or not choices \
            or not all(isinstance(c, str) for c in choices):
        raise ValueError(f"Argument `choices` must be a non-empty sequence of strings such as "
                         f"('a', 'b', 'c'). Received: choices={choices!r}")
    expected = [f"q{i}" for i in range(1, int(questions) + 1)]
    example = "{" + ", ".join(f'"{q}": ...' for q in expected[:2]) + (", ...}" if questions > 2
                                                                      else "}")
    if not isinstance(answers, dict):
        raise AssertionError(
            f"Argument `answers` must be a dict such as {example}. Received: "
            f"{type(answers).__name__} {_shown(answers)}")
    keys = list(answers)
    missing = [q for q in expected if q not in answers]
    unknown = [k for k in keys if k not in expected]
    if missing or unknown:
        why = "; ".join(part for part in (f"missing: {missing}" if missing else "",
                                          f"not a question: {_shown(unknown)}" if unknown else "")
                        if part)
        raise AssertionError(
            f"Argument `answers` must answer every question: its keys should be {expected} "
            f"({why}). Received: "
            + (f"answers with the keys {_shown(keys)}" if keys else "an empty dict"))
    allowed = " or ".join(", ".join(f'"{c}"' for c in choices).rsplit(", ", 1))
    for question in expected:
        if answers[question] not in choices:
            raise AssertionError(
                f"Argument `answers` must give each answer as {allowed} (lower case). "
                f"Received: answers[{question!r}]={_shown(answers[question])}")
