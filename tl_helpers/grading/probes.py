"""Stand-ins and small experiments a hidden check can run inside the student's kernel.

A check in the grader cannot hand the kernel an object with behaviour (a fake model that counts
its calls, a recording head) or run TensorFlow's gradient tape through the student's layer from
outside. The kernel therefore has these, by name:

* probe classes (:data:`PROBE_CLASSES`): created by the check, sent as their state, rebuilt in the
  kernel, and their state after the call is copied back into the check's object;
* probe functions (:data:`PROBE_FUNCTIONS`): called with ``nb.probe.<name>(...)`` and returning
  plain data.

They reveal nothing about the exercises and decide no grade: the grader's checks judge what
they report. A student who changes them only changes what their own code appears to do.

Example:
    >>> recorder = FeatureRecorder()
    >>> _ = recorder([[1.0, 2.0]], [0])
    >>> len(recorder.calls), recorder.predict([[3.0, 1.0]]).tolist()
    (1, [3])
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

__all__ = [
    "PROBE_CLASSES",
    "PROBE_FUNCTIONS",
    "FeatureRecorder",
    "ScriptedModel",
    "call_each",
    "describe",
    "early_stopping_run",
    "layer_forward",
    "layer_in_model_gradients",
    "layer_config_round_trip",
]

PROBE_CLASSES = ["FeatureRecorder", "ScriptedModel"]
PROBE_FUNCTIONS = ["call_each", "describe", "early_stopping_run", "layer_forward",
                   "layer_in_model_gradients", "layer_config_round_trip"]
_MORE = ("probes_a01", "probes_a02", "probes_a03", "probes_a04", "probes_a06")
"""Modules with the probes of one assignment's checks (their ``__all__`` is added here)."""


class FeatureRecorder:
    """A fake classifier head: records what it was trained on and predicts the label stored in
    feature column 0. Use it as ``fit_head``."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray]] = []

    def __call__(self, train_features: Any, y_train: Any) -> FeatureRecorder:
        self.calls.append((np.array(train_features), np.array(y_train)))
        return self

    def predict(self, features: Any) -> np.ndarray:
        return np.asarray(features)[:, 0].astype(int)

    def get_state(self) -> dict:
        return {"calls": [(x, y) for x, y in self.calls]}

    @classmethod
    def from_state(cls, state: dict) -> FeatureRecorder:
        probe = cls()
        probe.set_state(state)
        return probe

    def set_state(self, state: dict) -> None:
        self.calls = [(np.asarray(x), np.asarray(y)) for x, y in state["calls"]]


class ScriptedModel:
    """A fake model whose n-th call sleeps ``durations_ms[n]`` (the last one repeats) and records
    its calls: ``calls`` (count), ``kwargs`` and ``inputs``."""

    def __init__(self, durations_ms: list[float]) -> None:
        self.durations = [float(d) for d in durations_ms]
        self.calls = 0
        self.kwargs: list[dict] = []
        self.inputs: list[np.ndarray] = []

    def __call__(self, batch: Any, **kwargs: Any) -> np.ndarray:
        self.kwargs.append(dict(kwargs))
        self.inputs.append(np.array(batch, copy=True))
        ms = self.durations[min(self.calls, len(self.durations) - 1)]
        self.calls += 1
        time.sleep(ms / 1000.0)
        return np.zeros((len(batch), 2), dtype=np.float32)

    def get_state(self) -> dict:
        return {"durations": list(self.durations), "calls": self.calls,
                "kwargs": [{k: v for k, v in kw.items() if isinstance(v, (bool, int, float,
                                                                          str, type(None)))}
                           for kw in self.kwargs],
                "inputs": list(self.inputs)}

    @classmethod
    def from_state(cls, state: dict) -> ScriptedModel:
        probe = cls(state["durations"])
        probe.set_state(state)
        return probe

    def set_state(self, state: dict) -> None:
        self.durations = [float(d) for d in state["durations"]]
        self.calls = int(state["calls"])
        self.kwargs = [dict(kw) for kw in state["kwargs"]]
        self.inputs = [np.asarray(x) for x in state["inputs"]]


def call_each(function: Any, calls: list) -> list:
    """``[function(*args) for args in calls]`` in one round trip: a check that calls a cheap
    notebook function hundreds of times (an estimator averaged over many samples) pays for one
    crossing, not hundreds. The results are the function's own, as if called one by one; the
    first exception stops the loop and is the call's. Pass ``calls`` as a tuple: a list
    argument is sent back after the call (in case the call changed it).

    Example:
        >>> call_each(max, [(1, 2), (5, 3)])
        [2, 5]
    """
    return [function(*args) for args in calls]


def describe(obj: Any) -> dict:
    """The object's class: module, name and the qualified names of every class it inherits.

    Example:
        >>> describe(3)["class"], "builtins.object" in describe(3)["mro"]
        ('int', True)
    """
    kind = obj if isinstance(obj, type) else type(obj)
    return {"module": kind.__module__, "class": kind.__qualname__,
            "mro": [f"{k.__module__}.{k.__qualname__}" for k in kind.__mro__]}


def _public_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def early_stopping_run(stopper: Any, epochs: int = 20) -> dict:
    """Train a 1-weight regression whose validation loss rises from the first epoch on, with
    ``stopper`` as a callback. Returns the per-epoch ``loss``/``val_loss``, the weight after
    every epoch (``seen``) and the ``final`` weight."""
    import keras

    keras.utils.set_random_seed(0)
    x = np.linspace(-1, 1, 32, dtype="float32").reshape(-1, 1)
    model = keras.Sequential([keras.Input((1,)),
                              keras.layers.Dense(1, kernel_initializer="zeros", use_bias=False)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    seen: list[float] = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(float(model.get_weights()[0].item())))
    history = model.fit(x, 2 * x, validation_data=(x, -2 * x), epochs=epochs, batch_size=32,
                        verbose=0, callbacks=[stopper, record])
    return {"loss": [float(v) for v in history.history["loss"]],
            "val_loss": [float(v) for v in history.history["val_loss"]],
            "seen": seen, "final": float(model.get_weights()[0].item())}


def layer_forward(layer: Any, x: Any) -> dict:
    """Call ``layer`` on ``x``: the output, its dtype and the number of weights afterwards."""
    import keras

    out = layer(np.asarray(x))
    return {"output": np.asarray(out), "dtype": keras.backend.standardize_dtype(out.dtype),
            "shape": tuple(int(d) for d in out.shape), "weights": len(layer.weights)}


def layer_in_model_gradients(layer: Any, seed: int = 0) -> dict:
    """A Dense(2) ``below`` -> Dense(1) ``head`` model, and the same model with ``layer`` between
    them: outputs of both and the gradient of ``sum(output**2)`` for ``below``'s kernel."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, name="below")
    hidden = dense(inputs)
    plain = keras.Model(inputs, keras.layers.Dense(1, name="head")(hidden))
    changed = keras.Model(inputs, plain.get_layer("head")(layer(hidden)))
    x = tf.constant(np.random.default_rng(seed + 2).normal(size=(5, 3)).astype("float32"))
    result: dict[str, Any] = {}
    for key, model in (("plain", plain), ("with_layer", changed)):
        with tf.GradientTape() as tape:
            output = model(x)
            loss = tf.reduce_sum(output ** 2)
        result[f"{key}_output"] = np.asarray(output)
        result[f"{key}_gradient"] = np.asarray(tape.gradient(loss, dense.kernel))
    return result


def layer_config_round_trip(layer_class: Any, kwargs: dict) -> dict:
    """Create ``layer_class(**kwargs)``; report its config, the config of
    ``layer_class.from_config(config)``, and whether a model holding the layer (Input(3) ->
    layer -> Dense(1)) gives the same output after ``model.save`` and ``keras.models.load_model``
    with the class as a custom object."""
    import tempfile
    from pathlib import Path

    import keras

    layer = layer_class(**kwargs)
    config = layer.get_config()
    rebuilt = layer_class.from_config(config)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(layer_class(**kwargs)(inputs)))
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grl.keras"
        model.save(path)
        loaded = keras.models.load_model(
            path, custom_objects={layer_class.__name__: layer_class})
    return {"config": config, "rebuilt_config": rebuilt.get_config(),
            "rebuilt_class": describe(rebuilt)["class"],
            "output": np.asarray(model(x)), "loaded_output": np.asarray(loaded(x))}


def _add_assignment_probes() -> None:
    import importlib

    for module_name in _MORE:
        module = importlib.import_module(f"tl_helpers.grading.{module_name}")
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            globals()[name] = value
            (PROBE_CLASSES if isinstance(value, type) else PROBE_FUNCTIONS).append(name)


_add_assignment_probes()
