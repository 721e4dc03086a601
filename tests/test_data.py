import numpy as np
import pytest

from tl_helpers import data


@pytest.fixture(scope="module")
def patches():
    return data.load_photo_patches(n_train_per_class=40, n_test_per_class=20, seed=3)


def test_source_and_target_photos_are_disjoint():
    assert not set(data.SOURCE_IMAGES) & set(data.TARGET_IMAGES)
    # and no two photos are the same image under another name
    sums = {name: int(data.load_photo(name).astype(np.int64).sum())
            for name in data.SOURCE_IMAGES + data.TARGET_IMAGES}
    assert len(set(sums.values())) == len(sums)


@pytest.mark.parametrize("name", data.SOURCE_IMAGES + data.TARGET_IMAGES)
def test_every_photo_loads_offline_as_rgb_uint8(name):
    img = data.load_photo(name)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert min(img.shape[:2]) >= 100


def test_load_photo_unknown_name_suggests():
    with pytest.raises(ValueError, match='Did you mean "brick"'):
        data.load_photo("brik")


@pytest.mark.parametrize("image_size,channels", [(32, 3), (16, 1), (8, 3)])
def test_digits_shapes(image_size, channels):
    ds = data.load_digits(image_size=image_size, channels=channels)
    assert ds.x.shape == (1797, image_size, image_size, channels)
    assert ds.x.dtype == np.uint8 and ds.x.max() > 200
    assert ds.num_classes == 10 and set(np.unique(ds.y)) == set(range(10))


def test_faces_balanced_two_classes():
    ds = data.load_faces(image_size=25, channels=1)
    assert ds.x.shape == (200, 25, 25, 1)
    assert np.bincount(ds.y).tolist() == [100, 100]
    assert ds.class_names == ["non-face", "face"]


def test_photo_patches_shapes_and_split(patches):
    assert patches.x.shape == (600, 32, 32, 3)
    assert patches.num_classes == len(data.TARGET_IMAGES)
    assert patches.is_test.sum() == 200
    assert np.bincount(patches.y[patches.is_test]).tolist() == [20] * 10


def test_photo_patches_deterministic_by_seed(patches):
    again = data.load_photo_patches(n_train_per_class=40, n_test_per_class=20, seed=3)
    other = data.load_photo_patches(n_train_per_class=40, n_test_per_class=20, seed=4)
    np.testing.assert_array_equal(patches.x, again.x)
    assert not np.array_equal(patches.x, other.x)


def test_photo_patches_grayscale():
    ds = data.load_photo_patches(channels=1, n_train_per_class=2, n_test_per_class=2)
    assert ds.x.shape == (40, 32, 32, 1)


def test_photo_patches_bad_arguments():
    with pytest.raises(ValueError, match="Argument `channels` must be one of 1, 3"):
        data.load_photo_patches(channels=2)
    with pytest.raises(ValueError, match="`n_train_per_class` must be >= 1"):
        data.load_photo_patches(n_train_per_class=0)


def test_source_task_classes_and_size():
    src = data.make_source_task(num_images=500, image_size=16, grid=2, seed=1)
    assert src.x.shape == (500, 16, 16, 3)
    assert src.num_classes == 4 * len(data.SOURCE_IMAGES)
    counts = np.bincount(src.y, minlength=src.num_classes)
    assert counts.min() >= 500 // src.num_classes
    # some patches are grayscale (equal channels), most are not
    gray = np.all(src.x[..., 0] == src.x[..., 1], axis=(1, 2)) & np.all(
        src.x[..., 1] == src.x[..., 2], axis=(1, 2))
    assert 0.1 < gray.mean() < 0.9


def test_resize_images_float_and_gray():
    x = np.random.default_rng(0).random((3, 10, 10))
    out = data.resize_images(x, 20, channels=3)
    assert out.shape == (3, 20, 20, 3) and out.dtype == np.uint8
    assert np.array_equal(out[..., 0], out[..., 2])
    with pytest.raises(ValueError, match="`image_size` must be >= 8"):
        data.resize_images(x, 4)


def test_few_shot_split_counts_and_fixed_test_set():
    ds = data.load_digits(image_size=8, channels=1)
    (x1, y1), (xt1, yt1) = data.few_shot_split(ds, n_per_class=5, seed=1)
    (x2, y2), (xt2, yt2) = data.few_shot_split(ds, n_per_class=30, seed=2)
    assert np.bincount(y1).tolist() == [5] * 10 and x1.shape == (50, 8, 8, 1)
    np.testing.assert_array_equal(xt1, xt2)  # same test set for every n and seed
    np.testing.assert_array_equal(yt1, yt2)
    assert len(yt1) == pytest.approx(0.3 * 1797, abs=10)


def test_few_shot_split_train_and_test_are_disjoint():
    ds = data.load_faces(image_size=25, channels=1)  # 200 distinct images
    (x, _), (xt, _) = data.few_shot_split(ds, n_per_class=70)
    train_rows = {r.tobytes() for r in x}
    assert len(train_rows) == 140 and len(xt) == 60
    assert not any(r.tobytes() in train_rows for r in xt)


def test_few_shot_split_is_deterministic_and_seed_dependent():
    ds = data.load_faces(image_size=16)
    (a, _), _ = data.few_shot_split(ds, 10, seed=0)
    (b, _), _ = data.few_shot_split(ds, 10, seed=0)
    (c, _), _ = data.few_shot_split(ds, 10, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_few_shot_split_uses_is_test_mask(patches):
    (x, y), (xt, yt) = data.few_shot_split(patches, n_per_class=10)
    assert len(yt) == patches.is_test.sum()
    assert x.shape == (100, 32, 32, 3)


def test_few_shot_split_accepts_tuple():
    x = np.zeros((40, 8, 8, 1), np.uint8)
    y = np.repeat([0, 1], 20)
    (xtr, ytr), (xte, yte) = data.few_shot_split((x, y), 3)
    assert len(ytr) == 6 and len(yte) == 12


def test_few_shot_split_too_many_per_class_names_argument():
    ds = data.load_faces(image_size=16)
    with pytest.raises(ValueError, match=r"n_per_class.*larger than the 70 training images"):
        data.few_shot_split(ds, n_per_class=71)


def test_few_shot_split_bad_inputs():
    ds = data.load_faces(image_size=16)
    with pytest.raises(TypeError, match="ImageDataset or a tuple"):
        data.few_shot_split([1, 2, 3], 2)
    with pytest.raises(ValueError, match="test_fraction"):
        data.few_shot_split(ds, 2, test_fraction=1.5)
    with pytest.raises(ValueError, match="same length"):
        data.few_shot_split((ds.x, ds.y[:10]), 2)
    with pytest.raises(TypeError, match="`n_per_class` must be an integer"):
        data.few_shot_split(ds, 2.5)


def test_few_shot_indices_match_split():
    ds = data.load_faces(image_size=16)
    train_idx, test_idx = data.few_shot_indices(ds, 7, seed=5)
    (x, y), (xt, yt) = data.few_shot_split(ds, 7, seed=5)
    np.testing.assert_array_equal(ds.x[train_idx], x)
    np.testing.assert_array_equal(ds.y[test_idx], yt)
    assert not set(train_idx) & set(test_idx)


def test_as_tf_dataset_batches_every_image_once():
    ds = data.load_faces(image_size=16)
    batches = list(ds.as_tf_dataset(batch_size=64, seed=1))
    assert [tuple(b[0].shape) for b in batches] == [(64, 16, 16, 3)] * 3 + [(8, 16, 16, 3)]
    labels = np.concatenate([b[1].numpy() for b in batches])
    assert np.bincount(labels).tolist() == [100, 100]
    first = np.concatenate([b[1].numpy() for b in ds.as_tf_dataset(shuffle=False)])
    np.testing.assert_array_equal(first, ds.y)
    with pytest.raises(ValueError, match="`batch_size` must be >= 1"):
        ds.as_tf_dataset(batch_size=0)


@pytest.mark.parametrize("task", sorted(data.PHOTO_PATCH_TASKS))
def test_photo_patch_tasks_use_only_target_images(task):
    images = data.PHOTO_PATCH_TASKS[task]
    assert set(images) <= set(data.TARGET_IMAGES)
    ds = data.load_photo_patches(task=task, n_train_per_class=3, n_test_per_class=2)
    assert ds.class_names == list(images)
    assert ds.x.shape == (5 * len(images), 32, 32, 3)


def test_photo_patch_task_groups_are_disjoint_and_cover_all():
    groups = [set(v) for k, v in data.PHOTO_PATCH_TASKS.items() if k != "all"]
    assert set().union(*groups) == set(data.TARGET_IMAGES)
    assert sum(len(g) for g in groups) == len(data.TARGET_IMAGES)


def test_unknown_photo_patch_task_suggests():
    with pytest.raises(ValueError, match='Did you mean "textures"'):
        data.load_photo_patches(task="texture")


def test_everyday_photos_one_class_per_source_photo_disjoint_halves():
    ds = data.load_everyday_photos(image_size=32, n_train_per_class=4, n_test_per_class=2)
    assert ds.class_names == list(data.SOURCE_IMAGES) and ds.name == "everyday_photos"
    assert ds.x.shape == (13 * 6, 32, 32, 3) and ds.x.dtype == np.uint8
    assert np.bincount(ds.y[ds.is_test]).tolist() == [2] * 13
    assert np.bincount(ds.y[~ds.is_test]).tolist() == [4] * 13
    again = data.load_everyday_photos(image_size=32, n_train_per_class=4, n_test_per_class=2)
    np.testing.assert_array_equal(ds.x, again.x)
    with pytest.raises(ValueError, match="n_test_per_class"):
        data.load_everyday_photos(n_test_per_class=0)
