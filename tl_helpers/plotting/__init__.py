"""Plots the notebooks use: training curves, data-efficiency curves, confusion matrices, image
grids, feature embeddings and the model-selection scatter.

Every function draws on ``ax`` when one is given (a new figure is made when it is ``None``),
returns the matplotlib ``Axes`` it drew on (or the ``Figure`` when it draws several panels),
checks its arguments before drawing anything and never calls ``plt.show()``: in JupyterLab the
figure is shown when the cell ends.

One private module per kind of plot (``_curves``, ``_confusion``, ``_images``, ``_embedding``,
``_model_selection``), sharing the argument checks of ``_axes``; import the functions from
here.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_label_efficiency({"scratch": {5: [0.5, 0.6], 10: [0.7, 0.72]},
    ...                             "transfer": {5: [0.8, 0.82], 10: [0.9, 0.88]}})
    >>> len(ax.get_lines())
    2
"""

from tl_helpers.plotting._confusion import plot_confusion_matrix
from tl_helpers.plotting._curves import plot_history, plot_label_efficiency
from tl_helpers.plotting._embedding import plot_embedding
from tl_helpers.plotting._images import plot_image_grid
from tl_helpers.plotting._model_selection import plot_model_selection

__all__ = [
    "plot_history",
    "plot_label_efficiency",
    "plot_confusion_matrix",
    "plot_image_grid",
    "plot_embedding",
    "plot_model_selection",
]
