import importlib

import pytest

from tl_helpers.keras_catalogue import KERAS_APPLICATIONS

keras = pytest.importorskip("keras")
SOURCE = importlib.import_module("keras.src.applications").__path__[0]


@pytest.mark.parametrize("app", KERAS_APPLICATIONS.values(), ids=lambda a: a.name)
def test_entry_matches_keras(app):
    assert hasattr(keras.applications, app.constructor)
    module = getattr(keras.applications, app.preprocess_module)
    assert callable(module.preprocess_input)
    assert 0 < app.top1 < 1 and (app.top5 is None or app.top1 < app.top5 <= 1)
    assert app.size_mb is None or app.size_mb > 0
    assert app.min_input_size <= app.default_input_size
    assert app.file_format == ".h5" and app.weights_file_notop.endswith(".h5")


@pytest.mark.parametrize("name", ["mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"])
def test_small_models_match_documented_parameters_and_features(name):
    app = KERAS_APPLICATIONS[name]
    constructor = getattr(keras.applications, app.constructor)
    assert constructor(weights=None, include_top=True).count_params() == app.parameters
    size = app.min_input_size
    base = constructor(weights=None, include_top=False, pooling="avg",
                       input_shape=(size, size, 3))
    assert base.output_shape == (None, app.feature_size)


def test_weights_file_names_follow_keras_source():
    """Each file name is literally in, or built by, the Keras application's source file."""
    from pathlib import Path

    sources = {p.stem: p.read_text() for p in Path(SOURCE).glob("*.py")}
    everything = "\n".join(sources.values())
    for app in KERAS_APPLICATIONS.values():
        name = app.weights_file_notop
        literal = name in everything
        built = any(part in everything for part in ("_notop.h5", "_no_top.h5", "no_top_v2.h5"))
        assert literal or built, name
