import numpy as np
import pytest

from tl_helpers import data


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
