"""The keras.applications catalogue agrees with the installed Keras (offline, no weights)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataclasses  # noqa: E402
import inspect  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tl_helpers.keras_catalogue import KERAS_APPLICATIONS, KerasApplication  # noqa: E402

APPS = list(KERAS_APPLICATIONS.values())
REQUIRED = [
    "vgg16", "vgg19", "resnet50", "resnet50_v2", "resnet101", "inception_v3", "xception",
    "mobilenet", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "densenet121",
    "nasnet_mobile", "efficientnet_b0", "efficientnet_v2_b0", "convnext_tiny",
]
SMALL_MODELS = ["mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"]


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _source_text(keras, app: KerasApplication) -> str:
    """The Keras source file that defines ``app.constructor``."""
    return Path(inspect.getsourcefile(getattr(keras.applications, app.constructor))).read_text()


# ---------------------------------------------------------------------------- plain data
def test_catalogue_holds_the_compared_families():
    assert set(REQUIRED) <= set(KERAS_APPLICATIONS)
    for key, app in KERAS_APPLICATIONS.items():
        assert key == app.name
    assert len({app.constructor for app in APPS}) == len(APPS)


def test_entries_are_frozen():
    app = KERAS_APPLICATIONS["mobilenet_v2"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        app.top1 = 0.9  # type: ignore[misc]


def test_importing_the_catalogue_does_not_import_tensorflow():
    code = (
        "import sys, tl_helpers.keras_catalogue as k; "
        "assert k.KERAS_APPLICATIONS; "
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_fields_are_in_valid_ranges(app):
    assert app.name.islower() and " " not in app.name
    assert app.family and app.constructor[0].isupper()
    assert 0 < app.top1 < 1
    if app.top5 is not None:
        assert app.top1 < app.top5 <= 1
    assert app.size_mb > 0
    assert isinstance(app.parameters, int) and app.parameters > 100_000
    # float32 weights: size in MB (MiB) is about 4 bytes per parameter
    assert 0.5 < app.size_mb * 2**20 / (4 * app.parameters) < 2
    assert app.depth is None or (isinstance(app.depth, int) and app.depth > 0)
    assert 32 <= app.min_input_size <= app.default_input_size
    assert app.feature_size > 0
    assert app.file_format in (".h5", ".keras")
    assert app.weights_file_notop.endswith(app.file_format)
    assert "notop" in app.weights_file_notop.replace("_", "").replace("-", "")
    assert app.year is None or 2012 <= app.year <= 2030


# ---------------------------------------------------------------------------- vs. Keras
@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_constructor_and_preprocess_input_exist(keras, app):
    assert callable(getattr(keras.applications, app.constructor))
    module = getattr(keras.applications, app.preprocess_module)
    assert callable(module.preprocess_input)


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_small_models_reproduce_documented_figures(keras, name):
    app = KERAS_APPLICATIONS[name]
    constructor = getattr(keras.applications, app.constructor)
    full = constructor(weights=None, include_top=True)
    assert full.count_params() == app.parameters
    assert full.input_shape[1] in (None, app.default_input_size)
    size = app.min_input_size
    base = constructor(
        weights=None, include_top=False, pooling="avg", input_shape=(size, size, 3)
    )
    assert base.output_shape == (None, app.feature_size)
    with pytest.raises(ValueError):
        constructor(
            weights=None, include_top=False, pooling="avg", input_shape=(size - 1, size - 1, 3)
        )
    keras.backend.clear_session()


# How Keras builds the names it does not spell out: (fragments of the source, the name they
# give at the default settings). Fragments are searched in the constructor's file and, for
# ResNet/ResNetV2, in resnet.py, which does the download for both.
_BUILT_NAMES = {
    "resnet50": (
        ['weights_name="resnet50"', '{weights_name}_weights_tf_dim_ordering_tf_kernels_notop.h5'],
        "resnet50" + "_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ),
    "resnet50_v2": (
        ['weights_name="resnet50v2"', '{weights_name}_weights_tf_dim_ordering_tf_kernels_notop.h5'],
        "resnet50v2" + "_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ),
    "resnet101": (
        ['weights_name="resnet101"', '{weights_name}_weights_tf_dim_ordering_tf_kernels_notop.h5'],
        "resnet101" + "_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ),
    "mobilenet": (
        ['alpha_text = "1_0"', '"mobilenet_%s_%d_tf_no_top.h5" % (alpha_text, rows)'],
        "mobilenet_" + "1_0" + "_" + str(224) + "_tf_no_top.h5",
    ),
    "mobilenet_v2": (
        [
            '"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"',
            'f"{float(alpha)}_{rows}_no_top.h5"',
        ],
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_" + str(1.0) + "_224_no_top.h5",
    ),
    "mobilenet_v3_small": (
        ['"small_224_1.0_float"', 'f"weights_mobilenet_v3_{model_name}_no_top_v2.h5"'],
        "weights_mobilenet_v3_" + "small_224_1.0_float" + "_no_top_v2.h5",
    ),
    "mobilenet_v3_large": (
        ['"large_224_1.0_float"', 'f"weights_mobilenet_v3_{model_name}_no_top_v2.h5"'],
        "weights_mobilenet_v3_" + "large_224_1.0_float" + "_no_top_v2.h5",
    ),
    "efficientnet_b0": (
        ['name="efficientnetb0"', 'file_suffix = "_notop.h5"', "file_name = name + file_suffix"],
        "efficientnetb0" + "_notop.h5",
    ),
    "efficientnet_v2_b0": (
        ['name="efficientnetv2-b0"', 'file_suffix = "_notop.h5"', "file_name = name + file_suffix"],
        "efficientnetv2-b0" + "_notop.h5",
    ),
    "convnext_tiny": (
        ['name="convnext_tiny"', 'file_suffix = "_notop.h5"', "file_name = name + file_suffix"],
        "convnext_tiny" + "_notop.h5",
    ),
}


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_weights_file_name_comes_from_keras_source(keras, app):
    source = _source_text(keras, app)
    if app.name in _BUILT_NAMES:
        fragments, built = _BUILT_NAMES[app.name]
        if app.preprocess_module in ("resnet", "resnet_v2"):
            source += Path(inspect.getsourcefile(keras.applications.ResNet50)).read_text()
        for fragment in fragments:
            assert fragment in source, fragment
        assert app.weights_file_notop == built
    else:  # spelled out as the first argument of file_utils.get_file
        assert f'"{app.weights_file_notop}"' in source
