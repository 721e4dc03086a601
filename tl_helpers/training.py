"""Training plumbing: restart a compiled network from fresh weights without recompiling.

A fair from-scratch baseline is trained many times (one run per label budget and seed), and
Keras traces a compiled model's training step into a TensorFlow graph on its first ``fit``,
which takes seconds. Compiling once and *resetting* the network between runs saves that cost
without changing what is trained, provided the reset is complete:

* :func:`reset_weights` copies every variable of a freshly built network into the compiled one:
  weights, BatchNorm moving statistics and the state of the dropout random generators;
* :func:`reset_optimizer` puts the optimiser back in the state of a freshly built one: step
  counter 0 (so a learning-rate schedule starts again) and zero moments;
* :class:`ScratchTrainer` does both, then trains on an augmented stream of full batches
  (:func:`tl_helpers.augmented_stream`) with Adam and a cosine-decayed learning rate.

Example:
    >>> import keras, numpy as np
    >>> def build_model():
    ...     return keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
    ...                              keras.layers.Dense(2, activation="softmax")])
    >>> trainer = ScratchTrainer(build_model, steps=3, batch_size=2)
    >>> x, y = np.zeros((4, 4, 4, 1), np.float32), np.array([0, 1, 0, 1])
    >>> model = trainer.fit(x, y, seed=0)
    >>> int(model.optimizer.iterations)
    3
    >>> first = model.predict(x, verbose=0)
    >>> _ = trainer.fit(x, y, seed=1)  # another run in between
    >>> bool(np.allclose(trainer.fit(x, y, seed=0).predict(x, verbose=0), first))
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tl_helpers._validation import check_int

__all__ = ["reset_weights", "reset_optimizer", "ScratchTrainer"]


def _check_model(arg: str, value: Any) -> None:
    import keras

    if not isinstance(value, keras.Model):
        raise TypeError(
            f"Argument `{arg}` must be a keras.Model. Received: {arg} of type "
            f"{type(value).__name__}"
        )


def reset_weights(model, fresh_model) -> None:
    """Copy every variable of ``fresh_model`` into ``model``, in place.

    Every variable means more than ``set_weights``: the trainable weights, the non-trainable
    ones (BatchNorm moving mean and variance) and the state of the random generators (dropout),
    so that ``model`` then trains exactly as ``fresh_model`` would. Build ``fresh_model`` with
    the same code as ``model`` right after ``keras.utils.set_random_seed(seed)`` to restart
    ``model`` from that seed's initialisation. ``model`` keeps its compiled training step.

    Args:
        model: a ``keras.Model``, typically compiled and trained before.
        fresh_model: a ``keras.Model`` with the same architecture (same variables, in the same
            order and with the same shapes).

    Raises:
        TypeError: if either argument is not a ``keras.Model``.
        ValueError: if the two models' variables differ in number or shape.

    Example:
        >>> import keras
        >>> def build():
        ...     return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> keras.utils.set_random_seed(0)
        >>> model, fresh = build(), build()
        >>> reset_weights(model, fresh)
        >>> bool((model.layers[0].kernel.numpy() == fresh.layers[0].kernel.numpy()).all())
        True
    """
    _check_model("model", model)
    _check_model("fresh_model", fresh_model)
    targets, sources = model.variables, fresh_model.variables
    if len(targets) != len(sources) or any(
        tuple(t.shape) != tuple(s.shape) for t, s in zip(targets, sources, strict=False)
    ):
        raise ValueError(
            "Argument `fresh_model` must have the same architecture as `model` (the same "
            "variables, in the same order and shapes); build both with the same code. Received: "
            f"{len(sources)} variables for {len(targets)} in model"
        )
    for target, source in zip(targets, sources, strict=True):
        target.assign(source)


def reset_optimizer(optimizer) -> None:
    """Put ``optimizer`` back in the state of a freshly built optimizer, in place.

    Its step counter goes back to 0, so a learning-rate schedule starts again, and its slot
    variables go back to their initial values: zero moments for Adam, SGD with momentum or
    RMSprop, the initial accumulator for Adagrad. Its configuration (learning rate included)
    is kept. An optimizer that has not been built yet (no ``fit`` so far) is left as it is.

    Args:
        optimizer: a ``keras.optimizers.Optimizer``, e.g. ``model.optimizer`` of a compiled
            model.

    Raises:
        TypeError: if ``optimizer`` is not a Keras optimizer (pass ``model.optimizer``, not
            the model).

    Example:
        >>> import keras, numpy as np
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(keras.optimizers.Adam(1e-3), "mse")
        >>> _ = model.fit(np.ones((4, 2)), np.ones(4), batch_size=2, verbose=0)
        >>> int(model.optimizer.iterations)
        2
        >>> reset_optimizer(model.optimizer)
        >>> int(model.optimizer.iterations), round(float(model.optimizer.learning_rate), 6)
        (0, 0.001)
    """
    import keras

    if not isinstance(optimizer, keras.optimizers.Optimizer):
        hint = " (pass model.optimizer)" if isinstance(optimizer, keras.Model) else ""
        raise TypeError(
            f"Argument `optimizer` must be a keras.optimizers.Optimizer{hint}. Received: "
            f"optimizer of type {type(optimizer).__name__}"
        )
    if not optimizer.built:
        return
    # The initial state of every slot variable is whatever a new optimizer of the same
    # configuration builds over the same model variables (zeros for Adam, but not for Adagrad
    # or Nadam), so build one and copy its state rather than guess the initial values.
    fresh = type(optimizer).from_config(optimizer.get_config())
    fresh.build(optimizer._trainable_variables)
    targets, sources = optimizer.variables, fresh.variables
    for target, source in zip(targets, sources, strict=True):
        target.assign(source)


class ScratchTrainer:
    """Train one architecture from fresh random weights, many times, compiling it once.

    Each :meth:`fit` restarts the same compiled network from the seed's fresh initialisation
    (:func:`reset_weights`, :func:`reset_optimizer`) and trains it for ``steps`` optimiser steps
    of ``batch_size`` images drawn by :func:`tl_helpers.augmented_stream` (full batches,
    random flips and shifts), with Adam and a learning rate decayed from ``learning_rate`` to 0
    by a cosine schedule. A budget in steps, not epochs, gives BatchNorm's moving statistics
    time to settle even when there are few images. Runs with the same seed and data give the
    same network, whatever ran before.

    Args:
        build_model: function with no arguments returning a new, uncompiled ``keras.Model``
            whose random weights come from Keras' global seed, ending in a softmax over the
            classes (the loss is ``sparse_categorical_crossentropy``).
        steps: optimiser steps per run, an ``int >= 1``.
        batch_size: images per step, an ``int >= 1``.
        learning_rate: initial Adam learning rate, a number ``> 0``.
        max_shift: largest random shift, a fraction of the image size in ``[0, 0.5)``.
        flip: flip images left-right at random.

    Attributes:
        model: the compiled network (``None`` before the first ``fit``); every ``fit`` trains
            this same object again, from fresh weights.

    Raises:
        TypeError: if ``build_model`` is not a function (a model is not accepted), or
            ``steps``/``batch_size`` are not integers.
        ValueError: if ``steps``, ``batch_size`` or ``learning_rate`` are out of range.

    Example:
        >>> import keras, numpy as np
        >>> trainer = ScratchTrainer(
        ...     lambda: keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(),
        ...                               keras.layers.Dense(2, activation="softmax")]),
        ...     steps=5, batch_size=2)
        >>> trainer.fit(np.zeros((4, 4, 4, 3)), np.array([0, 1, 0, 1]), seed=0).output_shape
        (None, 2)
    """

    def __init__(
        self,
        build_model: Callable[[], Any],
        *,
        steps: int,
        batch_size: int,
        learning_rate: float = 1e-3,
        max_shift: float = 0.1,
        flip: bool = True,
    ) -> None:
        import keras

        # a model is callable too, but one model cannot give a fresh initialisation per seed
        if not callable(build_model) or isinstance(build_model, keras.Model):
            raise TypeError(
                "Argument `build_model` must be a function returning a new keras.Model (e.g. "
                "`lambda: keras.Sequential([...])`), not a model. Received: build_model of "
                f"type {type(build_model).__name__}"
            )
        self.build_model = build_model
        self.steps = check_int("steps", steps, minimum=1)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        if (
            isinstance(learning_rate, bool)
            or not isinstance(learning_rate, (int, float, np.number))
            or not learning_rate > 0
        ):
            raise ValueError(
                f"Argument `learning_rate` must be a number > 0. Received: "
                f"learning_rate={learning_rate!r}"
            )
        self.learning_rate = float(learning_rate)
        self.max_shift = max_shift
        self.flip = flip
        self.model = None

    def __repr__(self) -> str:
        return (
            f"ScratchTrainer(steps={self.steps}, batch_size={self.batch_size}, "
            f"learning_rate={self.learning_rate}, max_shift={self.max_shift}, flip={self.flip})"
        )

    def _compiled_model(self):
        import keras

        if self.model is None:
            self.model = self.build_model()
            _check_model("build_model()", self.model)
            schedule = keras.optimizers.schedules.CosineDecay(self.learning_rate, self.steps)
            self.model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy")
        return self.model

    def fit(self, x: np.ndarray, y: np.ndarray, *, seed: int):
        """Train the network from seed ``seed``'s fresh weights on images ``x``, labels ``y``.

        Args:
            x: training images ``(num_images, height, width, channels)``, the network's input.
            y: ``int`` class indices, ``(num_images,)``.
            seed: seeds Keras (the fresh weights, dropout) and the augmented stream.

        Returns:
            The trained ``keras.Model`` (:attr:`model`; the next ``fit`` retrains it).

        Raises:
            ValueError: if ``x`` is not a batch of images or ``len(y) != len(x)``.
        """
        import keras

        from tl_helpers.augment import augmented_stream

        seed = check_int("seed", seed, minimum=0)
        x_stream, y_stream = augmented_stream(
            x, y, steps=self.steps, batch_size=self.batch_size, max_shift=self.max_shift,
            flip=self.flip, seed=seed,
        )
        keras.utils.set_random_seed(seed)
        fresh = self.build_model()  # this seed's random weights, BatchNorm and dropout state
        _check_model("build_model()", fresh)
        model = self._compiled_model()
        reset_weights(model, fresh)
        reset_optimizer(model.optimizer)
        model.fit(x_stream, y_stream, batch_size=self.batch_size, shuffle=False, verbose=0)
        return model
