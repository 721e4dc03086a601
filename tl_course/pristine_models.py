"""The models the hidden checks build, kept across submissions as plain data.

The grader drops the check modules and their caches after every submission, so that nothing
made while one student was graded carries over to the next. Building a backbone is the one
thing every submission repeats identically, and it is slow: EfficientNet-Lite0 takes about 1 s
(1.3-1.5 s with its ImageNet weights), the course MobileNet about 0.4 s. :func:`pristine_copy`
keeps what a build gives, taken right after the checks' own code built it and before any check
or notebook saw the model: its Keras config (JSON text) and its weights and trainable flags as
read-only arrays. Every call, the first included, returns a new model rebuilt from them (about
half the time of a build), so every student's checks get the same kind of object and no model
object is ever shared between two checks or two students.

Keras's random state is seeded with ``seed`` after the copy is made, on both paths, so what a
check draws afterwards does not depend on whether its model was built or rebuilt.

Example:
    >>> import keras
    >>> def build():
    ...     return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="d")])
    >>> a = pristine_copy(("doc", "dense"), build, seed=0)
    >>> a.layers[0].trainable = False
    >>> b = pristine_copy(("doc", "dense"), build, seed=0)
    >>> a is b, b.layers[0].trainable, len(b.weights)
    (False, True, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from tl_helpers.grading.keras_models import (
    config_json,
    model_from_json,
    set_weights_and_flags,
    trainable_flags,
)

__all__ = ["pristine_copy", "forget_pristine"]

# key -> (Keras config as JSON text, read-only weights, trainable flags)
_PRISTINE: dict[Hashable, tuple[str, tuple[np.ndarray, ...], list[bool]]] = {}


def pristine_copy(key: Hashable, build: Callable[[], Any], *, seed: int) -> Any:
    """A new model equal to what ``build()`` gives (built once per process, under ``key``).

    Args:
        key: what tells the models apart: every argument ``build`` depends on.
        build: makes the model with the course's own code (never from a notebook's answer).
        seed: Keras's random seed, set before ``build`` runs and again after the copy is made.

    Returns:
        A Keras model rebuilt from the kept config, weights and flags.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if key not in _PRISTINE:
        model = build()
        weights = tuple(np.array(w) for w in model.get_weights())
        for value in weights:
            value.flags.writeable = False
        _PRISTINE[key] = (config_json(model), weights, trainable_flags(model))
    config, weights, flags = _PRISTINE[key]
    copy = model_from_json(config, trusted=True)  # our own config
    set_weights_and_flags(copy, list(weights), flags)
    keras.utils.set_random_seed(seed)
    return copy


def forget_pristine() -> None:
    """Drop every kept model (tests; a grading process keeps them for its whole run)."""
    _PRISTINE.clear()
