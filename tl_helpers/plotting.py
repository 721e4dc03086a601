"""Plots the notebooks use: training curves, data-efficiency curves, confusion matrices, image
grids, feature embeddings and the model-selection scatter.

Every function draws on ``ax`` when one is given (a new figure is made when it is ``None``),
returns the matplotlib ``Axes`` it drew on (or the ``Figure`` when it draws several panels),
checks its arguments before drawing anything and never calls ``plt.show()``: in JupyterLab the
figure is shown when the cell ends.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_label_efficiency({"scratch": {5: [0.5, 0.6], 10: [0.7, 0.72]},
    ...                             "transfer": {5: [0.8, 0.82], 10: [0.9, 0.88]}})
    >>> len(ax.get_lines())
    2
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tl_helpers._validation import check_choice, check_int, suggest

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_history",
    "plot_label_efficiency",
    "plot_confusion_matrix",
    "plot_image_grid",
    "plot_embedding",
    "plot_model_selection",
]

# marker of each domain index in plot_embedding (0 = source "o", 1 = target "x", ...)
_DOMAIN_MARKERS = ("o", "x", "s", "^", "v", "D", "*")


# ------------------------------------------------------------------------------------ helpers
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


# --------------------------------------------------------------------------- training curves
def plot_history(
    history: Any, metrics: str | Sequence[str] = ("loss", "accuracy"), ax: Axes | None = None
) -> Axes | Figure:
    """Plot training (solid) and validation (dashed) curves of a Keras ``fit``.

    The validation curve of a metric (key ``val_<metric>``) is drawn whenever ``history`` has
    it, in the same colour as the training curve.

    Args:
        history: the ``History`` returned by ``model.fit`` or its ``.history`` dict
            ``{metric: [value per epoch]}``.
        metrics: metric name, or names, to plot, e.g. ``"loss"`` or ``("loss", "accuracy")``.
        ax: Axes to draw every metric on. When ``None``, each metric gets its own panel of a
            new figure.

    Returns:
        The ``Axes`` when one panel is drawn (``ax`` given, or a single metric); the
        ``Figure``, with one Axes per metric, when several metrics get panels of their own.

    Raises:
        TypeError: ``history`` is neither a ``History`` nor a dict of numbers, ``metrics`` is not a
            string or a sequence of strings, or ``ax`` is not an Axes.
        ValueError: ``metrics`` is empty or names a metric ``history`` does not have (the
            message lists the available ones, with a "Did you mean ...?" suggestion).

    Example:
        >>> logs = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.6, 0.8]}
        >>> fig = plot_history(logs)
        >>> len(fig.axes)
        2
        >>> ax = plot_history(logs, metrics="loss")
        >>> len(ax.get_lines())
        2
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(
            "Argument `history` must be a keras History or a dict of lists. "
            f"Received: history of type {type(history).__name__}"
        )
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, Sequence) or not all(isinstance(m, str) for m in metrics):
        raise TypeError(
            "Argument `metrics` must be a metric name or a list of metric names. "
            f"Received: metrics={metrics!r}"
        )
    metrics = list(metrics)
    if not metrics:
        raise ValueError("Argument `metrics` must name at least one metric. Received: metrics=[]")
    available = [k for k in logs if not str(k).startswith("val_")]
    for metric in metrics:
        if metric not in available:
            raise ValueError(
                f"Argument `metrics` names a metric that `history` does not have: {metric!r}."
                f"{suggest(metric, available)} Available: {', '.join(map(str, available))} "
                "(validation curves are added automatically). "
                f"Received: metrics={metrics!r}"
            )
    curves = {}  # metric -> (train values, validation values or None)
    for metric in metrics:
        try:
            curves[metric] = tuple(
                np.asarray(logs[key], dtype=float).ravel() if key in logs else None
                for key in (metric, f"val_{metric}")
            )
        except (TypeError, ValueError):
            raise TypeError(
                f"Argument `history` must hold a list of numbers per metric. Received: "
                f"history[{metric!r}]={logs[metric]!r}"
            ) from None
    _check_ax(ax)
    from matplotlib.ticker import MaxNLocator

    if ax is not None or len(metrics) == 1:
        ax = _new_axes(ax)
        fig, panels = None, [ax] * len(metrics)
    else:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2),
                                 squeeze=False, layout="constrained")
        panels = list(axes[0])
    for metric, panel in zip(metrics, panels, strict=True):
        train, val = curves[metric]
        (line,) = panel.plot(np.arange(1, len(train) + 1), train, label=f"train {metric}")
        if val is not None:
            panel.plot(np.arange(1, len(val) + 1), val, "--", color=line.get_color(),
                       label=f"validation {metric}")
        panel.set_xlabel("epoch")
        panel.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        panel.legend(fontsize=8)
    for panel in dict.fromkeys(panels):  # each distinct Axes once
        panel.set_ylabel(", ".join(m for m, p in zip(metrics, panels, strict=True) if p is panel))
    return ax if fig is None else fig


# ------------------------------------------------------------------- data-efficiency curve
def plot_label_efficiency(
    results: Mapping[str, Mapping[int, Sequence[float]]],
    ax: Axes | None = None,
    *,
    title: str | None = None,
) -> Axes:
    """Accuracy against labels per class, one line per method, mean with a ±std band.

    This is the data-efficiency curve: how fast each method (e.g. transfer vs training from
    scratch) improves as more labelled examples per class are available. The x axis is
    logarithmic, with ticks at exactly the label budgets in ``results``.

    Args:
        results: ``{method: {n_per_class: [accuracy of each seed, ...]}}``. The line is the
            mean over seeds, the shaded band ± one standard deviation.
        ax: Axes to draw on; a new figure when ``None``.
        title: optional title.

    Returns:
        The ``Axes``.

    Raises:
        TypeError: ``results`` is not a dict, or ``ax`` is not an Axes.
        ValueError: ``results`` (or one method in it) is empty, a label budget is not a
            positive number, or a budget has no accuracies.

    Example:
        >>> results = {"scratch": {5: [0.50, 0.60], 20: [0.70, 0.74]},
        ...            "transfer": {5: [0.80, 0.84], 20: [0.90, 0.92]}}
        >>> ax = plot_label_efficiency(results, title="faces")
        >>> [line.get_label() for line in ax.get_lines()]
        ['scratch', 'transfer']
        >>> ax.get_lines()[0].get_ydata().round(2).tolist()
        [0.55, 0.72]
    """
    if not isinstance(results, Mapping):
        raise TypeError(
            "Argument `results` must be a dict {method: {n_per_class: [accuracies]}}. "
            f"Received: results of type {type(results).__name__}"
        )
    if not results:
        raise ValueError(
            "Argument `results` must be a non-empty dict {method: {n_per_class: [accuracies]}}. "
            "Received: results={}"
        )
    curves = {}  # method -> (n, mean, std), all checked before anything is drawn
    for method, by_n in results.items():
        where = f"results[{method!r}]"
        if not isinstance(by_n, Mapping) or not by_n:
            raise ValueError(
                f"Argument `results` must map each method to a non-empty dict "
                f"{{n_per_class: [accuracies]}}. Received: {where}={by_n!r}"
            )
        for n, scores in by_n.items():
            if isinstance(n, bool) or not isinstance(n, (int, float, np.number)) or n <= 0:
                raise ValueError(
                    f"Argument `results` must use positive numbers of labels per class as keys "
                    f"(the x axis is logarithmic). Received: a key {n!r} in {where}"
                )
            if np.atleast_1d(np.asarray(scores, dtype=float)).size == 0:
                raise ValueError(
                    f"Argument `results` must hold at least one accuracy per label budget. "
                    f"Received: {where}[{n!r}]={scores!r}"
                )
        budgets = sorted(by_n)
        scores = [np.atleast_1d(np.asarray(by_n[k], dtype=float)) for k in budgets]
        curves[method] = (np.array(budgets, dtype=float), np.array([s.mean() for s in scores]),
                          np.array([s.std() for s in scores]))
    _check_ax(ax)

    from matplotlib.ticker import NullLocator

    ax = _new_axes(ax)
    for method, (n, mean, std) in curves.items():
        (line,) = ax.plot(n, mean, "o-", label=str(method))
        ax.fill_between(n, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())  # only the label budgets as ticks
    ticks = sorted({float(v) for n, _, _ in curves.values() for v in n})
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlabel("labelled examples per class")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


# ------------------------------------------------------------------------- confusion matrix
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


# ------------------------------------------------------------------------------ image grid
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


# ------------------------------------------------------------------------ feature embedding
def plot_embedding(
    features: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    domains: Sequence[int] | np.ndarray | None = None,
    *,
    method: str = "pca",
    class_names: Sequence[str] | None = None,
    domain_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    seed: int = 0,
) -> Axes:
    """2-D map of feature vectors, coloured by class and marked by domain.

    Used to see whether the classes separate, and whether the source and target domains
    overlap before and after domain adaptation. The features are reduced to 2-D with PCA
    (fast, linear) or t-SNE (slower, keeps neighbourhoods); features with D == 2 are drawn
    as given. Each domain is one scatter (marker ``"o"`` for domain 0, ``"x"`` for 1, ...),
    and each class name is written at the centre of its points.

    Args:
        features: feature vectors, shape ``(N, D)`` with D >= 2.
        labels: class index of each vector, shape ``(N,)`` (the colour).
        domains: optional domain index of each vector, shape ``(N,)``, e.g. 0 = source and
            1 = target (the marker). ``None``: all from one domain.
        method: ``"pca"`` or ``"tsne"`` (ignored when D == 2).
        class_names: name of each class index.
        domain_names: name of each domain index, e.g. ``["source", "target"]`` (legend).
        ax: Axes to draw on; a new figure when ``None``.
        seed: random seed of the reduction, for a reproducible map.

    Returns:
        The ``Axes``.

    Raises:
        TypeError: ``labels``/``domains`` are not integers, ``seed`` is not an integer, or
            ``ax`` is not an Axes.
        ValueError: ``method`` is unknown; ``features`` is not 2-D with D >= 2, has too few
            rows to reduce or non-finite values; ``labels``/``domains`` have the wrong length;
            or an index has no name in ``class_names``/``domain_names``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> features = rng.normal(size=(40, 16))
        >>> ax = plot_embedding(features, labels=np.arange(40) % 2, domains=np.arange(40) // 20,
        ...                     class_names=["cat", "dog"], domain_names=["source", "target"])
        >>> len(ax.collections), sorted(t.get_text() for t in ax.texts)
        (2, ['cat', 'dog'])
    """
    check_choice("method", method, ("pca", "tsne"))
    check_int("seed", seed, minimum=0)
    features = np.asarray(features)
    if features.ndim != 2 or features.shape[1] < 2:
        raise ValueError(
            "Argument `features` must be 2-D (num_examples, feature_dim) with feature_dim "
            f">= 2. Received: features.shape={features.shape}"
        )
    features = features.astype(float)
    if not np.isfinite(features).all():
        raise ValueError("Argument `features` must hold finite numbers. Received: NaN or inf")
    labels = _check_int_array("labels", _as_1d("labels", labels))
    if len(labels) != len(features):
        raise ValueError(
            "Argument `labels` must have one entry per row of `features`. Received: "
            f"len(labels)={len(labels)}, features.shape={features.shape}"
        )
    if domains is None:
        domains = np.zeros(len(labels), dtype=int)
    else:
        domains = _check_int_array("domains", _as_1d("domains", domains))
        if len(domains) != len(features):
            raise ValueError(
                "Argument `domains` must have one entry per row of `features`. Received: "
                f"len(domains)={len(domains)}, features.shape={features.shape}"
            )
        if domains.size and domains.min() < 0:
            raise ValueError(f"Argument `domains` must hold indices >= 0. Received: "
                             f"min(domains)={domains.min()}")
    _check_names("class_names", class_names, labels, "labels")
    _check_names("domain_names", domain_names, domains, "domains")
    reduce = features.shape[1] > 2
    if reduce and len(features) < 3:
        raise ValueError(
            f"Argument `features` must have at least 3 rows to reduce to 2-D with {method}. "
            f"Received: features.shape={features.shape}"
        )
    _check_ax(ax)

    if not reduce:
        points, how = features, "features (2-D, as given)"
    elif method == "pca":
        from sklearn.decomposition import PCA

        points, how = PCA(2, random_state=seed).fit_transform(features), "PCA of the features"
    else:
        from sklearn.manifold import TSNE

        perplexity = min(30.0, max(2.0, (len(features) - 1) / 3))  # must be < num_examples
        tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed)
        points, how = tsne.fit_transform(features), "t-SNE of the features"

    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    ax = _new_axes(ax, figsize=(5, 4.5))
    classes = np.unique(labels)
    cmap = plt.get_cmap("tab10" if classes.max(initial=0) < 10 else "tab20")
    colour = {int(c): cmap(int(c) % cmap.N) for c in classes}  # same colour in every plot
    handles = []
    for d in np.unique(domains):
        keep = domains == d
        marker = _DOMAIN_MARKERS[int(d) % len(_DOMAIN_MARKERS)]
        name = domain_names[int(d)] if domain_names is not None else f"domain {d}"
        ax.scatter(points[keep, 0], points[keep, 1], c=[colour[int(c)] for c in labels[keep]],
                   marker=marker, s=16, alpha=0.7, label=name)
        handles.append(Line2D([], [], marker=marker, color="0.3", linestyle="", label=name))
    if len(handles) > 1:  # a grey marker per domain: the colours belong to the classes
        ax.legend(handles=handles, loc="best", fontsize=8)
    for c in classes:  # class names written at the centre of their points
        name = class_names[int(c)] if class_names is not None else str(c)
        ax.annotate(name, points[labels == c].mean(axis=0), fontsize=9, weight="bold",
                    color=colour[int(c)], ha="center",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(how, fontsize=10)
    return ax


# --------------------------------------------------------------------- model-selection scatter
def _table_rows(table: Any) -> list[Mapping[str, Any]]:
    """Return ``table`` (list of dicts or dict of lists) as a list of row dicts."""
    if isinstance(table, Mapping):
        lengths = {k: len(v) for k, v in table.items()
                   if isinstance(v, Sequence | np.ndarray) and not isinstance(v, str)}
        if len(lengths) != len(table) or len(set(lengths.values())) > 1:
            raise ValueError(
                "Argument `table`, as a dict, must map each column name to a list, all of the "
                f"same length. Received: column lengths {lengths}"
            )
        n_rows = next(iter(lengths.values()), 0)
        return [{k: table[k][i] for k in table} for i in range(n_rows)]
    if isinstance(table, Sequence | np.ndarray) and not isinstance(table, str):
        if not all(isinstance(row, Mapping) for row in table):
            raise TypeError(
                "Argument `table`, as a list, must hold one dict per model. Received: items "
                f"of type {sorted({type(r).__name__ for r in table})}"
            )
        return list(table)
    raise TypeError(
        "Argument `table` must be a list of dicts (one per model) or a dict of lists. "
        f"Received: table of type {type(table).__name__}"
    )


def _column(rows: Sequence[Mapping[str, Any]], arg: str, key: str) -> np.ndarray:
    """The numbers in column ``key`` of ``rows``, or a TypeError naming ``arg``."""
    try:
        return np.array([float(row[key]) for row in rows])
    except (TypeError, ValueError):
        raise TypeError(
            f"Argument `{arg}` must name a column of numbers. Received: {arg}={key!r} with "
            f"values {[row[key] for row in rows]!r}"
        ) from None


def _place_labels(ax: Axes, names: list[str], xs: np.ndarray, ys: np.ndarray) -> None:
    """Annotate each point with its name, moving labels so that no two overlap.

    Greedy and deterministic: labels are placed from the top point down; each takes the first
    of a few offsets around its point whose box overlaps no label placed before it and stays
    inside the axes (else the offset that overlaps least). Positions are computed for the
    current scales and limits, so set those (e.g. a log axis) before calling.
    """
    texts = [ax.annotate(name, (xv, yv), xytext=(5, 3), textcoords="offset points",
                         ha="left", va="bottom", fontsize=8)
             for name, xv, yv in zip(names, xs, ys, strict=True)]
    fig = ax.figure
    fig.canvas.draw()  # resolves autoscaling and gives a renderer for the text sizes
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    # (dx, dy) in points and alignment: right, left, above, below, then further out
    offsets = [(5, 3, "left", "bottom"), (5, -3, "left", "top"), (-5, 3, "right", "bottom"),
               (-5, -3, "right", "top"), (0, 8, "center", "bottom"), (0, -8, "center", "top"),
               (5, 14, "left", "bottom"), (5, -14, "left", "top"),
               (-5, 14, "right", "bottom"), (-5, -14, "right", "top")]
    placed = []
    for i in sorted(range(len(names)), key=lambda i: (-ys[i], xs[i])):
        best = None
        for dx, dy, ha, va in offsets:
            texts[i].xyann = (dx, dy)
            texts[i].set_horizontalalignment(ha)
            texts[i].set_verticalalignment(va)
            box = texts[i].get_window_extent(renderer).expanded(1.05, 1.15)
            overlap = sum(max(0.0, min(box.x1, b.x1) - max(box.x0, b.x0))
                          * max(0.0, min(box.y1, b.y1) - max(box.y0, b.y0)) for b in placed)
            outside = (box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0
                       or box.y1 > frame.y1)
            score = overlap + (1e6 if outside else 0.0)
            if best is None or score < best[0]:
                best = (score, (dx, dy, ha, va), box)
            if score == 0:
                break
        dx, dy, ha, va = best[1]
        texts[i].xyann = (dx, dy)
        texts[i].set_horizontalalignment(ha)
        texts[i].set_verticalalignment(va)
        placed.append(best[2])


def plot_model_selection(
    table: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
    *,
    x: str = "latency_ms",
    y: str = "accuracy",
    size: str | None = "size_mb",
    label: str = "name",
    highlight: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Scatter of candidate models: ``y`` against ``x``, marker area proportional to ``size``.

    Each point is annotated with its ``label``. The library does not decide which models are
    worth choosing (for instance the Pareto front: that is a notebook exercise); pass the ones
    you chose as ``highlight`` and they are circled and joined by a line in ``x`` order.

    Args:
        table: one row per model, as a list of dicts or a dict of equal-length lists.
        x: column for the x axis, e.g. latency.
        y: column for the y axis, e.g. accuracy.
        size: column the marker area is proportional to (at least a small dot), e.g. model
            size; ``None`` for equal markers.
        label: column naming each model.
        highlight: values of ``label`` to emphasise.
        ax: Axes to draw on; a new figure when ``None``.

    Returns:
        The ``Axes``.

    Raises:
        TypeError: ``table`` is neither a list of dicts nor a dict of lists, a column used for
            ``x``/``y``/``size`` does not hold numbers, or ``ax`` is not an Axes.
        ValueError: ``table`` is empty or ragged, a column is missing (the message names it
            and lists the available ones), ``size`` is negative or ``highlight`` names a model
            not in the table.

    Example:
        >>> rows = [dict(name="small", latency_ms=1.0, accuracy=0.80, size_mb=2.0),
        ...         dict(name="large", latency_ms=9.0, accuracy=0.90, size_mb=90.0)]
        >>> ax = plot_model_selection(rows, highlight=["small", "large"])
        >>> [t.get_text() for t in ax.texts]
        ['small', 'large']
    """
    rows = _table_rows(table)
    if not rows:
        raise ValueError("Argument `table` must hold at least one model. Received: empty table")
    available = list(dict.fromkeys(k for row in rows for k in row))
    for arg, key in (("x", x), ("y", y), ("size", size), ("label", label)):
        if key is None and arg == "size":
            continue
        missing = [i for i, row in enumerate(rows) if key not in row]
        if missing:
            where = "" if len(missing) == len(rows) else f" (missing in rows {missing})"
            raise ValueError(
                f"Argument `{arg}` names a column the table does not have{where}: {key!r}."
                f"{suggest(key, available)} Available: {', '.join(map(str, available))}. "
                f"Received: {arg}={key!r}"
            )
    xs, ys = _column(rows, "x", x), _column(rows, "y", y)
    sizes = _column(rows, "size", size) if size is not None else np.ones(len(rows))
    if (sizes < 0).any() or not np.isfinite(sizes).all():
        raise ValueError(f"Argument `size` must name a column of numbers >= 0. Received: "
                         f"size={size!r} with values {sizes.tolist()}")
    names = [str(row[label]) for row in rows]
    if isinstance(highlight, str):
        highlight = [highlight]
    highlight = [str(h) for h in highlight] if highlight is not None else []
    unknown = [h for h in highlight if h not in names]
    if unknown:
        raise ValueError(
            f"Argument `highlight` names models not in the table: {unknown}."
            f"{suggest(unknown[0], names)} Available: {', '.join(names)}"
        )
    _check_ax(ax)

    ax = _new_axes(ax, figsize=(6, 4))
    area = np.maximum(600.0 * sizes / max(sizes.max(), 1e-12), 12.0)
    ax.scatter(xs, ys, s=area, alpha=0.5, edgecolors="k", linewidths=0.5)
    _place_labels(ax, names, xs, ys)
    if highlight:
        chosen = sorted({(xs[names.index(h)], ys[names.index(h)]) for h in highlight})
        hx, hy = zip(*chosen, strict=True)
        ax.plot(hx, hy, "-o", color="tab:red", mfc="none", ms=14, lw=1.5, label="highlighted")
        ax.legend(fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if size is not None:
        ax.set_title(f"marker area ∝ {size}", fontsize=9)
    return ax
