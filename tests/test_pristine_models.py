"""The backbones the hidden checks build: built once per process, a new model for every use."""

from __future__ import annotations

import numpy as np
import pytest

from tl_course import pristine_models
from tl_course.pristine_models import pristine_copy


@pytest.fixture(autouse=True)
def _empty():
    pristine_models.forget_pristine()
    yield
    pristine_models.forget_pristine()


def _counting_build(calls):
    import keras

    def build():
        calls.append(1)
        inputs = keras.Input((3,), name="x")
        x = keras.layers.Dense(4, name="d1")(inputs)
        x = keras.layers.BatchNormalization(name="bn")(x)
        return keras.Model(inputs, keras.layers.Dense(2, name="d2")(x), name="small")

    return build


def test_every_use_gets_a_new_model_equal_to_the_build():
    import keras

    calls = []
    keras.utils.set_random_seed(0)
    reference = _counting_build([])()
    first = pristine_copy("small", _counting_build(calls), seed=0)
    assert [w.shape for w in first.get_weights()] == [w.shape for w in reference.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(),
                                                    reference.get_weights(), strict=True))
    # a check changes its model: flags, weights, a whole-model freeze
    first.get_layer("d1").trainable = False
    first.get_layer("d2").set_weights([np.ones((4, 2)), np.ones(2)])
    first.trainable = False
    second = pristine_copy("small", _counting_build(calls), seed=0)
    assert second is not first and calls == [1], "built once, a new model every time"
    assert second.trainable and all(layer.trainable for layer in second.layers)
    assert all(np.array_equal(a, b) for a, b in zip(second.get_weights(),
                                                    reference.get_weights(), strict=True))
    assert not any(second.get_layer("d2").kernel is v for v in first.weights)


def test_the_kept_weights_cannot_be_changed():
    pristine_copy("small", _counting_build([]), seed=0)
    _, weights, _ = pristine_models._PRISTINE["small"]
    with pytest.raises(ValueError, match="read-only"):
        weights[0][...] = 7.0


def test_the_random_state_after_a_copy_does_not_depend_on_whether_it_was_built():
    import keras

    def draws():
        return (float(np.random.random()),
                float(keras.ops.convert_to_numpy(keras.random.uniform((1,), seed=None))[0]))

    pristine_copy("small", _counting_build([]), seed=3)  # built here
    after_build = draws()
    pristine_copy("small", _counting_build([]), seed=3)  # rebuilt from the kept copy
    after_copy = draws()
    assert after_build == after_copy
