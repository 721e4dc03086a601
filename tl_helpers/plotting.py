"""Plots the notebooks use: training curves, data-efficiency curves, confusion matrices, image
grids, feature embeddings and the model-selection scatter.

Every function takes ``ax=None`` (a new figure is made when it is ``None``), returns the
matplotlib ``Axes`` (or the ``Figure`` for multi-panel plots) and never calls ``plt.show()``.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_label_efficiency({"scratch": {5: [0.5, 0.6], 10: [0.7, 0.72]},
    ...                             "transfer": {5: [0.8, 0.82], 10: [0.9, 0.88]}})
    >>> len(ax.get_lines())
    2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tl_helpers._validation import check_choice, check_int, suggest

__all__ = [
    "plot_history",
    "plot_label_efficiency",
    "plot_confusion_matrix",
    "plot_image_grid",
    "plot_embedding",
    "plot_model_selection",
]


def _new_axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    return ax


def plot_history(history: Any, metrics: Sequence[str] = ("loss", "accuracy"), ax=None):
    """Plot training (solid) and validation (dashed) curves of a Keras ``fit``.

    Args:
        history: the ``History`` returned by ``model.fit`` or its ``.history`` dict.
        metrics: metric names to plot (``val_<metric>`` is added when present).
        ax: one Axes for all metrics; when ``None`` each metric gets its own panel.

    Returns:
        The ``Axes`` when ``ax`` is given, else the ``Figure`` with one panel per metric.

    Example:
        >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, metrics=["loss"])
        >>> len(fig.axes)
        1
    """
    import matplotlib.pyplot as plt

    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(
            "Argument `history` must be a keras History or a dict of lists. "
            f"Received: history of type {type(history).__name__}"
        )
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    train_keys = [k for k in logs if not k.startswith("val_")]
    for metric in metrics:
        if metric not in logs:
            raise ValueError(
                f"Unknown metric.{suggest(metric, train_keys)} Available: "
                f"{', '.join(train_keys)}. Received: metrics={metrics!r}"
            )
    if ax is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2),
                                 squeeze=False, layout="constrained")
        panels = list(axes[0])
    else:
        fig, panels = None, [ax] * len(metrics)
    for metric, panel in zip(metrics, panels, strict=True):
        epochs = np.arange(1, len(logs[metric]) + 1)
        (line,) = panel.plot(epochs, logs[metric], label=f"train {metric}")
        if f"val_{metric}" in logs:
            panel.plot(epochs, logs[f"val_{metric}"], "--", color=line.get_color(),
                       label=f"validation {metric}")
        panel.set_xlabel("epoch")
        panel.set_ylabel(metric)
        panel.legend()
    return ax if fig is None else fig


def plot_label_efficiency(
    results: Mapping[str, Mapping[int, Sequence[float]]], ax=None, *, title: str | None = None
):
    """Accuracy against labels per class, one line per method, mean with a ±std band.

    Args:
        results: ``{method: {n_per_class: [accuracy per seed, ...]}}``.
        ax: Axes to draw on.
        title: optional title.

    Returns:
        The ``Axes``.
    """
    if not isinstance(results, Mapping) or not results:
        raise ValueError(
            "Argument `results` must be a non-empty dict {method: {n_per_class: [accuracies]}}. "
            f"Received: results={results!r}"
        )
    ax = _new_axes(ax)
    all_n = set()
    for method, by_n in results.items():
        if not isinstance(by_n, Mapping) or not by_n:
            raise ValueError(
                f"`results[{method!r}]` must be a non-empty dict {{n_per_class: [accuracies]}}. "
                f"Received: {by_n!r}"
            )
        n = np.array(sorted(by_n, key=float), dtype=float)
        scores = [np.atleast_1d(np.asarray(by_n[k], dtype=float)) for k in sorted(by_n, key=float)]
        mean = np.array([s.mean() for s in scores])
        std = np.array([s.std() for s in scores])
        (line,) = ax.plot(n, mean, "o-", label=method)
        ax.fill_between(n, mean - std, mean + std, color=line.get_color(), alpha=0.2)
        all_n.update(n.tolist())
    from matplotlib.ticker import NullLocator

    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())  # only the label budgets as ticks
    ticks = sorted(all_n)
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlabel("labelled examples per class")
    ax.set_ylabel("test accuracy")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_confusion_matrix(
    y_true, y_pred, class_names: Sequence[str] | None = None, ax=None, normalize: bool = True
):
    """Confusion matrix (rows: true class, columns: predicted), normalised per true class.

    Example:
        >>> ax = plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=["a", "b"])
        >>> ax.get_xlabel()
        'Predicted label'
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            "Arguments `y_true` and `y_pred` must be 1-D and of the same length. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    labels = None if class_names is None else np.arange(len(class_names))
    ax = _new_axes(ax)
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, display_labels=class_names, ax=ax, colorbar=False,
        normalize="true" if normalize else None, values_format=".2f" if normalize else "d",
    )
    return ax


def plot_image_grid(
    images, labels=None, class_names: Sequence[str] | None = None, *, ncols: int = 8,
    max_images: int = 32, title: str | None = None,
):
    """Show images in a grid, titled with their class names when given.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)`` with C in 1 or 3; ``uint8`` or floats 0-1.
        labels: optional integer labels (N,).
        class_names: names for the labels.
        ncols: images per row.
        max_images: show at most this many.
        title: optional figure title.

    Returns:
        The ``Figure``.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(
            "Argument `images` must have shape (N, H, W) or (N, H, W, C) with C in 1 or 3. "
            f"Received: images.shape={images.shape}"
        )
    check_int("ncols", ncols, minimum=1)
    check_int("max_images", max_images, minimum=1)
    if labels is not None and len(labels) != len(images):
        raise ValueError(
            f"Arguments `images` and `labels` must have the same length. Received: "
            f"len(images)={len(images)}, len(labels)={len(labels)}"
        )
    count = min(len(images), max_images)
    rows = max(1, int(np.ceil(count / ncols)))
    cols = min(ncols, max(count, 1))
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.45 * rows), squeeze=False)
    for i, panel in enumerate(axes.ravel()):
        panel.axis("off")
        if i >= count:
            continue
        panel.imshow(images[i], cmap="gray" if images.ndim == 3 else None,
                     vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
        if labels is not None:
            label = int(labels[i])
            name = class_names[label] if class_names is not None else str(label)
            panel.set_title(name, fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_embedding(
    features, labels, domains=None, *, method: str = "pca", class_names=None,
    domain_names=None, ax=None, seed: int = 0,
):
    """2-D map of feature vectors, coloured by class and marked by domain.

    Used to see whether classes separate, and whether source and target domains overlap
    before and after domain adaptation.

    Args:
        features: ``(N, D)`` feature vectors.
        labels: ``(N,)`` integer classes (colours).
        domains: optional ``(N,)`` integer domains (0 = source "o", 1 = target "x", ...).
        method: ``"pca"`` or ``"tsne"`` (ignored when D == 2).
        class_names, domain_names: legend names.
        ax: Axes to draw on.
        seed: random seed of t-SNE.

    Returns:
        The ``Axes``.
    """
    features = np.asarray(features, dtype=float)
    labels = np.asarray(labels)
    check_choice("method", method, ("pca", "tsne"))
    if features.ndim != 2 or len(features) != len(labels):
        raise ValueError(
            "Argument `features` must be 2-D (N, D) with one row per label. Received: "
            f"features.shape={features.shape}, len(labels)={len(labels)}"
        )
    domains = np.zeros(len(labels), int) if domains is None else np.asarray(domains)
    if len(domains) != len(labels):
        raise ValueError(
            f"Argument `domains` must have one entry per row. Received: len(domains)="
            f"{len(domains)}, len(labels)={len(labels)}"
        )
    if features.shape[1] == 2:
        points = features
    elif method == "pca":
        from sklearn.decomposition import PCA

        points = PCA(2, random_state=seed).fit_transform(features)
    else:
        from sklearn.manifold import TSNE

        perplexity = min(30.0, max(2.0, (len(features) - 1) / 3))
        points = TSNE(2, random_state=seed, perplexity=perplexity).fit_transform(features)
    import matplotlib.pyplot as plt

    ax = _new_axes(ax)
    classes = np.unique(labels)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    colours = {c: cmap(i % cmap.N) for i, c in enumerate(classes)}
    markers = "oxs^vD*"
    for d in np.unique(domains):
        keep = domains == d
        ax.scatter(points[keep, 0], points[keep, 1], c=[colours[c] for c in labels[keep]],
                   marker=markers[int(d) % len(markers)], s=14, alpha=0.7,
                   label=domain_names[int(d)] if domain_names is not None else f"domain {d}")
    if len(np.unique(domains)) > 1:
        ax.legend(loc="best", fontsize=8)
    for c in classes:  # class legend as text labels at class centres
        centre = points[labels == c].mean(axis=0)
        name = class_names[int(c)] if class_names is not None else str(c)
        ax.annotate(name, centre, fontsize=8, weight="bold", color=colours[c])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"feature embedding ({'as given' if features.shape[1] == 2 else method})")
    return ax


def plot_model_selection(
    table, *, x: str = "latency_ms", y: str = "accuracy", size: str | None = "size_mb",
    label: str = "name", highlight: Sequence[str] | None = None, ax=None,
):
    """Scatter of models: ``y`` against ``x``, marker area proportional to ``size``.

    The library does not compute a Pareto front (that is a notebook exercise): pass the names
    you found as ``highlight`` and they are circled and joined in ``x`` order.

    Args:
        table: list of dicts (one per model) or dict of lists.
        x, y, size, label: keys of the table to use.
        highlight: names (values of ``label``) to emphasise.
        ax: Axes to draw on.

    Returns:
        The ``Axes``.

    Example:
        >>> rows = [dict(name="a", latency_ms=1, accuracy=0.8, size_mb=1),
        ...         dict(name="b", latency_ms=5, accuracy=0.9, size_mb=9)]
        >>> ax = plot_model_selection(rows, highlight=["a", "b"])
        >>> len(ax.texts)
        2
    """
    if isinstance(table, Mapping):
        keys = list(table)
        rows = [dict(zip(keys, values, strict=True)) for values in zip(*table.values(),
                                                                        strict=True)]
    else:
        rows = [dict(r) for r in table]
    if not rows:
        raise ValueError("Argument `table` must hold at least one model. Received: empty table")
    available = list(rows[0])
    for arg, key in (("x", x), ("y", y), ("size", size), ("label", label)):
        if key is not None and key not in available:
            raise ValueError(
                f"Argument `{arg}` names a column the table does not have."
                f"{suggest(key, available)} Available: {', '.join(available)}. "
                f"Received: {arg}={key!r}"
            )
    ax = _new_axes(ax)
    xs = np.array([float(r[x]) for r in rows])
    ys = np.array([float(r[y]) for r in rows])
    sizes = np.array([float(r[size]) for r in rows]) if size else np.ones(len(rows))
    area = 40 + 400 * sizes / max(sizes.max(), 1e-9)
    ax.scatter(xs, ys, s=area, alpha=0.5, edgecolors="k")
    for r, xv, yv in zip(rows, xs, ys, strict=True):
        ax.annotate(str(r[label]), (xv, yv), fontsize=8, xytext=(4, 4),
                    textcoords="offset points")
    if highlight:
        names = [str(r[label]) for r in rows]
        unknown = [h for h in highlight if h not in names]
        if unknown:
            raise ValueError(
                f"Argument `highlight` names models not in the table: {unknown}. "
                f"Available: {', '.join(names)}"
            )
        chosen = sorted((xs[names.index(h)], ys[names.index(h)]) for h in highlight)
        hx, hy = zip(*chosen, strict=True)
        ax.plot(hx, hy, "r-o", mfc="none", ms=14, lw=1.5, label="highlighted")
        ax.legend(fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if size:
        ax.set_title(f"marker area ~ {size}", fontsize=9)
    return ax
