import json
import shutil

import numpy as np
import pytest

from tl_helpers import backbones, config, photos
from tl_helpers._hashing import file_sha256

COURSE = backbones.list_backbones("course")


def test_registry_lists_package_course_and_keras_backbones():
    assert COURSE == ["course_mobilenet", "course_resnet"]
    lite = backbones.list_backbones("package")
    assert lite == ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]
    keras_names = backbones.list_backbones("keras")
    assert {"mobilenet_v2", "resnet50", "vgg16", "efficientnet_b0"} <= set(keras_names)
    assert backbones.list_backbones() == lite + COURSE + keras_names
    with pytest.raises(ValueError, match="Argument `origin` must be one of"):
        backbones.list_backbones("hub")


def test_unknown_backbone_suggests_a_name():
    with pytest.raises(ValueError, match=r'Did you mean "course_resnet"\?.*name=\'course_resnt\''):
        backbones.load_backbone("course_resnt")
    with pytest.raises(ValueError, match="Unknown backbone"):
        backbones.get_backbone_spec(42)


@pytest.mark.parametrize("name", COURSE)
def test_course_model_cards_are_complete_and_verified(name):
    card = backbones.model_card(name)
    for key in ("architecture", "parameters", "depth", "input_shape", "preprocessing",
                "feature_size", "file_format", "weights_origin", "source_task",
                "source_accuracy", "seed", "training_time_s", "sha256", "size_bytes"):
        assert key in card, key
    weights = config.WEIGHTS_DIR / f"{name}.weights.h5"
    assert file_sha256(weights) == card["sha256"]
    assert weights.stat().st_size == card["size_bytes"]
    assert card["source_task"]["num_images"] >= 20_000
    assert card["source_task"]["num_classes"] >= 10
    # the source task never uses a target image
    assert not set(card["source_task"]["photos"]) & set(photos.TARGET_IMAGES)
    assert card["source_accuracy"] > 5 / card["source_task"]["num_classes"]


def test_shipped_weights_are_small_and_sizes_differ():
    files = list(config.WEIGHTS_DIR.glob("*.weights.h5"))
    assert len(files) >= 2
    assert sum(f.stat().st_size for f in files) <= 10 * 1024 * 1024
    cards = [backbones.model_card(n) for n in COURSE]
    assert max(c["parameters"] for c in cards) > 5 * min(c["parameters"] for c in cards)


@pytest.mark.parametrize("name", COURSE)
def test_load_course_backbone_with_course_weights(name):
    base_model = backbones.load_backbone(name)  # default: weights="course"
    assert base_model.output_shape == (None, 128)
    assert base_model.layers[1].name == "preprocess"
    random_model = backbones.load_backbone(name, weights=None)
    pre = base_model.get_layer("stem_conv").get_weights()[0]
    rnd = random_model.get_weights()[0]
    assert pre.shape == rnd.shape and not np.allclose(pre, rnd)


def test_course_backbone_at_another_input_size_keeps_weights():
    a = backbones.load_backbone("course_resnet", "course", input_shape=(64, 64, 3))
    b = backbones.load_backbone("course_resnet", "course")
    assert a.output_shape == (None, 128)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_weights_from_a_path(tmp_path):
    base_model = backbones.load_backbone("course_mobilenet", "course")
    path = tmp_path / "mine.weights.h5"
    base_model.save_weights(path)
    again = backbones.load_backbone("course_mobilenet", weights=str(path))
    np.testing.assert_array_equal(again.get_weights()[0], base_model.get_weights()[0])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        backbones.load_backbone("course_mobilenet", weights=tmp_path / "missing.weights.h5")
    with pytest.raises(ValueError, match="Could not load the weights file"):
        backbones.load_backbone("course_resnet", weights=path)  # another architecture


def test_changed_weights_file_is_detected(tmp_path, monkeypatch):
    shutil.copytree(config.WEIGHTS_DIR, tmp_path / "weights")
    monkeypatch.setattr(config, "WEIGHTS_DIR", tmp_path / "weights")
    path = tmp_path / "weights" / "course_resnet.weights.h5"
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="does not match its model card"):
        backbones.load_backbone("course_resnet")
    path.unlink()
    with pytest.raises(FileNotFoundError, match="course weights of 'course_resnet' are missing"):
        backbones.load_backbone("course_resnet")
    (tmp_path / "weights" / "course_resnet.json").unlink()
    with pytest.raises(FileNotFoundError, match="model card of 'course_resnet' is missing"):
        backbones.model_card("course_resnet")


@pytest.mark.parametrize(
    "name,weights,match",
    [
        ("course_resnet", "imagenet", "has no 'imagenet' weights"),
        ("mobilenet_v2", "course", "has no 'course' weights"),
        ("mobilenet_v2", "imagnet", 'Did you mean "imagenet"'),
        ("course_resnet", 3, "Argument `weights` must be one of"),
    ],
)
def test_unsupported_weights_are_clear_errors(name, weights, match):
    with pytest.raises(ValueError, match=match):
        backbones.load_backbone(name, weights=weights)


@pytest.mark.parametrize(
    "shape,match",
    [
        ((32, 32, 1), "must have 3 channels"),
        ((4, 4, 3), "too small"),
        ((32, 32), r"\(height, width, channels\)"),
        ((32.0, 32, 3), r"\(height, width, channels\)"),
    ],
)
def test_bad_input_shape(shape, match):
    with pytest.raises(ValueError, match=match):
        backbones.load_backbone("course_mobilenet", weights=None, input_shape=shape)


def test_keras_application_backbone_random_init_takes_raw_images():
    base_model = backbones.load_backbone("mobilenet_v2", weights=None, input_shape=(32, 32, 3))
    spec = backbones.get_backbone_spec("mobilenet_v2")
    assert base_model.output_shape == (None, spec.feature_size)
    assert base_model.layers[1].name == "preprocess"
    out = base_model(np.full((1, 32, 32, 3), 255.0, np.float32), training=False)
    assert np.all(np.isfinite(np.asarray(out)))


def test_imagenet_offline_error_says_how_to_preseed(monkeypatch):
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: network unreachable")

    monkeypatch.setattr(file_utils, "get_file", offline)
    spec = backbones.get_backbone_spec("mobilenet_v2")
    with pytest.raises(backbones.WeightsUnavailableError) as info:
        backbones.load_backbone("mobilenet_v2", weights="imagenet", input_shape=(96, 96, 3))
    message = str(info.value)
    assert spec.keras_app.weights_file_notop in message
    assert "KERAS_HOME" in message and 'weights="course"' in message


def test_keras_model_card():
    card = backbones.model_card("mobilenet_v2")
    assert card["parameters"] == 3_538_984
    assert 0 < card["top1"] < card["top5"] <= 1
    assert card["weights_origin"].startswith("ImageNet")


def test_model_card_json_is_valid_json():
    for name in COURSE:
        json.loads((config.WEIGHTS_DIR / f"{name}.json").read_text())
