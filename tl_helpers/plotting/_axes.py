"""Argument checks and Axes handling shared by every plot of :mod:`tl_helpers.plotting`.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = _new_axes(None)
    >>> _new_axes(ax) is ax
    True
    >>> _as_1d("labels", [0, 1, 1]).shape
    (3,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes

__all__: list[str] = []  # private helpers of the plotting package


def _check_ax(ax: Any) -> None:
    """Raise TypeError unless ``ax`` is ``None`` or a matplotlib Axes."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(
            "Argument `ax` must be a matplotlib Axes or None. "
            f"Received: ax of type {type(ax).__name__}"
        )


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (5, 3.5)) -> Axes:
    """Return ``ax``, or the Axes of a new figure when it is ``None``."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _as_1d(arg: str, values: Any) -> np.ndarray:
    """Return ``values`` as a 1-D array, or raise a ValueError naming ``arg``."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(
            f"Argument `{arg}` must be 1-D (one value per example). "
            f"Received: {arg}.shape={array.shape}"
        )
    return array


def _check_int_array(arg: str, values: np.ndarray) -> np.ndarray:
    """Raise TypeError unless ``values`` holds integers (class or domain indices)."""
    if values.size and not np.issubdtype(values.dtype, np.integer):
        raise TypeError(
            f"Argument `{arg}` must hold integer indices. Received: {arg}.dtype={values.dtype}"
        )
    return values


def _check_names(arg: str, names: Sequence[str] | None, indices: np.ndarray, of: str) -> None:
    """Raise ValueError unless every index in ``indices`` has a name in ``names``."""
    if names is None or not indices.size:
        return
    bad = sorted({int(i) for i in indices if not 0 <= i < len(names)})
    if bad:
        raise ValueError(
            f"Argument `{arg}` has {len(names)} names but `{of}` holds indices {bad} outside "
            f"0..{len(names) - 1}. Received: {arg}={list(names)!r}"
        )
