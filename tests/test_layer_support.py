"""Plumbing of assignment 03: layer tables, filter pictures, BatchNorm recalibration,
one-pass cuts."""

import numpy as np
import pytest

from tl_helpers import backbones, layer_support


@pytest.fixture(scope="module")
def lite0():
    return backbones.load_backbone("efficientnet_lite0", weights=None, input_shape=(32, 32, 3))


def test_kernel_images_scale_each_filter_to_0_1(lite0):
    images = layer_support.kernel_images(lite0, "stem_conv")
    assert images.shape == (32, 3, 3, 3) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    kernel = lite0.get_layer("stem_conv").get_weights()[0]
    first = (kernel[..., 0] - kernel[..., 0].min()) / np.ptp(kernel[..., 0])
    np.testing.assert_allclose(images[0], first, rtol=1e-5)
    with pytest.raises(ValueError, match=r"Did you mean \"stem_conv\"\?.*layer_name='stem_cnv'"):
        layer_support.kernel_images(lite0, "stem_cnv")
    with pytest.raises(ValueError, match="3 colour channels"):
        layer_support.kernel_images(lite0, "top_conv")


def test_recalibrate_batchnorm_averages_the_batches_statistics():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(momentum=0.9)])
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 4)).astype(np.float32)
    # check_images wants images: give the same numbers as (N, 2, 2, 1) through a Reshape
    images = x.reshape(64, 2, 2, 1)
    wrapped = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Reshape((4,)),
                                model.layers[0]])
    assert layer_support.recalibrate_batchnorm(wrapped, images, batch_size=16) == 1
    bn = model.layers[0]
    batches = x.reshape(4, 16, 4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), batches.mean(axis=1).mean(axis=0),
                               rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), batches.var(axis=1).mean(axis=0),
                               rtol=1e-4)
    assert bn.momentum == 0.9
    with pytest.raises(ValueError, match="at least 2 images"):
        layer_support.recalibrate_batchnorm(wrapped, images, batch_size=1)


def test_cuts_in_one_pass_equal_cuts_one_by_one(lite0):
    import keras

    pool = keras.layers.GlobalAveragePooling2D
    cuts = [keras.Model(lite0.input, pool()(lite0.get_layer(name).output))
            for name in ("block2b_add", "block4c_add", "top_activation")]
    x = np.random.default_rng(1).integers(0, 256, size=(6, 32, 32, 3)).astype(np.uint8)
    together = layer_support.extract_features_at_cuts(cuts, x, cache=False, progress=False)
    for model, features in zip(cuts, together, strict=True):
        np.testing.assert_allclose(features, model.predict(x, verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match="at least one model"):
        layer_support.extract_features_at_cuts([], x)


def test_layer_summary_counts_parameters():
    base_model = backbones.load_backbone("course_mobilenet", weights=None)
    rows = layer_support.layer_summary(base_model)
    assert [r["name"] for r in rows] == [layer.name for layer in base_model.layers]
    assert sum(r["params"] for r in rows) == base_model.count_params()
    bn = next(r for r in rows if r["type"] == "BatchNormalization")
    assert bn["non_trainable_params"] == bn["params"] // 2  # moving mean and variance
    base_model.trainable = False
    rows = layer_support.layer_summary(base_model)
    assert sum(r["trainable_params"] for r in rows) == 0
    with pytest.raises(TypeError, match="must be a keras.Model"):
        layer_support.layer_summary("model")
