import numpy as np
import pytest

from tl_helpers import domains
from tl_helpers.domains import DomainSpec, make_domain, make_domain_pair


def test_shapes_dtype_and_balanced_labels():
    ds = make_domain(n_per_class=7, image_size=24, channels=3, num_classes=5, seed=1)
    assert ds.x.shape == (35, 24, 24, 3) and ds.x.dtype == np.uint8
    assert np.bincount(ds.y).tolist() == [7] * 5
    assert ds.class_names == list(domains.SHAPE_CLASSES[:5])
    gray = make_domain(n_per_class=2, channels=1)
    assert gray.x.shape == (20, 32, 32, 1)


def test_deterministic_by_seed():
    a = make_domain(n_per_class=5, seed=3)
    b = make_domain(n_per_class=5, seed=3)
    c = make_domain(n_per_class=5, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


def test_clean_domain_draws_light_strokes_on_black():
    x = make_domain(n_per_class=5).x.astype(float)
    assert (x == 0).mean() > 0.6  # mostly background
    assert x.max() == 255


def test_classes_are_learnable_from_pixels():
    from sklearn.linear_model import LogisticRegression

    train = make_domain(n_per_class=60, image_size=16, channels=1, seed=0)
    test = make_domain(n_per_class=20, image_size=16, channels=1, seed=1)
    clf = LogisticRegression(max_iter=2000).fit(train.x.reshape(len(train), -1) / 255, train.y)
    assert clf.score(test.x.reshape(len(test), -1) / 255, test.y) > 0.5  # chance is 0.1


def test_label_permutation_changes_what_a_label_draws():
    perm = (1, 0, 2)
    plain = make_domain(n_per_class=4, num_classes=3, seed=5)
    swapped = make_domain(DomainSpec(label_permutation=perm), n_per_class=4, num_classes=3,
                          seed=5)
    assert swapped.class_names == ["square", "circle", "triangle"]
    # same random draws: label 0 now shows what label 1 showed, and vice versa
    assert np.array_equal(swapped.x[swapped.y == 2], plain.x[plain.y == 2])


def test_similarity_one_is_the_same_distribution_with_new_images():
    source, target = make_domain_pair(1.0, 30, 30, seed=2)
    assert not np.array_equal(source.x, target.x)
    assert abs(source.x.mean() - target.x.mean()) < 3
    assert source.class_names == target.class_names


def test_shift_grows_as_similarity_falls():
    def distance(similarity):
        source, target = make_domain_pair(similarity, 20, 20, seed=0)
        return np.abs(source.x.mean(axis=0) - target.x.mean(axis=0)).mean()

    d1, d05, d0 = distance(1.0), distance(0.5), distance(0.0)
    assert d1 < d05 < d0
    assert d0 > 5 * d1


def test_labels_shift_permutes_class_meaning():
    _, target = make_domain_pair(0.0, 2, 2, shift=["labels"], seed=0)
    assert target.class_names != list(domains.SHAPE_CLASSES)
    assert sorted(target.class_names) == sorted(domains.SHAPE_CLASSES)
    _, same = make_domain_pair(1.0, 2, 2, shift=["labels"], seed=0)
    assert same.class_names == list(domains.SHAPE_CLASSES)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(similarity=1.5), ValueError, "between 0 and 1"),
        (dict(similarity="high"), TypeError, "must be a number"),
        (dict(similarity=0.5, shift=["colr"]), ValueError, 'Did you mean "colour"'),
        (dict(similarity=0.5, n_per_class_source=0), ValueError, "n_per_class` must be >= 1"),
        (dict(similarity=0.5, channels=2), ValueError, "`channels` must be one of 1, 3"),
        (dict(similarity=0.5, num_classes=11), ValueError, "`num_classes` must be <= 10"),
    ],
)
def test_make_domain_pair_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_domain_pair(**kwargs)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(background_kind="stripes"), "`background_kind` must be one of"),
        (dict(foreground=(0, 300, 0)), "RGB triple"),
        (dict(texture_strength=2.0), "`texture_strength` must be between 0 and 1"),
        (dict(noise_std=-1), "`noise_std` must be >= 0"),
        (dict(label_permutation=(0, 0, 1)), "must be a permutation"),
    ],
)
def test_domain_spec_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DomainSpec(**kwargs)


def test_make_domain_rejects_wrong_spec_and_permutation_length():
    with pytest.raises(TypeError, match="must be a DomainSpec"):
        make_domain({"rotation": 3})
    with pytest.raises(ValueError, match="must have num_classes=10 entries"):
        make_domain(DomainSpec(label_permutation=(1, 0)))
