"""Plumbing for assignment 03 (frozen vs trainable layers): layer tables, pictures, one-pass cuts.

None of these is an exercise: the notebook's graded ideas (freezing up to a layer, counting
parameters, the transfer model, recompiling, cutting a backbone at a layer) stay the student's.
What lives here is what the experiments around them need:

* :func:`layer_summary` describes each layer of a model (type, output shape, trainable and
  frozen parameters), as a list of dicts that prints as a table;
* :func:`kernel_images` draws a convolution's filters as small RGB images;
* :func:`recalibrate_batchnorm` gives a randomly initialised network BatchNorm statistics
  estimated on real unlabelled images (a fair "random features" baseline: without it, the moving
  statistics of a fresh network (mean 0, variance 1) shrink deep activations towards zero);
* :func:`extract_features_at_cuts` runs several cut models that share one backbone in a single
  forward pass (with the course feature cache), instead of one pass per cut.

Example:
    >>> from tl_helpers.layer_support import kernel_images
    >>> import tl_helpers as tl
    >>> base = tl.load_backbone("efficientnet_lite0", weights=None, input_shape=(32, 32, 3))
    >>> kernel_images(base, "stem_conv").shape  # doctest: +SKIP
    (32, 3, 3, 3)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from tl_helpers._validation import check_images, suggest

if TYPE_CHECKING:  # Keras is imported only when a function needs it
    import keras

__all__ = ["layer_summary", "kernel_images", "recalibrate_batchnorm", "extract_features_at_cuts"]


def layer_summary(model: keras.Model) -> list[dict[str, Any]]:
    """Describe each layer of a Keras model: name, type, output shape and parameters.

    Args:
        model: a built ``keras.Model``.

    Returns:
        One dict per layer with keys ``name``, ``type``, ``output_shape``, ``params``,
        ``trainable_params``, ``non_trainable_params`` and ``trainable``.

    Example:
        >>> from tl_helpers.backbones import load_backbone
        >>> rows = layer_summary(load_backbone("course_mobilenet", weights=None))
        >>> rows[2]["name"], rows[2]["type"]
        ('stem_conv', 'Conv2D')
    """
    if not hasattr(model, "layers") or not hasattr(model, "weights"):
        raise TypeError(
            f"Argument `model` must be a keras.Model. Received: model of type "
            f"{type(model).__name__}"
        )
    rows = []
    for layer in model.layers:
        trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
        frozen = sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights)
        try:
            output_shape = tuple(layer.output.shape)
        except (AttributeError, ValueError):
            output_shape = None
        rows.append(
            dict(
                name=layer.name,
                type=type(layer).__name__,
                output_shape=output_shape,
                params=trainable + frozen,
                trainable_params=trainable,
                non_trainable_params=frozen,
                trainable=bool(layer.trainable),
            )
        )
    return rows


def _layer(model: keras.Model, layer_name: str) -> keras.layers.Layer:
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"Argument `layer_name` must be the name of a layer of the model."
            f"{suggest(layer_name, names)} Received: layer_name={layer_name!r}"
        )
    return model.get_layer(layer_name)


def kernel_images(model: keras.Model, layer_name: str = "stem_conv") -> np.ndarray:
    """A convolution's kernel ``(kh, kw, 3, n)`` as ``n`` RGB images scaled to 0-1.

    Each filter is rescaled on its own (its smallest weight -> 0, its largest -> 1), so the
    pictures show the pattern of a filter, not its strength. A filter whose weights are all
    equal (for example all zero) is drawn mid-grey.

    Args:
        model: a Keras model.
        layer_name: the name of a ``Conv2D`` layer with 3 input channels.

    Returns:
        ``float32`` array ``(n, kh, kw, 3)`` in 0-1.

    Raises:
        ValueError: unknown layer, or a kernel that does not see 3 input channels.
    """
    kernel = np.asarray(_layer(model, layer_name).get_weights()[0], dtype=np.float32)
    if kernel.ndim != 4 or kernel.shape[2] != 3:
        raise ValueError(
            "Argument `layer_name` must name a convolution over 3 colour channels "
            f"(kernel (kh, kw, 3, n)). Received: layer_name={layer_name!r} with kernel shape "
            f"{kernel.shape}"
        )
    images = np.transpose(kernel, (3, 0, 1, 2))
    low = images.min(axis=(1, 2, 3), keepdims=True)
    span = images.max(axis=(1, 2, 3), keepdims=True) - low
    scaled = np.where(span > 0, (images - low) / np.where(span > 0, span, 1.0), 0.5)
    return scaled.astype(np.float32)


def recalibrate_batchnorm(model: keras.Model, x: np.ndarray, *, batch_size: int = 16) -> int:
    """Set every BatchNorm layer's moving mean and variance to its statistics on ``x``.

    Forward passes in training mode over ``x`` in batches: each BatchNorm layer normalises with
    the statistics of the current batch and, with its momentum set to ``(j - 1) / j`` for the
    j-th batch, its moving mean and variance become the average of the batches' statistics,
    layer after layer. Weights other than the moving statistics do not change; momenta are
    restored. Small batches keep the memory low (a training-mode pass holds every activation).
    Layers with ``trainable = False`` run in inference mode in Keras 3 and keep their
    statistics: call this on a model whose BatchNorm layers are trainable.

    Args:
        model: a Keras model taking images.
        x: unlabelled images in the model's input range, at least 2.
        batch_size: images per forward pass (at least 2).

    Returns:
        The number of BatchNorm layers recalibrated.
    """
    import keras

    x = check_images("x", x)
    if len(x) < 2 or isinstance(batch_size, bool) or not isinstance(batch_size, int) \
            or batch_size < 2:
        raise ValueError("Arguments `x` and `batch_size` must give batches of at least 2 images. "
                         f"Received: {len(x)} images, batch_size={batch_size!r}")
    bn_layers = [layer for layer in model.layers
                 if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
    momenta = [layer.momentum for layer in bn_layers]
    starts = [s for s in range(0, len(x), batch_size) if len(x) - s >= 2]
    try:
        for j, start in enumerate(starts, 1):
            for layer in bn_layers:
                layer.momentum = (j - 1) / j  # running average of the batches' statistics
            model(x[start:start + batch_size].astype(np.float32), training=True)
    finally:
        for layer, momentum in zip(bn_layers, momenta, strict=True):
            layer.momentum = momentum
    return len(bn_layers)


def extract_features_at_cuts(
    cut_models: Iterable[keras.Model], x: np.ndarray, **kwargs: Any
) -> list[np.ndarray]:
    """Features of several cut models of one backbone, in a single forward pass.

    Cut models built from the backbone's own graph (``keras.Model(base.input,
    f(base.get_layer(name).output))``) share its input tensor; their outputs are concatenated
    into one model that :func:`tl_helpers.extract_features` runs once (and caches), then split
    again. Models that do not share an input are run one by one.

    Args:
        cut_models: a list of Keras models with 2-D outputs ``(None, width)``.
        x: images for :func:`tl_helpers.extract_features`.
        **kwargs: passed on to :func:`tl_helpers.extract_features` (``cache``, ``progress``,
            ``batch_size``).

    Returns:
        One ``float32`` array ``(len(x), width)`` per model, in the order given.
    """
    import keras

    from tl_helpers.features import extract_features

    cut_models = list(cut_models)
    if not cut_models:
        raise ValueError("Argument `cut_models` must hold at least one model. Received: []")
    shared = all(m.inputs[0] is cut_models[0].inputs[0] for m in cut_models) and all(
        len(m.outputs) == 1 and len(m.outputs[0].shape) == 2 for m in cut_models
    )
    if not shared:
        return [extract_features(m, x, **kwargs) for m in cut_models]
    tag = hashlib.sha256("|".join(m.name for m in cut_models).encode()).hexdigest()[:12]
    outputs = [m.outputs[0] for m in cut_models]
    merged = keras.Model(
        cut_models[0].inputs[0],
        keras.layers.Concatenate()(outputs) if len(outputs) > 1 else outputs[0],
        name=f"{cut_models[0].name}_and_{len(outputs) - 1}_more_{tag}",
    )
    features = extract_features(merged, x, **kwargs)
    widths = [int(o.shape[-1]) for o in outputs]
    return [np.ascontiguousarray(part)
            for part in np.split(features, np.cumsum(widths)[:-1], axis=1)]
