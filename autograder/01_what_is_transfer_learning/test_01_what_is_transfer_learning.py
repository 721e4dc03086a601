"""Hidden checks of assignment 01 (what is transfer learning).

Every check builds its own small inputs (EfficientNet-Lite0 at a small input size, the course
MobileNet, toy features, toy datasets) and seeds everything, so it runs in a few seconds and
does not depend on what the notebook computed.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from check_support import (  # noqa: E402
    SharedModels,
    course_mobilenet,
    images,
    load_keras,
    pristine_copy,
    trainable_flags,
)

import tl_helpers as tl  # noqa: E402
from tl_helpers.grading.probes import FeatureRecorder  # noqa: E402

_SHARED = SharedModels()  # its flags and weights put back before each use


def _pretrained():
    """The course MobileNet with its pretrained weights (shared, see ``SharedModels``)."""
    return _SHARED.get("pretrained", lambda: course_mobilenet(weights="course"))


def _random_base(input_shape=None):
    """The course MobileNet with seeded random weights (shared for the default input shape)."""
    def build():
        return course_mobilenet(weights=None, input_shape=input_shape, seed=0)

    return build() if input_shape is not None else _SHARED.get("random", build)


def _lite0_imagenet_bottom():
    """The bottom of EfficientNet-Lite0 with its ImageNet weights (its layers up to block3b_add,
    44 of 143; 64 px): a real Lite0 to cut inside, a third of the cost of crossing the whole."""
    def build():
        full = tl.load_backbone("efficientnet_lite0", weights="imagenet", input_shape=(64, 64, 3))
        keras = load_keras()
        return keras.Model(full.input, full.get_layer("block3b_add").output, name="lite0_bottom")

    return _SHARED.get("lite0", lambda: pristine_copy("a01_lite0_bottom", build, seed=0))


# ------------------------------------------------------------------ build_feature_extractor
@pytest.mark.grade_id("a01_build_feature_extractor")
def test_extractor_matches_pretrained_base(nb):
    """The extractor computes the pretrained base's features in inference mode"""
    # the course MobileNet with its pretrained weights (9 BatchNorm layers, whose moving
    # statistics tell inference mode apart); pretrained Lite0 is checked at a cut below (one
    # more crossing of the whole of Lite0 and back would cost ~2.5 s per submission)
    base = _pretrained()
    extractor = nb.build_feature_extractor(base)
    x = images(4, size=32)
    expected = np.asarray(base(x, training=False))
    actual = np.asarray(extractor(x))
    assert actual.shape == expected.shape, (
        f"features should have shape {expected.shape}, got {actual.shape}. Hint: the output is "
        "the base's output when layer_name is None.")
    assert np.allclose(actual, expected, atol=1e-4), (
        "the extractor's features differ from the pretrained base's (run in inference mode). "
        "Hint: clone_model gives fresh random weights: copy the base's weights into the copy "
        "with set_weights, and call it with training=False.")


@pytest.mark.grade_id("a01_build_feature_extractor")
def test_extractor_is_frozen(nb):
    """Every weight of the extractor is non-trainable"""
    extractor = nb.build_feature_extractor(_pretrained())
    assert len(extractor.trainable_weights) == 0, (
        f"the extractor still has {len(extractor.trainable_weights)} trainable weights. Hint: "
        "set trainable = False on the copy of the base (Keras propagates it to every layer).")
    assert extractor.count_params() == _pretrained().count_params(), (
        "the extractor should hold exactly the base's parameters (frozen), no more, no fewer.")


@pytest.mark.grade_id("a01_build_feature_extractor")
def test_extractor_survives_training_a_head(nb):
    """Training a head on top changes no weight of the extractor, BatchNorm statistics included"""
    keras = load_keras()
    extractor = nb.build_feature_extractor(_random_base())
    before = [np.array(w) for w in extractor.weights]
    keras.utils.set_random_seed(0)
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Dense(3, activation="softmax")(extractor(inputs))
    model = keras.Model(inputs, outputs)
    # eager steps: the same training, without tracing a graph (seconds) for six steps
    model.compile("adam", "sparse_categorical_crossentropy", run_eagerly=True)
    model.fit(images(12, seed=1), np.arange(12) % 3, epochs=2, batch_size=4, verbose=0)
    changed = [w.path for w, b in zip(extractor.weights, before, strict=True)
               if not np.array_equal(np.array(w), b)]
    assert not changed, (
        f"training a head on top changed {len(changed)} extractor weights (e.g. {changed[:2]}). "
        "Hint: a frozen extractor has trainable = False everywhere and runs BatchNorm with "
        "training=False, so its moving statistics never change.")


@pytest.mark.grade_id("a01_build_feature_extractor")
def test_extractor_inference_mode_even_in_training(nb):
    """BatchNorm stays in inference mode even when the extractor is called with training=True"""
    base = _pretrained()
    extractor = nb.build_feature_extractor(base)
    x = images(8, seed=2)
    a = np.asarray(extractor(x, training=True))
    b = np.asarray(base(x, training=False))
    assert np.allclose(a, b, atol=1e-4), (
        "called with training=True, the extractor normalised with the batch's statistics. "
        "Hint: call the frozen copy with training=False inside the extractor.")


@pytest.mark.grade_id("a01_build_feature_extractor")
def test_extractor_does_not_mutate_base(nb):
    """The base_model it is given keeps its trainable flags and weights"""
    base = _pretrained()
    flags = trainable_flags(base)
    weights = [np.array(w) for w in base.weights]
    nb.build_feature_extractor(base)
    assert trainable_flags(base) == flags, (
        "build_feature_extractor changed the trainable flags of the base_model it was given. "
        "Hint: freeze a copy (keras.models.clone_model), not the caller's model.")
    assert all(np.array_equal(np.array(w), b) for w, b in zip(base.weights, weights,
                                                              strict=True)), (
        "build_feature_extractor changed the weights of the base_model it was given.")


@pytest.mark.grade_id("a01_build_feature_extractor")
def test_extractor_is_independent_of_base(nb):
    """Changing the base's weights afterwards does not change the extractor"""
    # A model that comes back from the notebook is a copy, so sharing can only be seen in the
    # kernel: the probe builds the extractor from (a copy of) the base there, zeroes that base's
    # weights and computes the features again.
    base = _pretrained()
    x = images(4, seed=3)
    run = nb.probe.features_after_base_changes(nb.build_feature_extractor, base, x)
    before, after = run["before"], run["after"]
    expected = (4, *base.output_shape[1:])
    assert before.shape == expected, f"features should have shape {expected}, got {before.shape}."
    assert np.allclose(before, after, atol=1e-6), (
        "the extractor shares its variables with base_model: training or changing the base "
        "later silently changes your features. Hint: build it from a copy "
        "(keras.models.clone_model) and copy the weights with set_weights.")


@pytest.mark.grade_id("a01_build_feature_extractor")
@pytest.mark.parametrize("backbone,layer_name,channels", [
    ("lite0", "block2b_add", 24), ("course", "stem_relu", 24), ("course", "avg_pool", 128),
], ids=["lite0_block2", "course_stem", "course_avg_pool"])
def test_extractor_cut_at_layer(nb, backbone, layer_name, channels):
    """layer_name cuts the base at that layer and pools a 4-D activation"""
    keras = load_keras()
    base = _lite0_imagenet_bottom() if backbone == "lite0" else _pretrained()
    extractor = nb.build_feature_extractor(base, layer_name)
    assert tuple(extractor.output_shape) == (None, channels), (
        f"with layer_name={layer_name!r} the output shape should be (None, {channels}), got "
        f"{extractor.output_shape}. Hint: average a 4-D activation over height and width.")
    x = images(3, size=base.input_shape[1], seed=4)
    cut = keras.Model(base.input, base.get_layer(layer_name).output)
    expected = np.asarray(cut(x, training=False))
    if expected.ndim == 4:
        expected = expected.mean(axis=(1, 2))
    assert np.allclose(np.asarray(extractor(x)), expected, atol=1e-4), (
        f"with layer_name={layer_name!r} the features are not the average over height and "
        "width of that layer's output (in inference mode).")


@pytest.mark.grade_id("a01_build_feature_extractor")
def test_extractor_other_input_shape(nb):
    """Works for any input shape of the base (uses the base's own input shape)"""
    base = _random_base(input_shape=(40, 40, 3))
    extractor = nb.build_feature_extractor(base)
    x = images(2, size=40, seed=5)
    assert tuple(extractor.input_shape) == (None, 40, 40, 3), (
        f"the extractor's input shape should be the base's (None, 40, 40, 3), got "
        f"{extractor.input_shape}. Hint: use base_model.input_shape, do not hard-code 32x32.")
    assert np.allclose(np.asarray(extractor(x)), np.asarray(base(x, training=False)), atol=1e-4)


@pytest.mark.grade_id("a01_build_feature_extractor")
@pytest.mark.parametrize("bad", ["no_such_layer", "avg-pool", 3], ids=["typo1", "typo2", "int"])
def test_extractor_rejects_unknown_layer(nb, bad):
    """An unknown layer_name raises a ValueError naming the argument"""
    base = _random_base()
    with pytest.raises(ValueError, match="layer_name"):
        nb.build_feature_extractor(base, bad)


@pytest.mark.grade_id("a01_build_feature_extractor")
def test_extractor_rejects_non_model(nb):
    """A base_model that is not a Keras model raises a TypeError naming the argument"""
    with pytest.raises(TypeError, match="base_model"):
        nb.build_feature_extractor("course_mobilenet")


# ------------------------------------------------------------------------- fit_linear_head
def _blobs(n_per_class=30, num_classes=3, dims=6, spread=1.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2.5, (num_classes, dims))
    y = np.repeat(np.arange(num_classes), n_per_class)
    return centres[y] + rng.normal(0, spread, (len(y), dims)), y


def _reference(x, y, C):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=3000)).fit(x, y)


@pytest.mark.grade_id("a01_fit_linear_head")
def test_head_separates_blobs(nb):
    """The head classifies well separated classes on new data"""
    x, y = _blobs(spread=0.5)
    x_new, y_new = _blobs(spread=0.5, seed=0)
    x_new = x_new + np.random.default_rng(9).normal(0, 0.1, x_new.shape)
    head = nb.fit_linear_head(x, y)
    accuracy = float(np.mean(head.predict(x_new) == y_new))
    assert accuracy >= 0.95, (
        f"on well separated classes the head reached only {accuracy:.2f}. Hint: fit a "
        "LogisticRegression on the features and return the fitted classifier.")


@pytest.mark.grade_id("a01_fit_linear_head")
@pytest.mark.parametrize("C", [0.01, 0.1, 10.0], ids=["strong", "default", "weak"])
def test_head_matches_standardised_logistic_regression(nb, C):
    """Predictions match a standardised logistic regression with the given C"""
    x, y = _blobs(n_per_class=15, num_classes=4, dims=10, spread=2.5, seed=1)
    x_test, _ = _blobs(n_per_class=50, num_classes=4, dims=10, spread=2.5, seed=2)
    expected = _reference(x, y, C).predict(x_test)
    actual = np.asarray(nb.fit_linear_head(x, y, C=C).predict(x_test))
    agreement = float(np.mean(actual == expected))
    assert agreement >= 0.97, (
        f"with C={C} your head agrees with a standardised logistic regression on only "
        f"{agreement:.0%} of new points. Hint: StandardScaler then LogisticRegression(C=C, "
        "max_iter=3000); pass C through (smaller C = stronger L2 penalty).")


@pytest.mark.grade_id("a01_fit_linear_head")
def test_head_is_scale_invariant(nb):
    """Rescaling a feature does not change the predictions (features are standardised)"""
    x, y = _blobs(n_per_class=15, num_classes=3, dims=5, spread=2.0, seed=3)
    x_test, _ = _blobs(n_per_class=40, num_classes=3, dims=5, spread=2.0, seed=4)
    scale = np.array([1000.0, 0.001, 1.0, 50.0, 0.02])
    a = np.asarray(nb.fit_linear_head(x, y).predict(x_test))
    b = np.asarray(nb.fit_linear_head(x * scale, y).predict(x_test * scale))
    assert float(np.mean(a == b)) >= 0.99, (
        "multiplying a feature by a constant changed the predictions: the features are not "
        "standardised, so the L2 penalty treats large-scale and small-scale features "
        "differently. Hint: put a StandardScaler before the LogisticRegression.")


@pytest.mark.grade_id("a01_fit_linear_head")
def test_head_does_not_modify_inputs(nb):
    """train_features and y_train are not modified"""
    x, y = _blobs(seed=5)
    x_copy, y_copy = x.copy(), y.copy()
    nb.fit_linear_head(x, y)
    assert np.array_equal(x, x_copy), (
        "fit_linear_head changed train_features in place (e.g. standardised it with -= and "
        "/=). Hint: let StandardScaler work on a copy.")
    assert np.array_equal(y, y_copy), "fit_linear_head changed y_train."


@pytest.mark.grade_id("a01_fit_linear_head")
@pytest.mark.parametrize("case,argument", [
    ("features_1d", "train_features"), ("length_mismatch", "y_train"),
    ("one_class", "y_train"), ("c_zero", r"\bC\b"), ("c_negative", r"\bC\b"),
    ("c_string", r"\bC\b"),
], ids=["features_1d", "length_mismatch", "one_class", "c_zero", "c_negative", "c_string"])
def test_head_rejects_bad_inputs(nb, case, argument):
    """Bad inputs raise a ValueError naming the argument"""
    x, y = _blobs(n_per_class=5)
    calls = {
        "features_1d": lambda: nb.fit_linear_head(x[:, 0], y),
        "length_mismatch": lambda: nb.fit_linear_head(x, y[:-1]),
        "one_class": lambda: nb.fit_linear_head(x, np.zeros_like(y)),
        "c_zero": lambda: nb.fit_linear_head(x, y, C=0),
        "c_negative": lambda: nb.fit_linear_head(x, y, C=-1.0),
        "c_string": lambda: nb.fit_linear_head(x, y, C="0.1"),
    }
    with pytest.raises(ValueError, match=argument):
        calls[case]()


# ------------------------------------------------------------------- label_efficiency_curve
def _toy_dataset(num_classes=3, n_train=12, n_test=8, seed=0):
    """Toy ImageDataset: the features' first column carries the label (1 = right, 0 = wrong)."""
    y = np.repeat(np.arange(num_classes), n_train + n_test)
    is_test = np.tile(np.r_[np.zeros(n_train, bool), np.ones(n_test, bool)], num_classes)
    x = np.zeros((len(y), 8, 8, 3), np.uint8)
    return tl.ImageDataset(x, y, [f"c{i}" for i in range(num_classes)], "toy", is_test)


# FeatureRecorder (a fake head) runs in the notebook's kernel and its recorded calls are copied
# back after each call: it records what it was trained on and predicts the label stored in
# feature column 0.


@pytest.mark.grade_id("a01_label_efficiency_curve")
def test_curve_structure(nb):
    """One accuracy per seed for each budget, as Python floats in the order given"""
    ds = _toy_dataset()
    features = np.c_[ds.y, np.zeros(len(ds.y))].astype(float)
    curve = nb.label_efficiency_curve(features, ds, [6, 2, 4], [3, 1, 2],
                                      fit_head=FeatureRecorder())
    assert list(curve) == [6, 2, 4], (
        f"the keys should be the budgets in the order given, [6, 2, 4]; got {list(curve)}")
    for n, scores in curve.items():
        assert len(scores) == 3, f"budget {n}: expected one accuracy per seed (3), got {scores}"
        assert all(type(s) is float and 0.0 <= s <= 1.0 for s in scores), (
            f"budget {n}: accuracies should be Python floats in [0, 1], got {scores!r}. Hint: "
            "float(np.mean(...)).")


@pytest.mark.grade_id("a01_label_efficiency_curve")
def test_curve_trains_on_the_few_shot_split(nb):
    """Each head is trained on exactly the few_shot_indices training rows of its budget and seed"""
    ds = _toy_dataset()
    rng = np.random.default_rng(0)
    features = np.c_[ds.y, rng.normal(size=len(ds.y)), np.arange(len(ds.y))].astype(float)
    recorder = FeatureRecorder()
    nb.label_efficiency_curve(features, ds, [2, 5], [0, 7], fit_head=recorder)
    expected = [tl.few_shot_indices(ds, n, seed=s)[0] for n in (2, 5) for s in (0, 7)]
    assert len(recorder.calls) == 4, (
        f"expected 4 heads (2 budgets x 2 seeds), fit_head was called {len(recorder.calls)} "
        "times. Hint: fit one head per budget and seed, with the fit_head given.")
    for (train_features, y_train), idx in zip(recorder.calls, expected, strict=True):
        rows = train_features[:, 2].astype(int)
        assert sorted(rows.tolist()) == sorted(idx.tolist()), (
            "a head was trained on other images than the training indices of "
            "tl.few_shot_indices(dataset, n, seed=seed). Hint: index features with train_idx, "
            "for each budget and seed, in the order budgets then seeds.")
        assert np.array_equal(y_train, ds.y[rows]), "y_train must be dataset.y[train_idx]."


@pytest.mark.grade_id("a01_label_efficiency_curve")
def test_curve_scores_on_the_fixed_test_set(nb):
    """Accuracy is measured on the fixed test set only (closed-form case)"""
    ds = _toy_dataset(num_classes=2, n_train=10, n_test=10)
    predicted = ds.y.copy()
    test_rows = np.flatnonzero(ds.is_test)
    predicted[test_rows[:5]] = 1 - predicted[test_rows[:5]]  # 5 of the 20 test rows wrong
    predicted[~ds.is_test] = 1 - predicted[~ds.is_test]       # every training row wrong
    features = np.c_[predicted, np.zeros(len(ds.y))].astype(float)
    curve = nb.label_efficiency_curve(features, ds, [3, 10], [0, 1], fit_head=FeatureRecorder())
    for n, scores in curve.items():
        assert np.allclose(scores, 0.75), (
            f"budget {n}: expected accuracy 0.75 on the test set (15 of 20 right), got "
            f"{scores}. Hint: score on features[test_idx] against dataset.y[test_idx], never on "
            "the training rows.")


@pytest.mark.grade_id("a01_label_efficiency_curve")
def test_curve_default_head_is_fit_linear_head(nb):
    """Without fit_head it uses fit_linear_head and is deterministic"""
    ds = _toy_dataset(num_classes=3, n_train=15, n_test=10)
    rng = np.random.default_rng(1)
    features = np.eye(3)[ds.y] * 3 + rng.normal(0, 1.0, (len(ds.y), 3))
    a = nb.label_efficiency_curve(features, ds, [3, 10], [0, 1])
    b = nb.label_efficiency_curve(features, ds, [3, 10], [0, 1])
    assert a == b, "two identical calls gave different accuracies: seed everything."
    for n in (3, 10):
        for i, seed in enumerate((0, 1)):
            train_idx, test_idx = tl.few_shot_indices(ds, n, seed=seed)
            head = _reference(features[train_idx], ds.y[train_idx], 0.1)
            expected = float(np.mean(head.predict(features[test_idx]) == ds.y[test_idx]))
            assert abs(a[n][i] - expected) <= 0.05, (
                f"budget {n}, seed {seed}: accuracy {a[n][i]:.3f}, a standardised logistic "
                f"regression gets {expected:.3f}. Hint: with fit_head=None use fit_linear_head.")


@pytest.mark.grade_id("a01_label_efficiency_curve")
def test_curve_does_not_modify_inputs(nb):
    """features, budgets and seeds are not modified"""
    ds = _toy_dataset()
    features = np.c_[ds.y, np.ones(len(ds.y))].astype(float)
    features_copy, budgets, seeds = features.copy(), [2, 4], [0, 1]
    nb.label_efficiency_curve(features, ds, budgets, seeds, fit_head=FeatureRecorder())
    assert np.array_equal(features, features_copy), "label_efficiency_curve changed `features`."
    assert budgets == [2, 4] and seeds == [0, 1], "label_efficiency_curve changed budgets/seeds."


@pytest.mark.grade_id("a01_label_efficiency_curve")
@pytest.mark.parametrize("case,argument", [
    ("rows", "features"), ("empty_budgets", "budgets"), ("zero_budget", "budgets"),
    ("float_budget", "budgets"), ("empty_seeds", "seeds"),
], ids=["rows", "empty_budgets", "zero_budget", "float_budget", "empty_seeds"])
def test_curve_rejects_bad_inputs(nb, case, argument):
    """Bad inputs raise a ValueError naming the argument"""
    ds = _toy_dataset()
    features = np.c_[ds.y, np.ones(len(ds.y))].astype(float)
    calls = {
        "rows": lambda: nb.label_efficiency_curve(features[:-3], ds, [2], [0],
                                                  fit_head=FeatureRecorder()),
        "empty_budgets": lambda: nb.label_efficiency_curve(features, ds, [], [0],
                                                           fit_head=FeatureRecorder()),
        "zero_budget": lambda: nb.label_efficiency_curve(features, ds, [2, 0], [0],
                                                         fit_head=FeatureRecorder()),
        "float_budget": lambda: nb.label_efficiency_curve(features, ds, [2.5], [0],
                                                          fit_head=FeatureRecorder()),
        "empty_seeds": lambda: nb.label_efficiency_curve(features, ds, [2], [],
                                                         fit_head=FeatureRecorder()),
    }
    with pytest.raises(ValueError, match=argument):
        calls[case]()


# ---------------------------------------------------------------------------- transfer_gap
@pytest.mark.grade_id("a01_transfer_gap")
def test_gap_closed_form(nb):
    """The gap is the mean paired difference, per budget, budgets in increasing order"""
    results = {
        "transfer": {30: [0.91, 0.93, 0.92], 5: [0.85, 0.80, 0.90], 10: [0.9, 0.9, 0.9]},
        "scratch": {5: [0.60, 0.70, 0.95], 10: [0.8, 0.85, 0.9], 30: [0.91, 0.93, 0.92]},
    }
    gaps = nb.transfer_gap(results, "transfer", "scratch")
    assert list(gaps) == [5, 10, 30], (
        f"the budgets should come in increasing order [5, 10, 30], got {list(gaps)}")
    expected = {5: (0.25 + 0.10 - 0.05) / 3, 10: 0.05, 30: 0.0}
    for n, gap in expected.items():
        assert abs(gaps[n] - gap) < 1e-9, (
            f"at {n} labels per class the gap should be {gap:.4f}, got {gaps[n]!r}. Hint: "
            "mean over seeds of method - baseline (not baseline - method).")
    assert all(type(g) is float for g in gaps.values()), (
        "the gaps should be Python floats (float(...)), not numpy scalars.")


@pytest.mark.grade_id("a01_transfer_gap")
def test_gap_negative_transfer(nb):
    """A method worse than the baseline gives a negative gap (negative transfer)"""
    results = {"frozen": {10: [0.70, 0.72]}, "scratch": {10: [0.90, 0.94]}}
    gaps = nb.transfer_gap(results, "frozen", "scratch")
    assert abs(gaps[10] - (-0.21)) < 1e-9, (
        f"the gap should be -0.21 (the method is worse: negative transfer), got {gaps[10]!r}. "
        "Hint: do not take an absolute value.")
    reverse = nb.transfer_gap(results, "scratch", "frozen")
    assert abs(reverse[10] - 0.21) < 1e-9, "swapping method and baseline should flip the sign."


@pytest.mark.grade_id("a01_transfer_gap")
def test_gap_only_shared_budgets(nb):
    """Only budgets present for both methods are compared"""
    results = {"t": {5: [0.8], 20: [0.9], 200: [0.95]}, "s": {5: [0.6], 200: [0.9], 50: [0.8]}}
    gaps = nb.transfer_gap(results, "t", "s")
    assert list(gaps) == [5, 200], (
        f"only the budgets both methods have ([5, 200]) can be compared, got {list(gaps)}.")
    assert abs(gaps[5] - 0.2) < 1e-9 and abs(gaps[200] - 0.05) < 1e-9


@pytest.mark.grade_id("a01_transfer_gap")
def test_gap_does_not_modify_results(nb):
    """results is not modified"""
    results = {"t": {10: [0.9, 0.8], 5: [0.7, 0.6]}, "s": {5: [0.5, 0.6], 10: [0.8, 0.8]}}
    snapshot = {k: {n: list(v) for n, v in d.items()} for k, d in results.items()}
    nb.transfer_gap(results, "t", "s")
    assert results == snapshot and list(results["t"]) == [10, 5], (
        "transfer_gap changed `results` (e.g. sorted or subtracted in place).")


@pytest.mark.grade_id("a01_transfer_gap")
@pytest.mark.parametrize("case,argument", [
    ("unknown_method", "method"), ("unknown_baseline", "baseline"),
    ("unpaired", "results"), ("no_shared", "results"), ("empty_seeds", "results"),
], ids=["unknown_method", "unknown_baseline", "unpaired", "no_shared", "empty_seeds"])
def test_gap_rejects_bad_inputs(nb, case, argument):
    """Bad inputs raise a ValueError naming the argument"""
    cases = {
        "unknown_method": ({"t": {5: [0.9]}, "s": {5: [0.8]}}, "transfer", "s"),
        "unknown_baseline": ({"t": {5: [0.9]}, "s": {5: [0.8]}}, "t", "scratch"),
        "unpaired": ({"t": {5: [0.9, 0.8]}, "s": {5: [0.8]}}, "t", "s"),
        "no_shared": ({"t": {5: [0.9]}, "s": {10: [0.8]}}, "t", "s"),
        "empty_seeds": ({"t": {5: []}, "s": {5: []}}, "t", "s"),
    }
    results, method, baseline = cases[case]
    with pytest.raises(ValueError, match=argument):
        nb.transfer_gap(results, method, baseline)


# -------------------------------------------------------------------------- knowledge check
@pytest.mark.grade_id("a01_quiz")
@pytest.mark.parametrize("question,answer", [
    ("q1", "b"), ("q2", "c"), ("q3", "a"), ("q4", "c"), ("q5", "a"), ("q6", "b"), ("q7", "c"),
], ids=["q1", "q2", "q3", "q4", "q5", "q6", "q7"])
def test_quiz(nb, question, answer):
    """Knowledge check"""
    assert nb.answers.get(question) == answer, f"{question} is not right yet: reread its part."
