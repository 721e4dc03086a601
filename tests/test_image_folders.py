import hashlib
import io
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from tl_helpers import config, image_folders
from tl_helpers.image_folders import load_image_folder, scan_image_folder

COLOURS = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}
BAD_FILES = ["blue/empty.png", "green/truncated.png", "red/broken.jpg"]


def _make_tree(root, per_class=5):
    """Three classes of small one-colour images, alternating JPEG and PNG, odd sizes."""
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            ext = "png" if i % 2 else "jpg"
            Image.new("RGB", (20 + i, 16), colour).save(root / name / f"img{i}.{ext}")
    return root


def _add_bad_files(root):
    valid_png = root / "red" / "img1.png"
    (root / "red" / "broken.jpg").write_bytes(np.random.default_rng(0).bytes(500))
    (root / "green" / "truncated.png").write_bytes(valid_png.read_bytes()[:40])
    (root / "blue" / "empty.png").write_bytes(b"")
    (root / "blue" / "notes.txt").write_text("not an image, ignored")


def _tree_digest(root):
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _labels(dataset):
    return np.concatenate([labels.numpy() for _, labels in dataset])


def _count(dataset):
    return len(_labels(dataset))


@pytest.fixture
def photos(tmp_path):
    return _make_tree(tmp_path / "photos")


def test_clean_folder_loads_every_image_without_warning(photos):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_image_folder(photos, image_size=16, batch_size=4, shuffle=False)
    assert ds.class_names == ["blue", "green", "red"]
    assert ds.skipped_files == []
    batches = list(ds)
    assert [tuple(images.shape) for images, _ in batches] == [(4, 16, 16, 3)] * 3 + [
        (3, 16, 16, 3)
    ]
    images = np.concatenate([x.numpy() for x, _ in batches])
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert images.dtype == np.float32 and images.max() > 250  # raw 0-255, not rescaled
    assert labels.tolist() == [0] * 5 + [1] * 5 + [2] * 5  # alphabetical class order
    for label, colour in enumerate(COLOURS.values()):  # each class has its own colour
        mean = images[labels == label].mean(axis=(0, 1, 2))
        np.testing.assert_allclose(mean, colour, atol=8)


def test_corrupt_files_are_skipped_and_named(photos):
    _add_bad_files(photos)
    before = _tree_digest(photos)
    with pytest.warns(UserWarning, match="broken.jpg") as record:
        ds = load_image_folder(photos, image_size=16, batch_size=8)
    assert len(record) == 1
    message = str(record[0].message)
    for name in BAD_FILES:
        assert name in message
    assert "empty file" in message and "notes.txt" not in message
    assert ds.skipped_files == BAD_FILES
    assert ds.class_names == ["blue", "green", "red"]
    for _ in range(2):  # the first epoch reads every file, the second the cache
        labels = _labels(ds)
        assert len(labels) == 15 and set(labels.tolist()) == {0, 1, 2}
    assert _tree_digest(photos) == before  # nothing added to or removed from the user's folder


def test_files_tensorflow_cannot_decode_are_skipped(photos):
    """Pillow reads these, TensorFlow's decode_image (used by Keras) does not."""
    image = Image.new("RGB", (12, 12), (9, 99, 199))
    image.save(photos / "red" / "tiff_renamed.png", format="TIFF")
    image.convert("1").save(photos / "green" / "one_bit.bmp")
    png = io.BytesIO()
    image.save(png, format="PNG")
    (photos / "blue" / "no_end.png").write_bytes(png.getvalue()[:-12])  # IEND chunk cut off
    with pytest.warns(UserWarning, match="tiff_renamed.png") as record:
        ds = load_image_folder(photos, image_size=8)
    assert ds.skipped_files == ["blue/no_end.png", "green/one_bit.bmp", "red/tiff_renamed.png"]
    assert "TensorFlow cannot decode it (TIFF file" in str(record[0].message)
    assert _count(ds) == 15


def test_grayscale_handles_gif_bmp_and_uppercase_extensions(tmp_path):
    root = tmp_path / "mixed"
    (root / "dark").mkdir(parents=True)
    (root / "light").mkdir()
    for i, ext in enumerate(["gif", "bmp", "JPG", "png"]):  # GIF/BMP cannot decode to 1 channel
        Image.new("RGB", (10, 10), (40, 40, 40)).save(root / "dark" / f"d{i}.{ext}")
        Image.new("L", (10, 10), 220).save(root / "light" / f"l{i}.{ext}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_image_folder(root, channels=1, image_size=8, batch_size=8, shuffle=False)
    images, labels = next(iter(ds))
    assert tuple(images.shape) == (8, 8, 8, 1)
    assert labels.numpy().tolist() == [0] * 4 + [1] * 4
    np.testing.assert_allclose(images.numpy()[:4].mean(axis=(1, 2, 3)), 40, atol=3)
    np.testing.assert_allclose(images.numpy()[4:].mean(axis=(1, 2, 3)), 220, atol=3)


def test_scan_reports_reasons_and_ignores_other_files(tmp_path):
    root = _make_tree(tmp_path / "photos", per_class=2)
    _add_bad_files(root)
    good, skipped = scan_image_folder(root)
    assert len(good) == 6 and sorted(skipped) == BAD_FILES
    assert skipped["blue/empty.png"] == "empty file"
    assert skipped["red/broken.jpg"].startswith("cannot be decoded")
    assert skipped["green/truncated.png"].startswith("cannot be decoded")


def test_validation_split_counts_add_up(tmp_path):
    root = _make_tree(tmp_path / "photos", per_class=10)
    _add_bad_files(root)
    with pytest.warns(UserWarning, match="broken.jpg"):
        train, val = load_image_folder(
            root, image_size=8, validation_split=0.2, subset="both", seed=3
        )
    assert _count(train) == 24 and _count(val) == 6  # 30 good images, Keras splits 80/20
    assert train.class_names == val.class_names == ["blue", "green", "red"]
    assert train.skipped_files == val.skipped_files == BAD_FILES
    with pytest.warns(UserWarning):
        only_val = load_image_folder(root, validation_split=0.2, subset="validation", seed=3)
    with pytest.warns(UserWarning):
        only_train = load_image_folder(root, validation_split=0.2, subset="training", seed=3)
    assert _count(only_val) == 6 and _count(only_train) == 24


def test_shuffled_and_cached_dataset_reshuffles_every_epoch(photos):
    ds = load_image_folder(photos, image_size=8, batch_size=15, seed=1)
    first, second = _labels(ds), _labels(ds)
    assert sorted(first.tolist()) == sorted(second.tolist()) == [0] * 5 + [1] * 5 + [2] * 5
    assert first.tolist() != second.tolist()
    again = load_image_folder(photos, image_size=8, batch_size=15, seed=1)
    assert _labels(again).tolist() == first.tolist()  # same seed, same order
    uncached = load_image_folder(photos, image_size=8, batch_size=4, cache=False)
    assert _count(uncached) == 15


def test_verdicts_are_remembered_until_a_file_changes(photos, monkeypatch):
    _add_bad_files(photos)
    with pytest.warns(UserWarning):
        load_image_folder(photos, image_size=8)
    checked = []
    real_problem = image_folders._problem
    monkeypatch.setattr(
        image_folders, "_problem", lambda path: checked.append(path.name) or real_problem(path)
    )
    with pytest.warns(UserWarning, match="broken.jpg"):
        ds = load_image_folder(photos, image_size=8)
    assert checked == [] and ds.skipped_files == BAD_FILES
    Image.new("RGB", (8, 8), (0, 0, 255)).save(photos / "blue" / "empty.png")  # repaired
    with pytest.warns(UserWarning) as record:
        ds = load_image_folder(photos, image_size=8)
    assert checked == ["empty.png"]
    assert "empty.png" not in str(record[0].message)
    assert ds.skipped_files == ["green/truncated.png", "red/broken.jpg"]
    assert _count(ds) == 16
    mirrors = [p for p in config.cache_dir("image_folders").iterdir() if p.is_dir()]
    assert len(mirrors) == 2  # one mirror per set of good files, none in the user's folder


def test_hidden_folders_are_not_classes(photos):
    (photos / ".ipynb_checkpoints").mkdir()
    Image.new("RGB", (8, 8)).save(photos / ".ipynb_checkpoints" / "x.png")
    ds = load_image_folder(photos, image_size=8)
    assert ds.class_names == ["blue", "green", "red"] and _count(ds) == 15


def test_missing_folder_and_bad_layouts(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*nope"):
        load_image_folder(tmp_path / "nope")
    (tmp_path / "flat").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(ValueError, match=r"no class sub-folders.*directory/<class_name>/"):
        load_image_folder(tmp_path / "flat")
    with pytest.raises(ValueError, match="a file"):
        load_image_folder(tmp_path / "flat" / "a.png")
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    (tmp_path / "empty" / "cats" / "bad.jpg").write_bytes(b"xx")
    (tmp_path / "empty" / "cats" / "readme.txt").write_text("no images here")
    with pytest.raises(ValueError, match=r"no readable images.*Unusable files: cats/bad.jpg"):
        load_image_folder(tmp_path / "empty")
    (tmp_path / "empty" / "cats" / "bad.jpg").unlink()
    with pytest.raises(ValueError, match=r"no readable images.*directory/<class_name>/"):
        load_image_folder(tmp_path / "empty")


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(image_size=4), ValueError, "`image_size` must be >= 8. Received: image_size=4"),
        (dict(image_size=16.0), TypeError, "`image_size` must be an integer"),
        (dict(channels=4), ValueError, "`channels` must be one of 1, 3"),
        (dict(batch_size=0), ValueError, "`batch_size` must be >= 1"),
        (dict(batch_size="8"), TypeError, "`batch_size` must be an integer"),
        (dict(seed=1.5), TypeError, "`seed` must be an integer"),
        (dict(validation_split=0.2), ValueError, "go together"),
        (dict(subset="training"), ValueError, "go together"),
        (dict(validation_split=1.5, subset="both"), ValueError, "between 0 and 1"),
        (dict(validation_split="0.2", subset="both"), TypeError, "must be a number"),
        (dict(validation_split=0.2, subset="train"), ValueError, 'Did you mean "training"'),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, match):
    root = _make_tree(tmp_path / "photos", per_class=1)
    with pytest.raises(error, match=match):
        load_image_folder(root, **kwargs)


def test_import_and_scan_do_not_import_tensorflow(tmp_path):
    root = _make_tree(tmp_path / "photos", per_class=1)
    code = (
        "import sys, tl_helpers.image_folders as m; "
        f"good, skipped = m.scan_image_folder({str(root)!r}); "
        "print(len(good), 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "3 False False"
    assert image_folders.IMAGE_EXTENSIONS == (".bmp", ".gif", ".jpeg", ".jpg", ".png")
    assert image_folders.__all__ == ["IMAGE_EXTENSIONS", "scan_image_folder",
                                     "load_image_folder"]
