"""Probes used by the hidden checks of assignment 06 (see :mod:`tl_helpers.grading.probes`).

Classes need ``get_state()``, ``set_state(state)`` and ``from_state(state)`` (plain data);
functions take and return plain data (or objects that stay in the kernel).

Both functions here run a fixed gradient experiment around a layer and report the raw numbers;
where TensorFlow finds no gradient at all (the layer cut the graph, e.g. ``stop_gradient`` on
every path, or returned a NumPy array), they report ``None`` instead of failing, so that the
check can say so.

Example:
    >>> import keras
    >>> run = gradient_through(keras.layers.Identity(), [[1.0, 2.0]], [[3.0, -1.0]])
    >>> run["gradient"].tolist(), run["output"].tolist()
    ([[3.0, -1.0]], [[1.0, 2.0]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["gradient_through", "gradients_in_model"]


def gradient_through(layer: Any, x: Any, upstream: Any) -> dict:
    """``layer(x)`` and d(sum(layer(x) * upstream)) / dx with TensorFlow's gradient tape.

    Returns ``{"output": array, "gradient": array or None}`` (``None``: no gradient reaches
    ``x``).

    Example:
        >>> import keras
        >>> gradient_through(keras.layers.Identity(), [[1.0]], [[2.0]])["gradient"].tolist()
        [[2.0]]
    """
    import tensorflow as tf

    inputs = tf.constant(np.asarray(x, dtype="float32"))
    weights = tf.constant(np.asarray(upstream, dtype="float32"))
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        output = layer(inputs)
        total = tf.reduce_sum(tf.cast(output, "float32") * weights)
    gradient = tape.gradient(total, inputs)
    return {"output": np.asarray(output),
            "gradient": None if gradient is None else np.asarray(gradient)}


def gradients_in_model(layer: Any, seed: int = 0) -> dict:
    """:func:`tl_helpers.grading.probes.layer_in_model_gradients` (a seeded Dense(2) ``below``
    -> Dense(1) ``head`` model, with and without ``layer`` between them: both outputs and the
    gradient of ``sum(output**2)`` for ``below``'s kernel), with a gradient that does not reach
    ``below`` reported as ``None``.

    Example:
        >>> import keras
        >>> run = gradients_in_model(keras.layers.Identity())
        >>> bool(np.allclose(run["with_layer_gradient"], run["plain_gradient"]))
        True
    """
    from tl_helpers.grading.probes import layer_in_model_gradients

    run = layer_in_model_gradients(layer, seed)
    return {key: None if value.dtype == object else value for key, value in run.items()}
