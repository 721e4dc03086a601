"""Hidden checks of assignment 06 (domain adaptation).

Every check builds its own small inputs (tiny arrays, tiny tensors) and seeds everything, so it
runs in well under a second and does not depend on what the notebook computed.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from check_support import load_keras, reference_mmd_unbiased  # noqa: E402

import tl_helpers as tl  # noqa: E402


def _sample(seed, n, d, mix=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    return x @ mix if mix is not None else x


def _reference_coral(xs, xt, eps):
    def power(c, p):
        w, v = np.linalg.eigh(c)
        return (v * w**p) @ v.T

    eye = np.eye(xs.shape[1])
    cs = np.cov(xs, rowvar=False) + eps * eye
    ct = np.cov(xt, rowvar=False) + eps * eye
    return (xs - xs.mean(0)) @ power(cs, -0.5) @ power(ct, 0.5) + xt.mean(0)


# ------------------------------------------------------------------------------------- coral
@pytest.mark.grade_id("a06_coral")
@pytest.mark.parametrize("d,n_s,n_t", [(2, 50, 80), (5, 300, 120), (8, 40, 40)],
                         ids=["d2", "d5", "d8"])
def test_coral_matches_target_statistics(nb, d, n_s, n_t):
    """With eps=0 the aligned source has exactly the target's covariance and mean"""
    xs = _sample(1, n_s, d, np.diag(np.linspace(0.2, 3.0, d)))
    xt = _sample(2, n_t, d, _sample(3, d, d)) + 5.0
    aligned = nb.coral(xs, xt, eps=0)
    tl.check_type(aligned, np.ndarray, "coral(source, target)", hint="return a numpy array.")
    tl.check_shape(aligned, (n_s, d), "coral(source, target)",
                   hint="one aligned row per SOURCE row (the target only lends its statistics).")
    tl.check_close(np.cov(aligned, rowvar=False), np.cov(xt, rowvar=False),
                   "the covariance of the aligned source", atol=1e-7, rtol=1e-6, hint=(
                       "whiten with (C_s + eps I)^(-1/2) and re-colour with (C_t + eps I)^(1/2), "
                       "covariances from np.cov(x, rowvar=False) (divided by n - 1). Transposed "
                       "data (rows = features) is a common slip."))
    tl.check_close(aligned.mean(0), xt.mean(0), "the mean of the aligned source", atol=1e-8,
                   hint="centre the source first and add the target's column means at the end.")


@pytest.mark.grade_id("a06_coral")
@pytest.mark.parametrize("eps", [1.0, 0.1], ids=["eps1", "eps0.1"])
def test_coral_regularised(nb, eps):
    """With eps > 0 the result follows the formula with eps*I on both covariances"""
    xs = _sample(4, 60, 4, np.diag([2.0, 1.0, 0.5, 0.1]))
    xt = _sample(5, 70, 4, _sample(6, 4, 4))
    tl.check_close(nb.coral(xs, xt, eps=eps), _reference_coral(xs, xt, eps),
                   f"coral(source, target, eps={eps})", atol=1e-7, hint=(
                       "add eps * I to BOTH covariance matrices before taking their powers."))
    tl.check_close(nb.coral(xs, xt), _reference_coral(xs, xt, 1.0),
                   "coral(source, target) with the default eps", atol=1e-7,
                   hint="the default regularisation is eps=1.0.")


@pytest.mark.grade_id("a06_coral")
def test_coral_identity_and_rank_deficient(nb):
    """Aligning a sample with itself changes nothing; eps > 0 copes with a constant column"""
    x = _sample(7, 40, 3, np.diag([1.0, 2.0, 3.0]))
    tl.check_close(nb.coral(x, x, eps=0), x, "coral(x, x, eps=0)", atol=1e-8,
                   hint="when source and target are the same sample, CORAL is the identity.")
    constant = np.column_stack([_sample(8, 30, 2), np.ones(30)])
    out = nb.coral(constant, _sample(9, 30, 3), eps=1.0)
    assert np.all(np.isfinite(out)), (
        "coral(source with a constant column, target, eps=1) returned NaN or inf: with eps > 0 "
        "the regularised covariance is invertible even when a feature never varies.")


@pytest.mark.grade_id("a06_coral")
def test_coral_keeps_inputs(nb):
    """Accepts lists and integer arrays and does not change its inputs"""
    xs = _sample(10, 20, 2)
    xt = _sample(11, 25, 2)
    xs_copy, xt_copy = xs.copy(), xt.copy()
    nb.coral(xs, xt)
    assert np.array_equal(xs, xs_copy) and np.array_equal(xt, xt_copy), (
        "coral changed its input arrays; compute on copies (np.asarray(..., dtype=float)).")
    ints = nb.coral(np.array([[0, 1], [2, 0], [1, 3], [4, 4]]), [[1, 0], [0, 1], [2, 2], [3, 1]])
    assert np.asarray(ints).dtype == np.float64, "return float64 values (also for integer input)."


@pytest.mark.grade_id("a06_coral")
@pytest.mark.parametrize("source,target,kwargs,name", [
    (np.zeros(5), np.zeros((5, 1)), {}, "source"),
    (np.zeros((5, 2)), np.zeros((5, 2, 1)), {}, "target"),
    (np.zeros((1, 2)), np.zeros((5, 2)), {}, "source"),
    (np.zeros((5, 2)), np.zeros((5, 3)), {}, None),
    (np.ones((5, 2)), np.ones((5, 2)), {"eps": -1.0}, "eps"),
    (np.full((5, 2), np.nan), np.ones((5, 2)), {}, "source"),
], ids=["source_1d", "target_3d", "one_row", "columns_differ", "negative_eps", "nan"])
def test_coral_rejects_bad_inputs(nb, source, target, kwargs, name):
    """Bad inputs raise a ValueError that names the argument"""
    tl.check_raises(lambda: nb.coral(source, target, **kwargs), ValueError,
                    f"coral(source.shape={np.shape(source)}, target.shape={np.shape(target)}, "
                    f"{kwargs})", match=name,
                    hint="check shapes (2-D, >= 2 rows, same columns), finite values and "
                         "eps >= 0; name the bad argument in the message.")


# ----------------------------------------------------------------------------- mmd2_unbiased
@pytest.mark.grade_id("a06_mmd")
def test_mmd_closed_form(nb):
    """Small cases computed by hand, including a negative value"""
    value = nb.mmd2_unbiased([[0.0], [1.0]], [[0.0], [1.0]], bandwidth=1.0)
    tl.check_type(value, float, "mmd2_unbiased(...)", hint="return a Python float.")
    tl.check_close(value, np.exp(-0.5) - 1, "mmd2_unbiased([[0], [1]], [[0], [1]], 1)",
                   atol=1e-12, hint=(
                       "leave out the i == j pairs within each sample, keep all pairs across "
                       "the samples, and do not clip negative values at 0."))
    tl.check_close(nb.mmd2_unbiased([[0.0], [2.0]], [[1.0], [3.0], [5.0]], bandwidth=2.0),
                   reference_mmd_unbiased(np.array([[0.0], [2.0]]),
                                          np.array([[1.0], [3.0], [5.0]]), 2.0),
                   "mmd2_unbiased of samples of sizes 2 and 3", atol=1e-12,
                   hint="normalise within x by n(n-1), within y by m(m-1), across by n*m.")


@pytest.mark.grade_id("a06_mmd")
@pytest.mark.parametrize("seed,n,m,d,sigma", [(0, 30, 40, 3, 1.5), (1, 12, 7, 5, 0.7)],
                         ids=["30x40", "12x7"])
def test_mmd_matches_reference(nb, seed, n, m, d, sigma):
    """Random samples: the estimate equals the formula"""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(0.3, 1.2, size=(m, d))
    tl.check_close(nb.mmd2_unbiased(x, y, sigma), reference_mmd_unbiased(x, y, sigma),
                   f"mmd2_unbiased(x {x.shape}, y {y.shape}, {sigma})", atol=1e-10,
                   hint="k(a, b) = exp(-||a - b||^2 / (2 sigma^2)); unbiased within-sample means.")


@pytest.mark.grade_id("a06_mmd")
def test_mmd_is_unbiased(nb):
    """Averaged over many pairs of samples of the same distribution it is ~0 (not positive)"""
    rng = np.random.default_rng(2)
    pairs = tuple((rng.normal(size=(10, 2)), rng.normal(size=(10, 2)), 1.0) for _ in range(300))
    values = [float(v) for v in nb.probe.call_each(nb.mmd2_unbiased, pairs)]  # one round trip
    assert abs(np.mean(values)) < 0.01, (
        f"the average estimate for samples of the SAME distribution is {np.mean(values):.4f}, "
        "not ~0: the within-sample means must leave out the i == j pairs (k(x_i, x_i) = 1 "
        "biases the estimate upwards), and negative values must not be clipped.")
    assert min(values) < 0, "an unbiased estimate must be allowed to be negative (no clipping)."


@pytest.mark.grade_id("a06_mmd")
def test_mmd_properties(nb):
    """Symmetric, ~0 for a sample with itself, grows with the shift"""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(50, 3)), rng.normal(size=(40, 3))
    tl.check_close(nb.mmd2_unbiased(x, y, 1.0), nb.mmd2_unbiased(y, x, 1.0),
                   "mmd2_unbiased(x, y) vs mmd2_unbiased(y, x)", atol=1e-12,
                   hint="the estimate is symmetric in its two samples.")
    assert abs(nb.mmd2_unbiased(x, x, 1.0)) < 2.0 / len(x), (
        "the estimate for a sample against itself should be within 2/n of 0.")
    shifts = [nb.mmd2_unbiased(x, y + s, 1.0) for s in (0.5, 1.0, 2.0)]
    assert shifts[0] < shifts[1] < shifts[2], (
        f"the estimate should grow as y moves away from x; got {np.round(shifts, 4).tolist()}.")


@pytest.mark.grade_id("a06_mmd")
def test_mmd_keeps_inputs(nb):
    """Accepts lists and integer arrays and does not change its inputs"""
    x = np.array([[0.0, 1.0], [2.0, 3.0], [1.0, 1.0]])
    y = np.array([[1.0, 1.0], [0.0, 0.0]])
    x_copy, y_copy = x.copy(), y.copy()
    nb.mmd2_unbiased(x, y, 1.0)
    assert np.array_equal(x, x_copy) and np.array_equal(y, y_copy), (
        "mmd2_unbiased changed its input arrays.")
    tl.check_close(nb.mmd2_unbiased([[0, 1], [2, 3]], [[1, 1], [0, 0]], 2),
                   reference_mmd_unbiased(np.array([[0.0, 1.0], [2.0, 3.0]]),
                                          np.array([[1.0, 1.0], [0.0, 0.0]]), 2.0),
                   "mmd2_unbiased of integer lists with an integer bandwidth", atol=1e-12,
                   hint="convert to float64 before computing (integer arithmetic truncates).")


@pytest.mark.grade_id("a06_mmd")
@pytest.mark.parametrize("x,y,bandwidth,name", [
    (np.zeros(5), np.zeros((5, 1)), 1.0, "x"),
    (np.zeros((5, 1)), np.zeros((1, 1)), 1.0, "y"),
    (np.zeros((5, 2)), np.zeros((5, 3)), 1.0, None),
    (np.zeros((5, 2)), np.zeros((5, 2)), 0.0, "bandwidth"),
    (np.zeros((5, 2)), np.zeros((5, 2)), -1.0, "bandwidth"),
    (np.zeros((5, 2)), np.zeros((5, 2)), None, "bandwidth"),
], ids=["x_1d", "y_one_row", "columns_differ", "zero_bandwidth", "negative_bandwidth",
        "no_bandwidth"])
def test_mmd_rejects_bad_inputs(nb, x, y, bandwidth, name):
    """Bad inputs raise a ValueError that names the argument"""
    tl.check_raises(lambda: nb.mmd2_unbiased(x, y, bandwidth), ValueError,
                    f"mmd2_unbiased(x.shape={np.shape(x)}, y.shape={np.shape(y)}, "
                    f"bandwidth={bandwidth!r})", match=name,
                    hint="2-D samples with >= 2 rows and the same columns, bandwidth a number "
                         "> 0; name the bad argument in the message.")


# -------------------------------------------------------------------------- GradientReversal
# The layer lives in the notebook's kernel: `nb.GradientReversal` is a handle on the class and
# calling it gives a handle on a layer. Experiments that need TensorFlow (calling the layer,
# gradient tapes, models, saving) run there as probes (tl_helpers.grading.probes) that return
# raw numbers; the checks below judge them.
def _keras_layer_name():
    layer = load_keras().layers.Layer
    return f"{layer.__module__}.{layer.__qualname__}"


@pytest.mark.grade_id("a06_grl")
def test_grl_is_a_keras_layer(nb):
    """A keras.layers.Layer with scale 1.0 by default and no weights"""
    layer = nb.GradientReversal()
    assert _keras_layer_name() in nb.probe.describe(layer)["mro"], (
        "GradientReversal must subclass keras.layers.Layer.")
    scale = layer.scale
    assert isinstance(scale, float) and scale == 1.0, (
        "GradientReversal() should keep scale=1.0 (a float) in layer.scale.")
    forward = nb.probe.layer_forward(layer, np.zeros((2, 3), "float32"))
    assert forward["weights"] == 0, "the layer must not create weights."


@pytest.mark.grade_id("a06_grl")
@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 5, 2), (7,)], ids=["2d", "4d", "1d"])
def test_grl_forward_is_identity(nb, shape):
    """The forward pass returns its input unchanged (any shape, same dtype)"""
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    forward = nb.probe.layer_forward(nb.GradientReversal(scale=2.0), x)
    assert forward["shape"] == shape, f"the output shape {forward['shape']} should be {shape}."
    assert forward["dtype"] == "float32", (
        f"the output dtype should stay float32, got {forward['dtype']}.")
    tl.check_close(forward["output"], x, "GradientReversal(2.0)(x)", atol=1e-6,
                   hint="forward: the identity, whatever the scale.")


@pytest.mark.grade_id("a06_grl")
@pytest.mark.parametrize("scale", [1.0, 0.3, 2.5, 0.0, 2], ids=["1", "0.3", "2.5", "0", "int2"])
def test_grl_reverses_and_scales_gradient(nb, scale):
    """The backward pass multiplies the incoming gradient by -scale"""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4)).astype("float32")
    upstream = rng.normal(size=(3, 4)).astype("float32")
    run = nb.probe.gradient_through(nb.GradientReversal(scale=scale), x, upstream)
    hint = ("backward: -scale times the incoming gradient. A gradient equal to the upstream "
            "means no reversal; 0 everywhere means the gradient was stopped.")
    assert run["gradient"] is not None, (
        f"no gradient at all flows back through GradientReversal({scale}): the output must "
        "stay connected to the input (stop_gradient on every path, or NumPy inside call(), "
        f"cuts the graph). Hint: {hint}")
    tl.check_close(run["gradient"], -float(scale) * upstream,
                   f"the gradient through GradientReversal({scale})", atol=1e-5, hint=hint)


@pytest.mark.grade_id("a06_grl")
def test_grl_reverses_inside_a_model(nb):
    """Inside a Keras model the layer below the GRL receives the reversed gradient"""
    # Dense(2) "below" -> [GradientReversal(0.5)] -> Dense(1) "head", seeded; the gradient of
    # sum(output**2) for below's kernel, with and without the layer.
    run = nb.probe.gradients_in_model(nb.GradientReversal(0.5), seed=0)
    assert run["with_layer_gradient"] is not None, (
        "with GradientReversal(0.5) in a model, no gradient reaches the layer below it: "
        "the layers below receive -scale times their usual gradient.")
    tl.check_close(run["with_layer_output"], run["plain_output"],
                   "a model's output with and without the GRL", atol=1e-6)
    tl.check_close(run["with_layer_gradient"], -0.5 * run["plain_gradient"],
                   "the gradient of the layer below the GRL", atol=1e-5,
                   hint="the layers below receive -scale times their usual gradient.")


@pytest.mark.grade_id("a06_grl")
def test_grl_config_round_trip(nb):
    """get_config includes scale; a model with the layer saves and loads"""
    layer = nb.GradientReversal(scale=0.25, name="grl")
    config = layer.get_config()
    assert isinstance(config, dict), (
        f"get_config() should return a dict, got {type(config).__name__}.")
    assert config.get("scale") == 0.25, "get_config() should include 'scale': 0.25."
    assert config.get("name") == "grl", (
        "get_config() should keep the base config (name, dtype, ...): start from "
        "super().get_config().")
    rebuilt = nb.GradientReversal.from_config(config)
    assert rebuilt.scale == 0.25 and rebuilt.name == "grl", "from_config did not rebuild it."
    # Input(3) -> GradientReversal(0.25) -> Dense(1), saved as .keras and loaded again with
    # the class as a custom object, in the kernel.
    run = nb.probe.layer_config_round_trip(nb.GradientReversal, {"scale": 0.25})
    tl.check_close(run["loaded_output"], run["output"], "the reloaded model's output",
                   atol=1e-6)


@pytest.mark.grade_id("a06_grl")
@pytest.mark.parametrize("scale", [-1.0, "1", None, True],
                         ids=["negative", "string", "none", "bool"])
def test_grl_rejects_bad_scale(nb, scale):
    """A negative or non-numeric scale raises a ValueError that names scale"""
    tl.check_raises(lambda: nb.GradientReversal(scale=scale), ValueError,
                    f"GradientReversal(scale={scale!r})", match="scale",
                    hint="scale must be a number >= 0 (not a bool or a string); name it.")


# ---------------------------------------------------------------------------- knowledge check
@pytest.mark.grade_id("a06_quiz")
@pytest.mark.parametrize("question,answer", [
    ("q1", "a"), ("q2", "b"), ("q3", "b"), ("q4", "c"), ("q5", "a"),
], ids=["q1", "q2", "q3", "q4", "q5"])
def test_quiz(nb, question, answer):
    """knowledge check"""
    given = nb.answers.get(question) if isinstance(nb.answers, dict) else None
    assert given == answer, f"{question} is not right yet: reread the matching section."
