"""Hidden checks of assignment 03 (frozen vs trainable layers).

Every check builds its own small inputs (EfficientNet-Lite0 at 32x32 pixels, the course
MobileNet, or a tiny dense network) and seeds everything, so it runs in a few seconds and does
not depend on what the notebook computed. Checks that only read a model, or only change
``trainable`` flags, share one model per kind (flags and weights put back before each use, and
the kernel keeps its copy, so it is not sent again); checks that train a base build their own.
EfficientNet-Lite0 (143 layers) is used where the course's real backbone matters (its layer
names, its parameter counts); elsewhere the course MobileNet (30 layers, 9 BatchNorm) is enough
and crosses between grader and kernel several times faster.

``nb`` runs the student's functions in the notebook's kernel: a model given to them is updated
here after the call (flags, weights, a recompile), a model they return is a copy. Checks that
need the base inside a returned model look it up by name; the weight-sharing experiment of
``features_at`` runs in the kernel (``nb.probe.built_output_after_scaling``).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from check_support import (  # noqa: E402
    SharedModels,
    course_mobilenet,
    efficientnet_lite0,
    images,
    load_keras,
    param_count,
)

# One model per kind for the checks that only read it or change flags (a model the kernel
# already holds is not sent again). Every flag is made trainable and the weights are put back
# before each use, so a solution that changed them fails one check, not every later one.
_SHARED = SharedModels(all_trainable=True)


def _mobilenet(pretrained=False, fresh=False):
    """course_mobilenet (32x32, 128 features, 9 BatchNorm layers); random weights give
    vanishing deep activations (about 1e-5), so the checks that compare outputs use the
    pretrained ones."""
    def build():
        return course_mobilenet(weights="course" if pretrained else None, seed=0)

    return build() if fresh else _SHARED.get(("mobilenet", pretrained), build)


def _lite0(weights=None, fresh=False):
    """EfficientNet-Lite0 at 32x32 pixels (random weights or ImageNet), every flag trainable."""
    def build():
        return efficientnet_lite0(weights=weights, input_shape=(32, 32, 3), seed=0)

    return build() if fresh else _SHARED.get(("lite0", weights), build)


def _trainable_above(model, k):
    """Parameters that train when layers [0..k] are frozen: every weight above the cut except
    BatchNorm's moving statistics."""
    return sum(int(np.prod(w.shape)) for layer in model.layers[k + 1:] for w in layer.weights
               if not w.name.startswith("moving_"))


def _close(actual, expected, rtol=1e-4):
    """Close relative to the size of the expected values (never vacuous for tiny outputs)."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    scale = max(float(np.max(np.abs(expected))), 1e-12)
    return actual.shape == expected.shape and bool(
        np.max(np.abs(actual - expected)) <= rtol * scale)


def _tiny_base(name="tiny_base"):
    """Input(6) -> d1 -> bn1 -> act -> d2 -> bn2 -> d3: 2-D output of 3 features."""
    keras = load_keras()
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,), name="x")
    x = keras.layers.Dense(5, name="d1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.ReLU(name="act")(x)
    x = keras.layers.Dense(4, name="d2")(x)
    x = keras.layers.BatchNormalization(name="bn2")(x)
    x = keras.layers.Dense(3, name="d3")(x)
    return keras.Model(inputs, x, name=name)


def _tiny_data(n=32, num_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(n, 6)) * 3 + 2).astype("float32")
    y = rng.integers(0, num_classes, size=n)
    return x, y


def _flags(model):
    return [layer.trainable for layer in model.layers]


def _same(a_list, b_list):
    return all(np.array_equal(a, b) for a, b in zip(a_list, b_list, strict=True))


def _head_model(base, num_classes=3):
    """A transfer model built without the student's code (for the move_cut checks)."""
    keras = load_keras()
    inputs = keras.Input(base.input_shape[1:])
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(
        base(inputs, training=False))
    return keras.Model(inputs, outputs)


def _compile(model, lr=1e-2, eager=False):
    """Adam(lr). ``eager=True`` skips tracing a training graph (seconds, for a few steps) where
    no flag changes after compiling; the move_cut checks trace, because a traced step keeps the
    variables it was compiled with, which is what they test."""
    keras = load_keras()
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy",
                  run_eagerly=eager)


def _raises_value_error(call, argument):
    """Return an error text for the student, or None when the call raised properly."""
    try:
        call()
    except ValueError as error:
        if argument not in str(error):
            return (f"the ValueError should name the argument `{argument}` so that the caller "
                    f"knows what to fix; it said: {str(error)[:150]!r}")
        return None
    except Exception as error:  # noqa: BLE001 - any other exception is the student's mistake
        return (f"expected a ValueError naming `{argument}`, got {type(error).__name__}: "
                f"{str(error)[:150]}. Hint: check the argument yourself before using it.")
    return f"expected a ValueError naming `{argument}`, but nothing was raised"


# ------------------------------------------------------------------------------ freeze_until
LITE0_CUTS = ["image", "stem_conv", "stem_activation", "block2b_add", "block5c_add",
              "top_activation", "avg_pool"]


@pytest.mark.grade_id("a03_freeze_until")
@pytest.mark.parametrize("cut", LITE0_CUTS, ids=[f"cut{i}" for i in range(len(LITE0_CUTS))])
def test_freeze_until_flags_and_counts(nb, cut):
    """EfficientNet-Lite0: layers up to and including the name are frozen, the rest trainable"""
    base = _lite0()
    names = [layer.name for layer in base.layers]
    k = names.index(cut)
    returned = nb.freeze_until(base, cut)
    assert list(returned) == names[:k + 1], (
        f"freeze_until(base, {cut!r}) should return the names of the frozen layers in model "
        f"order ({k + 1} names from {names[0]!r} to {cut!r}); it returned {len(returned)} "
        "names. Hint: the named layer itself is frozen too.")
    wrong = [layer.name for i, layer in enumerate(base.layers) if layer.trainable != (i > k)]
    assert not wrong, (
        f"after freeze_until(base, {cut!r}) these layers have the wrong trainable flag: "
        f"{wrong[:5]}{' ...' if len(wrong) > 5 else ''}. Hint: every layer up to and including "
        "the name is frozen, every layer after it trainable.")
    expected = _trainable_above(base, k)
    actual = param_count(base.trainable_weights)
    assert actual == expected, (
        f"the model reports {actual:,} trainable parameters after freeze_until(base, {cut!r}); "
        f"the layers above the cut hold {expected:,} (BatchNorm moving statistics excluded).")


@pytest.mark.grade_id("a03_freeze_until")
def test_freeze_until_course_mobilenet(nb):
    """Works on another backbone too (the course MobileNet)"""
    base = _mobilenet()
    names = [layer.name for layer in base.layers]
    k = names.index("block2_pw_relu")
    assert list(nb.freeze_until(base, "block2_pw_relu")) == names[:k + 1], (
        "on course_mobilenet, freeze_until(base, 'block2_pw_relu') should return the names from "
        "'image' to 'block2_pw_relu'. Hint: use base_model.layers, no hard-coded names.")
    assert param_count(base.trainable_weights) == _trainable_above(base, k), (
        "on course_mobilenet the trainable parameters do not match the cut at 'block2_pw_relu'.")


@pytest.mark.grade_id("a03_freeze_until")
def test_freeze_until_after_frozen_base(nb):
    """Works on a base that was frozen as a whole before"""
    base = _lite0()
    base.trainable = False
    nb.freeze_until(base, "block6d_add")
    k = [layer.name for layer in base.layers].index("block6d_add")
    expected = _trainable_above(base, k)
    actual = param_count(base.trainable_weights)
    assert actual == expected, (
        f"after base_model.trainable = False, freeze_until(base, 'block6d_add') left "
        f"{actual:,} trainable parameters instead of {expected:,}. Hint: a frozen model hides "
        "its layers' flags: set base_model.trainable = True first, then freeze layer by layer.")


@pytest.mark.grade_id("a03_freeze_until")
def test_freeze_until_replaces_previous_cut(nb):
    """A second call replaces the first cut (also when it moves down)"""
    base = _lite0()
    nb.freeze_until(base, "block6d_add")
    nb.freeze_until(base, "stem_activation")
    k = [layer.name for layer in base.layers].index("stem_activation")
    still_frozen = [layer.name for layer in base.layers[k + 1:] if not layer.trainable]
    assert not still_frozen, (
        f"freeze_until(base, 'block6d_add') then freeze_until(base, 'stem_activation') left "
        f"{still_frozen[:4]} frozen. Hint: set the flag of EVERY layer (trainable=True above "
        "the cut), do not only freeze the bottom ones.")


@pytest.mark.grade_id("a03_freeze_until")
def test_freeze_until_keeps_weights(nb):
    """Only flags change: no weight value changes"""
    base = _lite0()
    before = [w.copy() for w in base.get_weights()]
    n_layers = len(base.layers)
    nb.freeze_until(base, "block3b_add")
    assert len(base.layers) == n_layers and _same(before, base.get_weights()), (
        "freeze_until changed the model's weights or layers: it must only change trainable "
        "flags (do not rebuild, reload or re-initialise the model).")


@pytest.mark.grade_id("a03_freeze_until")
def test_freeze_until_frozen_weights_survive_fit(nb):
    """Frozen weights are bit-identical after fit, weights above the cut train"""
    keras = load_keras()
    base = _tiny_base()
    nb.freeze_until(base, "act")
    inputs = keras.Input((6,))
    outputs = keras.layers.Dense(3, activation="softmax")(base(inputs))
    model = keras.Model(inputs, outputs)
    _compile(model, eager=True)  # flags set before compiling: eager steps train the same
    frozen = {n: [w.copy() for w in base.get_layer(n).get_weights()] for n in ("d1", "bn1")}
    top = base.get_layer("d3").get_weights()[0].copy()
    x, y = _tiny_data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for name, weights in frozen.items():
        assert _same(weights, base.get_layer(name).get_weights()), (
            f"layer {name!r} is below the cut but its weights changed during fit (BatchNorm "
            "moving statistics included). Hint: set trainable=False on every layer up to the cut.")
    assert not np.array_equal(top, base.get_layer("d3").get_weights()[0]), (
        "layer 'd3' is above the cut but did not train. Hint: layers after the cut must be "
        "trainable.")


@pytest.mark.grade_id("a03_freeze_until")
def test_freeze_until_other_model(nb):
    """Works on any functional model (no hard-coded names)"""
    base = _tiny_base()
    returned = nb.freeze_until(base, "bn1")
    assert list(returned) == ["x", "d1", "bn1"], (
        f"on a model with layers x, d1, bn1, act, d2, bn2, d3, freeze_until(model, 'bn1') should "
        f"return ['x', 'd1', 'bn1'], not {list(returned)!r}. Hint: use base_model.layers.")
    assert param_count(base.trainable_weights) == 5 * 4 + 4 + 4 + 4 + 4 * 3 + 3, (
        "on that small model only d2, bn2 (gamma, beta) and d3 should train.")


@pytest.mark.grade_id("a03_freeze_until")
@pytest.mark.parametrize("bad", ["block9_pw_relu", "", None], ids=["unknown", "empty", "none"])
def test_freeze_until_rejects_unknown_name(nb, bad):
    """An unknown layer name raises a ValueError naming layer_name and changes nothing"""
    base = _mobilenet()  # the check is the same on any backbone; this one crosses faster
    nb.freeze_until(base, "block2_pw_relu")
    flags = _flags(base)
    problem = _raises_value_error(lambda: nb.freeze_until(base, bad), "layer_name")
    assert problem is None, f"freeze_until(base, {bad!r}): {problem}"
    assert _flags(base) == flags, (
        "a call with an unknown layer name changed trainable flags: check the name BEFORE "
        "changing anything.")


@pytest.mark.grade_id("a03_freeze_until")
def test_freeze_until_suggests_close_name(nb):
    """A typo gets a "Did you mean ...?" with the closest layer name"""
    base = _lite0()
    try:
        nb.freeze_until(base, "block4c_ad")
    except ValueError as error:
        assert "block4c_add" in str(error), (
            "for layer_name='block4c_ad' the message should suggest the closest layer name "
            f"('block4c_add'); it said: {str(error)[:160]!r}. Hint: "
            "difflib.get_close_matches(layer_name, names).")
    else:
        raise AssertionError("freeze_until(base, 'block4c_ad') should raise a ValueError")


# ------------------------------------------------------------------------------ count_params
def _dense_bn():
    keras = load_keras()
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense"),
                             keras.layers.BatchNormalization(name="bn")])


@pytest.mark.grade_id("a03_count_params")
def test_count_params_closed_form(nb):
    """Dense + BatchNorm: closed-form counts, also after freezing"""
    model = _dense_bn()
    for step, expected in (("nothing frozen", (21, 6)), ("Dense frozen", (6, 21)),
                           ("whole model frozen", (0, 27))):
        if step == "Dense frozen":
            model.get_layer("dense").trainable = False
        if step == "whole model frozen":
            model.trainable = False
        got = nb.count_params(model)
        assert tuple(got) == expected, (
            f"Dense(4 -> 3) + BatchNormalization(3), {step}: expected (trainable, non_trainable) "
            f"= {expected}, got {tuple(got)}. Hint: the moving mean and variance (6 values) are "
            "always non-trainable; a frozen layer's kernel and bias become non-trainable.")


@pytest.mark.grade_id("a03_count_params")
def test_count_params_returns_python_ints(nb):
    """Returns a tuple of two Python ints"""
    got = nb.count_params(_dense_bn())
    assert isinstance(got, tuple) and len(got) == 2, (
        f"count_params should return a tuple (trainable, non_trainable), not {type(got).__name__}")
    assert all(type(v) is int for v in got), (
        f"both counts should be Python int, not {[type(v).__name__ for v in got]}. Hint: wrap "
        "numpy results in int(...).")


@pytest.mark.grade_id("a03_count_params")
@pytest.mark.parametrize("backbone,cut", [("lite0", "stem_activation"), ("lite0", "block5c_add"),
                                          ("mobilenet", "block3_pw_relu")],
                         ids=["low", "high", "other"])
def test_count_params_matches_keras(nb, backbone, cut):
    """Matches Keras' own lists on a backbone cut at a layer"""
    base = _lite0() if backbone == "lite0" else _mobilenet()
    k = [layer.name for layer in base.layers].index(cut)
    for i, layer in enumerate(base.layers):
        layer.trainable = i > k
    expected = (param_count(base.trainable_weights), param_count(base.non_trainable_weights))
    got = tuple(nb.count_params(base))
    assert got == expected, (
        f"{base.name} frozen up to {cut!r}: Keras counts {expected}, count_params returned "
        f"{got}. Hint: count model.trainable_weights and model.non_trainable_weights.")
    assert sum(got) == base.count_params(), "the two counts must add up to model.count_params()"


@pytest.mark.grade_id("a03_count_params")
def test_count_params_nested_frozen_base(nb):
    """A frozen base inside a classifier counts as non-trainable"""
    keras = load_keras()
    base = _tiny_base()
    base.trainable = False
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(base(inputs)))
    got = tuple(nb.count_params(model))
    assert got == (3 * 2 + 2, base.count_params()), (
        f"a classifier with a frozen base ({base.count_params()} parameters) and a Dense(3 -> 2) "
        f"head should count (8, {base.count_params()}), not {got}. Hint: the model's flag "
        "overrides its layers' flags: use the model's own trainable_weights, not each layer's "
        "trainable attribute.")


@pytest.mark.grade_id("a03_count_params")
def test_count_params_shared_layer_once(nb):
    """A layer used twice is counted once"""
    keras = load_keras()
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    shared = keras.layers.Dense(4, name="shared")
    outputs = shared(shared(inputs))
    model = keras.Model(inputs, outputs)
    got = tuple(nb.count_params(model))
    assert got == (20, 0), (
        f"a Dense(4 -> 4) layer applied twice has 20 parameters, counted once; got {got}. "
        "Hint: the model's trainable_weights list each weight once.")


@pytest.mark.grade_id("a03_count_params")
def test_count_params_does_not_change_model(nb):
    """Counting changes no flag"""
    model = _dense_bn()
    model.get_layer("dense").trainable = False
    flags = _flags(model)
    nb.count_params(model)
    assert _flags(model) == flags and not model.get_layer("dense").trainable, (
        "count_params changed trainable flags: it must only read the model.")


@pytest.mark.grade_id("a03_count_params")
@pytest.mark.parametrize("bad", [None, np.zeros(3), "model"], ids=["none", "array", "str"])
def test_count_params_rejects_non_models(nb, bad):
    """A non-model raises a TypeError naming model"""
    try:
        nb.count_params(bad)
    except TypeError as error:
        assert "model" in str(error), (
            f"the TypeError should name the argument `model`; it said: {str(error)[:150]!r}")
    except Exception as error:  # noqa: BLE001
        raise AssertionError(
            f"count_params({type(bad).__name__}) should raise TypeError naming `model`, not "
            f"{type(error).__name__}. Hint: check for trainable_weights first.") from None
    else:
        raise AssertionError(
            f"count_params({type(bad).__name__}) should raise TypeError naming `model`")


# ------------------------------------------------------------------------ build_transfer_model
@pytest.mark.grade_id("a03_build_transfer_model")
@pytest.mark.parametrize("backbone,num_classes", [("lite0", 2), ("mobilenet", 117)],
                         ids=["k2", "k117"])
def test_transfer_model_outputs(nb, backbone, num_classes):
    """The head outputs num_classes probabilities; only the head trains"""
    keras = load_keras()
    base = _lite0() if backbone == "lite0" else _mobilenet()
    features, name = base.output_shape[-1], base.name
    model = nb.build_transfer_model(base, num_classes)
    assert isinstance(model, keras.Model), "build_transfer_model should return a keras.Model"
    probs = np.asarray(model(images(4), training=False))
    assert probs.shape == (4, num_classes), (
        f"with num_classes={num_classes} the output for 4 images should have shape "
        f"(4, {num_classes}), not {probs.shape}. Hint: Dense(num_classes) on the base's output.")
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4) and (probs >= 0).all(), (
        "each output row should be probabilities that sum to 1: use activation='softmax' (the "
        "loss sparse_categorical_crossentropy expects probabilities by default).")
    trainable = param_count(model.trainable_weights)
    assert trainable == features * num_classes + num_classes, (
        f"on {name} the model has {trainable:,} trainable parameters; only the new head should "
        f"train ({features} x {num_classes} + {num_classes} = "
        f"{features * num_classes + num_classes:,}). Hint: base_model.trainable = False.")


@pytest.mark.grade_id("a03_build_transfer_model")
def test_transfer_model_uses_the_given_base(nb):
    """The model reuses the given base (shared, not copied or re-initialised)"""
    base = _mobilenet(pretrained=True)
    before = [w.copy() for w in base.get_weights()]
    model = nb.build_transfer_model(base, 4)
    assert _same(before, base.get_weights()), (
        "building the model changed the base's weights: reuse base_model as it is.")
    x = images(3)
    head = model.get_layer("head")
    kernel, bias = head.get_weights()
    logits = np.asarray(base(x, training=False)) @ kernel + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert _close(model(x, training=False), expected), (
        "the model's output is not softmax(head(base_model(x))): call the given base_model "
        "on the inputs (do not build or load another backbone) and put the head named 'head' "
        "directly on its features.")


@pytest.mark.grade_id("a03_build_transfer_model")
def test_transfer_model_compiled(nb):
    """Compiled with Adam(lr) and sparse categorical cross-entropy"""
    keras = load_keras()
    model = nb.build_transfer_model(_mobilenet(pretrained=True), 3, lr=0.005)
    assert model.optimizer is not None and isinstance(model.optimizer, keras.optimizers.Adam), (
        "compile the model with keras.optimizers.Adam(lr) before returning it")
    lr = float(model.optimizer.learning_rate)
    assert abs(lr - 0.005) < 1e-8, f"the optimizer's learning rate should be lr=0.005, not {lr:g}"
    x, y = images(6), np.array([0, 1, 2, 0, 1, 2])
    model.run_eagerly = True  # the compiled loss, without tracing a graph for one batch
    loss = float(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])
    probs = np.asarray(model(x, training=False))
    expected = float(np.mean(-np.log(probs[np.arange(6), y])))
    assert abs(loss - expected) < 1e-3, (
        f"the compiled loss is {loss:.4f}, but the sparse categorical cross-entropy of the "
        f"predictions is {expected:.4f}. Hint: loss='sparse_categorical_crossentropy' with "
        "integer labels and a softmax output.")


@pytest.mark.grade_id("a03_build_transfer_model")
def test_transfer_model_fit_keeps_base(nb):
    """After fit the base is bit-identical, BatchNorm moving statistics included"""
    keras = load_keras()
    given = _mobilenet(fresh=True)  # 9 BatchNorm layers
    model = nb.build_transfer_model(given, 3, lr=0.01)
    # The returned model is a copy of the notebook's: train it here and read the base inside it
    # by name (its weights are those of the given base).
    try:
        base = model.get_layer(given.name)
    except ValueError:
        raise AssertionError(
            f"the returned model has no layer named {given.name!r}: call the given base_model "
            "on the inputs (do not rebuild or reload another backbone).") from None
    assert _same(given.get_weights(), base.get_weights()), (
        "the base inside the returned model does not hold the given base's weights: reuse "
        "base_model as it is.")
    bn = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)]
    stats = [(np.array(b.moving_mean), np.array(b.moving_variance)) for b in bn]
    before = [w.copy() for w in base.get_weights()]
    head = [w.copy() for w in model.get_layer("head").get_weights()]
    keras.utils.set_random_seed(0)
    model.run_eagerly = True  # the same steps, no graph to trace (2.5 s) for four of them
    model.fit(images(16), np.arange(16) % 3, epochs=2, batch_size=8, verbose=0)
    moved = [b.name for b, (m, v) in zip(bn, stats, strict=True)
             if not (np.array_equal(m, np.array(b.moving_mean))
                     and np.array_equal(v, np.array(b.moving_variance)))]
    assert not moved, (
        f"BatchNorm moving statistics changed during fit ({moved[:3]} ...): the base ran in "
        "training mode. Hint: freeze the base (base_model.trainable = False) BEFORE compiling; "
        "a frozen BatchNorm layer runs in inference mode.")
    assert _same(before, base.get_weights()), (
        "the base's weights changed during fit: freeze it (base_model.trainable = False) "
        "before compiling.")
    assert not _same(head, model.get_layer("head").get_weights()), (
        "the head did not train during fit: it must stay trainable.")


@pytest.mark.grade_id("a03_build_transfer_model")
def test_transfer_model_other_base(nb):
    """Works on any base with a 2-D output"""
    base = _tiny_base()
    model = nb.build_transfer_model(base, 2)
    x, _ = _tiny_data(5)
    out = np.asarray(model(x, training=False))
    assert out.shape == (5, 2), (
        f"on a base with input (6,) and 3 features, the output for 5 rows should be (5, 2), not "
        f"{out.shape}. Hint: take the input shape from base_model.input_shape[1:].")
    assert param_count(model.trainable_weights) == 3 * 2 + 2, "only the head (8 parameters) trains"


@pytest.mark.grade_id("a03_build_transfer_model")
@pytest.mark.parametrize("bad", [1, 0, 2.5, "3", True], ids=["one", "zero", "float", "str",
                                                              "bool"])
def test_transfer_model_rejects_bad_num_classes(nb, bad):
    """A bad num_classes raises a ValueError naming the argument, before changing anything"""
    base = _mobilenet()
    problem = _raises_value_error(lambda: nb.build_transfer_model(base, bad), "num_classes")
    assert problem is None, f"build_transfer_model(base, num_classes={bad!r}): {problem}"
    assert base.trainable, (
        "a bad num_classes must be rejected before anything changes (the base was frozen)")


@pytest.mark.grade_id("a03_build_transfer_model")
@pytest.mark.parametrize("bad", [0, -1e-3], ids=["zero", "negative"])
def test_transfer_model_rejects_bad_lr(nb, bad):
    """A learning rate <= 0 raises a ValueError naming lr"""
    problem = _raises_value_error(lambda: nb.build_transfer_model(_mobilenet(), 3, lr=bad), "lr")
    assert problem is None, f"build_transfer_model(base, 3, lr={bad!r}): {problem}"


# ------------------------------------------------------------------------------ move_cut
def _tiny_transfer(cut, trained=False):
    """A tiny base + head, frozen up to `cut` without the student's code, compiled.

    ``trained``: fitted once, which traces a training step (about a second). Only the checks
    of what a missing recompile does need it: a traced step keeps training the variables it
    was traced with until the next compile."""
    base = _tiny_base()
    names = [layer.name for layer in base.layers]
    for i, layer in enumerate(base.layers):
        layer.trainable = i > names.index(cut)
    model = _head_model(base)
    _compile(model)
    if trained:
        x, y = _tiny_data()
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # traces the training step
    return base, model


def _fit_after_move_cut(model, seed=1):
    """Fit as a student would after move_cut. A recompiled model (its training step reset)
    runs eager steps here, which train the same variables as a newly traced step and skip the
    tracing; a model that was not recompiled keeps its old traced step, as it would in the
    notebook (``run_eagerly`` is read only when a step is made)."""
    model.run_eagerly = True
    x, y = _tiny_data(seed=seed)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)


@pytest.mark.grade_id("a03_move_cut")
def test_move_cut_unfrozen_layers_train(nb):
    """After unfreezing, the unfrozen layers train (recompiled)"""
    base, model = _tiny_transfer("d3", trained=True)  # everything frozen, the head trained
    nb.move_cut(model, base, "act", lr=1e-2)
    top = [w.copy() for w in base.get_layer("d3").get_weights()]
    bottom = [w.copy() for w in base.get_layer("d1").get_weights()]
    _fit_after_move_cut(model)
    assert not _same(top, base.get_layer("d3").get_weights()), (
        "after move_cut(model, base, 'act') layer 'd3' is trainable but did not change during "
        "fit: you forgot to recompile. A compiled model keeps training the variables that were "
        "trainable when it was compiled; call model.compile(...) after changing trainable.")
    assert _same(bottom, base.get_layer("d1").get_weights()), (
        "layer 'd1' is below the cut but changed during fit.")


@pytest.mark.grade_id("a03_move_cut")
def test_move_cut_frozen_layers_stop(nb):
    """After freezing, the frozen layers stop training (recompiled)"""
    base, model = _tiny_transfer("x", trained=True)  # everything trainable and trained
    nb.move_cut(model, base, "bn2", lr=1e-2)
    frozen = {n: [w.copy() for w in base.get_layer(n).get_weights()]
              for n in ("d1", "bn1", "d2", "bn2")}
    _fit_after_move_cut(model)
    moved = [n for n, w in frozen.items() if not _same(w, base.get_layer(n).get_weights())]
    assert not moved, (
        f"after move_cut(model, base, 'bn2') layers {moved} are frozen but still changed during "
        "fit: you forgot to recompile. Until the next compile, fit keeps updating the variables "
        "it was compiled with, whatever their trainable flag says now.")


@pytest.mark.grade_id("a03_move_cut")
def test_move_cut_new_optimizer(nb):
    """Recompiled with a fresh Adam at the new learning rate"""
    keras = load_keras()
    base, model = _tiny_transfer("d3")
    old = model.optimizer
    nb.move_cut(model, base, "d1", lr=3e-4)
    assert model.optimizer is not old and isinstance(model.optimizer, keras.optimizers.Adam), (
        "move_cut must recompile with a new keras.optimizers.Adam(lr): the old optimizer's "
        "state belongs to the old set of trainable variables.")
    lr = float(model.optimizer.learning_rate)
    assert abs(lr - 3e-4) < 1e-9, f"the new learning rate should be lr=3e-4, not {lr:g}"


@pytest.mark.grade_id("a03_move_cut")
def test_move_cut_returns_counts(nb):
    """Returns the new (trainable, non_trainable) counts and moves the cut"""
    base, model = _tiny_transfer("d3")
    got = nb.move_cut(model, base, "bn1")
    expected = (param_count(model.trainable_weights), param_count(model.non_trainable_weights))
    assert tuple(got) == expected, (
        f"move_cut should return count_params(model) after the change, {expected}; it returned "
        f"{tuple(got)}.")
    assert expected == (24 + 8 + 15 + 12, 35 + 20 + 8), (
        "move_cut(model, base, 'bn1') should freeze x, d1, bn1 and make the rest trainable. "
        "Hint: use your freeze_until.")


@pytest.mark.grade_id("a03_move_cut")
def test_move_cut_rejects_unknown_layer(nb):
    """An unknown layer name raises ValueError naming layer_name, nothing changes"""
    base, model = _tiny_transfer("d3")
    flags, optimizer = _flags(base), model.optimizer
    problem = _raises_value_error(lambda: nb.move_cut(model, base, "dense_9"), "layer_name")
    assert problem is None, f"move_cut(model, base, 'dense_9'): {problem}"
    assert _flags(base) == flags and model.optimizer is optimizer, (
        "a call with an unknown layer name changed the model: check it before changing "
        "anything (your freeze_until does).")


@pytest.mark.grade_id("a03_move_cut")
def test_move_cut_rejects_bad_lr(nb):
    """A learning rate <= 0 raises ValueError naming lr, nothing changes"""
    base, model = _tiny_transfer("d3")
    flags = _flags(base)
    problem = _raises_value_error(lambda: nb.move_cut(model, base, "d1", lr=0.0), "lr")
    assert problem is None, f"move_cut(model, base, 'd1', lr=0.0): {problem}"
    assert _flags(base) == flags, (
        "lr=0.0 was rejected only after the trainable flags had changed: check lr first.")


@pytest.mark.grade_id("a03_move_cut")
def test_move_cut_lite0_counts(nb):
    """EfficientNet-Lite0: the counts match the cut (blocks 6-7 and top unfrozen) and the model
    is recompiled"""
    base = _lite0()
    base.trainable = False
    model = _head_model(base, 4)
    _compile(model)
    old = model.optimizer
    got = tuple(nb.move_cut(model, base, "block5c_add", lr=1e-4))
    k = [layer.name for layer in base.layers].index("block5c_add")
    expected = _trainable_above(base, k) + 1280 * 4 + 4
    assert got[0] == expected and got[0] == param_count(model.trainable_weights), (
        f"after move_cut(model, base, 'block5c_add') on EfficientNet-Lite0 with a 4-class head, "
        f"{expected:,} parameters should train (blocks 6 and 7, the top convolution and the "
        f"head, BatchNorm moving statistics excluded); move_cut returned {got}. Hint: "
        "freeze_until(base_model, layer_name), then count_params(model).")
    assert sum(got) == model.count_params(), "the two counts must add up to model.count_params()"
    assert model.optimizer is not old, (
        "the model was not recompiled after its trainable flags changed: call model.compile(...) "
        "with a new Adam(lr).")


# ------------------------------------------------------------------------------ features_at
@pytest.mark.grade_id("a03_features_at")
@pytest.mark.parametrize("backbone,layer,channels", [
    ("lite0", "stem_activation", 32), ("lite0", "block1a_project_bn", 16),
    ("lite0", "block2b_add", 24), ("lite0", "block4c_add", 80),
    ("mobilenet", "block3_pw_relu", 96),
], ids=["l0", "l1", "l2", "l3", "other"])
def test_features_at_is_pooled_activation(nb, backbone, layer, channels):
    """Output = the layer's activations averaged over height and width"""
    keras = load_keras()
    base = _lite0("imagenet") if backbone == "lite0" else _mobilenet(pretrained=True)
    cut = nb.features_at(base, layer)
    assert isinstance(cut, keras.Model), "features_at should return a keras.Model"
    x = images(4)
    out = np.asarray(cut(x, training=False))
    assert out.shape == (4, channels), (
        f"features_at(base, {layer!r}) on 4 images should output (4, {channels}), not "
        f"{out.shape}. Hint: cut at the named layer, then GlobalAveragePooling2D.")
    raw = np.asarray(keras.Model(base.input, base.get_layer(layer).output)(x, training=False))
    assert _close(out, raw.mean(axis=(1, 2))), (
        f"the features of {layer!r} are not the average of its activations over height and "
        "width. Hint: cut exactly at the named layer (not before or after it) and use average "
        "pooling, not max pooling or flattening.")


@pytest.mark.grade_id("a03_features_at")
def test_features_at_2d_output_unchanged(nb):
    """A layer with a 2-D output is returned as it is"""
    base = _mobilenet(pretrained=True)
    x = images(3)
    out = np.asarray(nb.features_at(base, "avg_pool")(x, training=False))
    assert _close(out, base(x, training=False)), (
        "features_at(base, 'avg_pool') should give the backbone's own output (its 128 pooled "
        "features): pool only 4-D outputs.")
    tiny = _tiny_base()
    xt, _ = _tiny_data(5)
    out = np.asarray(nb.features_at(tiny, "d2")(xt, training=False))
    assert out.shape == (5, 4), (
        f"on a dense model, features_at(model, 'd2') should output (5, 4), not {out.shape}.")


@pytest.mark.grade_id("a03_features_at")
def test_features_at_shares_weights(nb):
    """The cut model shares the backbone's weights (no copy)"""
    base = _mobilenet(pretrained=True, fresh=True)  # its stem_conv comes back doubled
    # In the kernel: cut = features_at(base, "block2_pw_relu"), its output on x, stem_conv's
    # weights doubled in the backbone, the cut's output again (a model that comes back here is
    # a copy, so the experiment runs where the student's objects live).
    run = nb.probe.built_output_after_scaling(nb.features_at, base, ("block2_pw_relu",),
                                              images(2), "stem_conv", factor=2.0)
    before, after = np.asarray(run["before"]), np.asarray(run["after"])
    assert before.shape == after.shape == (2, 64), (
        f"features_at(base, 'block2_pw_relu') on 2 images should output (2, 64), not "
        f"{before.shape}.")
    assert not _close(after, before, rtol=1e-3), (
        "changing the backbone's stem_conv weights did not change the cut model's output: it "
        "holds a copy. Build it from base_model.input and base_model.get_layer(name).output, so "
        "that it shares the backbone's layers.")


@pytest.mark.grade_id("a03_features_at")
def test_features_at_leaves_base_unchanged(nb):
    """The backbone keeps its layers, weights, flags and output"""
    base = _mobilenet()
    base.get_layer("block4_pw").trainable = False
    flags, n_layers = _flags(base), len(base.layers)
    before = [w.copy() for w in base.get_weights()]
    x = images(2)
    out = np.asarray(base(x, training=False))
    nb.features_at(base, "block2_pw_relu")
    assert len(base.layers) == n_layers and _flags(base) == flags, (
        "features_at changed the backbone's layers or trainable flags: it must only read it.")
    assert _same(before, base.get_weights()) and _close(base(x, training=False), out), (
        "features_at changed the backbone's weights.")


@pytest.mark.grade_id("a03_features_at")
def test_features_at_name(nb):
    """Named after the backbone and the cut (keeps cached features apart)"""
    base = _lite0()
    cuts = ("block2b_project_bn", "block2b_add")
    names = {nb.features_at(base, n).name for n in cuts}
    assert names == {f"efficientnet_lite0_upto_{n}" for n in cuts}, (
        f"the models should be named 'efficientnet_lite0_upto_<layer_name>', got "
        f"{sorted(names)}. tl.extract_features keys its cache on the model's name and weights: "
        "two cuts with the same weights (block2b_project_bn, block2b_add) and the same name "
        "would share a cache entry.")


@pytest.mark.grade_id("a03_features_at")
@pytest.mark.parametrize("bad", ["block9_pw_relu", None], ids=["unknown", "none"])
def test_features_at_rejects_unknown_layer(nb, bad):
    """An unknown layer name raises a ValueError naming layer_name"""
    problem = _raises_value_error(lambda: nb.features_at(_mobilenet(), bad), "layer_name")
    assert problem is None, f"features_at(base, {bad!r}): {problem}"


# ------------------------------------------------------------------------------ quiz
@pytest.mark.grade_id("a03_quiz")
@pytest.mark.parametrize("question,answer", [
    ("q1", "b"), ("q2", "a"), ("q3", "c"), ("q4", "a"), ("q5", "b"), ("q6", "c"),
], ids=["q1", "q2", "q3", "q4", "q5", "q6"])
def test_quiz(nb, question, answer):
    """Knowledge check"""
    assert nb.answers.get(question) == answer, f"{question} is not right yet: reread its part."
