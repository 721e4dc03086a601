"""A grid of images titled with their classes (:func:`plot_image_grid`).

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_image_grid(np.zeros((3, 8, 8), dtype=np.uint8), labels=[0, 1, 2])
    >>> [ax.get_title() for ax in fig.axes]
    ['0', '1', '2']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tl_helpers._validation import check_int
from tl_helpers.plotting._axes import _as_1d, _check_int_array, _check_names

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.figure import Figure

__all__ = ["plot_image_grid"]


def _images_for_display(images: Any) -> np.ndarray:
    """Check ``images`` and return floats 0-1 shaped (N, H, W) or (N, H, W, 3)."""
    images = np.asarray(images)
    if images.dtype == bool or not (
        np.issubdtype(images.dtype, np.integer) or np.issubdtype(images.dtype, np.floating)
    ):
        raise TypeError(
            "Argument `images` must hold numbers (uint8 0-255 or floats 0-1). "
            f"Received: images.dtype={images.dtype}"
        )
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(
            "Argument `images` must have shape (N, H, W) or (N, H, W, C) with C in 1 or 3. "
            f"Received: images.shape={np.shape(images)}"
        )
    if not len(images):
        raise ValueError(f"Argument `images` must hold at least one image. "
                         f"Received: images.shape={images.shape}")
    if np.issubdtype(images.dtype, np.integer):
        return np.clip(images, 0, 255) / 255.0
    low, high = float(np.min(images)), float(np.max(images))
    if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high > 255:
        raise ValueError(
            "Argument `images` must hold floats in 0-1 (or 0-255); undo any model "
            f"preprocessing first. Received: values from {low:g} to {high:g}"
        )
    return images / 255.0 if high > 1.0 else images.astype(float)


def plot_image_grid(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    max_images: int = 32,
    title: str | None = None,
) -> Figure:
    """Show the first images of a batch in a grid, titled with their classes.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)`` with C in 1 or 3; ``uint8`` 0-255 or floats
            0-1 (floats above 1 are read as 0-255).
        labels: optional class index of each image, shape ``(N,)``, shown as its title.
        class_names: names of the class indices (titles are the names, not the numbers);
            needs ``labels``.
        ncols: images per row.
        max_images: show at most this many (the first ones).
        title: optional title of the whole figure.

    Returns:
        The ``Figure``, with ``rows * ncols`` Axes (unused ones are blank).

    Raises:
        TypeError: ``images`` does not hold numbers, ``labels`` are not integers while
            ``class_names`` is given, or ``ncols``/``max_images`` are not integers.
        ValueError: ``images`` has the wrong shape, is empty or holds negative floats;
            ``labels`` has a different length; a label has no name in ``class_names``;
            ``class_names`` is given without ``labels``; or ``ncols``/``max_images`` < 1.

    Example:
        >>> images = np.zeros((10, 8, 8, 3), dtype=np.uint8)
        >>> fig = plot_image_grid(images, labels=[0, 1] * 5, class_names=["cat", "dog"],
        ...                       ncols=4, max_images=6)
        >>> shown = [ax for ax in fig.axes if ax.images]
        >>> len(shown), shown[1].get_title()
        (6, 'dog')
    """
    import matplotlib.pyplot as plt

    images = _images_for_display(images)
    check_int("ncols", ncols, minimum=1)
    check_int("max_images", max_images, minimum=1)
    if labels is not None:
        labels = _as_1d("labels", labels)
        if len(labels) != len(images):
            raise ValueError(
                f"Arguments `images` and `labels` must have the same length. Received: "
                f"len(images)={len(images)}, len(labels)={len(labels)}"
            )
        if class_names is not None:
            _check_names("class_names", class_names, _check_int_array("labels", labels),
                         "labels")
    elif class_names is not None:
        raise ValueError(
            "Argument `class_names` needs `labels` (the class of each image). "
            "Received: labels=None"
        )

    count = min(len(images), max_images)
    cols = min(ncols, count)
    rows = -(-count // cols)  # ceiling division
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.45 * rows + (0.4 if title else 0)),
                             squeeze=False, layout="constrained")
    for i, panel in enumerate(axes.ravel()):
        panel.axis("off")
        if i >= count:
            continue
        panel.imshow(images[i], cmap="gray", vmin=0.0, vmax=1.0)  # cmap is unused for RGB
        if labels is not None:
            name = class_names[int(labels[i])] if class_names is not None else str(labels[i])
            panel.set_title(name, fontsize=8)
    if title:
        fig.suptitle(title)
    return fig
