"""One place that writes every argument-validation message (scikit-learn style).

Messages follow keras.applications: what is allowed, then ``Received: arg=value``, plus a
"Did you mean ...?" suggestion for a mistyped name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import numpy as np


def suggest(value: Any, allowed: Iterable[Any]) -> str:
    """Return ' Did you mean "x"?' for the closest allowed name, or ''."""
    names = [str(a) for a in allowed]
    match = difflib.get_close_matches(str(value), names, n=1, cutoff=0.5)
    return f' Did you mean "{match[0]}"?' if match else ""


def check_choice(arg: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Raise ValueError unless ``value`` is one of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"Argument `{arg}` must be one of {shown}.{suggest(value, allowed)} "
            f"Received: {arg}={value!r}"
        )
    return value


def check_int(arg: str, value: Any, *, minimum: int | None = None) -> int:
    """Raise TypeError/ValueError unless ``value`` is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Argument `{arg}` must be an integer. Received: {arg}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"Argument `{arg}` must be >= {minimum}. Received: {arg}={value!r}")
    return int(value)


def check_images(arg: str, x: Any) -> np.ndarray:
    """Return ``x`` as an array of images shaped (N, H, W, C) with C in {1, 3}.

    Raises a ValueError naming ``arg`` and the expected layout otherwise.
    """
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception:  # pragma: no cover - exotic inputs
            raise TypeError(
                f"Argument `{arg}` must be an array of images. Received: {arg} of type "
                f"{type(x).__name__}"
            ) from None
    if x.dtype == object or not (
        np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)
    ):
        raise TypeError(
            f"Argument `{arg}` must hold numbers (uint8 0-255 or float). Received: "
            f"{arg}.dtype={x.dtype}"
        )
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(
            f"Argument `{arg}` must have shape (num_images, height, width, channels) with 1 or "
            f"3 channels. Received: {arg}.shape={x.shape}"
        )
    return x
