"""Hidden checks of assignment 04 (fine-tuning).

Every check builds its own small inputs (EfficientNet-Lite0 or the course MobileNet with random
weights at 32x32 pixels, or a tiny convolutional network) and seeds everything, so it runs in a
few seconds and does not depend on what the notebook computed.

``nb`` runs the student's functions in the notebook's kernel: a model given to them is updated
here after the call (flags, weights, a recompile). Callbacks and Histories stay in the kernel
(RemoteObjects): their class is checked through ``nb.probe.describe`` and the early-stopping
experiment runs there (``nb.probe.early_stopping_run``).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from check_support import (  # noqa: E402
    SharedModels,
    course_mobilenet,
    efficientnet_lite0,
    load_keras,
    param_count,
)

MOBILENET_CONVS = ["stem_conv", "block1_dw", "block1_pw", "block2_dw", "block2_pw",
                   "block3_dw", "block3_pw", "block4_dw", "block4_pw"]


_SHARED = SharedModels(all_trainable=True)


def _mobilenet():
    """course_mobilenet with seeded random weights, one per submission: its trainable flags
    and weights are put back before each use (the kernel keeps its copy, so it is not sent
    again), so a solution that changed them fails one check, not every later one."""
    return _SHARED.get("mobilenet", lambda: course_mobilenet(weights=None, seed=0))


def _lite0():
    """EfficientNet-Lite0, random weights, 32x32 inputs (its real layer names and sizes)."""
    return efficientnet_lite0(weights=None, input_shape=(32, 32, 3), seed=0)


_LITE0 = {}


def _shared_lite0():
    """One Lite0 for the checks that only change trainable flags (unfreeze_top resets them)."""
    if "model" not in _LITE0:
        _LITE0["model"] = _lite0()
    return _LITE0["model"]


def _top_of(model, cut="block6d_add"):
    """The layers of ``model`` above ``cut``, as a model taking the activations at the cut."""
    return load_keras().Model(model.get_layer(cut).output, model.output, name="top")


def _bn_layers(model):
    keras = load_keras()
    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


# ------------------------------------------------------------------------------ unfreeze_top
@pytest.mark.grade_id("a04_unfreeze_top")
@pytest.mark.parametrize("n", [0, 1, 3, 6, 9], ids=["n0", "n1", "n3", "n6", "n9"])
def test_unfreeze_top_counts(nb, n):
    """The trainable parameters match the cut"""
    base = _mobilenet()
    returned = nb.unfreeze_top(base, n)
    expected_names = MOBILENET_CONVS[len(MOBILENET_CONVS) - n:] if n else []
    assert list(returned) == expected_names, (
        f"unfreeze_top(base, {n}) should return the names of the top {n} convolutions, bottom "
        f"to top; it returned {list(returned)!r}. Hint: candidates are layers with weights that "
        "are not BatchNormalization, in the order of base_model.layers.")
    expected = sum(base.get_layer(name).count_params() for name in expected_names)
    actual = param_count(base.trainable_weights)
    assert actual == expected, (
        f"after unfreeze_top(base, {n}) the base has {actual:,} trainable parameters; the top "
        f"{n} convolutions hold {expected:,}. Hint: everything else (BatchNorm included) must "
        "be frozen.")


@pytest.mark.grade_id("a04_unfreeze_top")
def test_unfreeze_top_batchnorm_frozen(nb):
    """BatchNorm layers stay frozen even when everything else is unfrozen"""
    base = _mobilenet()
    nb.unfreeze_top(base, 9)
    trainable_bn = [layer.name for layer in _bn_layers(base) if layer.trainable]
    assert not trainable_bn, (
        f"BatchNorm layers must stay frozen (trainable=False) while fine-tuning on a few images; "
        f"these are trainable: {trainable_bn}. Hint: frozen BatchNorm runs in inference mode and "
        "keeps the source statistics.")


@pytest.mark.grade_id("a04_unfreeze_top")
def test_unfreeze_top_after_frozen_base(nb):
    """Works on a base that was frozen as a whole before"""
    base = _mobilenet()
    base.trainable = False
    nb.unfreeze_top(base, 2)
    actual = param_count(base.trainable_weights)
    assert actual == 864 + 12288, (
        f"after base_model.trainable = False, unfreeze_top(base, 2) left {actual:,} trainable "
        "parameters instead of 13,152. Hint: a frozen model hides the flags of its layers: set "
        "base_model.trainable = True first, then freeze layer by layer.")


@pytest.mark.grade_id("a04_unfreeze_top")
def test_unfreeze_top_replaces_previous_choice(nb):
    """A second call replaces the first one"""
    base = _mobilenet()
    nb.unfreeze_top(base, 9)
    nb.unfreeze_top(base, 2)
    actual = param_count(base.trainable_weights)
    assert actual == 864 + 12288, (
        f"unfreeze_top(base, 9) then unfreeze_top(base, 2) left {actual:,} trainable parameters "
        "instead of 13,152. Hint: freeze every layer that is not among the top n_layers, do not "
        "only unfreeze the top ones.")


@pytest.mark.grade_id("a04_unfreeze_top")
def test_unfreeze_top_keeps_weights(nb):
    """No weight value changes"""
    base = _mobilenet()
    before = [w.copy() for w in base.get_weights()]
    nb.unfreeze_top(base, 4)
    after = base.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)), (
        "unfreeze_top changed weight values: it must only change the trainable flags (do not "
        "rebuild or reload the model).")


@pytest.mark.grade_id("a04_unfreeze_top")
def test_unfreeze_top_other_model(nb):
    """Works on any model, not only course_mobilenet"""
    keras = load_keras()
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(5, name="d1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.ReLU(name="act")(x)
    x = keras.layers.Dense(4, name="d2")(x)
    x = keras.layers.BatchNormalization(name="bn2")(x)
    x = keras.layers.Dense(3, name="d3")(x)
    model = keras.Model(inputs, x)
    returned = nb.unfreeze_top(model, 2)
    assert list(returned) == ["d2", "d3"], (
        f"on a model with layers d1, bn1, act, d2, bn2, d3, unfreeze_top(model, 2) should "
        f"return ['d2', 'd3'], not {list(returned)!r}. Hint: do not hard-code layer names.")
    assert param_count(model.trainable_weights) == 4 * 5 + 4 + 4 * 3 + 3, (
        "on that small model only d2 and d3 should train (BatchNorm frozen).")


LITE0_TOP = ["block7a_expand_conv", "block7a_dwconv", "block7a_project_conv", "top_conv"]


@pytest.mark.grade_id("a04_unfreeze_top")
@pytest.mark.parametrize("n", [1, 4, 49], ids=["n1", "n4", "n49"])
def test_unfreeze_top_lite0(nb, n):
    """Works on EfficientNet-Lite0: names, trainable parameters, BatchNorm frozen"""
    keras = load_keras()
    base = _shared_lite0()
    candidates = [layer.name for layer in base.layers if layer.weights
                  and not isinstance(layer, keras.layers.BatchNormalization)]
    returned = nb.unfreeze_top(base, n)
    expected_names = candidates[len(candidates) - n:]
    assert list(returned) == expected_names, (
        f"on EfficientNet-Lite0, unfreeze_top(base, {n}) should return the top {n} "
        f"convolutions, bottom to top, ending with {expected_names[-2:]}; it returned "
        f"{list(returned)[-3:]!r} (last ones shown). Hint: skip the layers without weights "
        "(preprocess, activations, add, pooling) and BatchNormalization layers.")
    expected = sum(base.get_layer(name).count_params() for name in expected_names)
    actual = param_count(base.trainable_weights)
    trainable_bn = [layer.name for layer in _bn_layers(base) if layer.trainable]
    assert not trainable_bn, (
        f"BatchNorm layers must stay frozen while fine-tuning; on Lite0 these are trainable: "
        f"{trainable_bn[:3]}. Hint: frozen BatchNorm runs in inference mode and keeps the "
        "ImageNet statistics.")
    assert actual == expected, (
        f"on EfficientNet-Lite0, unfreeze_top(base, {n}) left {actual:,} trainable parameters; "
        f"the top {n} convolutions hold {expected:,}.")


@pytest.mark.grade_id("a04_unfreeze_top")
def test_unfreeze_top_lite0_range(nb):
    """On Lite0 (49 candidate layers) n_layers=50 is rejected"""
    base = _shared_lite0()
    try:
        nb.unfreeze_top(base, 50)
    except ValueError as error:
        assert "n_layers" in str(error), (
            f"the ValueError should name the argument `n_layers`; it said: {str(error)[:150]!r}")
        return
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"unfreeze_top(lite0, 50) should raise ValueError, not "
                    f"{type(error).__name__}.")
    pytest.fail("unfreeze_top(lite0, 50) should raise ValueError: Lite0 has 49 convolutions. "
                "Hint: count the candidates of the model you are given, do not hard-code it.")


@pytest.mark.grade_id("a04_unfreeze_top")
def test_unfreeze_top_lite0_top_part(nb):
    """Works on the top part of Lite0 above a cut (a model whose input is an inner layer)"""
    top = _top_of(_shared_lite0())
    returned = nb.unfreeze_top(top, 2)
    assert list(returned) == LITE0_TOP[2:], (
        f"on Lite0's layers above block6d_add, unfreeze_top(top, 2) should return "
        f"{LITE0_TOP[2:]}, not {list(returned)!r}.")
    expected = sum(top.get_layer(name).count_params() for name in LITE0_TOP[2:])
    assert param_count(top.trainable_weights) == expected, (
        f"on Lite0's top part only {LITE0_TOP[2:]} should train ({expected:,} parameters), "
        f"not {param_count(top.trainable_weights):,}.")


@pytest.mark.grade_id("a04_unfreeze_top")
@pytest.mark.parametrize("bad", [-1, 10, 2.5, "2", None], ids=["neg", "big", "float", "str",
                                                                "none"])
def test_unfreeze_top_rejects_bad_n(nb, bad):
    """A bad n_layers raises a ValueError naming the argument"""
    base = _mobilenet()
    try:
        nb.unfreeze_top(base, bad)
    except ValueError as error:
        assert "n_layers" in str(error), (
            f"the ValueError should name the argument `n_layers`; it said: {str(error)[:150]!r}")
        return
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"unfreeze_top(base, {bad!r}) should raise ValueError, not "
                    f"{type(error).__name__}. Hint: check n_layers is an int in range first.")
    pytest.fail(f"unfreeze_top(base, {bad!r}) should raise ValueError (course_mobilenet has 9 "
                "candidate layers), but it raised nothing.")


@pytest.mark.grade_id("a04_unfreeze_top")
def test_unfreeze_top_training_keeps_frozen_parts(nb):
    """After one training epoch: frozen layers and BatchNorm statistics are unchanged"""
    keras = load_keras()
    base = _mobilenet()
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Dense(3, activation="softmax")(base(inputs, training=False))
    model = keras.Model(inputs, outputs)
    nb.unfreeze_top(base, 2)
    # eager steps: the same training, without tracing a graph (seconds) for two steps
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", run_eagerly=True)
    frozen = {name: [w.copy() for w in base.get_layer(name).get_weights()]
              for name in ["stem_conv", "block3_pw"] + [b.name for b in _bn_layers(base)]}
    top = base.get_layer("block4_pw").get_weights()[0].copy()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (16, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 3, 16)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    changed = [name for name, ws in frozen.items()
               if not all(np.array_equal(a, b) for a, b in
                          zip(ws, base.get_layer(name).get_weights(), strict=True))]
    assert not changed, (
        f"these layers changed during training although they should be frozen: {changed}. "
        "Hint: BatchNorm layers and every layer below the cut keep trainable=False.")
    assert not np.array_equal(top, base.get_layer("block4_pw").get_weights()[0]), (
        "the top convolution did not train after unfreeze_top(base, 2).")


# ------------------------------------------------------------------------ make_early_stopping
@pytest.mark.grade_id("a04_early_stopping")
@pytest.mark.parametrize("patience", [1, 4], ids=["p1", "p4"])
def test_early_stopping_configuration(nb, patience):
    """Monitors val_loss with the given patience and restores the best weights"""
    keras = load_keras()
    stopper = nb.make_early_stopping(patience)  # stays in the kernel (a RemoteObject)
    assert _is_instance(nb, stopper, keras.callbacks.EarlyStopping), (
        f"make_early_stopping should return a keras.callbacks.EarlyStopping, not "
        f"{_type_name(stopper)}.")
    assert stopper.monitor == "val_loss", (
        f"monitor the validation loss ('val_loss'), not {stopper.monitor!r}: the training loss "
        "keeps falling while the model overfits.")
    assert stopper.patience == patience, (
        f"make_early_stopping({patience}) has patience {stopper.patience}: pass it through.")
    assert stopper.restore_best_weights is True, (
        "restore_best_weights must be True, or the model keeps the weights of the last "
        "(overfitted) epoch.")


def _is_instance(nb, obj, klass):
    """isinstance for an object that stays in the kernel (a RemoteObject): its class's MRO."""
    from tl_course.proxy import RemoteObject

    if not isinstance(obj, RemoteObject):
        return isinstance(obj, klass)
    return f"{klass.__module__}.{klass.__qualname__}" in nb.probe.describe(obj)["mro"]


def _type_name(obj):
    return getattr(obj, "remote_type", None) or type(obj).__name__


@pytest.mark.grade_id("a04_early_stopping")
def test_early_stopping_behaviour(nb):
    """Stops once the validation loss stops improving and keeps the best epoch's weights"""
    # In the kernel: a 1-weight regression whose validation loss rises from the first epoch on,
    # trained for up to 20 epochs with the student's callback (probes.early_stopping_run).
    logs = nb.probe.early_stopping_run(nb.make_early_stopping(3), epochs=20)
    seen = logs["seen"]  # the weight after every epoch
    best = int(np.argmin(logs["val_loss"]))
    assert len(logs["loss"]) == best + 3 + 1, (
        f"with patience=3 training should stop 3 epochs after the best validation loss "
        f"(epoch {best + 1}); it ran {len(logs['loss'])} epochs. Hint: monitor 'val_loss'.")
    final = float(logs["final"])
    assert abs(final - seen[best]) < 1e-6, (
        "after stopping, the model should hold the weights of the epoch with the lowest "
        "validation loss, but it holds those of a later epoch. Hint: restore_best_weights.")


@pytest.mark.grade_id("a04_early_stopping")
@pytest.mark.parametrize("bad", [0, -2, 2.5, None], ids=["zero", "neg", "float", "none"])
def test_early_stopping_rejects_bad_patience(nb, bad):
    """A bad patience raises a ValueError naming the argument"""
    try:
        nb.make_early_stopping(bad)
    except ValueError as error:
        assert "patience" in str(error), (
            f"the ValueError should name the argument `patience`; it said: {str(error)[:150]!r}")
        return
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"make_early_stopping({bad!r}) should raise ValueError, not "
                    f"{type(error).__name__}.")
    pytest.fail(f"make_early_stopping({bad!r}) should raise ValueError: patience is an int >= 1.")


# ---------------------------------------------------------------------------------- fine_tune
def _tiny(seed=0):
    """A tiny base (3 conv layers, 2 BatchNorm) inside a classifier, and its data."""
    keras = load_keras()
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="pre")(inputs)
    x = keras.layers.Conv2D(4, 3, padding="same", name="c1")(x)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.ReLU(name="r1")(x)
    x = keras.layers.Conv2D(6, 3, padding="same", name="c2")(x)
    x = keras.layers.BatchNormalization(name="bn2")(x)
    x = keras.layers.ReLU(name="r2")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", name="c3")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    base = keras.Model(inputs, x, name="tiny_base")
    # pretend-pretrained BatchNorm statistics (not the initial 0/1)
    for bn in ("bn1", "bn2"):
        layer = base.get_layer(bn)
        gamma, beta, mean, var = layer.get_weights()
        layer.set_weights([gamma, beta, mean - 0.05, var * 1.5])
    outer_in = keras.Input((8, 8, 3))
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(
        base(outer_in, training=False))
    model = keras.Model(outer_in, outputs)
    rng = np.random.default_rng(seed)
    y = np.arange(36) % 3
    x = rng.uniform(0, 120, (36, 8, 8, 3)).astype("float32")
    x[np.arange(36), :, :, y] += 120  # the class is the brightest channel
    return model, base, x[:24], y[:24], (x[24:], y[24:])


def _lite0_top_classifier(seed=0):
    """The layers of a random-weight Lite0 above block6d_add + a 3-class head, and its data.

    Its inputs are the activations at the cut (1x1x192 at 32x32 pixels), as in the notebook.
    """
    keras = load_keras()
    top = _top_of(_lite0())
    inputs = keras.Input(top.input_shape[1:])
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(top(inputs, training=False))
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2, (36, *top.input_shape[1:])).astype("float32")
    y = np.arange(36) % 3
    return model, top, x[:24], y[:24], (x[24:], y[24:])


_RUNS = {}


def _fine_tuned(nb, n_layers, wrong_validation=False):
    """Run the student's fine_tune once per (function, arguments) and share the result.

    The ordinary run fine-tunes the top blocks of EfficientNet-Lite0 (random weights).
    ``wrong_validation``: the tiny network, validation labels that training can only get
    worse at (the validation loss rises), patience 1 and up to 12 epochs, to see early
    stopping act.
    """
    key = (id(nb), n_layers, wrong_validation)  # nb.fine_tune is a new handle per lookup
    if key not in _RUNS:
        model, base, x, y, val = _tiny() if wrong_validation else _lite0_top_classifier()
        before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in base.layers}
        head_before = [w.copy() for w in model.get_layer("head").get_weights()]
        x_copy, y_copy = x.copy(), y.copy()
        args = dict(validation_data=val, n_layers=n_layers, head_lr=0.05, lr_divisor=50,
                    head_epochs=3, epochs=3, batch_size=12, patience=5)
        if wrong_validation:
            args.update(validation_data=(val[0], (val[1] + 1) % 3), lr_divisor=5,
                        head_epochs=4, epochs=12, patience=1)
        histories = nb.fine_tune(model, base, x, y, **args)
        _RUNS[key] = dict(model=model, base=base, before=before, head_before=head_before,
                          histories=histories, inputs_kept=np.array_equal(x, x_copy)
                          and np.array_equal(y, y_copy))
    return _RUNS[key]


def _changed(run, name):
    after = run["base"].get_layer(name).get_weights()
    return not all(np.array_equal(a, b) for a, b in zip(run["before"][name], after, strict=True))


@pytest.mark.grade_id("a04_fine_tune")
def test_fine_tune_returns_two_histories(nb):
    """Returns the History of each phase, with accuracy and validation curves"""
    keras = load_keras()
    run = _fine_tuned(nb, 1)
    histories = run["histories"]
    assert isinstance(histories, tuple) and len(histories) == 2, (
        "fine_tune should return a tuple (history_head, history_fine).")
    head, fine = histories  # Histories stay in the kernel: RemoteObjects
    history_type = keras.callbacks.History
    assert _is_instance(nb, head, history_type) and _is_instance(nb, fine, history_type), (
        "both values should be the keras History objects returned by model.fit, not "
        f"({_type_name(head)}, {_type_name(fine)}).")
    assert len(head.history.get("loss", [])) == 3, (
        "phase 1 should train exactly head_epochs epochs.")
    assert 1 <= len(fine.history.get("loss", [])) <= 3, (
        "phase 2 should train at most `epochs` epochs.")
    assert "accuracy" in fine.history and "val_loss" in fine.history, (
        "compile with metrics=['accuracy'] and pass validation_data to both fits.")


@pytest.mark.grade_id("a04_fine_tune")
def test_fine_tune_cut(nb):
    """On Lite0's top blocks: layers below the cut and BatchNorm statistics are bit-identical"""
    run = _fine_tuned(nb, 1)
    moved = [name for name, weights in run["before"].items()
             if weights and name != "top_conv" and _changed(run, name)]
    assert not moved, (
        f"with n_layers=1 on Lite0's top blocks only top_conv may change, but these changed "
        f"too: {moved[:4]}. Hint: freeze the base in phase 1, use unfreeze_top in phase 2, and "
        "keep BatchNorm frozen (inference mode) so that its moving statistics stay those of "
        "the source task.")
    assert _changed(run, "top_conv"), (
        "with n_layers=1 the top convolution (top_conv) should train in phase 2. Hint: "
        "recompile after unfreezing, otherwise the change of `trainable` is not taken into "
        "account.")
    head_after = run["model"].get_layer("head").get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(run["head_before"], head_after,
                                                        strict=True)), "the head did not train."


@pytest.mark.grade_id("a04_fine_tune")
def test_fine_tune_zero_layers_keeps_base(nb):
    """With n_layers=0 the whole base stays bit-identical (phase 1 trains only the head)"""
    run = _fine_tuned(nb, 0, wrong_validation=True)
    changed = [layer.name for layer in run["base"].layers if _changed(run, layer.name)]
    assert not changed, (
        f"with n_layers=0 the base must never change, but these layers did: {changed}. Hint: "
        "set base_model.trainable = False before compiling phase 1.")


@pytest.mark.grade_id("a04_fine_tune")
def test_fine_tune_lower_learning_rate(nb):
    """Phase 2 is recompiled with Adam at head_lr / lr_divisor"""
    keras = load_keras()
    run = _fine_tuned(nb, 1)
    optimizer = run["model"].optimizer
    assert isinstance(optimizer, keras.optimizers.Adam), (
        f"compile with keras.optimizers.Adam, not {type(optimizer).__name__}.")
    lr = float(np.asarray(optimizer.learning_rate))
    assert abs(lr - 0.05 / 50) < 1e-9, (
        f"with head_lr=0.05 and lr_divisor=50, phase 2 should train at 0.001, but the model's "
        f"optimizer has learning rate {lr:g}. Hint: a fine-tuning learning rate as high as the "
        "head's destroys pretrained features; recompile phase 2 with head_lr / lr_divisor.")


@pytest.mark.grade_id("a04_fine_tune")
def test_fine_tune_keeps_inputs(nb):
    """x_train and y_train are not changed"""
    assert _fine_tuned(nb, 1)["inputs_kept"], (
        "fine_tune changed x_train or y_train in place: leave the caller's arrays alone.")


@pytest.mark.grade_id("a04_fine_tune")
def test_fine_tune_uses_early_stopping(nb):
    """Phase 2 stops early when the validation loss rises"""
    run = _fine_tuned(nb, 0, wrong_validation=True)
    ran = len(run["histories"][1].history["loss"])
    assert ran < 12, (
        f"the validation loss rose, yet phase 2 ran all {ran} epochs. Hint: pass "
        "make_early_stopping(patience) as a callback of the phase-2 fit.")


@pytest.mark.grade_id("a04_fine_tune")
@pytest.mark.parametrize("kwargs,argument", [
    (dict(lr_divisor=0.5), "lr_divisor"),
    (dict(head_lr=0.0), "head_lr"),
    (dict(head_lr=-1e-3), "head_lr"),
    (dict(n_layers=7), "n_layers"),
], ids=["divisor", "lr0", "lrneg", "layers"])
def test_fine_tune_rejects_bad_arguments(nb, kwargs, argument):
    """Bad arguments raise a ValueError naming them, before any training"""
    model, base, x, y, val = _tiny()
    before = [w.copy() for w in model.get_weights()]
    args = dict(validation_data=val, n_layers=1, head_epochs=1, epochs=1, batch_size=12)
    args.update(kwargs)
    try:
        nb.fine_tune(model, base, x, y, **args)
    except ValueError as error:
        assert argument in str(error), (
            f"the ValueError should name `{argument}`; it said: {str(error)[:150]!r}")
        after = model.get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)), (
            "check the arguments before training: the model changed before the error.")
        return
    pytest.fail(f"fine_tune(..., {', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) should "
                "raise ValueError. Hint: the fine-tuning learning rate must not exceed the head's "
                "(lr_divisor >= 1), and head_lr must be > 0.")


# --------------------------------------------------------------------- layerwise_learning_rates
@pytest.mark.grade_id("a04_layerwise_lrs")
@pytest.mark.parametrize("names,top_lr,decay,expected", [
    (["a", "b", "c"], 1e-3, 0.5, [2.5e-4, 5e-4, 1e-3]),
    (["only"], 0.01, 0.3, [0.01]),
    (["w", "x", "y", "z"], 1.0, 0.1, [1e-3, 1e-2, 1e-1, 1.0]),
    (["p", "q", "r"], 2e-4, 1.0, [2e-4, 2e-4, 2e-4]),
], ids=["halving", "single", "tenfold", "uniform"])
def test_layerwise_closed_form(nb, names, top_lr, decay, expected):
    """Closed-form learning rates, top layer last"""
    lrs = nb.layerwise_learning_rates(names, top_lr, decay)
    assert isinstance(lrs, dict), f"return a dict, not a {type(lrs).__name__}."
    assert list(lrs) == names, (
        f"the dict's keys should be the layer names in the given order {names}, got {list(lrs)}.")
    got = np.array([float(lrs[k]) for k in names])
    assert np.allclose(got, expected, rtol=1e-9, atol=0), (
        f"for {names} with top_lr={top_lr:g}, decay={decay:g} the rates should be "
        f"{expected}, got {got.tolist()}. Hint: the LAST name is the top layer (top_lr); each "
        "layer below is multiplied by decay once more.")


@pytest.mark.grade_id("a04_layerwise_lrs")
def test_layerwise_long_list(nb):
    """Consecutive rates differ by exactly the decay factor"""
    names = [f"layer{i}" for i in range(12)]
    lrs = nb.layerwise_learning_rates(names, 3e-3, 0.8)
    values = np.array([float(lrs[k]) for k in names])
    assert np.allclose(values[:-1] / values[1:], 0.8, rtol=1e-9) and np.isclose(values[-1], 3e-3), (
        "each layer's rate should be decay times the rate of the layer above it, and the top "
        "layer's should be top_lr.")


@pytest.mark.grade_id("a04_layerwise_lrs")
def test_layerwise_keeps_input_and_accepts_tuples(nb):
    """The input list is not changed; a tuple works too"""
    names = ["a", "b", "c"]
    nb.layerwise_learning_rates(names, 1e-3, 0.5)
    assert names == ["a", "b", "c"], "layerwise_learning_rates changed its `layer_names` list."
    lrs = nb.layerwise_learning_rates(("a", "b"), 1e-3, 0.5)
    assert np.isclose(float(lrs["a"]), 5e-4) and np.isclose(float(lrs["b"]), 1e-3), (
        "a tuple of names should work like a list.")


@pytest.mark.grade_id("a04_layerwise_lrs")
@pytest.mark.parametrize("args,argument", [
    (([], 1e-3, 0.5), "layer_names"),
    ((["a", "b", "a"], 1e-3, 0.5), "layer_names"),
    ((["a"], 0.0, 0.5), "top_lr"),
    ((["a"], -1e-3, 0.5), "top_lr"),
    ((["a"], 1e-3, 0.0), "decay"),
    ((["a"], 1e-3, 1.5), "decay"),
    ((["a"], 1e-3, -0.5), "decay"),
], ids=["empty", "dupes", "lr0", "lrneg", "decay0", "decaybig", "decayneg"])
def test_layerwise_rejects_bad_inputs(nb, args, argument):
    """Bad inputs raise a ValueError naming the argument"""
    try:
        nb.layerwise_learning_rates(*args)
    except ValueError as error:
        assert argument in str(error), (
            f"the ValueError should name `{argument}`; it said: {str(error)[:150]!r}")
        return
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"layerwise_learning_rates should raise ValueError for a bad `{argument}`, "
                    f"not {type(error).__name__}.")
    pytest.fail(f"layerwise_learning_rates should raise ValueError for a bad `{argument}`. Hint: "
                "names must be non-empty and distinct, top_lr > 0, 0 < decay <= 1.")


# -------------------------------------------------------------------------------- knowledge check
@pytest.mark.grade_id("a04_quiz")
@pytest.mark.parametrize("question,answer", [
    ("q1", "b"), ("q2", "c"), ("q3", "a"), ("q4", "b"), ("q5", "a"), ("q6", "c"), ("q7", "b"),
    ("q8", "c"),
], ids=["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"])
def test_quiz(nb, question, answer):
    """Knowledge check"""
    assert nb.answers.get(question) == answer, f"{question} is not right yet: reread its part."
