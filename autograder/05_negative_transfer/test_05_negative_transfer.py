"""Hidden checks of assignment 05 (negative transfer).

Every check builds its own small inputs (tiny arrays, a tiny Keras model) and seeds everything,
so it runs in well under a second or two and does not depend on what the notebook computed.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from check_support import load_keras, reference_mmd_biased  # noqa: E402

import tl_helpers as tl  # noqa: E402


# --------------------------------------------------------------------- negative_transfer_gap
@pytest.mark.grade_id("a05_transfer_gap")
@pytest.mark.parametrize("transfer,scratch,expected", [
    (0.9, 0.6, -0.3), (0.3, 0.7, 0.4), (0.5, 0.5, 0.0), (1.0, 0.0, -1.0), (0.0, 1.0, 1.0),
], ids=["helps", "hurts", "equal", "edge_best", "edge_worst"])
def test_gap_scalars(nb, transfer, scratch, expected):
    """The gap of two accuracies follows the sign convention"""
    gap = nb.negative_transfer_gap(transfer, scratch)
    tl.check_type(gap, float, "negative_transfer_gap(transfer_acc, scratch_acc)",
                  hint="return a Python float for two scalar accuracies.")
    tl.check_close(gap, expected, "the gap", atol=1e-12, hint=(
        "gap = transfer error - scratch error = scratch_acc - transfer_acc; it is POSITIVE "
        "when transfer hurts (negative transfer). A flipped sign is the usual slip."))


@pytest.mark.grade_id("a05_transfer_gap")
def test_gap_arrays(nb):
    """Works element-wise on arrays and lists (one value per seed)"""
    transfer = np.array([[0.9, 0.2], [0.5, 0.75]])
    scratch = np.array([[0.6, 0.7], [0.5, 0.25]])
    gap = nb.negative_transfer_gap(transfer, scratch)
    tl.check_type(gap, np.ndarray, "the gap of two arrays",
                  hint="return an array with one gap per element.")
    tl.check_close(gap, scratch - transfer, "the gap of two 2x2 arrays", atol=1e-12)
    assert np.asarray(gap).dtype == np.float64, "the gap array should have dtype float64."
    tl.check_close(nb.negative_transfer_gap([0.1, 0.2, 0.3], [0.3, 0.2, 0.1]), [0.2, 0.0, -0.2],
                   "the gap of two lists", atol=1e-12,
                   hint="accept lists too: convert with np.asarray.")
    ints = nb.negative_transfer_gap(np.array([1, 0]), np.array([0, 1]))
    tl.check_close(ints, [-1.0, 1.0], "the gap of integer arrays", atol=1e-12,
                   hint="convert to float before subtracting.")


@pytest.mark.grade_id("a05_transfer_gap")
def test_gap_keeps_inputs(nb):
    """The inputs are not changed"""
    transfer = np.array([0.9, 0.4])
    scratch = np.array([0.6, 0.8])
    nb.negative_transfer_gap(transfer, scratch)
    assert transfer.tolist() == [0.9, 0.4] and scratch.tolist() == [0.6, 0.8], (
        "negative_transfer_gap changed its input arrays; compute the gap into a new array.")


@pytest.mark.grade_id("a05_transfer_gap")
@pytest.mark.parametrize("args,name", [
    ((85.0, 0.6), "transfer_acc"), ((0.6, 72.0), "scratch_acc"), ((-0.1, 0.5), "transfer_acc"),
    ((0.5, float("nan")), "scratch_acc"), (([0.5, 1.2], [0.5, 0.5]), "transfer_acc"),
], ids=["percent_transfer", "percent_scratch", "negative", "nan", "array_value"])
def test_gap_rejects_bad_accuracy(nb, args, name):
    """Accuracies outside [0, 1] or NaN raise a ValueError naming the argument"""
    tl.check_raises(lambda: nb.negative_transfer_gap(*args), ValueError,
                    f"negative_transfer_gap{args!r}", match=name,
                    hint="accuracies are fractions in [0, 1] (not percentages); say which "
                         "argument is wrong.")


@pytest.mark.grade_id("a05_transfer_gap")
def test_gap_rejects_shape_mismatch(nb):
    """Different shapes raise a ValueError"""
    tl.check_raises(lambda: nb.negative_transfer_gap([0.5, 0.6, 0.7], [0.5, 0.6]), ValueError,
                    "negative_transfer_gap with 3 and 2 values",
                    hint="one gap per run: both inputs must have the same shape (numpy "
                         "broadcasting would silently pair the wrong runs).")
    tl.check_raises(lambda: nb.negative_transfer_gap([0.5, 0.6], 0.5), ValueError,
                    "negative_transfer_gap(array, scalar)",
                    hint="compare like with like: do not broadcast a scalar over an array.")


# --------------------------------------------------------------------------- reinitialize_top
def _tiny_model(seed=0):
    keras = load_keras()
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="c1")(inputs)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="c2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(6, activation="relu", name="d1")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="out")(x)
    model = keras.Model(inputs, outputs)
    # distinctive "trained" weights: 0.37 everywhere, biases included
    model.set_weights([np.full(w.shape, 0.37, dtype="float32") for w in model.get_weights()])
    return model


WEIGHTED = ["c1", "c2", "d1", "out"]


def _weights(model):
    return {name: [w.copy() for w in model.get_layer(name).get_weights()] for name in WEIGHTED}


@pytest.mark.grade_id("a05_reinit_top")
@pytest.mark.parametrize("n", [0, 1, 2, 4], ids=["n0", "n1", "n2", "n4"])
def test_reinit_splits_layers(nb, n):
    """The bottom layers keep their weights bit-identically, the top n get fresh ones"""
    model = _tiny_model()
    new = nb.reinitialize_top(model, n, seed=0)
    assert isinstance(new, load_keras().Model), "reinitialize_top must return a keras.Model."
    assert new is not model, (
        "reinitialize_top returned the input model itself; return a new model "
        "(keras.models.clone_model).")
    keras = load_keras()

    def names(m):
        return [layer.name for layer in m.layers if not isinstance(layer, keras.layers.InputLayer)]

    assert names(new) == names(model), (
        "the returned model must have the same layers (same names, same order) as the input.")
    kept, fresh = WEIGHTED[:len(WEIGHTED) - n], WEIGHTED[len(WEIGHTED) - n:]
    for name in kept:
        for w in new.get_layer(name).get_weights():
            assert np.array_equal(w, np.full(w.shape, 0.37, dtype="float32")), (
                f"with n_layers={n}, layer {name!r} is below the cut and must keep the input "
                "model's weights exactly. Hint: count only layers that have weights, from the "
                "top, and copy every other weighted layer.")
    for name in fresh:
        kernel = new.get_layer(name).get_weights()[0]
        assert not np.allclose(kernel, 0.37), (
            f"with n_layers={n}, layer {name!r} is in the top {n} and must get fresh weights. "
            "Hint: layers without weights (pooling, flatten) do not count.")


@pytest.mark.grade_id("a05_reinit_top")
def test_reinit_uses_initializers(nb):
    """Fresh weights come from each layer's own initializers"""
    model = _tiny_model()
    new = nb.reinitialize_top(model, 2, seed=0)
    for name in ("d1", "out"):
        kernel, bias = new.get_layer(name).get_weights()
        assert np.all(bias == 0), (
            f"the re-initialised layer {name!r} should have zero biases (Dense's default "
            "bias initializer). Hint: re-initialise with the layer's initializers, e.g. via "
            "keras.models.clone_model, not by adding noise to the old weights.")
        fan_in, fan_out = kernel.shape
        glorot_std = np.sqrt(2.0 / (fan_in + fan_out))
        assert 0.3 * glorot_std < kernel.std() < 3 * glorot_std and abs(kernel.mean()) < 0.5, (
            f"the re-initialised kernel of {name!r} does not look like a fresh Glorot-uniform "
            "initialisation (wrong scale). Hint: use the layers' own initializers.")


@pytest.mark.grade_id("a05_reinit_top")
def test_reinit_keeps_input(nb):
    """The input model is not changed (weights and trainable flags)"""
    model = _tiny_model()
    before = _weights(model)
    flags = [layer.trainable for layer in model.layers]
    new = nb.reinitialize_top(model, 3, seed=0)
    after = _weights(model)
    for name in WEIGHTED:
        for b, a in zip(before[name], after[name], strict=True):
            assert np.array_equal(a, b), (
                f"reinitialize_top changed the input model's layer {name!r}. Hint: change the "
                "copy, never the model you were given (the source model is reused).")
    assert [layer.trainable for layer in model.layers] == flags, (
        "reinitialize_top changed the input model's trainable flags.")
    new.get_layer("c1").set_weights([w * 0 for w in new.get_layer("c1").get_weights()])
    assert np.allclose(model.get_layer("c1").get_weights()[0], 0.37), (
        "the returned model shares its variables with the input model: changing the copy "
        "changed the original. Hint: build a new model and copy the weights with set_weights.")


@pytest.mark.grade_id("a05_reinit_top")
def test_reinit_seeded(nb):
    """The same seed gives the same fresh weights, another seed other ones"""
    model = _tiny_model()
    a = nb.reinitialize_top(model, 2, seed=5).get_layer("d1").get_weights()[0]
    b = nb.reinitialize_top(model, 2, seed=5).get_layer("d1").get_weights()[0]
    c = nb.reinitialize_top(model, 2, seed=6).get_layer("d1").get_weights()[0]
    assert np.array_equal(a, b), (
        "reinitialize_top with the same seed gave different weights. Hint: call "
        "keras.utils.set_random_seed(seed) before building the fresh weights.")
    assert not np.array_equal(a, c), (
        "reinitialize_top gave the same weights for seeds 5 and 6: use the `seed` argument.")


@pytest.mark.grade_id("a05_reinit_top")
def test_reinit_model_still_works(nb):
    """The returned model runs and gives outputs of the right shape"""
    model = _tiny_model()
    new = nb.reinitialize_top(model, 1, seed=0)
    x = np.random.default_rng(0).normal(size=(5, 8, 8, 1)).astype("float32")
    out = np.asarray(new(x, training=False))
    tl.check_shape(out, (5, 3), "the returned model's output on 5 images")
    tl.check_close(out.sum(axis=1), np.ones(5), "the sum of the softmax outputs", atol=1e-5)


@pytest.mark.grade_id("a05_reinit_top")
@pytest.mark.parametrize("n", [-1, 5, 99], ids=["negative", "one_too_many", "far_too_many"])
def test_reinit_rejects_bad_count(nb, n):
    """An impossible n_layers raises a ValueError naming n_layers"""
    tl.check_raises(lambda: nb.reinitialize_top(_tiny_model(), n, seed=0), ValueError,
                    f"reinitialize_top(model, {n}) on a model with 4 weighted layers",
                    match="n_layers",
                    hint="accept 0..number of layers with weights; name `n_layers` in the "
                         "message.")


@pytest.mark.grade_id("a05_reinit_top")
@pytest.mark.parametrize("n", [1.5, "2", True], ids=["float", "string", "bool"])
def test_reinit_rejects_non_int(nb, n):
    """A non-integer n_layers raises a TypeError naming n_layers"""
    tl.check_raises(lambda: nb.reinitialize_top(_tiny_model(), n, seed=0), TypeError,
                    f"reinitialize_top(model, {n!r})", match="n_layers",
                    hint="check the type first (isinstance(n_layers, bool) is a trap: "
                         "True is an int in Python).")


# ---------------------------------------------------------------------------------- mmd_rbf
@pytest.mark.grade_id("a05_mmd")
def test_mmd_closed_form(nb):
    """Closed-form values with a given bandwidth"""
    tl.check_close(nb.mmd_rbf([[0.0]], [[1.0]], bandwidth=1.0), 2 - 2 * np.exp(-0.5),
                   "mmd_rbf([[0]], [[1]], bandwidth=1)", atol=1e-9)
    tl.check_close(nb.mmd_rbf([[0.0]], [[2.0]], bandwidth=2.0), 2 - 2 * np.exp(-0.5),
                   "mmd_rbf([[0]], [[2]], bandwidth=2)", atol=1e-9,
                   hint="the kernel is exp(-||a-b||^2 / (2 sigma^2)): sigma, not sigma^2, "
                        "is the bandwidth.")
    # two points vs one point, 2-D: every kernel value by hand
    x, y = [[0.0, 0.0], [3.0, 4.0]], [[0.0, 0.0]]
    expected = (2 + 2 * np.exp(-25 / 2)) / 4 + 1 - 2 * (1 + np.exp(-25 / 2)) / 2
    tl.check_close(nb.mmd_rbf(x, y, bandwidth=1.0), expected, "mmd_rbf of 2 vs 1 points",
                   atol=1e-9, hint="the biased estimate averages over ALL pairs, i == j "
                                   "included, and divides by n^2, m^2 and n*m.")


@pytest.mark.grade_id("a05_mmd")
def test_mmd_median_heuristic(nb):
    """bandwidth=None uses the median distance of the pooled sample"""
    tl.check_close(nb.mmd_rbf([[0.0]], [[1.0]]), 2 - 2 * np.exp(-0.5),
                   "mmd_rbf([[0]], [[1]]) with the median heuristic", atol=1e-9)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(30, 4)), rng.normal(0.7, 1.3, size=(20, 4))
    pooled = np.concatenate([x, y])
    d = np.sqrt(((pooled[:, None] - pooled[None]) ** 2).sum(-1))
    sigma = np.median(d[np.triu_indices(len(pooled), k=1)])
    tl.check_close(nb.mmd_rbf(x, y), reference_mmd_biased(x, y, sigma), "mmd_rbf(x, y)", atol=1e-9,
                   hint="sigma = median of the distances between DISTINCT rows of "
                        "concatenate([x, y]) (each pair once, the zero self-distances left out).")


@pytest.mark.grade_id("a05_mmd")
def test_mmd_properties(nb):
    """Zero for identical samples, symmetric, order-free, translation-invariant, non-negative"""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(25, 3)), rng.normal(0.5, 1.0, size=(35, 3))
    tl.check_close(nb.mmd_rbf(x, x), 0.0, "mmd_rbf(x, x)", atol=1e-9)
    tl.check_close(nb.mmd_rbf(x, y), nb.mmd_rbf(y, x), "mmd_rbf(y, x) vs mmd_rbf(x, y)",
                   atol=1e-9, hint="MMD is symmetric.")
    tl.check_close(nb.mmd_rbf(x[::-1], y[rng.permutation(35)]), nb.mmd_rbf(x, y),
                   "mmd_rbf of reordered rows", atol=1e-9,
                   hint="the order of the samples must not matter.")
    tl.check_close(nb.mmd_rbf(x + 10, y + 10, bandwidth=1.5), nb.mmd_rbf(x, y, bandwidth=1.5),
                   "mmd_rbf of shifted samples", atol=1e-9,
                   hint="the kernel depends only on differences a - b.")
    value = nb.mmd_rbf(x, np.concatenate([x, x]))  # identical distribution, rounding only
    assert isinstance(value, float) and value >= 0, (
        "mmd_rbf must return a float >= 0 (clip a tiny negative value from rounding to 0.0).")


@pytest.mark.grade_id("a05_mmd")
def test_mmd_grows_with_shift(nb):
    """MMD grows as the target moves away"""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 2))
    noise = rng.normal(size=(50, 2))
    values = [nb.mmd_rbf(x, noise + shift, bandwidth=1.0) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), (
        f"with a fixed bandwidth, MMD should grow with the shift; got {np.round(values, 4)}.")


@pytest.mark.grade_id("a05_mmd")
def test_mmd_keeps_inputs(nb):
    """The inputs are not changed, integer inputs work"""
    x = np.arange(12, dtype=float).reshape(6, 2)
    y = x[::-1].copy() + 1
    x0, y0 = x.copy(), y.copy()
    nb.mmd_rbf(x, y)
    assert np.array_equal(x, x0) and np.array_equal(y, y0), (
        "mmd_rbf changed its inputs (e.g. centred or scaled them in place).")
    tl.check_close(nb.mmd_rbf(np.array([[0], [1]]), np.array([[2], [3]]), bandwidth=1.0),
                   reference_mmd_biased([[0], [1]], [[2], [3]], 1.0), "mmd_rbf of integer arrays",
                   atol=1e-9, hint="convert inputs to float before computing.")


@pytest.mark.grade_id("a05_mmd")
@pytest.mark.parametrize("x,y,name", [
    (np.zeros(4), np.zeros((4, 1)), "x"),
    (np.zeros((4, 1)), np.zeros((2, 2, 1)), "y"),
    (np.zeros((0, 3)), np.zeros((4, 3)), "x"),
    (np.zeros((3, 3)), np.zeros((3, 2)), "y"),
], ids=["x_1d", "y_3d", "x_empty", "columns_differ"])
def test_mmd_rejects_bad_shapes(nb, x, y, name):
    """Bad shapes raise a ValueError naming the argument"""
    tl.check_raises(lambda: nb.mmd_rbf(x, y), ValueError,
                    f"mmd_rbf(x of shape {x.shape}, y of shape {y.shape})", match=name,
                    hint="x and y must be non-empty 2-D arrays (samples, features) with the "
                         "same number of columns.")


@pytest.mark.grade_id("a05_mmd")
@pytest.mark.parametrize("bandwidth", [0.0, -1.0], ids=["zero", "negative"])
def test_mmd_rejects_bad_bandwidth(nb, bandwidth):
    """bandwidth <= 0 raises a ValueError naming bandwidth"""
    tl.check_raises(lambda: nb.mmd_rbf(np.zeros((2, 1)), np.ones((2, 1)), bandwidth=bandwidth),
                    ValueError, f"mmd_rbf(..., bandwidth={bandwidth})", match="bandwidth")


# ------------------------------------------------------------------ detect_negative_transfer
@pytest.mark.grade_id("a05_detect")
@pytest.mark.parametrize("transfer,scratch,margin,expected", [
    ([0.4, 0.5], [0.7, 0.8], 0.02, True),
    ([0.9, 0.95], [0.6, 0.62], 0.02, False),
    ([0.60], [0.61], 0.02, False),
    ([0.60], [0.63], 0.02, True),
    ([0.5, 0.5], [0.5, 0.5], 0.0, False),
    ([0.3, 0.9], [0.6, 0.7], 0.0, True),
    ([0.3, 0.9], [0.6, 0.7], 0.1, False),
], ids=["clear", "positive_transfer", "within_margin", "beyond_margin", "tie_no_margin",
        "mean_of_mixed", "mixed_within_margin"])
def test_detect_decisions(nb, transfer, scratch, margin, expected):
    """Flags exactly when the mean validation gap exceeds the margin"""
    flagged = nb.detect_negative_transfer(transfer, scratch, margin=margin)
    assert flagged is expected, (
        f"detect_negative_transfer({transfer}, {scratch}, margin={margin}) should be "
        f"{expected}, got {flagged!r}. Hint: flag when mean(scratch - transfer) > margin "
        "(strictly), and return a Python bool (bool(...)), not a numpy bool.")


@pytest.mark.grade_id("a05_detect")
def test_detect_default_margin(nb):
    """The default margin is 0.02"""
    assert nb.detect_negative_transfer([0.5], [0.515]) is False, (
        "a validation gap of 0.015 is within the default margin 0.02: do not flag it.")
    assert nb.detect_negative_transfer([0.5], [0.53]) is True, (
        "a validation gap of 0.03 is beyond the default margin 0.02: flag it.")


@pytest.mark.grade_id("a05_detect")
def test_detect_keeps_inputs(nb):
    """Accepts numpy arrays and does not change them"""
    t, s = np.array([0.4, 0.6]), np.array([0.8, 0.7])
    assert nb.detect_negative_transfer(t, s) is True
    assert t.tolist() == [0.4, 0.6] and s.tolist() == [0.8, 0.7], (
        "detect_negative_transfer changed its input arrays.")


@pytest.mark.grade_id("a05_detect")
@pytest.mark.parametrize("args,kwargs,name", [
    (([0.5], [0.5, 0.6]), {}, None),
    (([], []), {}, None),
    (([0.5], [0.5]), {"margin": -0.1}, "margin"),
    (([1.5], [0.5]), {}, "transfer_val_acc"),
    (([[0.5, 0.6]], [[0.5, 0.6]]), {}, None),
], ids=["lengths_differ", "empty", "negative_margin", "not_a_fraction", "two_d"])
def test_detect_rejects_bad_inputs(nb, args, kwargs, name):
    """Bad inputs raise a ValueError"""
    tl.check_raises(lambda: nb.detect_negative_transfer(*args, **kwargs), ValueError,
                    f"detect_negative_transfer{args!r} with {kwargs}", match=name,
                    hint="validate the inputs: non-empty 1-D, same length, accuracies in "
                         "[0, 1], margin >= 0; name the bad argument.")


# ---------------------------------------------------------------------------- knowledge check
@pytest.mark.grade_id("a05_quiz")
@pytest.mark.parametrize("question,answer", [
    ("q1", "b"), ("q2", "b"), ("q3", "c"), ("q4", "a"), ("q5", "b"),
], ids=["q1", "q2", "q3", "q4", "q5"])
def test_quiz(nb, question, answer):
    """knowledge check"""
    given = nb.answers.get(question) if isinstance(nb.answers, dict) else None
    assert given == answer, f"{question} is not right yet: reread the matching section."
