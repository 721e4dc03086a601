import numpy as np
import pytest

from tl_helpers import data, photos


@pytest.fixture(scope="module")
def patches():
    return photos.load_photo_patches(n_train_per_class=40, n_test_per_class=20, seed=3)


def test_source_and_target_photos_are_disjoint():
    assert not set(photos.SOURCE_IMAGES) & set(photos.TARGET_IMAGES)
    # and no two photos are the same image under another name
    sums = {name: int(photos.load_photo(name).astype(np.int64).sum())
            for name in photos.SOURCE_IMAGES + photos.TARGET_IMAGES}
    assert len(set(sums.values())) == len(sums)


@pytest.mark.parametrize("name", photos.SOURCE_IMAGES + photos.TARGET_IMAGES)
def test_every_photo_loads_offline_as_rgb_uint8(name):
    img = photos.load_photo(name)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert min(img.shape[:2]) >= 100


def test_load_photo_unknown_name_suggests():
    with pytest.raises(ValueError, match='Did you mean "brick"'):
        photos.load_photo("brik")


def test_photo_patches_shapes_and_split(patches):
    assert patches.x.shape == (600, 32, 32, 3)
    assert patches.num_classes == len(photos.TARGET_IMAGES)
    assert patches.is_test.sum() == 200
    assert np.bincount(patches.y[patches.is_test]).tolist() == [20] * 10


def test_photo_patches_deterministic_by_seed(patches):
    again = photos.load_photo_patches(n_train_per_class=40, n_test_per_class=20, seed=3)
    other = photos.load_photo_patches(n_train_per_class=40, n_test_per_class=20, seed=4)
    np.testing.assert_array_equal(patches.x, again.x)
    assert not np.array_equal(patches.x, other.x)


def test_photo_patches_grayscale():
    ds = photos.load_photo_patches(channels=1, n_train_per_class=2, n_test_per_class=2)
    assert ds.x.shape == (40, 32, 32, 1)


def test_photo_patches_bad_arguments():
    with pytest.raises(ValueError, match="Argument `channels` must be one of 1, 3"):
        photos.load_photo_patches(channels=2)
    with pytest.raises(ValueError, match="`n_train_per_class` must be >= 1"):
        photos.load_photo_patches(n_train_per_class=0)


def test_source_task_classes_and_size():
    src = photos.make_source_task(num_images=500, image_size=16, grid=2, seed=1)
    assert src.x.shape == (500, 16, 16, 3)
    assert src.num_classes == 4 * len(photos.SOURCE_IMAGES)
    counts = np.bincount(src.y, minlength=src.num_classes)
    assert counts.min() >= 500 // src.num_classes
    # some patches are grayscale (equal channels), most are not
    gray = np.all(src.x[..., 0] == src.x[..., 1], axis=(1, 2)) & np.all(
        src.x[..., 1] == src.x[..., 2], axis=(1, 2))
    assert 0.1 < gray.mean() < 0.9


def test_few_shot_split_uses_is_test_mask(patches):
    (x, y), (xt, yt) = data.few_shot_split(patches, n_per_class=10)
    assert len(yt) == patches.is_test.sum()
    assert x.shape == (100, 32, 32, 3)


@pytest.mark.parametrize("task", sorted(photos.PHOTO_PATCH_TASKS))
def test_photo_patch_tasks_use_only_target_images(task):
    images = photos.PHOTO_PATCH_TASKS[task]
    assert set(images) <= set(photos.TARGET_IMAGES)
    ds = photos.load_photo_patches(task=task, n_train_per_class=3, n_test_per_class=2)
    assert ds.class_names == list(images)
    assert ds.x.shape == (5 * len(images), 32, 32, 3)


def test_photo_patch_task_groups_are_disjoint_and_cover_all():
    groups = [set(v) for k, v in photos.PHOTO_PATCH_TASKS.items() if k != "all"]
    assert set().union(*groups) == set(photos.TARGET_IMAGES)
    assert sum(len(g) for g in groups) == len(photos.TARGET_IMAGES)


def test_unknown_photo_patch_task_suggests():
    with pytest.raises(ValueError, match='Did you mean "textures"'):
        photos.load_photo_patches(task="texture")


def test_everyday_photos_one_class_per_source_photo_disjoint_halves():
    ds = photos.load_everyday_photos(image_size=32, n_train_per_class=4, n_test_per_class=2)
    assert ds.class_names == list(photos.SOURCE_IMAGES) and ds.name == "everyday_photos"
    assert ds.x.shape == (13 * 6, 32, 32, 3) and ds.x.dtype == np.uint8
    assert np.bincount(ds.y[ds.is_test]).tolist() == [2] * 13
    assert np.bincount(ds.y[~ds.is_test]).tolist() == [4] * 13
    again = photos.load_everyday_photos(image_size=32, n_train_per_class=4, n_test_per_class=2)
    np.testing.assert_array_equal(ds.x, again.x)
    with pytest.raises(ValueError, match="n_test_per_class"):
        photos.load_everyday_photos(n_test_per_class=0)
