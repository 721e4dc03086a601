import dataclasses
import math

import numpy as np
import pytest

from tl_helpers import domains
from tl_helpers.domains import (
    SHAPE_CLASSES,
    DomainSpec,
    make_domain,
    make_domain_pair,
    similarity_sweep,
)


def shift_score(a, b):
    """Mean absolute difference between the mean images of two datasets (0-255 scale)."""
    return np.abs(a.x.mean(axis=0) - b.x.mean(axis=0)).mean()


# ------------------------------------------------------------------------------- make_domain
def test_shapes_dtype_and_balanced_labels():
    ds = make_domain(n_per_class=7, image_size=24, channels=3, num_classes=5, seed=1)
    assert ds.x.shape == (35, 24, 24, 3) and ds.x.dtype == np.uint8
    assert ds.y.dtype == np.int64
    assert np.bincount(ds.y).tolist() == [7] * 5
    assert ds.class_names == list(SHAPE_CLASSES[:5])
    assert ds.name == "synthetic"
    assert not (np.diff(ds.y) >= 0).all()  # shuffled, not sorted by class
    gray = make_domain(n_per_class=2, channels=1, name="g")
    assert gray.x.shape == (20, 32, 32, 1) and gray.name == "g"
    assert make_domain(n_per_class=1, image_size=64, num_classes=2).x.shape == (2, 64, 64, 3)


def test_at_least_ten_shape_classes():
    assert len(SHAPE_CLASSES) >= 10 and len(set(SHAPE_CLASSES)) == len(SHAPE_CLASSES)
    assert set(domains.__all__) >= {"DomainSpec", "SHAPE_CLASSES", "make_domain",
                                    "make_domain_pair"}


def test_deterministic_by_seed():
    a = make_domain(n_per_class=5, seed=3)
    b = make_domain(n_per_class=5, seed=3)
    c = make_domain(n_per_class=5, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


def test_clean_domain_draws_antialiased_light_strokes_on_black():
    x = make_domain(n_per_class=5).x
    assert (x == 0).mean() > 0.6  # mostly background
    assert x.max() == 255
    partial = ((x > 0) & (x < 255)).mean()
    assert partial > 0.02  # anti-aliased edges, not a binary mask
    assert (x[..., 0] == x[..., 1]).all()  # white on black: gray in RGB


def test_every_class_draws_a_visible_shape_inside_the_image():
    ds = make_domain(n_per_class=20, seed=0)
    ink = (ds.x[..., 0] > 127).reshape(len(ds), -1).sum(axis=1)
    assert ink.min() > 10
    # shapes stay (almost) inside the frame: little ink on the outermost pixels
    border = np.concatenate([ds.x[:, 0], ds.x[:, -1], ds.x[:, :, 0], ds.x[:, :, -1]], axis=1)
    assert (border > 127).mean() < 0.02


def test_classes_are_learnable_from_pixels():
    from sklearn.linear_model import LogisticRegression

    train = make_domain(n_per_class=60, image_size=16, channels=1, seed=0)
    test = make_domain(n_per_class=20, image_size=16, channels=1, seed=1)
    clf = LogisticRegression(C=0.1, max_iter=300).fit(train.x.reshape(len(train), -1) / 255,
                                                      train.y)
    assert clf.score(test.x.reshape(len(test), -1) / 255, test.y) > 0.5  # chance is 0.1


def test_same_seed_draws_the_same_shapes_whatever_the_look():
    clean = make_domain(n_per_class=4, seed=2)
    red = make_domain(DomainSpec(foreground=(255, 0, 0)), n_per_class=4, seed=2)
    np.testing.assert_array_equal(red.x[..., 0], clean.x[..., 0])
    assert (red.x[..., 1] == 0).all()
    inverted = make_domain(DomainSpec(invert=True), n_per_class=4, seed=2)
    np.testing.assert_array_equal(inverted.x, 255 - clean.x)


@pytest.mark.parametrize("kind", ["noise", "texture"])
def test_noise_and_texture_backgrounds_vary_within_an_image(kind):
    ds = make_domain(DomainSpec(background_kind=kind), n_per_class=2, num_classes=2)
    corner = ds.x[:, :6, :6].reshape(len(ds), -1).astype(float)
    assert corner.std(axis=1).mean() > 10
    weak = make_domain(DomainSpec(background_kind=kind, texture_strength=0.0), 2, num_classes=2)
    assert (weak.x[:, :6, :6] == 0).mean() > 0.9


def test_blur_and_noise_change_the_images():
    clean = make_domain(n_per_class=3, num_classes=3).x.astype(float)
    blurred = make_domain(DomainSpec(blur=1.0), n_per_class=3, num_classes=3).x.astype(float)
    noisy = make_domain(DomainSpec(noise_std=30), n_per_class=3, num_classes=3).x.astype(float)
    assert blurred.max(axis=(1, 2, 3)).mean() < clean.max(axis=(1, 2, 3)).mean()
    assert 8 < np.abs(noisy - clean).mean() < 30  # clipped at 0 on black


def test_rotation_turns_the_shapes():
    spec = DomainSpec(rotation_jitter=0)
    up = make_domain(spec, n_per_class=20, num_classes=3, seed=0)  # triangle is class 2
    down = make_domain(dataclasses.replace(spec, rotation=180), 20, num_classes=3, seed=0)
    tri_up = up.x[up.y == 2, ..., 0].astype(float).mean(axis=0)
    tri_down = down.x[down.y == 2, ..., 0].astype(float).mean(axis=0)
    # the triangle's wide base is at the bottom, and at the top once turned by 180 degrees
    assert tri_up[20:].sum() > tri_up[:12].sum()
    assert tri_down[:12].sum() > tri_down[20:].sum()


def test_label_permutation_changes_what_a_label_draws():
    perm = (5, 1, 2, 3, 4, 0)  # swap circle and line
    plain = make_domain(n_per_class=20, num_classes=6, seed=5)
    swapped = make_domain(DomainSpec(label_permutation=perm), n_per_class=20, num_classes=6,
                          seed=5)
    assert swapped.class_names == ["line", "square", "triangle", "cross", "plus", "circle"]
    # an unpermuted class is drawn exactly as before
    for label in (1, 2, 3, 4):
        np.testing.assert_array_equal(swapped.x[swapped.y == label], plain.x[plain.y == label])

    def ink(ds, label):  # mean stroke pixels per image: a line has far less than a circle
        return (ds.x[ds.y == label, ..., 0] > 127).sum(axis=(1, 2)).mean()

    assert ink(plain, 5) < 0.6 * ink(plain, 0)
    assert abs(ink(swapped, 0) - ink(plain, 5)) < 0.15 * ink(plain, 5)
    assert abs(ink(swapped, 5) - ink(plain, 0)) < 0.15 * ink(plain, 0)


def test_label_permutation_can_pick_other_classes():
    ds = make_domain(DomainSpec(label_permutation=[5, 6, 7]), n_per_class=2, num_classes=3)
    assert ds.class_names == ["line", "arc", "zigzag"]


def test_domain_spec_is_frozen_normalised_and_comparable():
    spec = DomainSpec(foreground=[255, 0, 0], label_permutation=[1, 0], rotation=np.int64(3))
    assert spec.foreground == (255, 0, 0) and spec.label_permutation == (1, 0)
    assert spec.rotation == 3.0 and isinstance(spec.rotation, float)
    assert spec == DomainSpec(foreground=(255, 0, 0), label_permutation=(1, 0), rotation=3)
    assert hash(spec) == hash(DomainSpec(foreground=(255, 0, 0), label_permutation=(1, 0),
                                         rotation=3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.rotation = 5


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(background_kind="stripes"), ValueError, "`background_kind` must be one of"),
        (dict(background_kind="textur"), ValueError, 'Did you mean "texture"'),
        (dict(foreground=(0, 300, 0)), ValueError, "`foreground` must be an RGB triple"),
        (dict(background=(0, 0)), ValueError, "`background` must be an RGB triple"),
        (dict(background="black"), ValueError, "`background` must be an RGB triple"),
        (dict(texture_strength=2.0), ValueError, "`texture_strength` must be between 0 and 1"),
        (dict(noise_std=-1), ValueError, r"`noise_std` must be >= 0. Received: noise_std=-1"),
        (dict(blur=-0.5), ValueError, "`blur` must be >= 0"),
        (dict(rotation_jitter=-1), ValueError, "`rotation_jitter` must be >= 0"),
        (dict(stroke_width=0), ValueError, "`stroke_width` must be > 0"),
        (dict(scale=0), ValueError, "`scale` must be > 0"),
        (dict(scale=3), ValueError, "`scale` must be between 0 and 2"),
        (dict(rotation="ninety"), TypeError, "`rotation` must be a finite number"),
        (dict(rotation=math.inf), TypeError, "`rotation` must be a finite number"),
        (dict(invert="yes"), TypeError, "`invert` must be True or False"),
        (dict(label_permutation=(0, 0, 1)), ValueError, "must be a permutation"),
        (dict(label_permutation=(0, 10)), ValueError, "must be a permutation"),
        (dict(label_permutation=(0,)), ValueError, "must be a permutation"),
    ],
)
def test_domain_spec_validates(kwargs, error, match):
    with pytest.raises(error, match=match):
        DomainSpec(**kwargs)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(spec={"rotation": 3}), TypeError, "must be a DomainSpec"),
        (dict(spec=DomainSpec(label_permutation=(1, 0))), ValueError,
         "must have num_classes=10 entries"),
        (dict(n_per_class=0), ValueError, r"`n_per_class` must be >= 1. Received: n_per_class=0"),
        (dict(n_per_class=2.5), TypeError, "`n_per_class` must be an integer"),
        (dict(channels=2), ValueError, "`channels` must be one of 1, 3"),
        (dict(num_classes=1), ValueError, "`num_classes` must be >= 2"),
        (dict(num_classes=11), ValueError, "`num_classes` must be <= 10"),
        (dict(image_size=4), ValueError, "`image_size` must be >= 8"),
        (dict(seed=-1), ValueError, "`seed` must be >= 0"),
    ],
)
def test_make_domain_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_domain(**kwargs)


# ------------------------------------------------------------------------------- domain pairs
def test_similarity_one_is_the_same_distribution_with_new_images():
    assert domains._target_spec(1.0, domains.SHIFT_FACTORS, 10, seed=0) == DomainSpec()
    source, target = make_domain_pair(1.0, 30, 30, seed=2)
    assert source.name == "source" and target.name == "target (similarity=1)"
    assert source.class_names == target.class_names
    # no image is shared
    src = {img.tobytes() for img in source.x}
    assert not any(img.tobytes() in src for img in target.x)
    # same pixel statistics
    assert abs(source.x.mean() - target.x.mean()) < 3
    assert abs((source.x == 0).mean() - (target.x == 0).mean()) < 0.03
    # the source is the plain clean domain
    np.testing.assert_array_equal(source.x, make_domain(n_per_class=30, seed=2).x)


def test_similarity_zero_differs_clearly():
    source, target = make_domain_pair(0.0, 10, 10, seed=0)
    spec = domains._target_spec(0.0, ("rotation", "colour", "background", "noise"), 10, 0)
    assert spec.rotation == 180 and spec.background_kind == "texture"
    assert spec.texture_strength == 1.0 and spec.noise_std == 60
    src_colour = source.x.reshape(-1, 3).mean(axis=0)
    tgt_colour = target.x.reshape(-1, 3).mean(axis=0)
    assert np.abs(src_colour - tgt_colour).max() > 50
    assert target.x.std() > 1.5 * source.x.std() or target.x.mean() > 2 * source.x.mean()
    assert shift_score(source, target) > 40


def test_shift_grows_monotonically_as_similarity_falls():
    scores = []
    for similarity in (1.0, 0.75, 0.5, 0.25, 0.0):
        source, target = make_domain_pair(similarity, 20, 20, seed=0, image_size=16)
        scores.append(shift_score(source, target))
    assert all(a < b for a, b in zip(scores, scores[1:], strict=False)), scores
    assert scores[-1] > 5 * scores[0]


@pytest.mark.parametrize("factor", ["rotation", "colour", "background", "noise", "stroke"])
def test_each_factor_moves_the_target_alone(factor):
    _, near = make_domain_pair(1.0, 1, 6, num_classes=4, seed=1, shift=factor)
    _, far = make_domain_pair(0.0, 1, 6, num_classes=4, seed=1, shift=[factor])
    assert near.class_names == far.class_names
    np.testing.assert_array_equal(near.y, far.y)
    assert np.abs(near.x.astype(float) - far.x.astype(float)).mean() > 5
    spec = domains._target_spec(0.0, (factor,), 4, 1)
    changed = {f.name for f in dataclasses.fields(DomainSpec)
               if getattr(spec, f.name) != getattr(DomainSpec(), f.name)}
    expected = {
        "rotation": {"rotation"},
        "colour": {"foreground", "background"},
        "background": {"background_kind"},  # texture_strength 1.0 is also the default
        "noise": {"noise_std"},
        "stroke": {"stroke_width"},
    }[factor]
    assert changed == expected


def test_colour_shift_paints_yellow_on_dark_blue():
    _, target = make_domain_pair(0.0, 1, 5, seed=0, shift=["colour"])
    corner = np.median(target.x[:, :3, :3].reshape(-1, 3), axis=0)
    np.testing.assert_allclose(corner, (40, 70, 160), atol=2)
    brightest = target.x.reshape(-1, 3)[target.x.sum(axis=-1).argmax()]
    np.testing.assert_allclose(brightest, (250, 200, 30), atol=2)


def test_labels_shift_permutes_a_growing_nested_set_of_classes():
    def permuted(similarity):
        _, target = make_domain_pair(similarity, 1, 2, shift=["labels"], seed=0)
        assert sorted(target.class_names) == sorted(SHAPE_CLASSES)
        return {i for i, n in enumerate(target.class_names) if n != SHAPE_CLASSES[i]}

    none, half, everything = permuted(1.0), permuted(0.5), permuted(0.0)
    assert none == set() and len(half) == 5 and len(everything) == 10
    assert half <= everything


def test_labels_shift_gives_same_pictures_other_meaning():
    # with only labels shifted, each target label draws a source shape of another class
    source, target = make_domain_pair(0.0, 1, 1, num_classes=3, shift="labels", seed=0)
    assert target.class_names != source.class_names
    assert sorted(target.class_names) == sorted(source.class_names)


def test_pair_is_deterministic_and_seed_dependent():
    a = make_domain_pair(0.3, 3, 3, seed=7)
    b = make_domain_pair(0.3, 3, 3, seed=7)
    c = make_domain_pair(0.3, 3, 3, seed=8)
    np.testing.assert_array_equal(a[1].x, b[1].x)
    assert not np.array_equal(a[1].x, c[1].x)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(similarity=1.5), ValueError, r"between 0 and 1. Received: similarity=1.5"),
        (dict(similarity=-0.1), ValueError, "between 0 and 1"),
        (dict(similarity=float("nan")), ValueError, "between 0 and 1"),
        (dict(similarity="high"), TypeError, "`similarity` must be a number"),
        (dict(similarity=0.5, shift=["colr"]), ValueError, 'Did you mean "colour"'),
        (dict(similarity=0.5, shift="rotaton"), ValueError, 'Did you mean "rotation"'),
        (dict(similarity=0.5, n_per_class_source=0), ValueError,
         "`n_per_class_source` must be >= 1"),
        (dict(similarity=0.5, n_per_class_target=0), ValueError,
         "`n_per_class_target` must be >= 1"),
        (dict(similarity=0.5, channels=2), ValueError, "`channels` must be one of 1, 3"),
        (dict(similarity=0.5, num_classes=11), ValueError, "`num_classes` must be <= 10"),
    ],
)
def test_make_domain_pair_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_domain_pair(**kwargs)


# ------------------------------------------------------------------------------- sweep
def test_similarity_sweep_reuses_the_source():
    steps = list(similarity_sweep([1.0, 0.0], 2, 3, num_classes=3, seed=4, image_size=16))
    assert [s for s, _, _ in steps] == [1.0, 0.0]
    assert steps[0][1] is steps[1][1]
    for similarity, source, target in steps:
        expected = make_domain_pair(similarity, 2, 3, num_classes=3, seed=4, image_size=16)
        np.testing.assert_array_equal(source.x, expected[0].x)
        np.testing.assert_array_equal(target.x, expected[1].x)


def test_similarity_sweep_checks_arguments_at_the_call():
    with pytest.raises(ValueError, match="between 0 and 1"):
        similarity_sweep([1.0, 2.0])
    with pytest.raises(ValueError, match='Did you mean "colour"'):
        similarity_sweep(shift=["colr"])
    with pytest.raises(ValueError, match='Did you mean "num_classes"'):
        similarity_sweep(num_class=3)
