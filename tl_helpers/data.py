"""Offline datasets: the :class:`ImageDataset` container, small built-in tasks, few-shot splits.

Everything here works with no internet: the images come from scikit-learn and scikit-image
wheels. Every loader returns an :class:`ImageDataset` of ``uint8`` images shaped
``(num_images, image_size, image_size, channels)`` with values 0-255, deterministic by seed.

* :func:`load_digits` - 1,797 handwritten digits, 10 classes (scikit-learn).
* :func:`load_faces` - 200 faces vs non-faces, 2 classes (scikit-image ``lfw_subset``).
* :func:`few_shot_split` / :func:`few_shot_indices` - ``n`` labelled images per class for
  training and a fixed test set, the same for every seed and label budget.
* :func:`resize_images` - resize and convert images to 1 or 3 channels.

The datasets cut from real photos (photo patches, everyday photos and the course backbones'
source task) are in :mod:`tl_helpers.photos`.

Example:
    >>> from tl_helpers import data
    >>> faces = data.load_faces(image_size=32, channels=3)
    >>> faces.x.shape, faces.class_names
    ((200, 32, 32, 3), ['non-face', 'face'])
    >>> (x_train, y_train), (x_test, y_test) = data.few_shot_split(faces, n_per_class=10)
    >>> x_train.shape
    (20, 32, 32, 3)
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from tl_helpers import config
from tl_helpers._validation import check_choice, check_images, check_int

if TYPE_CHECKING:  # TensorFlow is imported only when a tf.data pipeline is asked for
    import tensorflow as tf

__all__ = [
    "ImageDataset",
    "load_digits",
    "load_faces",
    "few_shot_split",
    "few_shot_indices",
    "resize_images",
]


@dataclasses.dataclass
class ImageDataset:
    """Images, integer labels and class names of one task.

    Attributes:
        x: ``uint8`` array ``(num_images, height, width, channels)``, values 0-255.
        y: ``int64`` array ``(num_images,)`` of class indices.
        class_names: name of each class index.
        name: short name of the task, e.g. ``"faces"``.
        is_test: optional boolean mask of images reserved for the fixed test set (used when
            train and test images must come from disjoint parts of the source images).
    """

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    name: str
    is_test: np.ndarray | None = None

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    def __len__(self) -> int:
        return len(self.y)

    def as_tf_dataset(
        self, batch_size: int = 32, *, shuffle: bool = True, seed: int = config.SEED
    ) -> tf.data.Dataset:
        """Return the images and labels as a batched, prefetched ``tf.data.Dataset``.

        Args:
            batch_size: images per batch.
            shuffle: reshuffle the images every epoch (deterministic for a seed).
            seed: shuffling seed.

        Example:
            >>> ds = load_faces(image_size=16).as_tf_dataset(batch_size=50, shuffle=False)
            >>> [tuple(images.shape) for images, labels in ds.take(1)]
            [(50, 16, 16, 3)]
        """
        config.quiet_tensorflow()
        import tensorflow as tf

        check_int("batch_size", batch_size, minimum=1)
        dataset = tf.data.Dataset.from_tensor_slices((self.x, self.y))
        if shuffle:
            dataset = dataset.shuffle(len(self.y), seed=seed, reshuffle_each_iteration=True)
        return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)

    def __repr__(self) -> str:
        return (
            f"ImageDataset(name={self.name!r}, x.shape={self.x.shape}, "
            f"num_classes={self.num_classes})"
        )


# ---------------------------------------------------------------------------- image utilities
def resize_images(x: np.ndarray, image_size: int, channels: int = 3) -> np.ndarray:
    """Resize images to ``image_size`` x ``image_size`` and convert to ``channels`` channels.

    Args:
        x: images ``(N, H, W)`` or ``(N, H, W, C)``; ``uint8`` 0-255 or float 0-1.
        image_size: output height and width in pixels.
        channels: 1 (grayscale) or 3 (RGB; grayscale is repeated).

    Returns:
        ``uint8`` array ``(N, image_size, image_size, channels)``.

    Example:
        >>> resize_images(np.zeros((2, 8, 8)), 16, channels=3).shape
        (2, 16, 16, 3)
    """
    from PIL import Image

    check_int("image_size", image_size, minimum=8)
    check_choice("channels", channels, (1, 3))
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    x = check_images("x", x)
    if np.issubdtype(x.dtype, np.floating):
        x = np.clip(np.round(x * 255.0 if x.max() <= 1.0 else x), 0, 255)
    x = x.astype(np.uint8)
    out = np.empty((len(x), image_size, image_size, x.shape[-1]), dtype=np.uint8)
    for i, img in enumerate(x):
        pil = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
        resized = np.asarray(pil.resize((image_size, image_size), Image.Resampling.BILINEAR))
        out[i] = resized.reshape(image_size, image_size, -1)
    return _to_channels(out, channels)


def _to_channels(x: np.ndarray, channels: int) -> np.ndarray:
    if x.shape[-1] == channels:
        return x
    if channels == 3:
        return np.repeat(x, 3, axis=-1)
    gray = x.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.clip(np.round(gray), 0, 255).astype(np.uint8)[..., None]



# ---------------------------------------------------------------------------- small tasks
def load_digits(image_size: int = config.IMAGE_SIZE, channels: int = 3) -> ImageDataset:
    """Load scikit-learn's 1,797 handwritten digits (8x8, upsampled), 10 classes.

    Args:
        image_size: output height and width in pixels (>= 8).
        channels: 1 or 3.

    Returns:
        An :class:`ImageDataset` named ``"digits"``.

    Example:
        >>> load_digits(image_size=16, channels=1).x.shape
        (1797, 16, 16, 1)
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    d = _sk_load_digits()
    x = resize_images(d.images / 16.0, image_size, channels)
    return ImageDataset(x, d.target.astype(np.int64), [str(i) for i in range(10)], "digits")


def load_faces(image_size: int = config.IMAGE_SIZE, channels: int = 3) -> ImageDataset:
    """Load scikit-image's ``lfw_subset``: 100 faces and 100 non-faces (25x25 grayscale).

    Args:
        image_size: output height and width in pixels (>= 8).
        channels: 1 or 3.

    Returns:
        An :class:`ImageDataset` named ``"faces"`` with classes ``["non-face", "face"]``.

    Example:
        >>> load_faces(image_size=25, channels=1).x.shape
        (200, 25, 25, 1)
    """
    from skimage.data import lfw_subset

    images = lfw_subset()  # first 100 are faces, last 100 non-faces
    y = np.array([1] * 100 + [0] * 100, dtype=np.int64)
    x = resize_images(images, image_size, channels)
    return ImageDataset(x, y, ["non-face", "face"], "faces")



# ---------------------------------------------------------------------------- splits
def few_shot_indices(
    dataset: ImageDataset | tuple[np.ndarray, np.ndarray],
    n_per_class: int,
    *,
    test_fraction: float = 0.3,
    seed: int = config.SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the images :func:`few_shot_split` puts in the training and test sets.

    Useful to index arrays aligned with the dataset, e.g. cached features.

    Example:
        >>> ds = load_faces(image_size=16)
        >>> train_idx, test_idx = few_shot_indices(ds, n_per_class=10)
        >>> len(train_idx), len(test_idx)
        (20, 60)
    """
    if isinstance(dataset, ImageDataset):
        x, y, is_test = dataset.x, dataset.y, dataset.is_test
    elif isinstance(dataset, tuple) and len(dataset) == 2:
        x, y = (np.asarray(a) for a in dataset)
        is_test = None
    else:
        raise TypeError(
            "Argument `dataset` must be an ImageDataset or a tuple (x, y). "
            f"Received: dataset of type {type(dataset).__name__}"
        )
    check_int("n_per_class", n_per_class, minimum=1)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(
            f"Argument `test_fraction` must be between 0 and 1. Received: "
            f"test_fraction={test_fraction!r}"
        )
    if len(x) != len(y):
        raise ValueError(
            f"`x` and `y` must have the same length. Received: len(x)={len(x)}, len(y)={len(y)}"
        )
    y = np.asarray(y)
    if is_test is None:
        fixed = np.random.default_rng(12345)  # the test set never depends on `seed`
        is_test = np.zeros(len(y), dtype=bool)
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            n_test = max(1, int(round(test_fraction * len(idx))))
            is_test[fixed.choice(idx, n_test, replace=False)] = True
    rng = np.random.default_rng(seed)
    train_idx = []
    for c in np.unique(y):
        pool = np.flatnonzero((y == c) & ~is_test)
        if n_per_class > len(pool):
            raise ValueError(
                f"Argument `n_per_class` is larger than the {len(pool)} training images "
                f"available for class {c!r} (the rest form the fixed test set). "
                f"Received: n_per_class={n_per_class}"
            )
        train_idx.append(rng.choice(pool, n_per_class, replace=False))
    return rng.permutation(np.concatenate(train_idx)), np.flatnonzero(is_test)


def few_shot_split(
    dataset: ImageDataset | tuple[np.ndarray, np.ndarray],
    n_per_class: int,
    *,
    test_fraction: float = 0.3,
    seed: int = config.SEED,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Draw ``n_per_class`` labelled training images per class and a fixed test set.

    The test set does not depend on ``seed`` or ``n_per_class``, so accuracies for different
    label budgets and seeds are measured on the same images. When the dataset has an
    ``is_test`` mask it defines the test set; otherwise a stratified ``test_fraction`` of each
    class (chosen with a fixed seed) is held out.

    Args:
        dataset: an :class:`ImageDataset` or a tuple ``(x, y)``.
        n_per_class: labelled training images per class (>= 1).
        test_fraction: fraction of each class held out when there is no ``is_test`` mask.
        seed: random seed for choosing the training images.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``.

    Raises:
        ValueError: if a class has fewer than ``n_per_class`` images left for training.

    Example:
        >>> ds = load_digits(image_size=8, channels=1)
        >>> (x_tr, y_tr), (x_te, y_te) = few_shot_split(ds, n_per_class=5, seed=1)
        >>> x_tr.shape, np.bincount(y_tr).tolist()
        ((50, 8, 8, 1), [5, 5, 5, 5, 5, 5, 5, 5, 5, 5])
    """
    train_idx, test_idx = few_shot_indices(
        dataset, n_per_class, test_fraction=test_fraction, seed=seed
    )
    x, y = (dataset.x, dataset.y) if isinstance(dataset, ImageDataset) else dataset
    x, y = np.asarray(x), np.asarray(y)
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])
