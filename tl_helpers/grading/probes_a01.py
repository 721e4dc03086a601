"""Probes used by the hidden checks of assignment 01 (see :mod:`tl_helpers.grading.probes`).

Classes need ``get_state()``, ``set_state(state)`` and ``from_state(state)`` (plain data);
functions take and return plain data (or objects that stay in the kernel).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = ["features_after_base_changes"]


def features_after_base_changes(build: Any, base: Any, images: Any,
                                layer_name: str | None = None) -> dict:
    """Build a model from a copy of ``base`` with ``build(copy, layer_name)``, run it on
    ``images``, set every weight of the copy to zero, and run the built model again.

    The experiment happens here, in the kernel, because a model that comes back to the grader
    is a copy: whether the built model shares variables with the model it was built from can
    only be seen where both live. ``base`` itself is not changed.

    Args:
        build: a function ``(base_model, layer_name) -> keras.Model``.
        base: a built ``keras.Model``.
        images: array ``(batch, height, width, channels)`` for ``base``.
        layer_name: passed on to ``build``.

    Returns:
        ``{"before": features, "after": features}``: the built model's outputs (inference mode)
        before and after the copy's weights were zeroed, as float arrays.

    Example:
        >>> import keras
        >>> base = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> run = features_after_base_changes(lambda m, _: m, base, np.ones((1, 2)))
        >>> bool(np.all(run["after"] == 0))  # the "built" model is the copy itself
        True
    """
    import keras

    if not isinstance(base, keras.Model):
        raise TypeError(f"Argument `base` must be a keras.Model. Received: {type(base).__name__}")
    copy = keras.models.clone_model(base)
    copy.set_weights(base.get_weights())
    built = build(copy, layer_name)
    x = np.asarray(images, dtype="float32")
    before = np.array(built(x, training=False), dtype="float64")
    copy.set_weights([np.zeros_like(w) for w in copy.get_weights()])
    after = np.array(built(x, training=False), dtype="float64")
    return {"before": before, "after": after}
