import numpy as np
import pytest

from tl_helpers import architectures


@pytest.mark.parametrize("name", list(architectures.COURSE_ARCHITECTURES))
def test_course_architectures_take_raw_images_and_pool(name):
    _, builder = architectures.COURSE_ARCHITECTURES[name]
    model = builder(input_shape=(32, 32, 3))
    assert model.name == name
    assert model.output_shape == (None, 128)
    assert model.layers[1].name == "preprocess"
    assert model.get_layer("avg_pool") is model.layers[-1]
    out = model(np.full((2, 32, 32, 3), 255, np.uint8).astype("float32"), training=False)
    assert out.shape == (2, 128)


def test_sizes_differ_clearly():
    small = architectures.build_course_mobilenet().count_params()
    large = architectures.build_course_resnet().count_params()
    assert large > 5 * small


def test_any_input_size_works():
    model = architectures.build_course_resnet(input_shape=(48, 40, 3))
    assert model.output_shape == (None, 128)


def test_add_classifier_shares_weights():
    base = architectures.build_course_mobilenet()
    clf = architectures.add_classifier(base, 7, dropout=0.2)
    assert clf.output_shape == (None, 7)
    assert base.layers[-1] in clf.layers
    with_head = architectures.build_course_mobilenet(num_classes=3)
    assert with_head.output_shape == (None, 3)
