"""2-D map of feature vectors, coloured by class and marked by domain (:func:`plot_embedding`).

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_embedding(np.eye(4)[:, :2], labels=[0, 1, 0, 1])
    >>> ax.get_title()
    'features (2-D, as given)'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tl_helpers._validation import check_choice, check_int
from tl_helpers.plotting._axes import (
    _as_1d,
    _check_ax,
    _check_int_array,
    _check_names,
    _new_axes,
)

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes

__all__ = ["plot_embedding"]

# marker of each domain index in plot_embedding (0 = source "o", 1 = target "x", ...)
_DOMAIN_MARKERS = ("o", "x", "s", "^", "v", "D", "*")


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
