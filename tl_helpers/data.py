"""Offline datasets: real images that ship inside ordinary packages, and few-shot splits.

Everything here works with no internet: the images come from scikit-learn, scikit-image and
matplotlib wheels. Every loader returns an :class:`ImageDataset` of ``uint8`` images shaped
``(num_images, image_size, image_size, channels)`` with values 0-255, deterministic by seed.

Target tasks (what the notebooks transfer *to*):

* :func:`load_digits` - 1,797 handwritten digits, 10 classes (scikit-learn).
* :func:`load_faces` - 200 faces vs non-faces, 2 classes (scikit-image ``lfw_subset``).
* :func:`load_photo_patches` - patches of 10 texture, microscopy, medical and astronomy images,
  one class per image; train and test patches come from disjoint parts of each image.
* :func:`load_everyday_photos` - crops of 13 everyday photos (a cat, coffee, an astronaut, ...),
  one class per photo, for ImageNet backbones only: these are the course backbones' source
  photos, so with a course backbone it would be a disguised copy of its source task.

Source task (what the course backbones were pretrained *on*): :func:`make_source_task`, patches
of 12 *other* photos (:data:`SOURCE_IMAGES`); no image is shared with any target task.

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
from pathlib import Path

import numpy as np

from tl_helpers import config
from tl_helpers._validation import check_choice, check_images, check_int

__all__ = [
    "ImageDataset",
    "SOURCE_IMAGES",
    "TARGET_IMAGES",
    "PHOTO_PATCH_TASKS",
    "load_digits",
    "load_faces",
    "load_photo_patches",
    "load_everyday_photos",
    "load_photo",
    "make_source_task",
    "few_shot_split",
    "few_shot_indices",
    "resize_images",
]

#: Photos used only to pretrain the course backbones (the source task, "Task 1").
SOURCE_IMAGES: tuple[str, ...] = (
    "astronaut", "camera", "chelsea", "coffee", "rocket", "motorcycle_left",
    "motorcycle_right", "page", "text", "clock_motion", "china", "flower", "grace_hopper",
)

#: Images used only as the photo-patch *target* task; disjoint from :data:`SOURCE_IMAGES`.
TARGET_IMAGES: tuple[str, ...] = (
    "brick", "grass", "gravel", "cell", "ihc", "retina", "moon", "coins",
    "hubble_deep_field", "microaneurysms",
)

#: Named photo-patch target tasks (subsets of :data:`TARGET_IMAGES`).
PHOTO_PATCH_TASKS: dict[str, tuple[str, ...]] = {
    "all": TARGET_IMAGES,
    "textures": ("brick", "grass", "gravel"),
    "biomedical": ("cell", "ihc", "retina", "microaneurysms"),
    "space_and_objects": ("moon", "hubble_deep_field", "coins"),
}

_SKIMAGE_FILES = {
    "astronaut": "astronaut.png", "camera": "camera.png", "chelsea": "chelsea.png",
    "coffee": "coffee.png", "rocket": "rocket.jpg", "motorcycle_left": "motorcycle_left.png",
    "motorcycle_right": "motorcycle_right.png", "page": "page.png", "text": "text.png",
    "clock_motion": "clock_motion.png", "brick": "brick.png", "grass": "grass.png",
    "gravel": "gravel.png", "cell": "cell.png", "ihc": "ihc.png", "retina": "retina.jpg",
    "moon": "moon.png", "coins": "coins.png", "hubble_deep_field": "hubble_deep_field.jpg",
    "microaneurysms": "microaneurysms.png",
}


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
    ):
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


def load_photo(name: str) -> np.ndarray:
    """Return one of the offline photos as a ``uint8`` array ``(H, W, 3)``.

    Args:
        name: one of :data:`SOURCE_IMAGES` or :data:`TARGET_IMAGES`.

    Example:
        >>> load_photo("brick").shape
        (512, 512, 3)
    """
    check_choice("name", name, SOURCE_IMAGES + TARGET_IMAGES)
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        img = load_sample_image(f"{name}.jpg")
    elif name == "grace_hopper":
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            from PIL import Image

            img = np.asarray(Image.open(f).convert("RGB"))
    else:
        import skimage
        import skimage.io

        path = Path(skimage.__file__).parent / "data" / _SKIMAGE_FILES[name]
        img = skimage.io.imread(path)
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return np.ascontiguousarray(img[..., :3].astype(np.uint8))


def _random_patches(
    image: np.ndarray,
    n: int,
    rng: np.random.Generator,
    image_size: int,
    *,
    crop_range: tuple[int, int] = (24, 96),
    x_range: tuple[float, float] = (0.0, 1.0),
    centre_box: tuple[float, float, float, float] | None = None,
) -> np.ndarray:
    """Cut ``n`` random square crops (random size, position and flip) resized to image_size."""
    from PIL import Image

    h, w = image.shape[:2]
    x0, x1 = int(x_range[0] * w), int(x_range[1] * w)
    max_crop = max(8, min(crop_range[1], h, x1 - x0))
    min_crop = min(crop_range[0], max_crop)
    out = np.empty((n, image_size, image_size, 3), dtype=np.uint8)
    for i in range(n):
        s = int(rng.integers(min_crop, max_crop + 1))
        if centre_box is None:
            top = int(rng.integers(0, h - s + 1))
            left = int(rng.integers(x0, x1 - s + 1))
        else:  # the crop's centre falls inside the box (fractions of height/width)
            cy = rng.uniform(centre_box[0], centre_box[1]) * h
            cx = rng.uniform(centre_box[2], centre_box[3]) * w
            top = int(np.clip(cy - s / 2, 0, h - s))
            left = int(np.clip(cx - s / 2, 0, w - s))
        crop = image[top : top + s, left : left + s]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        pil = Image.fromarray(np.ascontiguousarray(crop))
        out[i] = np.asarray(pil.resize((image_size, image_size), Image.Resampling.BILINEAR))
    return out


# ---------------------------------------------------------------------------- target tasks
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


def load_photo_patches(
    image_size: int = config.IMAGE_SIZE,
    channels: int = 3,
    *,
    task: str = "all",
    n_train_per_class: int = 200,
    n_test_per_class: int = 100,
    seed: int = config.SEED,
) -> ImageDataset:
    """Real-photo patch task: which image a patch comes from, one class per image.

    ``task="all"`` uses the 10 :data:`TARGET_IMAGES`: textures (brick, grass, gravel),
    microscopy and medical images (cell, ihc, retina, microaneurysms) and astronomy/objects
    (moon, hubble_deep_field, coins); the other :data:`PHOTO_PATCH_TASKS` use one group each.
    Training patches are cut from the left 60% of each image, test patches from the right 40%,
    so no test patch overlaps a training patch. None of these images was used to pretrain the
    course backbones.

    Args:
        image_size: output height and width in pixels (>= 8).
        channels: 1 or 3.
        task: a key of :data:`PHOTO_PATCH_TASKS`.
        n_train_per_class: patches per class available for training.
        n_test_per_class: patches per class in the fixed test set (``is_test`` mask).
        seed: random seed for the patch positions.

    Returns:
        An :class:`ImageDataset` named ``"photo_patches"`` with ``is_test`` set.

    Example:
        >>> ds = load_photo_patches(n_train_per_class=5, n_test_per_class=5)
        >>> ds.x.shape, ds.num_classes
        ((100, 32, 32, 3), 10)
    """
    check_choice("task", task, PHOTO_PATCH_TASKS)
    name = "photo_patches" if task == "all" else f"photo_patches/{task}"
    return _photo_crop_task(
        PHOTO_PATCH_TASKS[task], name, image_size, channels, n_train_per_class,
        n_test_per_class, seed, crop_range=(24, 96),
    )


def load_everyday_photos(
    image_size: int = 96,
    channels: int = 3,
    *,
    n_train_per_class: int = 100,
    n_test_per_class: int = 50,
    seed: int = config.SEED,
) -> ImageDataset:
    """Crops of 13 everyday photos, one class per photo: a target for ImageNet backbones.

    The photos (:data:`SOURCE_IMAGES`: an astronaut, a cat, coffee, a rocket, two motorcycles,
    a camera man, a page, text, a clock, a Chinese temple, a flower, Grace Hopper) are ordinary
    pictures of objects and people, the kind ImageNet features are made for, and crops of 48 to
    160 pixels show whole object parts. Training crops come from the left 60% of each photo and
    test crops from the right 40%. Use it with ImageNet backbones (EfficientNet-Lite) or from
    scratch, **never with the course backbones**: they were pretrained on these photos, so for
    them this task is a disguised copy of their source task.

    Args:
        image_size: output height and width in pixels (>= 8); 96 suits EfficientNet-Lite on
            2 CPU cores.
        channels: 1 or 3.
        n_train_per_class: crops per class available for training.
        n_test_per_class: crops per class in the fixed test set (``is_test`` mask).
        seed: random seed for the crop positions.

    Returns:
        An :class:`ImageDataset` named ``"everyday_photos"`` with ``is_test`` set.

    Example:
        >>> ds = load_everyday_photos(image_size=32, n_train_per_class=2, n_test_per_class=1)
        >>> ds.x.shape, ds.num_classes
        ((39, 32, 32, 3), 13)
    """
    return _photo_crop_task(
        SOURCE_IMAGES, "everyday_photos", image_size, channels, n_train_per_class,
        n_test_per_class, seed, crop_range=(48, 160),
    )


def _photo_crop_task(
    images, name, image_size, channels, n_train_per_class, n_test_per_class, seed, *,
    crop_range,
) -> ImageDataset:
    """One class per photo; train crops from the left 60%, test crops from the right 40%."""
    check_int("image_size", image_size, minimum=8)
    check_choice("channels", channels, (1, 3))
    check_int("n_train_per_class", n_train_per_class, minimum=1)
    check_int("n_test_per_class", n_test_per_class, minimum=1)
    rng = np.random.default_rng(seed)
    xs, ys, tests = [], [], []
    for label, photo_name in enumerate(images):
        photo = load_photo(photo_name)
        for n, x_range, is_test in (
            (n_train_per_class, (0.0, 0.6), False),
            (n_test_per_class, (0.6, 1.0), True),
        ):
            xs.append(_random_patches(photo, n, rng, image_size, crop_range=crop_range,
                                      x_range=x_range))
            ys.append(np.full(n, label, dtype=np.int64))
            tests.append(np.full(n, is_test))
    x = _to_channels(np.concatenate(xs), channels)
    return ImageDataset(x, np.concatenate(ys), list(images), name, np.concatenate(tests))


# ---------------------------------------------------------------------------- source task
def make_source_task(
    num_images: int = 24_000,
    image_size: int = config.IMAGE_SIZE,
    *,
    grid: int = 3,
    grayscale_fraction: float = 0.3,
    seed: int = config.SEED,
) -> ImageDataset:
    """The course's pretraining ("Task 1") data: patches of :data:`SOURCE_IMAGES`.

    Each source photo is cut into a ``grid`` x ``grid`` grid of regions and each region is one
    class (13 photos x 9 regions = 117 classes with the defaults): telling apart patches of
    different parts of the same photo forces the network to learn edges, textures and shapes
    rather than just the photo's colour. Patches have random size, position and flips, and a
    fraction is converted to grayscale so that the features also suit grayscale targets.

    Args:
        num_images: number of patches in total (spread evenly over the classes).
        image_size: output height and width in pixels.
        grid: regions per side of each photo (1 = one class per photo).
        grayscale_fraction: fraction of patches converted to grayscale (kept 3-channel).
        seed: random seed.

    Returns:
        An :class:`ImageDataset` named ``"source"`` with RGB images.

    Example:
        >>> src = make_source_task(num_images=117, image_size=16)
        >>> src.num_classes
        117
    """
    check_int("num_images", num_images, minimum=1)
    check_int("grid", grid, minimum=1)
    rng = np.random.default_rng(seed)
    boxes = [
        (r / grid, (r + 1) / grid, c / grid, (c + 1) / grid)
        for r in range(grid)
        for c in range(grid)
    ]
    num_classes = len(SOURCE_IMAGES) * len(boxes)
    per_class = np.full(num_classes, num_images // num_classes)
    per_class[: num_images % num_classes] += 1
    xs, ys, names = [], [], []
    for p, name in enumerate(SOURCE_IMAGES):
        photo = load_photo(name)
        for b, box in enumerate(boxes):
            label = p * len(boxes) + b
            n = int(per_class[label])
            xs.append(_random_patches(photo, n, rng, image_size, centre_box=box))
            ys.append(np.full(n, label, dtype=np.int64))
            names.append(f"{name}/{b}" if grid > 1 else name)
    x = np.concatenate(xs)
    gray = rng.random(len(x)) < grayscale_fraction
    x[gray] = _to_channels(_to_channels(x[gray], 1), 3)
    order = rng.permutation(len(x))
    return ImageDataset(x[order], np.concatenate(ys)[order], names, "source")


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
