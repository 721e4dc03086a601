"""Your own images: a class-per-folder tree as a ``tf.data`` pipeline, robust to bad files.

Lay the images out one folder per class::

    my_photos/
        cats/  img001.jpg  img002.png ...
        dogs/  dog_a.jpg ...

and load them with :func:`load_image_folder`. It is built on
``keras.utils.image_dataset_from_directory``, but first checks that every image file can be
decoded: empty, truncated or corrupt files, and files that Pillow reads but TensorFlow cannot
(a TIFF renamed ``.png``, a 1-bit BMP, ...) are skipped and named in a warning (and in
``dataset.skipped_files``) instead of crashing deep inside TensorFlow halfway through an epoch.
Your folder is never modified: when files must be skipped, Keras reads a mirror of links to the
good files inside the course cache (:func:`tl_helpers.config.cache_dir`).

Example:
    >>> train_ds = load_image_folder("my_photos", image_size=32)  # doctest: +SKIP
    >>> train_ds.class_names, train_ds.skipped_files  # doctest: +SKIP
    (['cats', 'dogs'], ['cats/broken.jpg'])
"""

from __future__ import annotations

import hashlib
import json
import numbers
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
_MAX_NAMED = 20  # files named in the warning; all of them are in `skipped_files`
_VERDICTS_FILE = "checked_files.json"


# ---------------------------------------------------------------------------- finding files
def _class_dirs(directory: Path) -> list[Path]:
    """The class sub-folders, exactly as Keras finds them (sorted, hidden ones left out)."""
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


def _image_files(class_dir: Path) -> list[Path]:
    """Files Keras would index in ``class_dir``: recursive, symlinked folders not followed."""
    found = []
    for root, _, files in sorted(os.walk(class_dir), key=lambda entry: entry[0]):
        found += [Path(root, f) for f in sorted(files) if f.lower().endswith(IMAGE_EXTENSIONS)]
    return found


# ---------------------------------------------------------------------------- checking files
def _problem(path: Path) -> str | None:
    """Why Pillow cannot use ``path`` as an image, or None when it decodes fully."""
    from PIL import Image, UnidentifiedImageError

    try:
        if path.stat().st_size == 0:
            return "empty file"
        with Image.open(path) as image:
            image.load()
    except UnidentifiedImageError:
        return "cannot be decoded (not an image format that Pillow recognises)"
    except PermissionError:
        return "cannot be read (permission denied)"
    except Exception as err:  # Pillow raises many types for broken files
        detail = str(err).splitlines()[0][:80] if str(err) else ""
        return f"cannot be decoded ({type(err).__name__}{': ' + detail if detail else ''})"
    return None


def _tensorflow_problems(paths: list[Path]) -> dict[Path, str]:
    """Files that Pillow decodes but TensorFlow's ``decode_image`` (used by Keras) rejects."""
    if not paths:
        return {}
    config.quiet_tensorflow()
    import tensorflow as tf
    from PIL import Image

    def decode(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return path, tf.reduce_max(image)  # uses the pixels, so the whole file is decoded

    dataset = (
        tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
        .map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
        .ignore_errors()
    )
    decoded = {path.decode() for path, _ in dataset.as_numpy_iterator()}
    problems = {}
    for path in paths:
        if str(path) not in decoded:
            try:
                with Image.open(path) as image:
                    kind = f" ({image.format} file, mode {image.mode})"
            except Exception:  # changed since Pillow read it
                kind = ""
            problems[path] = f"TensorFlow cannot decode it{kind}; re-save it as PNG or JPEG"
    return problems


def _load_verdicts(key: str) -> dict:
    try:
        stored = json.loads((config.cache_dir("image_folders") / _VERDICTS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return stored.get("files", {}) if stored.get("key") == key else {}


def _save_verdicts(key: str, verdicts: dict) -> None:
    """Write atomically; losing a race with another process only costs a re-check later."""
    target = config.cache_dir("image_folders") / _VERDICTS_FILE
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps({"key": key, "files": verdicts}))
        os.replace(temporary, target)
    except OSError:  # a read-only cache must not stop the loading
        temporary.unlink(missing_ok=True)


def _check_files(paths: list[Path]) -> dict[Path, str | None]:
    """Pillow + TensorFlow verdict on every file, remembered while a file is unchanged."""
    import PIL
    import tensorflow as tf

    key = f"Pillow {PIL.__version__}, TensorFlow {tf.__version__}"
    verdicts = _load_verdicts(key)
    result: dict[Path, str | None] = {}
    unknown: list[Path] = []
    stamps: dict[Path, list[int]] = {}
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            result[path] = "cannot be read (broken link or vanished file)"
            continue
        stamps[path] = [stat.st_size, stat.st_mtime_ns]
        cached = verdicts.get(str(path.resolve()))
        if cached is not None and cached[:2] == stamps[path]:
            result[path] = cached[2]
        else:
            unknown.append(path)
    if unknown:
        fresh = {path: _problem(path) for path in unknown}
        fresh.update(_tensorflow_problems([p for p, why in fresh.items() if why is None]))
        for path, why in fresh.items():
            result[path] = why
            verdicts[str(path.resolve())] = [*stamps[path], why]
        _save_verdicts(key, verdicts)
    return result


def scan_image_folder(directory: str | os.PathLike) -> tuple[list[Path], dict[str, str]]:
    """Check with Pillow that every image file of a class-per-folder tree decodes.

    Only files with an extension Keras reads (:data:`IMAGE_EXTENSIONS`, any case) are looked
    at; other files (``notes.txt``) are ignored, as Keras ignores them. This check does not
    import TensorFlow; :func:`load_image_folder` also checks the files with TensorFlow.

    Args:
        directory: the top folder (one sub-folder per class).

    Returns:
        ``(good_files, skipped)``: the decodable image files, and ``{relative path: reason}``
        for the files that cannot be used.

    Raises:
        FileNotFoundError: ``directory`` does not exist.
        ValueError: ``directory`` is a file or has no class sub-folders.

    Example:
        >>> good, skipped = scan_image_folder("my_photos")  # doctest: +SKIP
        >>> skipped  # doctest: +SKIP
        {'cats/broken.jpg': 'cannot be decoded (not an image format that Pillow recognises)'}
    """
    directory = Path(directory)
    good, skipped = [], {}
    for class_dir in _class_dirs(directory):
        for path in _image_files(class_dir):
            problem = _problem(path)
            if problem is None:
                good.append(path)
            else:
                skipped[path.relative_to(directory).as_posix()] = problem
    return good, skipped


# ---------------------------------------------------------------------------- loading
def _mirror_without(directory: Path, good: list[Path], classes: list[Path]) -> Path:
    """A folder of links to the good files only, same class layout (cached by content)."""
    key = hashlib.sha256()
    for path in good:
        stat = path.stat()
        key.update(f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}\n".encode())
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
        except FileExistsError:  # another process built the same mirror meanwhile
            continue
        except OSError:  # no symlinks (e.g. some Windows set-ups): copy instead
            shutil.copy2(path, link)
    return mirror


def _check_split(validation_split, subset) -> None:
    if subset is not None:
        check_choice("subset", subset, ("training", "validation", "both"))
    if (validation_split is None) != (subset is None):
        raise ValueError(
            "Arguments `validation_split` and `subset` go together: give both (e.g. "
            'validation_split=0.2, subset="both") or neither. Received: '
            f"validation_split={validation_split!r}, subset={subset!r}"
        )
    if validation_split is None:
        return
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError(
            "Argument `validation_split` must be a number between 0 and 1. Received: "
            f"validation_split={validation_split!r}"
        )
    if not 0 < validation_split < 1:
        raise ValueError(
            "Argument `validation_split` must be between 0 and 1. Received: "
            f"validation_split={validation_split!r}"
        )


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

    Every file with an extension Keras reads (:data:`IMAGE_EXTENSIONS`) is first decoded with
    Pillow and with TensorFlow. Files that fail (empty, truncated, corrupt, or a format
    TensorFlow cannot read) are skipped and named, with the reason, in one ``UserWarning``;
    other files (``notes.txt``) are ignored silently. Verdicts are remembered in the course
    cache while a file is unchanged, so loading the same folder again is fast. The images are
    resized to ``image_size`` x ``image_size`` and keep Keras' raw float values 0-255 (the
    course backbones do their own preprocessing).

    Args:
        directory: top folder, laid out as ``directory/<class_name>/<image files>``; the class
            names are the sub-folder names, in alphabetical order (label 0 is the first).
        image_size: images are resized to ``image_size`` x ``image_size`` (>= 8).
        channels: 3 (RGB) or 1 (grayscale; converted from RGB after decoding).
        batch_size: images per batch.
        validation_split: fraction (0-1) held out for validation; needs ``subset``.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns a tuple of two datasets).
            The split is the same for the same ``seed``.
        seed: shuffling and splitting seed.
        shuffle: shuffle the images (in a new order every epoch).
        cache: keep the decoded images in memory after the first epoch.

    Returns:
        A ``tf.data.Dataset`` of ``(images, labels)`` batches, ``images`` float32 shaped
        ``(batch, image_size, image_size, channels)`` and ``labels`` int32 class indices, with
        attributes ``class_names`` and ``skipped_files`` (sorted relative paths of the files
        that were skipped; empty when none), or a ``(training, validation)`` tuple of two such
        datasets when ``subset="both"``.

    Raises:
        FileNotFoundError: ``directory`` does not exist.
        ValueError: ``directory`` is a file, has no class sub-folders or no readable images;
            ``validation_split`` without ``subset`` (or the reverse), or an unknown ``subset``;
            an out-of-range ``image_size``, ``channels``, ``batch_size`` or
            ``validation_split``.
        TypeError: a non-integer ``image_size``, ``batch_size`` or ``seed``, or a non-number
            ``validation_split``.

    Example:
        A folder with one sub-folder per class::

            my_photos/
                cats/  img001.jpg  img002.png  broken.jpg ...
                dogs/  dog_a.jpg  dog_b.jpeg ...

        >>> train_ds, val_ds = load_image_folder(
        ...     "my_photos", image_size=64, validation_split=0.2, subset="both"
        ... )  # doctest: +SKIP
        >>> # UserWarning: Skipped 1 of 58 image files in 'my_photos' ...: cats/broken.jpg (...)
        >>> train_ds.class_names, train_ds.skipped_files  # doctest: +SKIP
        (['cats', 'dogs'], ['cats/broken.jpg'])
        >>> images, labels = next(iter(train_ds))  # doctest: +SKIP
        >>> images.shape  # doctest: +SKIP
        TensorShape([32, 64, 64, 3])
    """
    check_int("image_size", image_size, minimum=8)
    check_choice("channels", channels, (1, 3))
    check_int("batch_size", batch_size, minimum=1)
    if seed is not None:
        check_int("seed", seed)
    _check_split(validation_split, subset)
    directory = Path(directory)
    classes = _class_dirs(directory)
    files = [path for class_dir in classes for path in _image_files(class_dir)]

    config.quiet_tensorflow()
    import keras
    import tensorflow as tf

    verdicts = _check_files(files)
    good = [path for path in files if verdicts[path] is None]
    skipped = {
        path.relative_to(directory).as_posix(): why
        for path, why in verdicts.items()
        if why is not None
    }
    if not good:
        unusable = ""
        if skipped:
            names = sorted(skipped)
            more = f" and {len(names) - _MAX_NAMED} more" if len(names) > _MAX_NAMED else ""
            unusable = f" Unusable files: {', '.join(names[:_MAX_NAMED])}{more}."
        raise ValueError(
            f"Argument `directory` holds no readable images ({', '.join(IMAGE_EXTENSIONS)}) in "
            f"its class sub-folders. Expected {_LAYOUT}.{unusable} "
            f"Received: directory={str(directory)!r}"
        )
    source = directory
    if skipped:
        named = [f"{name} ({skipped[name]})" for name in sorted(skipped)[:_MAX_NAMED]]
        if len(skipped) > _MAX_NAMED:
            named.append(f"... and {len(skipped) - _MAX_NAMED} more (see `skipped_files`)")
        warnings.warn(
            f"Skipped {len(skipped)} of {len(files)} image files in '{directory}' that cannot "
            f"be used (your folder is left unchanged): " + "; ".join(named),
            UserWarning,
            stacklevel=2,
        )
        source = _mirror_without(directory, good, classes)

    # Decode as RGB always (TensorFlow cannot decode GIF, BMP or CMYK JPEG to 1 channel) and
    # batch here, after the cache: a cache after Keras' shuffle would freeze the epoch order.
    loaded = keras.utils.image_dataset_from_directory(
        source, labels="inferred", label_mode="int", class_names=[c.name for c in classes],
        color_mode="rgb", batch_size=None, image_size=(image_size, image_size),
        shuffle=shuffle, seed=seed, validation_split=validation_split, subset=subset,
        verbose=False,
    )
    parts = loaded if isinstance(loaded, (list, tuple)) else [loaded]
    finished = []
    for part in parts:
        pipeline = part
        if channels == 1:
            pipeline = pipeline.map(
                lambda x, y: (tf.image.rgb_to_grayscale(x), y),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        if cache:
            pipeline = pipeline.cache()
            if shuffle:  # cheap: the buffer holds references to the cached images
                pipeline = pipeline.shuffle(len(good), seed=seed, reshuffle_each_iteration=True)
        pipeline = pipeline.batch(batch_size).prefetch(tf.data.AUTOTUNE)
        pipeline.class_names = list(part.class_names)
        pipeline.skipped_files = sorted(skipped)
        finished.append(pipeline)
    return tuple(finished) if subset == "both" else finished[0]
