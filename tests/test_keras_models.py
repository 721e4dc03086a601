"""Keras models on the wire: config and weights through safe mode, and a model's state."""

from __future__ import annotations

import numpy as np
import pytest

from tl_helpers.grading import wire
from tl_helpers.grading.exceptions import WireError
from tl_helpers.grading.keras_models import apply_model_state, model_fingerprint, model_state


def _round_trip(value, tmp_path):
    return wire.decode(wire.encode(value, tmp_path), tmp_path)


def test_models_come_back_only_through_safe_mode(tmp_path):
    import keras

    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    tree = wire.encode(model, tmp_path)
    with pytest.raises(WireError, match="safe_mode=True"):
        wire.decode(tree, tmp_path)
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    back = _round_trip(plain, tmp_path)
    assert np.allclose(back.get_weights()[0], plain.get_weights()[0])


def test_models_cross_as_config_and_weights_with_flags_and_compile_settings(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"),
                             keras.layers.BatchNormalization(name="bn")], name="base")
    base.get_layer("d1").trainable = False
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(base(inputs)))
    model.compile(keras.optimizers.Adam(3e-4), "sparse_categorical_crossentropy")
    tree = wire.encode(model, tmp_path)
    assert tree["$"] == "model" and not list(tmp_path.glob("*.keras"))
    back = wire.decode(tree, tmp_path)
    assert back.get_layer("base").get_layer("d1").trainable is False
    assert all(np.array_equal(a, b) for a, b in zip(back.get_weights(), model.get_weights(),
                                                    strict=True))
    assert type(back.optimizer) is keras.optimizers.Adam
    assert abs(float(back.optimizer.learning_rate) - 3e-4) < 1e-9
    with pytest.raises(WireError, match="one array per weight"):
        wire.decode(dict(tree, weights=tree["weights"][:-1]), tmp_path)
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(WireError, match="could not be loaded safely"):
        wire.decode(dict(tree, config="list.json"), tmp_path)



def test_model_state_updates_a_model_and_refuses_what_does_not_fit(tmp_path):
    import keras

    def dense():
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])

    ours, theirs = dense(), dense()
    theirs.layers[0].trainable = False
    theirs.layers[0].kernel.assign(np.full((2, 3), 7.0))
    apply_model_state(ours, model_state(theirs, tmp_path / "a"), tmp_path / "a")
    assert ours.layers[0].trainable is False
    assert all(np.array_equal(a, b) for a, b in zip(ours.get_weights(), theirs.get_weights(),
                                                    strict=True))

    other = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    tree = model_state(other, tmp_path / "b")
    before = model_fingerprint(ours)
    with pytest.raises(WireError, match="does not fit"):
        apply_model_state(ours, tree, tmp_path / "b")
    tree = model_state(theirs, tmp_path / "c")
    with pytest.raises(WireError, match="one array per weight"):
        apply_model_state(ours, dict(tree, weights=tree["weights"][:1]), tmp_path / "c")
    text = np.array(["a", "b", "c", "d", "e", "f"]).reshape(2, 3)
    forged = dict(tree, weights=[wire.encode(text, tmp_path / "c"), tree["weights"][1]])
    with pytest.raises(WireError, match="does not fit"):
        apply_model_state(ours, forged, tmp_path / "c")
    with pytest.raises(WireError, match="flags"):
        apply_model_state(ours, dict(tree, flags=[True]), tmp_path / "c")
    assert model_fingerprint(ours) == before  # nothing was half applied

