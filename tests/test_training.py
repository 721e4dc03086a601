"""tl_helpers.training: resetting a compiled network and its optimiser, ScratchTrainer."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tl_helpers import training  # noqa: E402


def _build(num_classes=3):
    """A small network with every kind of state: weights, BatchNorm statistics, dropout."""
    return keras.Sequential([
        keras.Input((6, 6, 3)),
        keras.layers.Conv2D(4, 3),
        keras.layers.BatchNormalization(),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])


def _data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 6, 6, 3)).astype("float32"), np.arange(n) % 3


def _values(variables):
    return [np.array(v) for v in variables]


def _trained(optimizer="adam"):
    keras.utils.set_random_seed(5)
    model = _build()
    model.compile(optimizer, "sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    return model


def test_public_names():
    assert training.__all__ == ["reset_weights", "reset_optimizer", "ScratchTrainer"]
    import tl_helpers as tl

    for name in training.__all__:
        assert getattr(tl, name) is getattr(training, name)


# ------------------------------------------------------------------------------ reset_weights
def test_reset_weights_equals_a_fresh_model_every_variable():
    model = _trained()
    keras.utils.set_random_seed(0)
    fresh = _build()
    training.reset_weights(model, fresh)
    paths = [v.path for v in model.variables]
    assert any("moving_mean" in p for p in paths) and any("seed_generator" in p for p in paths)
    for got, want in zip(_values(model.variables), _values(fresh.variables), strict=True):
        np.testing.assert_array_equal(got, want)  # BatchNorm statistics and dropout RNG too


def test_reset_weights_keeps_the_compiled_step():
    model = _trained()
    train_function = model.train_function
    training.reset_weights(model, _build())
    assert model.train_function is train_function and model.optimizer is not None


def test_reset_weights_errors():
    model = _build()
    with pytest.raises(TypeError, match=r"Argument `model` must be a keras.Model. Received: "
                                        r"model of type str"):
        training.reset_weights("model", model)
    with pytest.raises(TypeError, match="Argument `fresh_model` must be a keras.Model"):
        training.reset_weights(model, None)
    with pytest.raises(ValueError, match=r"Argument `fresh_model` must have the same "
                                         r"architecture.*Received: \d+ variables"):
        training.reset_weights(model, _build(num_classes=4))


# ---------------------------------------------------------------------------- reset_optimizer
@pytest.mark.parametrize("make", [
    lambda: keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-2, 10)),
    lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    lambda: keras.optimizers.Adagrad(0.1),  # accumulators start at 0.1, not 0
    lambda: keras.optimizers.Nadam(1e-2),   # its momentum product starts at 1, not 0
], ids=["adam_schedule", "sgd_momentum", "adagrad", "nadam"])
def test_reset_optimizer_equals_a_freshly_built_optimizer(make):
    model = _trained(make())
    optimizer = model.optimizer
    assert int(optimizer.iterations) > 0
    assert any(np.any(v != 0) for v in _values(optimizer.variables[1:]))
    training.reset_optimizer(optimizer)
    assert int(optimizer.iterations) == 0
    reference = make()
    reference.build(model.trainable_variables)
    for got, want in zip(_values(optimizer.variables), _values(reference.variables),
                         strict=True):
        np.testing.assert_allclose(got, want)


def test_reset_optimizer_keeps_the_learning_rate():
    model = _trained(keras.optimizers.Adam(0.05))
    model.optimizer.learning_rate = 0.02  # a deliberate change is kept
    training.reset_optimizer(model.optimizer)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
    assert int(model.optimizer.iterations) == 0


def test_reset_optimizer_before_any_fit_is_a_no_op():
    optimizer = keras.optimizers.Adam()
    training.reset_optimizer(optimizer)
    assert not optimizer.built and int(optimizer.iterations) == 0


def test_reset_optimizer_then_fit_matches_a_new_optimizer():
    x, y = _data()
    keras.utils.set_random_seed(1)
    start = _build()
    reused = _trained()  # compiled and trained: moments and step counter are not zero
    fresh_model = _build()
    fresh_model.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy")
    for model in (reused, fresh_model):
        training.reset_weights(model, start)
    training.reset_optimizer(reused.optimizer)
    for model in (reused, fresh_model):
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(reused.predict(x, verbose=0), fresh_model.predict(x, verbose=0),
                               atol=1e-5)


def test_reset_optimizer_errors():
    with pytest.raises(TypeError, match=r"Argument `optimizer` must be a "
                                        r"keras.optimizers.Optimizer \(pass model.optimizer\)"):
        training.reset_optimizer(_build())
    with pytest.raises(TypeError, match="Received: optimizer of type str"):
        training.reset_optimizer("adam")


# ----------------------------------------------------------------------------- ScratchTrainer
def test_scratch_trainer_same_seed_same_network_whatever_ran_before():
    x, y = _data()
    trainer = training.ScratchTrainer(_build, steps=6, batch_size=4, learning_rate=1e-2)
    first = trainer.fit(x, y, seed=0).predict(x, verbose=0)
    model = trainer.model
    other = trainer.fit(x, y, seed=1).predict(x, verbose=0)
    again = trainer.fit(x, y, seed=0).predict(x, verbose=0)
    assert trainer.model is model  # compiled once, reused
    np.testing.assert_allclose(again, first, atol=1e-6)
    assert not np.allclose(other, first, atol=1e-3)  # another seed, another network


def test_scratch_trainer_counts_steps_and_matches_a_network_never_reused():
    x, y = _data()
    trainer = training.ScratchTrainer(_build, steps=6, batch_size=4, learning_rate=1e-2)
    trainer.fit(x, y, seed=3)
    reused = trainer.fit(x, y, seed=0)
    assert int(reused.optimizer.iterations) == 6
    new = training.ScratchTrainer(_build, steps=6, batch_size=4, learning_rate=1e-2)
    np.testing.assert_allclose(reused.predict(x, verbose=0),
                               new.fit(x, y, seed=0).predict(x, verbose=0), atol=1e-6)


def test_scratch_trainer_starts_from_the_seeds_fresh_weights(monkeypatch):
    x, y = _data()
    trainer = training.ScratchTrainer(_build, steps=2, batch_size=4)
    trainer.fit(x, y, seed=1)
    seen = {}

    def record(*args, **kwargs):
        seen["start"] = _values(trainer.model.variables)

    monkeypatch.setattr(trainer.model, "fit", record)
    trainer.fit(x, y, seed=2)
    keras.utils.set_random_seed(2)
    for got, want in zip(seen["start"], _values(_build().variables), strict=True):
        np.testing.assert_array_equal(got, want)


def test_scratch_trainer_errors():
    with pytest.raises(TypeError, match="Argument `build_model` must be a function"):
        training.ScratchTrainer(_build(), steps=2, batch_size=2)
    with pytest.raises(ValueError, match=r"Argument `steps` must be >= 1. Received: steps=0"):
        training.ScratchTrainer(_build, steps=0, batch_size=2)
    with pytest.raises(TypeError, match="Argument `batch_size` must be an integer"):
        training.ScratchTrainer(_build, steps=2, batch_size=2.0)
    with pytest.raises(ValueError, match=r"Argument `learning_rate` must be a number > 0. "
                                         r"Received: learning_rate=0"):
        training.ScratchTrainer(_build, steps=2, batch_size=2, learning_rate=0)
    trainer = training.ScratchTrainer(lambda: "not a model", steps=2, batch_size=2)
    with pytest.raises(TypeError, match=r"Argument `build_model\(\)` must be a keras.Model"):
        trainer.fit(*_data(), seed=0)
    trainer = training.ScratchTrainer(_build, steps=2, batch_size=2)
    with pytest.raises(ValueError, match="same length"):
        trainer.fit(_data()[0], np.zeros(3, int), seed=0)
    assert "steps=2" in repr(trainer)
