"""Probes used by the hidden checks of assignment 03 (see :mod:`tl_helpers.grading.probes`).

Classes need ``get_state()``, ``set_state(state)`` and ``from_state(state)`` (plain data);
functions take and return plain data (or objects that stay in the kernel).

Example:
    >>> import keras
    >>> inputs = keras.Input((2,))
    >>> base = keras.Model(inputs, keras.layers.Dense(1, name="d")(inputs))
    >>> same = lambda model, name: keras.Model(model.input, model.get_layer(name).output)
    >>> run = built_output_after_scaling(same, base, ("d",), [[1.0, 1.0]], "d", factor=2.0)
    >>> bool(abs(run["after"][0, 0] - 2 * run["before"][0, 0]) < 1e-6)
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = ["built_output_after_scaling"]


def built_output_after_scaling(build: Any, model: Any, args: tuple | list, x: Any,
                               layer_name: str, factor: float = 2.0) -> dict:
    """Call ``build(model, *args)`` in the kernel, run what it returns on ``x``, multiply every
    weight of ``model.get_layer(layer_name)`` by ``factor`` and run it on ``x`` again.

    ``build`` is a function of the notebook (it arrives as the kernel's own object), ``model``
    the Keras model it is given. Returns ``{"before": array, "after": array, "name": str}``: the
    built model's outputs (``training=False``) before and after the change of ``model``'s
    weights, and the built model's name. Whether the two outputs differ is for the check to
    judge.
    """
    built = build(model, *args)
    data = np.asarray(x, dtype="float32")
    before = np.asarray(built(data, training=False))
    layer = model.get_layer(layer_name)
    layer.set_weights([np.asarray(w) * float(factor) for w in layer.get_weights()])
    after = np.asarray(built(data, training=False))
    return {"before": before, "after": after, "name": str(getattr(built, "name", ""))}
