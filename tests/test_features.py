import numpy as np
import pytest

from tl_helpers import config
from tl_helpers.features import clear_feature_cache, extract_features, feature_cache_key


@pytest.fixture(scope="module")
def tiny_model():
    import keras

    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name="tiny")


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (10, 16, 16, 3), dtype=np.uint8)


def test_shapes_and_values_match_direct_call(tiny_model, images):
    feats = extract_features(tiny_model, images, batch_size=3, cache=False)
    assert feats.shape == (10, 4) and feats.dtype == np.float32
    np.testing.assert_allclose(feats, np.asarray(tiny_model(images)), rtol=1e-5, atol=1e-6)


def test_cache_is_written_and_reused(tiny_model, images, monkeypatch):
    first = extract_features(tiny_model, images)
    files = list(config.cache_dir("features").glob("*.npy"))
    assert len(files) == 1
    # a cached result is returned without running the model
    monkeypatch.setattr(type(tiny_model), "__call__", lambda *a, **k: pytest.fail("ran model"))
    np.testing.assert_array_equal(extract_features(tiny_model, images), first)


def test_cache_key_depends_on_weights_and_images(tiny_model, images):
    key = feature_cache_key(tiny_model, images)
    assert feature_cache_key(tiny_model, images[::-1]) != key
    weights = tiny_model.get_weights()
    tiny_model.set_weights([w + 1 for w in weights])
    try:
        assert feature_cache_key(tiny_model, images) != key
    finally:
        tiny_model.set_weights(weights)


def test_corrupt_cache_file_is_recomputed(tiny_model, images):
    expected = extract_features(tiny_model, images)
    (path,) = config.cache_dir("features").glob("*.npy")
    path.write_bytes(b"not a numpy file")
    np.testing.assert_allclose(extract_features(tiny_model, images), expected)


def test_clear_cache(tiny_model, images):
    extract_features(tiny_model, images)
    assert clear_feature_cache() == 1
    assert not list(config.cache_dir("features").glob("*.npy"))


def test_wrong_image_shape_is_a_clear_error(tiny_model):
    with pytest.raises(ValueError, match=r"shape \(16, 16, 3\).*x.shape=\(2, 32, 32, 3\)"):
        extract_features(tiny_model, np.zeros((2, 32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match="Argument `x` must have shape"):
        extract_features(tiny_model, np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="`batch_size` must be >= 1"):
        extract_features(tiny_model, np.zeros((2, 16, 16, 3), np.uint8), batch_size=0)
