"""Keras models on the grading wire: their config, weights, trainable flags and fingerprint.

A model crosses between the grader and the student's kernel (:mod:`tl_helpers.grading.wire`)
as what a ``.keras`` file holds, without the zip and HDF5 steps that made a crossing slow: its
Keras config as JSON (:func:`config_json`, rebuilt by :func:`model_from_config` in Keras's safe
mode unless the side reading it trusts the writer), one array per weight and the ``trainable``
flag of every layer (:func:`trainable_flags`; a config does not keep them all). A side that
already holds the same architecture needs less: :func:`model_state` writes the flags and weights
alone and :func:`apply_model_state` gives them to its copy. :func:`model_fingerprint` tells
whether a call changed a model, and :func:`same_weights` whether only its flags changed.
Whatever does not fit the model it is meant for is a
:class:`~tl_helpers.grading.exceptions.WireError`, and nothing is changed then.

Example:
    >>> import keras
    >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> is_keras_model(m), trainable_flags(m)
    (True, [True, True, True])
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from tl_helpers.grading.exceptions import WireError, first_line

__all__ = [
    "is_keras_model",
    "trainable_flags",
    "config_json",
    "model_from_config",
    "model_from_json",
    "set_weights_and_flags",
    "model_state",
    "apply_model_state",
    "model_fingerprint",
    "same_weights",
]

_NUMERIC_KINDS = "biufc"


def is_keras_model(value: Any) -> bool:
    """Whether ``value`` is a Keras model (``False`` while Keras is not imported: then none is).

    Example:
        >>> is_keras_model([1, 2])
        False
    """
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def trainable_flags(model: Any) -> list[bool]:
    """The model's own ``trainable`` flag, then each nested layer's: a ``.keras`` file does not
    keep every one (an ``InputLayer``'s flag is not in its config)."""
    return [bool(model.trainable)] + [
        bool(layer.trainable) for layer in model._flatten_layers(include_self=False,
                                                                 recursive=True)]


def config_json(model: Any) -> str:
    """The model's Keras config (architecture and compile settings) as ``.keras`` files
    write it."""
    import json

    import keras

    with _object_sharing():
        return json.dumps(keras.saving.serialize_keras_object(model))


def model_from_config(path: Path, *, trusted: bool = False) -> Any:
    """The model a :func:`config_json` file at ``path`` describes, without weights, rebuilt
    with ``safe_mode=True`` unless ``trusted`` (the kernel side, reading what the grader sent).

    Example:
        >>> import keras, tempfile
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> path = Path(tempfile.mkdtemp()) / "m.json"
        >>> _ = path.write_text(config_json(m))
        >>> model_from_config(path).layers[0].units
        1
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise WireError(f"the Keras model that came back could not be loaded safely "
                        f"({type(error).__name__}: {first_line(error, 300)})") from None
    return model_from_json(text, trusted=trusted)


def model_from_json(text: str, *, trusted: bool = False) -> Any:
    """The model a :func:`config_json` text describes, without weights (see
    :func:`model_from_config`).

    Example:
        >>> import keras
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model_from_json(config_json(m)).layers[0].units
        1
    """
    import json

    import keras

    try:
        config = json.loads(text)
        if type(config) is not dict:
            raise ValueError("the config is not a JSON object")
        with _object_sharing():
            model = keras.saving.deserialize_keras_object(config, safe_mode=not trusted)
        if not isinstance(model, keras.Model):
            raise TypeError(f"the config describes a {type(model).__name__}, not a model")
        return model
    except Exception as error:
        first = first_line(error, 300)
        raise WireError(
            "the Keras model that came back could not be loaded safely "
            f"({type(error).__name__}: {first}). Models are rebuilt from their Keras "
            "config with safe_mode=True: use built-in Keras layers (no Lambda layers or "
            "custom classes).") from None


def set_weights_and_flags(model: Any, weights: Any, flags: Any) -> None:
    """Give ``model`` these weights (one numeric array per weight, each of its shape) and
    trainable flags (as :func:`trainable_flags` lists them; ``None``: left as they are).
    Weights or flags that do not fit are refused before anything changes."""
    _check_weights(model, weights)
    _set_trainable_flags(model, flags)
    for variable, value in zip(model.weights, weights, strict=True):
        variable.assign(value)


def model_state(model: Any, folder: Path, *, weights: bool = True) -> dict:
    """A model's trainable flags and (unless ``weights=False``: flags alone) its weights as a
    tree (``{"$": "model_state", ...}``, one ``.npy`` file per weight): what a side that already
    holds the same architecture needs to catch up, far cheaper than a ``.keras`` file (no
    saving, no rebuilding, no new graph).

    Example:
        >>> import keras, tempfile
        >>> a = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> b = keras.models.clone_model(a); b.layers[0].trainable = False
        >>> folder = Path(tempfile.mkdtemp())
        >>> apply_model_state(a, model_state(b, folder), folder)
        >>> a.layers[0].trainable, model_fingerprint(a) == model_fingerprint(b)
        (False, True)
    """
    from tl_helpers.grading.wire import encode  # the wire reads models through this module

    values = encode([np.asarray(v) for v in model.weights], folder) if weights else None
    return {"$": "model_state", "flags": trainable_flags(model), "weights": values}


def apply_model_state(model: Any, tree: Any, folder: Path) -> None:
    """Give ``model`` the flags and weights of a :func:`model_state` tree read from ``folder``
    (read like any answer: ``.npy`` files only, counts and shapes must match the model's;
    ``weights: null`` changes the flags alone)."""
    from tl_helpers.grading.wire import decode  # the wire reads models through this module

    if type(tree) is not dict or tree.get("$") != "model_state":
        raise WireError("a model's state was expected")
    weights = decode(tree.get("weights"), folder)
    if weights is None:
        _set_trainable_flags(model, tree.get("flags"))
    else:
        set_weights_and_flags(model, weights, tree.get("flags"))


def same_weights(fingerprint: str, other: str) -> bool:
    """Whether two :func:`model_fingerprint` values differ in the trainable flags alone."""
    return fingerprint.split("-")[-1] == other.split("-")[-1]


def model_fingerprint(model: Any) -> str:
    """A digest of a Keras model's trainable flags, then one of its weights (``flags-weights``:
    to tell whether a call changed it, what changed, and whether a copy the other side holds
    is still the same).

    Example:
        >>> import keras
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> a = model_fingerprint(m); m.layers[0].trainable = False
        >>> a == model_fingerprint(m), same_weights(a, model_fingerprint(m))
        (False, True)
    """
    import hashlib

    flags = hashlib.sha1()
    flags.update(repr(bool(model.trainable)).encode())
    for layer in model._flatten_layers(include_self=False, recursive=True):
        flags.update(f"{layer.name}:{bool(layer.trainable)};".encode())
    weights = hashlib.sha1()
    for variable in model.weights:
        value = np.asarray(variable)
        weights.update(f"{variable.path}{value.shape}{value.dtype}".encode())
        weights.update(np.ascontiguousarray(value).tobytes())
    return f"{flags.hexdigest()}-{weights.hexdigest()}"


def _set_trainable_flags(model: Any, flags: Any) -> None:
    if flags is None:
        return
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    if type(flags) is not list or len(flags) != len(layers) + 1 or \
            any(type(flag) is not bool for flag in flags):
        raise WireError("the trainable flags sent with a model do not match its layers")
    if model.trainable != flags[0]:
        model.trainable = flags[0]
    for layer, flag in zip(layers, flags[1:], strict=True):
        if layer.trainable != flag:
            layer.trainable = flag


def _check_weights(model: Any, weights: Any) -> None:
    """Refuse (before anything changes) weights that are not one numeric array per weight of
    ``model``, each of its shape."""
    if type(weights) is not list or len(weights) != len(model.weights):
        raise WireError("the model state does not hold one array per weight of the model")
    for variable, value in zip(model.weights, weights, strict=True):
        if not isinstance(value, np.ndarray) or tuple(variable.shape) != value.shape \
                or value.dtype.kind not in _NUMERIC_KINDS:
            raise WireError(f"the model state's value for {variable.path} does not fit it")


def _object_sharing() -> Any:
    """The scope in which Keras (de)serialises a whole model: an object used twice (a shared
    layer) is one object again after the crossing, as when a ``.keras`` file is loaded."""
    try:
        from keras.src.saving.serialization_lib import ObjectSharingScope
    except ImportError:  # pragma: no cover - a Keras without it
        import contextlib

        return contextlib.nullcontext()
    return ObjectSharingScope()
