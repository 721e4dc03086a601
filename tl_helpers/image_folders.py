"""Your own images: a class-per-folder tree as a ``tf.data`` pipeline, robust to bad files.

Lay the images out one folder per class::

    my_photos/
        cats/  img001.jpg  img002.png ...
        dogs/  dog_a.jpg ...

and load them with :func:`load_image_folder`. It is built on
``keras.utils.image_dataset_from_directory``, but first checks that every image file can be
decoded: empty, truncated or corrupt files are skipped and named in a warning (and in
``dataset.skipped_files``) instead of crashing deep inside TensorFlow halfway through an epoch.

Example:
    >>> train_ds = load_image_folder("my_photos", image_size=32)  # doctest: +SKIP
    >>> train_ds.class_names, train_ds.skipped_files  # doctest: +SKIP
    (['cats', 'dogs'], ['cats/broken.jpg'])
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path

from tl_helpers import config
from tl_helpers._validation import check_choice, check_int

__all__ = ["IMAGE_EXTENSIONS", "scan_image_folder", "load_image_folder"]

#: File extensions Keras' image loader reads (others are ignored, as Keras does).
IMAGE_EXTENSIONS: tuple[str, ...] = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

_LAYOUT = "directory/<class_name>/<image files>"


def _class_dirs(directory: Path) -> list[Path]:
    if not directory.exists():
        raise FileNotFoundError(
            f"Argument `directory` does not exist. Expected a folder laid out as {_LAYOUT}. "
            f"Received: directory={str(directory)!r}"
        )
    if not directory.is_dir():
        raise ValueError(
            f"Argument `directory` must be a folder laid out as {_LAYOUT}. "
            f"Received: directory={str(directory)!r} (a file)"
        )
    classes = sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(
            f"Argument `directory` has no class sub-folders. Expected {_LAYOUT}, one sub-folder "
            f"per class. Received: directory={str(directory)!r}"
        )
    return classes


def _problem(path: Path) -> str | None:
    """Why ``path`` cannot be used as an image, or None when it decodes."""
    from PIL import Image

    if path.stat().st_size == 0:
        return "empty file"
    try:
        with Image.open(path) as image:
            image.load()
    except Exception as err:  # PIL raises many types for broken files
        return f"cannot be decoded ({type(err).__name__})"
    return None


def scan_image_folder(directory: str | os.PathLike) -> tuple[list[Path], dict[str, str]]:
    """Check every image file of a class-per-folder tree.

    Args:
        directory: the top folder (one sub-folder per class).

    Returns:
        ``(good_files, skipped)``: the decodable image files, and ``{relative path: reason}``
        for the files that cannot be used.

    Example:
        >>> good, skipped = scan_image_folder("my_photos")  # doctest: +SKIP
    """
    directory = Path(directory)
    good, skipped = [], {}
    for class_dir in _class_dirs(directory):
        for path in sorted(class_dir.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            problem = _problem(path)
            if problem is None:
                good.append(path)
            else:
                skipped[path.relative_to(directory).as_posix()] = problem
    return good, skipped


def _mirror_without(directory: Path, good: list[Path], classes: list[Path]) -> Path:
    """A folder of links to the good files only, same class layout (cached by content)."""
    key = hashlib.sha256()
    for path in good:
        key.update(f"{path}|{path.stat().st_mtime_ns}|{path.stat().st_size}\n".encode())
    mirror = config.cache_dir("image_folders", key.hexdigest()[:16])
    for class_dir in classes:
        (mirror / class_dir.name).mkdir(exist_ok=True)
    for path in good:
        link = mirror / path.relative_to(directory)
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            continue
        try:
            link.symlink_to(path.resolve())
        except OSError:  # no symlinks (e.g. some Windows set-ups): copy instead
            shutil.copy2(path, link)
    return mirror


def load_image_folder(
    directory: str | os.PathLike,
    *,
    image_size: int = config.IMAGE_SIZE,
    channels: int = 3,
    batch_size: int = 32,
    validation_split: float | None = None,
    subset: str | None = None,
    seed: int = config.SEED,
    shuffle: bool = True,
    cache: bool = True,
):
    """Load a class-per-folder image tree as a batched ``tf.data.Dataset`` of raw 0-255 images.

    Args:
        directory: top folder, laid out as ``directory/<class_name>/<image files>``.
        image_size: images are resized to ``image_size`` x ``image_size``.
        channels: 3 (RGB) or 1 (grayscale).
        batch_size: images per batch.
        validation_split: fraction (0-1) held out for validation; needs ``subset``.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns a tuple of two datasets).
        seed: shuffling and splitting seed.
        shuffle: shuffle the files.
        cache: cache decoded images in memory after the first epoch.

    Returns:
        A ``tf.data.Dataset`` of ``(images, labels)`` batches with attributes ``class_names``
        and ``skipped_files`` (relative paths of files that could not be decoded), or a tuple
        of two when ``subset="both"``.

    Raises:
        FileNotFoundError: ``directory`` does not exist.
        ValueError: no class sub-folders, no readable images, or inconsistent arguments.

    Example:
        >>> train_ds, val_ds = load_image_folder("my_photos", validation_split=0.2,
        ...                                      subset="both")  # doctest: +SKIP
    """
    check_int("image_size", image_size, minimum=8)
    check_choice("channels", channels, (1, 3))
    check_int("batch_size", batch_size, minimum=1)
    if subset is not None:
        check_choice("subset", subset, ("training", "validation", "both"))
    if (validation_split is None) != (subset is None):
        raise ValueError(
            "Arguments `validation_split` and `subset` go together: give both (e.g. "
            "validation_split=0.2, subset=\"both\") or neither. Received: "
            f"validation_split={validation_split!r}, subset={subset!r}"
        )
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(
            "Argument `validation_split` must be between 0 and 1. Received: "
            f"validation_split={validation_split!r}"
        )
    directory = Path(directory)
    classes = _class_dirs(directory)
    good, skipped = scan_image_folder(directory)
    if not good:
        unusable = f" Unusable files: {', '.join(sorted(skipped))}." if skipped else ""
        raise ValueError(
            f"Argument `directory` holds no readable images ({', '.join(IMAGE_EXTENSIONS)}) in "
            f"its class sub-folders. Expected {_LAYOUT}.{unusable} "
            f"Received: directory={str(directory)!r}"
        )
    source = directory
    if skipped:
        warnings.warn(
            f"Skipped {len(skipped)} image file(s) in {directory} that cannot be used: "
            + "; ".join(f"{name} ({why})" for name, why in skipped.items()),
            UserWarning,
            stacklevel=2,
        )
        source = _mirror_without(directory, good, classes)

    config.quiet_tensorflow()
    import keras
    import tensorflow as tf

    loaded = keras.utils.image_dataset_from_directory(
        source, labels="inferred", label_mode="int", class_names=[c.name for c in classes],
        color_mode="rgb" if channels == 3 else "grayscale", batch_size=batch_size,
        image_size=(image_size, image_size), shuffle=shuffle, seed=seed,
        validation_split=validation_split, subset=subset, verbose=False,
    )
    parts = loaded if isinstance(loaded, (list, tuple)) else [loaded]
    finished = []
    for part in parts:
        pipeline = (part.cache() if cache else part).prefetch(tf.data.AUTOTUNE)
        pipeline.class_names = list(part.class_names)
        pipeline.skipped_files = sorted(skipped)
        finished.append(pipeline)
    return tuple(finished) if subset == "both" else finished[0]
