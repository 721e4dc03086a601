"""Helpers the hidden checks of every assignment share: ``from check_support import ...``.

Hidden like the checks themselves: never released, never in the ``tl_helpers`` wheel. The checks
find it on ``sys.path`` because it sits in ``autograder/``, the folder above theirs: the grader
(:class:`tl_course.hidden_checks.HiddenChecks`) puts that folder on ``sys.path`` while a cell's
checks run and drops the module with the check modules before the next submission, so nothing
carries over between students (keep caches such as a :class:`SharedModels` in the check file);
``pytest autograder`` finds it through ``autograder/conftest.py``. The one thing kept across
submissions is what the backbones' builds give (:func:`pristine_copy`: config, weights and
flags as plain data, taken before any check or notebook saw the model; each use gets a new
model).

Only behaviour every assignment's checks need goes here; a helper one assignment needs stays in
its test file.

Example:
    >>> param_count([np.zeros((3, 2)), np.zeros(2)])
    8
    >>> reference_mmd_biased([[0.0]], [[0.0]], sigma=1.0)
    0.0
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from collections.abc import Callable, Hashable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

# Backbones are built once per grading process and rebuilt from a kept copy for each use
# (plain data taken before any check or notebook saw the model; see that module)
from tl_course.pristine_models import pristine_copy  # noqa: E402

__all__ = ["load_keras", "param_count", "images", "trainable_flags", "SharedModels",
           "pristine_copy", "course_mobilenet", "efficientnet_lite0", "rbf_kernel",
           "reference_mmd_biased", "reference_mmd_unbiased"]


def load_keras() -> Any:
    """The ``keras`` module, imported on first use (a check file stays cheap to collect)."""
    import keras

    return keras


def param_count(weights: Any) -> int:
    """How many numbers ``weights`` (a list of variables or arrays) hold, as a Python int."""
    return sum(int(np.prod(w.shape)) for w in weights)


def images(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """``n`` seeded random RGB images of ``size`` x ``size`` pixels, 0-255 as float32."""
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3)).astype("float32")


def trainable_flags(model: Any) -> list[bool]:
    """``model.trainable`` followed by the flag of each of its layers."""
    return [model.trainable] + [layer.trainable for layer in model.layers]


class SharedModels:
    """One model per kind for the checks that only read it, change its flags or hand it to the
    notebook (a model the kernel already holds is not sent again).

    Its weights, and its trainable flags, are put back before each use, so a solution that
    changed them fails one check, not every later one.

    Args:
        all_trainable: Put every flag back to trainable (``True``) or to the flags the model
            had when built (``False``).
    """

    def __init__(self, *, all_trainable: bool = False) -> None:
        self.all_trainable = all_trainable
        self._models: dict[Hashable, tuple[Any, list[np.ndarray], list[bool]]] = {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The model cached as ``key`` (``build()`` makes it the first time), reset."""
        if key not in self._models:
            model = build()
            self._models[key] = (model, [w.copy() for w in model.get_weights()],
                                 [] if self.all_trainable else trainable_flags(model))
        model, weights, flags = self._models[key]
        if self.all_trainable:
            if not model.trainable:
                model.trainable = True
            for layer in model.layers:  # only where a check changed it: the setter is slow
                if not layer.trainable:
                    layer.trainable = True
        elif trainable_flags(model) != flags:
            model.trainable = flags[0]
            for layer, flag in zip(model.layers, flags[1:], strict=True):
                if layer.trainable != flag:
                    layer.trainable = flag
        if not all(np.array_equal(a, b)
                   for a, b in zip(model.get_weights(), weights, strict=True)):
            model.set_weights(weights)
        return model


def course_mobilenet(weights: str | None = None, input_shape: tuple | None = None,
                     seed: int = 0) -> Any:
    """A new course MobileNet (32x32, 128 features, 9 BatchNorm layers); Keras' random seed is
    ``seed`` before it is built and after (see :func:`pristine_copy`)."""
    import tl_helpers as tl

    return pristine_copy(
        ("course_mobilenet", weights, input_shape, seed),
        lambda: tl.load_backbone("course_mobilenet", weights=weights, input_shape=input_shape),
        seed=seed)


def efficientnet_lite0(weights: str | None = None, input_shape: tuple = (32, 32, 3),
                       seed: int = 0) -> Any:
    """A new EfficientNet-Lite0 (143 layers, its real layer names and sizes) at
    ``input_shape``; Keras' random seed is ``seed`` before it is built and after (see
    :func:`pristine_copy`)."""
    import tl_helpers as tl

    return pristine_copy(
        ("efficientnet_lite0", weights, tuple(input_shape), seed),
        lambda: tl.load_backbone("efficientnet_lite0", weights=weights,
                                 input_shape=input_shape),
        seed=seed)


def rbf_kernel(a: Any, b: Any, sigma: float) -> np.ndarray:
    """The Gaussian kernel matrix ``exp(-||a_i - b_j||^2 / (2 sigma^2))`` of two samples."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * sigma**2))


def reference_mmd_biased(x: Any, y: Any, sigma: float) -> float:
    """The biased (V-statistic) squared MMD of two samples with an RBF kernel of ``sigma``."""
    return float(rbf_kernel(x, x, sigma).mean() + rbf_kernel(y, y, sigma).mean()
                 - 2 * rbf_kernel(x, y, sigma).mean())


def reference_mmd_unbiased(x: Any, y: Any, sigma: float) -> float:
    """The unbiased (U-statistic) squared MMD: within-sample means leave out the diagonal."""
    n, m = len(x), len(y)
    kxx, kyy = rbf_kernel(x, x, sigma), rbf_kernel(y, y, sigma)
    return float((kxx.sum() - np.trace(kxx)) / (n * (n - 1))
                 + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                 - 2 * rbf_kernel(x, y, sigma).mean())
