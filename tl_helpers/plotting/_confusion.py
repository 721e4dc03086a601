"""Confusion matrix whose cell numbers are sized to their cells (:func:`plot_confusion_matrix`).

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_confusion_matrix([0, 1, 1], [0, 1, 0], normalize=False)
    >>> ax.images[0].get_array().tolist()
    [[1, 0], [1, 1]]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tl_helpers.plotting._axes import (
    _as_1d,
    _check_ax,
    _check_int_array,
    _check_names,
    _new_axes,
)

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes

__all__ = ["plot_confusion_matrix"]

# Cell numbers are drawn only when they fit: at least this font size (points), at most the
# largest; a glyph of the default font is about 0.6 of the font size wide.
_CELL_FONT_MIN, _CELL_FONT_MAX, _GLYPH_WIDTH = 5.0, 10.0, 0.6


def _cell_font_size(ax: Axes, n_classes: int, max_chars: int) -> float:
    """Largest font size (points) at which ``max_chars`` characters fit in one cell of ``ax``."""
    box = ax.get_window_extent()
    points_per_pixel = 72.0 / ax.figure.dpi
    cell_w = box.width * points_per_pixel / n_classes
    cell_h = box.height * points_per_pixel / n_classes
    size = min(0.85 * cell_w / (_GLYPH_WIDTH * max(1, max_chars)), 0.7 * cell_h)
    return float(min(_CELL_FONT_MAX, size))


@functools.cache
def _cell_text_type() -> type:
    """The Text subclass of confusion-matrix numbers (matplotlib is imported on first use)."""
    from matplotlib.text import Text

    class CellText(Text):
        """A cell's number, sized to its cell when drawn, not drawn when it cannot fit.

        The size is chosen at draw time because the final cell size is only known then:
        constrained layout, long rotated class names or a suptitle added later all shrink
        the Axes after the matrix was plotted.
        """

        def __init__(self, *args: Any, n_classes: int, max_chars: int, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._n_classes, self._max_chars = n_classes, max_chars

        def draw(self, renderer: Any) -> None:
            size = _cell_font_size(self.axes, self._n_classes, self._max_chars)
            if size < _CELL_FONT_MIN:
                return
            if size != self.get_fontsize():
                self.set_fontsize(size)
            super().draw(renderer)

    return CellText


def plot_confusion_matrix(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    class_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    normalize: bool = True,
) -> Axes:
    """Confusion matrix: rows are the true classes, columns the predicted ones.

    Drawn with scikit-learn's ``ConfusionMatrixDisplay``. Normalised, each row sums to 1, so
    the diagonal is the recall of each class (a class absent from ``y_true`` gets a row of 0).

    Each non-empty cell shows its number, as a whole percentage of its row when normalised
    (``87`` means 87 % of that true class) or as a count; empty cells stay blank. The font
    size follows the cell size when the figure is drawn (after its layout), so numbers never
    overlap: when a cell is too small for a readable number (under 5 points, e.g. many classes
    on a small Axes), only the colours are shown.

    Args:
        y_true: true class indices, shape ``(N,)``.
        y_pred: predicted class indices, shape ``(N,)``.
        class_names: name of each class index; every class gets a row and a column, even one
            that never occurs. When ``None`` the classes found in the data are shown.
        ax: Axes to draw on; a new figure when ``None``.
        normalize: show fractions of each true class (``True``) or raw counts (``False``).

    Returns:
        The ``Axes``.

    Raises:
        TypeError: ``normalize`` is not a bool, the labels are not integers while
            ``class_names`` is given, or ``ax`` is not an Axes.
        ValueError: ``y_true`` and ``y_pred`` are empty, not 1-D or of different lengths, or
            hold a class index with no name in ``class_names``.

    Example:
        >>> ax = plot_confusion_matrix([0, 1, 1, 1], [0, 1, 0, 1], class_names=["cat", "dog"])
        >>> ax.images[0].get_array().round(2).tolist()
        [[1.0, 0.0], [0.33, 0.67]]
        >>> [t.get_text() for t in ax.texts]  # per cent of each true class; 0 left blank
        ['100', '33', '67']
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true, y_pred = _as_1d("y_true", y_true), _as_1d("y_pred", y_pred)
    if len(y_true) != len(y_pred) or not len(y_true):
        raise ValueError(
            "Arguments `y_true` and `y_pred` must be non-empty and of the same length. "
            f"Received: len(y_true)={len(y_true)}, len(y_pred)={len(y_pred)}"
        )
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"Argument `normalize` must be True or False. Received: normalize="
                        f"{normalize!r}")
    labels = None
    if class_names is not None:
        for arg, values in (("y_true", y_true), ("y_pred", y_pred)):
            _check_names("class_names", class_names, _check_int_array(arg, values), arg)
        labels = np.arange(len(class_names))
    _check_ax(ax)

    n_classes = len(class_names) if class_names is not None else len(np.union1d(y_true, y_pred))
    ax = _new_axes(ax, figsize=(max(3.5, 0.55 * n_classes + 2), max(3.0, 0.5 * n_classes + 1.5)))
    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, display_labels=class_names, ax=ax, colorbar=False,
        cmap="Blues", normalize="true" if normalize else None, include_values=False,
        xticks_rotation=45 if n_classes > 5 else "horizontal",
    )
    matrix = np.asarray(display.confusion_matrix, dtype=float)
    shown = np.rint(100 * matrix).astype(int) if normalize else matrix.astype(int)
    if normalize:
        ax.set_xlabel("Predicted label (cells: % of the true class)")
    cells = [(i, j) for i in range(n_classes) for j in range(n_classes) if matrix[i, j] > 0]
    max_chars = max((len(str(shown[i, j])) for i, j in cells), default=1)
    threshold = (matrix.max() + matrix.min()) / 2.0  # dark cells get white text
    cell_text = _cell_text_type()
    for i, j in cells:
        ax.add_artist(cell_text(
            j, i, str(shown[i, j]), ha="center", va="center", fontsize=_CELL_FONT_MAX,
            color="white" if matrix[i, j] > threshold else "black",
            n_classes=n_classes, max_chars=max_chars, in_layout=False,
        ))
    return ax
