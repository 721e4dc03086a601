import hashlib
import warnings

import numpy as np
import pytest
from PIL import Image

from tl_helpers import image_folders
from tl_helpers.image_folders import load_image_folder, scan_image_folder

COLOURS = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}


def _make_tree(root, per_class=5):
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


def _count(dataset):
    return sum(int(images.shape[0]) for images, _ in dataset)


def test_clean_folder_loads_every_image_without_warning(tmp_path):
    root = _make_tree(tmp_path / "photos")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_image_folder(root, image_size=16, batch_size=4, seed=1)
    assert ds.class_names == ["blue", "green", "red"]
    assert ds.skipped_files == []
    images, labels = next(iter(ds))
    assert tuple(images.shape) == (4, 16, 16, 3)
    assert float(np.max(images)) > 200  # raw 0-255 values
    all_labels = np.concatenate([y.numpy() for _, y in ds])
    assert sorted(np.bincount(all_labels).tolist()) == [5, 5, 5]


def test_corrupt_files_are_skipped_and_named(tmp_path):
    root = _make_tree(tmp_path / "photos")
    _add_bad_files(root)
    before = _tree_digest(root)
    with pytest.warns(UserWarning, match="broken.jpg") as record:
        ds = load_image_folder(root, image_size=16, batch_size=8)
    message = str(record[0].message)
    assert "truncated.png" in message and "empty.png" in message
    assert "notes.txt" not in message
    assert ds.skipped_files == ["blue/empty.png", "green/truncated.png", "red/broken.jpg"]
    assert _count(ds) == 15  # iterating never touches a bad file
    assert _count(ds) == 15  # second epoch from the cache
    assert _tree_digest(root) == before  # the user's folder is unchanged


def test_scan_reports_reasons(tmp_path):
    root = _make_tree(tmp_path / "photos", per_class=2)
    _add_bad_files(root)
    good, skipped = scan_image_folder(root)
    assert len(good) == 6 and len(skipped) == 3
    assert skipped["blue/empty.png"] == "empty file"
    assert skipped["red/broken.jpg"].startswith("cannot be decoded")


def test_validation_split_and_grayscale(tmp_path):
    root = _make_tree(tmp_path / "photos", per_class=10)
    train, val = load_image_folder(root, channels=1, image_size=8, validation_split=0.2,
                                   subset="both", seed=3)
    assert _count(train) + _count(val) == 30 and _count(val) == 6
    images, _ = next(iter(train))
    assert images.shape[-1] == 1
    assert train.class_names == val.class_names == ["blue", "green", "red"]
    only_val = load_image_folder(root, validation_split=0.2, subset="validation", seed=3)
    assert _count(only_val) == 6


def test_missing_folder_and_bad_layouts(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image_folder(tmp_path / "nope")
    (tmp_path / "flat").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_image_folder(tmp_path / "flat")
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    (tmp_path / "empty" / "cats" / "bad.jpg").write_bytes(b"xx")
    with pytest.raises(ValueError, match=r"no readable images.*Unusable files: cats/bad.jpg"):
        load_image_folder(tmp_path / "empty")
    with pytest.raises(ValueError, match="a file"):
        load_image_folder(tmp_path / "flat" / "a.png")


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(image_size=4), ValueError, "`image_size` must be >= 8"),
        (dict(channels=4), ValueError, "`channels` must be one of 1, 3"),
        (dict(batch_size=0), ValueError, "`batch_size` must be >= 1"),
        (dict(validation_split=0.2), ValueError, "go together"),
        (dict(subset="training"), ValueError, "go together"),
        (dict(validation_split=1.5, subset="both"), ValueError, "between 0 and 1"),
        (dict(validation_split=0.2, subset="train"), ValueError, 'Did you mean "training"'),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, match):
    root = _make_tree(tmp_path / "photos", per_class=1)
    with pytest.raises(error, match=match):
        load_image_folder(root, **kwargs)


def test_module_import_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, tl_helpers.image_folders; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    assert image_folders.IMAGE_EXTENSIONS[0] == ".bmp"
