"""Scatter of candidate models with non-overlapping labels (:func:`plot_model_selection`).

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_model_selection({"name": ["a", "b"], "latency_ms": [1.0, 2.0],
    ...                            "accuracy": [0.7, 0.8]}, size=None)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('latency_ms', 'accuracy')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tl_helpers._validation import suggest
from tl_helpers.plotting._axes import _check_ax, _new_axes

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes

__all__ = ["plot_model_selection"]


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
