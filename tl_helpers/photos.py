"""Datasets cut from real photos that ship inside ordinary packages (no downloads).

The photos come from the scikit-image, scikit-learn and matplotlib wheels. Each dataset is an
:class:`~tl_helpers.data.ImageDataset` of ``uint8`` images, deterministic by seed.

Target tasks (what the notebooks transfer *to*):

* :func:`load_photo_patches` - patches of 10 texture, microscopy, medical and astronomy images,
  one class per image; train and test patches come from disjoint parts of each image.
* :func:`load_everyday_photos` - crops of 13 everyday photos (a cat, coffee, an astronaut, ...),
  one class per photo, for ImageNet backbones only: these are the course backbones' source
  photos, so with a course backbone it would be a disguised copy of its source task.

Source task (what the course backbones were pretrained *on*): :func:`make_source_task`, patches
of 13 *other* photos (:data:`SOURCE_IMAGES`); no image is shared with any target task.
:func:`load_photo` returns one photo as an array.

Example:
    >>> from tl_helpers import photos
    >>> photos.load_photo("coins").shape
    (303, 384, 3)
    >>> patches = photos.load_photo_patches(task="textures", n_train_per_class=4,
    ...                                     n_test_per_class=2)
    >>> patches.class_names, int(patches.is_test.sum())
    (['brick', 'grass', 'gravel'], 6)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tl_helpers import config
from tl_helpers._validation import check_choice, check_int
from tl_helpers.data import ImageDataset, _to_channels

__all__ = [
    "SOURCE_IMAGES",
    "TARGET_IMAGES",
    "PHOTO_PATCH_TASKS",
    "load_photo",
    "load_photo_patches",
    "load_everyday_photos",
    "make_source_task",
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

