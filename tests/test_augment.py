"""tl_helpers.augment: NumPy augmentation streams for from-scratch baselines."""

import numpy as np
import pytest

from tl_helpers.augment import augmented_stream


def _images(n=6, size=10, channels=3):
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (n, size, size, channels), dtype=np.uint8)


def test_length_order_and_balance():
    x = _images(6)
    xs, ys = augmented_stream(x, np.arange(6), steps=7, batch_size=3, seed=0)
    assert xs.shape == (21, 10, 10, 3) and xs.dtype == np.uint8 and ys.shape == (21,)
    # epochs of full permutations: the first 18 rows are 3 complete passes
    for epoch in range(3):
        assert sorted(ys[6 * epoch: 6 * epoch + 6]) == list(range(6))


def test_without_shift_or_flip_returns_the_images():
    x = _images(4)
    xs, ys = augmented_stream(x, np.arange(4), steps=4, batch_size=2, max_shift=0.0,
                              flip=False, seed=3)
    np.testing.assert_array_equal(xs, x[ys])


def test_flips_are_mirror_images_and_both_occur():
    x = _images(5)
    xs, ys = augmented_stream(x, np.arange(5), steps=20, batch_size=5, max_shift=0.0, seed=0)
    same = np.all(xs == x[ys], axis=(1, 2, 3))
    mirrored = np.all(xs == x[ys][:, :, ::-1], axis=(1, 2, 3))
    assert np.all(same | mirrored)
    assert 0.3 < mirrored.mean() < 0.7


def test_shifts_are_edge_filled_translations_within_max_shift():
    x = _images(3, size=10)
    xs, ys = augmented_stream(x, np.arange(3), steps=30, batch_size=3, max_shift=0.2,
                              flip=False, seed=5)
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="edge")
    seen = set()
    for img, label in zip(xs, ys, strict=True):
        matches = [(dy, dx) for dy in range(5) for dx in range(5)
                   if np.array_equal(img, padded[label, dy:dy + 10, dx:dx + 10])]
        assert matches, "every augmented image is a crop of the edge-padded original"
        seen.update(matches)
    assert len(seen) > 10  # many different shifts, not one


def test_same_seed_same_stream_other_seed_other_stream():
    x = _images()
    a = augmented_stream(x, np.arange(6), steps=5, batch_size=4, seed=1)
    b = augmented_stream(x, np.arange(6), steps=5, batch_size=4, seed=1)
    c = augmented_stream(x, np.arange(6), steps=5, batch_size=4, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_input_is_not_modified():
    x = _images()
    before = x.copy()
    augmented_stream(x, np.arange(6), steps=5, batch_size=4)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("kwargs, match", [
    (dict(y=np.arange(5)), "same length"),
    (dict(max_shift=0.5), "max_shift"),
    (dict(max_shift=-0.1), "max_shift"),
    (dict(steps=0), "steps"),
    (dict(batch_size=2.5), "batch_size"),
    (dict(steps=10**7), "GB"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    args = dict(x=_images(), y=np.arange(6), steps=5, batch_size=4) | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        augmented_stream(args.pop("x"), args.pop("y"), **args)


def test_bad_image_shape_names_x():
    with pytest.raises(ValueError, match="`x`"):
        augmented_stream(np.zeros((4, 8, 8)), np.arange(4), steps=2, batch_size=2)
