"""Curves: training curves of a Keras ``fit`` (:func:`plot_history`) and data-efficiency
curves, accuracy against labels per class (:func:`plot_label_efficiency`).

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
from typing import TYPE_CHECKING, Any

import numpy as np

from tl_helpers._validation import suggest
from tl_helpers.plotting._axes import _check_ax, _new_axes

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_history", "plot_label_efficiency"]


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
