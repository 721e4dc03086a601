# %% [markdown]
# # 04 Fine-tuning
#
# **Estimated time:** 60-75 minutes (the notebook itself runs in about two minutes).
#
# **Learning objectives.** After this notebook you can
#
# 1. train a new head on a frozen base, then **unfreeze the top layers** and keep training at a
#    **much lower learning rate** (two-phase fine-tuning), with BatchNorm kept in inference mode;
# 2. choose **how many layers** to unfreeze and say what it costs in trainable parameters;
# 3. stop training with **early stopping** on the validation loss and keep the best weights;
# 4. give each layer its own learning rate (**discriminative learning rates**);
# 5. measure, over several seeds, feature extraction vs fine-tuning vs training from scratch,
#    and what a fine-tuning learning rate that is too high does.
#
# **Scenario.** A logistics company reads handwritten digits on parcel labels. Its vision
# team owns a small backbone (`course_mobilenet`) pretrained on patches of *photos*, and has
# labelled only **10 digits per class**. Pen strokes are not photos: frozen photo features may
# be a poor fit. Should the team keep the backbone frozen, fine-tune it, or train from scratch?
# You will find out with numbers this notebook computes.

# %% [markdown]
# ## Setup
#
# Run this cell first. It imports everything the notebook needs and fixes the random seeds.
#
# **How to work through it.** Each exercise is a function to complete where you see
# `raise NotImplementedError()`, followed by a check cell you can run. The experiments after an
# exercise use your function: until it is done they stop with `NotImplementedError`; finish the
# exercise, then rerun from there (*Run > Run Selected Cell and All Below*).

# %% [setup]
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from tl_helpers.grading import start_assignment

start_assignment("04_fine_tuning")

import ipywidgets as widgets
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import tl_helpers as tl

tf.zeros(1)  # TensorFlow's first-use log line lands here, not in a graded cell
keras.utils.set_random_seed(tl.config.SEED)

# %% [markdown]
# ## The target task and the backbone
#
# The target task is scikit-learn's handwritten digits, upsampled to 32x32 RGB. The backbone
# was pretrained on photo patches (see the course README); it maps raw 0-255 images to 128
# features. Every strategy below gets the same **10 training images per class**, plus **5 per
# class for validation** (early stopping), and is scored on the same fixed test set.

# %%
digits = tl.load_digits(image_size=32)
SEEDS = [0, 1, 2]
N_TRAIN, N_VAL = 10, 5


def split_train_val(dataset, n_train, n_val, seed):
    """Plumbing: n_train + n_val labelled images per class, split into train and validation.

    The test set is the fixed one of ``tl.few_shot_split`` (it never depends on the seed).
    """
    train_idx, test_idx = tl.few_shot_indices(dataset, n_train + n_val, seed=seed)
    y = dataset.y[train_idx]
    rank = np.zeros(len(y), dtype=int)  # position of each image within its class
    for c in np.unique(y):
        rank[y == c] = np.arange(np.sum(y == c))
    is_train = rank < n_train
    return train_idx[is_train], train_idx[~is_train], test_idx


train_idx, val_idx, test_idx = split_train_val(digits, N_TRAIN, N_VAL, seed=SEEDS[0])
x_train, y_train = digits.x[train_idx], digits.y[train_idx]
x_val, y_val = digits.x[val_idx], digits.y[val_idx]
x_test, y_test = digits.x[test_idx], digits.y[test_idx]
print(f"train {x_train.shape}, validation {x_val.shape}, test {x_test.shape}")
tl.plot_image_grid(x_train[:10], y_train[:10], class_names=digits.class_names)
plt.show()

# %% [markdown]
# `base_model` is the pretrained backbone. Its layers with weights are convolutions and
# BatchNormalization layers; `CONV_LAYERS` lists the convolutions from bottom to top.

# %%
base_model = tl.load_backbone("course_mobilenet", weights="course")
CONV_LAYERS = [layer.name for layer in base_model.layers
               if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
print(f"{len(base_model.layers)} layers, {base_model.count_params():,} parameters")
print("convolutions, bottom to top:", CONV_LAYERS)

# %% [markdown]
# **Strategy 1: feature extraction.** Run the frozen backbone once over every image (cached on
# disk by `tl.extract_features`) and fit a logistic regression on the features. It sees all 15
# labelled images per class (train + validation), so it is the strongest version of this
# baseline.

# %%
features = tl.extract_features(base_model, digits.x, progress=False)


def feature_extraction_accuracy(seed):
    """Plumbing: logistic regression on cached frozen features, 15 labels per class."""
    tr, va, te = split_train_val(digits, N_TRAIN, N_VAL, seed)
    labelled = np.concatenate([tr, va])
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
    clf.fit(features[labelled], digits.y[labelled])
    return float(clf.score(features[te], digits.y[te]))


fe_seed0 = feature_extraction_accuracy(SEEDS[0])
print(f"feature extraction, seed {SEEDS[0]}: test accuracy {fe_seed0:.3f}")

# %% [markdown]
# ## Part 1 - Unfreeze the top layers (4 points)
#
# Fine-tuning starts from a frozen base and unfreezes only its **top** layers: the bottom
# layers hold generic edges and textures worth keeping, the top ones the most source-specific
# features. Two details matter:
#
# * In Keras, a layer's weights train only if the layer *and every model containing it* are
#   trainable: set `base_model.trainable = True` first, then freeze layer by layer.
# * **BatchNormalization layers stay frozen.** With ten images per class, batch statistics are
#   noise; a frozen BatchNorm layer (`trainable = False`) runs in inference mode and keeps the
#   statistics learned on the large source task.
#
# Implement `unfreeze_top(base_model, n_layers)`. "Layers" here are the layers that have
# weights and are not BatchNormalization (for `course_mobilenet`: the 9 `CONV_LAYERS`).

# %% [answer] a04_unfreeze_top
def unfreeze_top(base_model, n_layers):
    """Unfreeze the top ``n_layers`` weighted layers of ``base_model``; freeze everything else.

    Candidates are the layers of ``base_model.layers`` that have weights and are not
    ``keras.layers.BatchNormalization``, in model order (bottom to top). The last ``n_layers``
    candidates become trainable; every other layer, and every BatchNormalization layer, is
    frozen (``trainable = False``). ``base_model.trainable`` is set to ``True`` so that the
    per-layer flags take effect. No weight value changes. Calling it again with another
    ``n_layers`` replaces the previous choice (it does not add to it).

    Args:
        base_model: a built ``keras.Model`` (changed in place: its ``trainable`` flags).
        n_layers: ``int`` between 0 (everything frozen) and the number of candidates
            (every non-BatchNorm weighted layer trainable).

    Returns:
        ``list[str]``: the names of the unfrozen layers, bottom to top (``[]`` for 0).

    Raises:
        ValueError: if ``n_layers`` is not an ``int`` between 0 and the number of candidates
            (the message names ``n_layers`` and the allowed range).
    """
    ### BEGIN SOLUTION
    candidates = [layer for layer in base_model.layers
                  if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    if (isinstance(n_layers, bool) or not isinstance(n_layers, (int, np.integer))
            or not 0 <= n_layers <= len(candidates)):
        raise ValueError(
            f"Argument `n_layers` must be an int between 0 and {len(candidates)} (the number "
            f"of non-BatchNorm layers with weights). Received: n_layers={n_layers!r}")
    top = candidates[len(candidates) - int(n_layers):] if n_layers else []
    top_names = {layer.name for layer in top}
    base_model.trainable = True
    for layer in base_model.layers:
        layer.trainable = layer.name in top_names
    return [layer.name for layer in top]
    ### END SOLUTION


# %% [tests] a04_unfreeze_top points=4
_probe = tl.load_backbone("course_mobilenet", weights=None)
_names = unfreeze_top(_probe, 2)
assert _names == ["block4_dw", "block4_pw"], (
    f"unfreeze_top(base, 2) should unfreeze the two top convolutions ['block4_dw', 'block4_pw'] "
    f"(bottom to top), but it returned {_names!r}. Hint: skip layers without weights and "
    "BatchNormalization layers, and count from the end of base_model.layers.")
_bn = [layer.name for layer in _probe.layers
       if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
assert not _bn, f"BatchNorm layers must stay frozen, but these are trainable: {_bn}"
tl.check_close(sum(int(np.prod(w.shape)) for w in _probe.trainable_weights), 864 + 12288,
               "trainable parameters after unfreeze_top(base, 2)",
               hint="only block4_dw (864) and block4_pw (12,288) should train.")
tl.check_raises(lambda: unfreeze_top(_probe, 99), ValueError, "unfreeze_top(base, 99)",
                match="n_layers")
print("unfreeze_top: visible checks pass")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a04_unfreeze_top", points=4, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# ### Explorer: how many layers to unfreeze?
#
# Move the slider. Green layers train, grey ones stay frozen (BatchNorm always does). The
# trainable parameters grow fast towards the top: the last convolutions hold most of them,
# which is why unfreezing "only a few layers" can already mean most of the network.
# (It needs your `unfreeze_top`: in the student version, finish Part 1 first.)

# %%
_explorer_base = tl.load_backbone("course_mobilenet", weights=None)
_total_params = _explorer_base.count_params()
_layer_counts = {}
for _n in range(len(CONV_LAYERS) + 1):
    _unfrozen = unfreeze_top(_explorer_base, _n)
    _layer_counts[_n] = (_unfrozen, sum(int(np.prod(w.shape))
                                        for w in _explorer_base.trainable_weights))


def show_unfrozen(n_layers=3):
    unfrozen, trainable = _layer_counts[n_layers]
    fig, ax = plt.subplots(figsize=(7, 2.6))
    sizes = [_explorer_base.get_layer(name).count_params() for name in CONV_LAYERS]
    colours = ["tab:green" if name in unfrozen else "0.75" for name in CONV_LAYERS]
    ax.bar(range(len(CONV_LAYERS)), sizes, color=colours)
    ax.set_xticks(range(len(CONV_LAYERS)), CONV_LAYERS, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("parameters")
    ax.set_title(f"n_layers={n_layers}: {trainable:,} of {_total_params:,} parameters train "
                 f"({trainable / _total_params:.0%})", fontsize=10)
    plt.show()


widgets.interact(show_unfrozen, n_layers=widgets.IntSlider(
    value=3, min=0, max=len(CONV_LAYERS), description="n_layers"));

# %% [markdown]
# ## Part 2 - Early stopping (2 points)
#
# With ten images per class, a network memorises the training set within a few epochs; after
# that the **validation loss** rises while the training loss keeps falling. Early stopping
# watches the validation loss, stops after `patience` epochs without improvement and, with
# `restore_best_weights=True`, rolls the model back to its best epoch (without it you keep the
# weights of the *last*, already overfitted epoch).
#
# Implement `make_early_stopping(patience)`.

# %% [answer] a04_early_stopping
def make_early_stopping(patience=5):
    """Return an early-stopping callback for fine-tuning.

    It monitors the validation loss (``"val_loss"``, lower is better), stops after
    ``patience`` epochs without improvement, and restores the weights of the best epoch.

    Args:
        patience: ``int`` >= 1, epochs without improvement before training stops.

    Returns:
        A ``keras.callbacks.EarlyStopping``.

    Raises:
        ValueError: if ``patience`` is not an ``int`` >= 1 (the message names ``patience``).
    """
    ### BEGIN SOLUTION
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
        raise ValueError(
            f"Argument `patience` must be an int >= 1. Received: patience={patience!r}")
    return keras.callbacks.EarlyStopping(
        monitor="val_loss", mode="min", patience=int(patience), restore_best_weights=True)
    ### END SOLUTION


# %% [tests] a04_early_stopping points=2
_stopper = make_early_stopping(3)
tl.check_type(_stopper, keras.callbacks.EarlyStopping, "make_early_stopping(3)")
assert _stopper.monitor == "val_loss", (
    f"monitor the validation loss, not {_stopper.monitor!r}: the training loss keeps falling "
    "while the model overfits.")
assert _stopper.restore_best_weights, (
    "set restore_best_weights=True, or you keep the last (overfitted) epoch's weights.")
tl.check_raises(lambda: make_early_stopping(0), ValueError, "make_early_stopping(0)",
                match="patience")
print("make_early_stopping: visible checks pass")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a04_early_stopping", points=2, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3 - Two-phase fine-tuning (4 points)
#
# `build_classifier` (given) puts a new softmax head on a backbone, called with `training=False`.
# Careful: during `fit`, Keras 3 can pass `training=True` down into a nested model anyway, so
# what really keeps BatchNorm in inference mode is keeping its layers frozen
# (`trainable = False`), as `unfreeze_top` does.
#
# Then implement `fine_tune`:
#
# 1. **Phase 1, the head:** freeze the whole base, compile with `Adam(head_lr)`, train
#    `head_epochs` epochs. A new head starts random; its large early gradients would wreck the
#    pretrained features if the base were trainable.
# 2. **Phase 2, fine-tuning:** unfreeze the top `n_layers` (your `unfreeze_top`), **recompile**
#    (a change of `trainable` only takes effect at the next `compile`) with
#    `Adam(head_lr / lr_divisor)`, a learning rate 10 to 100 times lower, and train up to
#    `epochs` epochs with your early stopping.
#
# Both phases use the loss `"sparse_categorical_crossentropy"`, the metric `"accuracy"`,
# `batch_size`, the validation data, and `verbose=0`.

# %%
def build_classifier(base_model, num_classes, *, from_scratch=False):
    """Plumbing: ``base_model`` + a new softmax ``Dense`` head named ``"head"``.

    Transfer (``from_scratch=False``): the base runs with ``training=False`` (BatchNorm in
    inference mode). From scratch: BatchNorm must learn its statistics, so it runs in training
    mode, with momentum 0.9 so that short runs still settle the moving statistics.
    """
    inputs = keras.Input(base_model.input_shape[1:], name="image")
    if from_scratch:
        for layer in base_model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = 0.9
        features = base_model(inputs)
    else:
        features = base_model(inputs, training=False)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(features)
    return keras.Model(inputs, outputs, name=f"{base_model.name}_classifier")


# %% [answer] a04_fine_tune
def fine_tune(model, base_model, x_train, y_train, *, validation_data, n_layers,
              head_lr=1e-2, lr_divisor=10, head_epochs=10, epochs=20, batch_size=32,
              patience=5):
    """Two-phase fine-tuning: train the head on a frozen base, then the top of the base too.

    Args:
        model: a classifier (e.g. from ``build_classifier``) that contains ``base_model``
            called with ``training=False`` and ends in a softmax layer.
        base_model: the backbone inside ``model``.
        x_train: images ``(N, height, width, 3)``, raw 0-255 values.
        y_train: ``int`` class labels ``(N,)``.
        validation_data: ``(x_val, y_val)`` for early stopping in phase 2 (and the curves).
        n_layers: layers to unfreeze in phase 2 (see ``unfreeze_top``).
        head_lr: ``float`` > 0, Adam learning rate of phase 1.
        lr_divisor: ``float`` >= 1; phase 2 uses ``head_lr / lr_divisor``.
        head_epochs: ``int``, epochs of phase 1.
        epochs: ``int``, maximum epochs of phase 2 (early stopping may end it sooner).
        batch_size: ``int``, images per batch.
        patience: ``int``, early-stopping patience of phase 2.

    Returns:
        ``(history_head, history_fine)``: the ``keras.callbacks.History`` of each phase.

    Raises:
        ValueError: ``head_lr`` <= 0 or ``lr_divisor`` < 1 (the message names the argument),
            or a bad ``n_layers`` (from ``unfreeze_top``), before any training.
    """
    ### BEGIN SOLUTION
    if not head_lr > 0:
        raise ValueError(f"Argument `head_lr` must be > 0. Received: head_lr={head_lr!r}")
    if not lr_divisor >= 1:
        raise ValueError(
            "Argument `lr_divisor` must be >= 1: fine-tuning uses a lower learning rate than "
            f"the head. Received: lr_divisor={lr_divisor!r}")
    unfreeze_top(base_model, n_layers)  # validates n_layers before any training
    base_model.trainable = False
    model.compile(keras.optimizers.Adam(head_lr), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history_head = model.fit(x_train, y_train, batch_size=batch_size, epochs=head_epochs,
                             validation_data=validation_data, verbose=0)
    unfreeze_top(base_model, n_layers)
    model.compile(keras.optimizers.Adam(head_lr / lr_divisor),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    history_fine = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                             validation_data=validation_data, verbose=0,
                             callbacks=[make_early_stopping(patience)])
    return history_head, history_fine
    ### END SOLUTION


# %% [tests] a04_fine_tune points=4
keras.utils.set_random_seed(0)
_base = tl.load_backbone("course_mobilenet", weights="course")
_model = build_classifier(_base, 10)
_stem = _base.get_layer("stem_conv").get_weights()[0].copy()
_top = _base.get_layer("block4_pw").get_weights()[0].copy()
_h1, _h2 = fine_tune(_model, _base, x_train[:40], y_train[:40], validation_data=(x_val, y_val),
                     n_layers=1, head_epochs=2, epochs=2, batch_size=40)
tl.check_type(_h1, keras.callbacks.History, "the first value fine_tune returns")
assert len(_h1.history["loss"]) == 2, "phase 1 should train exactly head_epochs epochs"
assert "val_loss" in _h2.history, "phase 2 must use validation_data (early stopping needs it)"
assert np.array_equal(_base.get_layer("stem_conv").get_weights()[0], _stem), (
    "with n_layers=1 the bottom convolution must not change. Hint: freeze the base in phase 1.")
assert not np.array_equal(_base.get_layer("block4_pw").get_weights()[0], _top), (
    "the top convolution did not change in phase 2. Hint: unfreeze, then recompile.")
tl.check_close(float(_model.optimizer.learning_rate), 1e-3, "phase-2 learning rate",
               rtol=1e-4, hint="recompile phase 2 with Adam(head_lr / lr_divisor).")
print("fine_tune: visible checks pass")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a04_fine_tune", points=4, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# ### One fine-tuning run, phase by phase
#
# Seed 0, all 9 convolutions unfrozen in phase 2. The curves show both phases one after the
# other (phase 2 starts at the dotted line).

# %%
keras.utils.set_random_seed(SEEDS[0])
base_model = tl.load_backbone("course_mobilenet", weights="course")
model = build_classifier(base_model, digits.num_classes)
history_head, history_fine = fine_tune(model, base_model, x_train, y_train,
                                       validation_data=(x_val, y_val),
                                       n_layers=len(CONV_LAYERS))
both = {k: history_head.history[k] + history_fine.history[k] for k in history_head.history}
fig = tl.plot_history(both, metrics=("loss", "accuracy"))
for ax in fig.axes:
    ax.axvline(len(history_head.history["loss"]) + 0.5, color="k", ls=":", lw=1)
plt.show()


def test_accuracy(model):
    """Accuracy on the fixed test set (one eager forward pass, BatchNorm in inference mode)."""
    return float((np.argmax(model(x_test, training=False), axis=1) == y_test).mean())


ft_seed0 = test_accuracy(model)
display(Markdown(
    f"Phase 1 ran {len(history_head.history['loss'])} epochs (validation accuracy "
    f"{history_head.history['val_accuracy'][-1]:.3f} at its end); phase 2 ran "
    f"{len(history_fine.history['loss'])} epochs and early stopping restored its best epoch "
    f"(epoch {int(np.argmin(history_fine.history['val_loss'])) + 1}, validation loss "
    f"{min(history_fine.history['val_loss']):.3f}). Test accuracy after fine-tuning: "
    f"**{ft_seed0:.3f}**, against **{fe_seed0:.3f}** for feature extraction on the same seed."))

# %% [markdown]
# ## Three strategies, three seeds
#
# Now the comparison the vision team needs, on three seeds (each seed draws other training
# images and another initialisation of the head):
#
# * **feature extraction**: frozen features + logistic regression (above);
# * **fine-tuning**: your `fine_tune`, all 9 convolutions unfrozen in phase 2;
# * **from scratch**: the same architecture, random weights, BatchNorm in training mode, up to
#   40 passes over the images at `lr=3e-3` with early stopping. This is a short, untuned
#   recipe without augmentation: a longer, tuned one does better on digits (the course
#   benchmark, `bench/transfer.py`, shows it).
#
# This cell takes about half a minute (more on a busy machine).

# %%
def scratch_accuracy(x_tr, y_tr, validation_data, seed, passes_per_epoch=5):
    """Plumbing: train the random-init network; one Keras epoch = 5 passes over the images
    (same training, fewer per-epoch overheads), at most 8 epochs = 40 passes."""
    keras.utils.set_random_seed(seed)
    scratch_model = build_classifier(
        tl.load_backbone("course_mobilenet", weights=None), digits.num_classes,
        from_scratch=True)
    scratch_model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    scratch_model.fit(np.tile(x_tr, (passes_per_epoch, 1, 1, 1)), np.tile(y_tr, passes_per_epoch),
                      batch_size=16, epochs=8, validation_data=validation_data, verbose=0,
                      callbacks=[make_early_stopping(2)])
    return test_accuracy(scratch_model)


results = {"feature extraction": [], "fine-tuning": [], "from scratch": []}
for seed in SEEDS:
    tr, va, _ = split_train_val(digits, N_TRAIN, N_VAL, seed)
    x_tr, y_tr, val = digits.x[tr], digits.y[tr], (digits.x[va], digits.y[va])
    results["feature extraction"].append(feature_extraction_accuracy(seed))
    if seed == SEEDS[0]:
        results["fine-tuning"].append(ft_seed0)  # the run above
    else:
        keras.utils.set_random_seed(seed)
        base = tl.load_backbone("course_mobilenet", weights="course")
        clf = build_classifier(base, digits.num_classes)
        fine_tune(clf, base, x_tr, y_tr, validation_data=val, n_layers=len(CONV_LAYERS))
        results["fine-tuning"].append(test_accuracy(clf))
    results["from scratch"].append(scratch_accuracy(x_tr, y_tr, val, seed))
    print(f"seed {seed}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in results.items()))

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
for i, scores in enumerate(results.values()):
    ax.scatter(np.full(len(scores), i), scores, color=f"C{i}", alpha=0.6)
    ax.errorbar(i + 0.15, np.mean(scores), yerr=np.std(scores), fmt="D", color=f"C{i}",
                capsize=4)
ax.set_xticks(range(len(results)), list(results))
ax.set_ylabel("test accuracy")
ax.set_title(f"digits, {N_TRAIN} train + {N_VAL} validation labels per class, "
             f"{len(SEEDS)} seeds", fontsize=10)
plt.show()

def verdict(gaps, margin=0.02):
    """Words for a mean gap: within `margin` (2 points) counts as a tie."""
    return ("clearly ahead of" if gaps.mean() > margin else
            "clearly behind" if gaps.mean() < -margin else "on a par with")


gaps = np.array(results["fine-tuning"]) - np.array(results["feature extraction"])
gaps_scratch = np.array(results["fine-tuning"]) - np.array(results["from scratch"])
mean = {k: np.mean(v) for k, v in results.items()}
std = {k: np.std(v) for k, v in results.items()}
display(Markdown(
    "| strategy | " + " | ".join(f"seed {s}" for s in SEEDS) + " | mean ± std |\n"
    "|---|" + "---|" * (len(SEEDS) + 1) + "\n"
    + "\n".join(f"| {k} | " + " | ".join(f"{a:.3f}" for a in v)
                + f" | {mean[k]:.3f} ± {std[k]:.3f} |" for k, v in results.items())
    + f"\n\nFine-tuning minus feature extraction: {', '.join(f'{g:+.3f}' for g in gaps)} "
    f"(fine-tuning is ahead on **{int(np.sum(gaps > 0))} of {len(SEEDS)}** seeds, "
    f"{100 * gaps.mean():+.1f} points on average). Fine-tuning minus from scratch: "
    f"{', '.join(f'{g:+.3f}' for g in gaps_scratch)} ({100 * gaps_scratch.mean():+.1f} points "
    f"on average: {verdict(gaps_scratch)} training from scratch)."))

# %% [markdown]
# How to read it. Digits (pen strokes) are far from the photo patches the backbone learned
# from, so frozen photo features are a poor fit; fine-tuning lets the convolutions adapt to
# strokes, starting from the pretrained weights. A network trained from scratch has no such
# mismatch to undo: compare the last two rows. On a target close to the source the picture
# changes: the course README shows frozen features ahead of fine-tuning on photo patches.
# Short fine-tunes on ten images per class vary from seed to seed: always compare over several
# seeds, never on one run.

# %% [markdown]
# ## The fine-tuning learning rate
#
# How low is "much lower"? Starting from the same trained head (seed 0), phase 2 runs 10
# epochs with each learning rate below, without early stopping, so that you see the whole
# curve (so the accuracies are lower than with `fine_tune`'s early stopping: compare them with
# each other and with the head alone). The head was trained at `lr=1e-2`.

# %%
keras.utils.set_random_seed(SEEDS[0])
sweep_base = tl.load_backbone("course_mobilenet", weights="course")
sweep_model = build_classifier(sweep_base, digits.num_classes)
sweep_base.trainable = False
HEAD_LR = 1e-2  # fine_tune's default head_lr
sweep_model.compile(keras.optimizers.Adam(HEAD_LR), "sparse_categorical_crossentropy",
                    metrics=["accuracy"])
sweep_model.fit(x_train, y_train, batch_size=32, epochs=10, verbose=0)
head_only_acc = test_accuracy(sweep_model)
phase1_weights = sweep_model.get_weights()

FT_LRS = [1e-2, 1e-3, 1e-4]  # the head's own rate, then 10x and 100x lower
lr_histories, lr_accuracy = {}, {}
for lr in FT_LRS:
    keras.utils.set_random_seed(SEEDS[0])
    sweep_model.set_weights(phase1_weights)
    unfreeze_top(sweep_base, len(CONV_LAYERS))
    sweep_model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy",
                        metrics=["accuracy"])
    lr_histories[lr] = sweep_model.fit(x_train, y_train, batch_size=32, epochs=10,
                                       validation_data=(x_val, y_val), verbose=0).history
    lr_accuracy[lr] = test_accuracy(sweep_model)
    print(f"phase-2 lr {lr:g}: test accuracy {lr_accuracy[lr]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.plot(FT_LRS, [lr_accuracy[lr] for lr in FT_LRS], "o-", label="after fine-tuning")
ax.axhline(head_only_acc, color="0.5", ls="--", label="head only (phase 1)")
ax.set_xscale("log")
ax.set_xlabel("phase-2 learning rate")
ax.set_ylabel("test accuracy")
ax.legend(fontsize=8)
plt.show()
best_lr = max(FT_LRS, key=lr_accuracy.get)
display(Markdown(
    f"The head alone (phase 1) reaches {head_only_acc:.3f}: a softmax layer after 10 epochs "
    "on unscaled features, far from the logistic regression above (standardised features, "
    "solved to convergence), but phase 1 only has to give phase 2 a sensible start. The best "
    f"phase-2 learning rate here is **{best_lr:g}** ({lr_accuracy[best_lr]:.3f}), "
    f"{HEAD_LR / best_lr:g} times below the head's. "
    f"At **{FT_LRS[0]:g}**, the head's own learning rate (the classic mistake: not lowering "
    f"it), test accuracy is **{lr_accuracy[FT_LRS[0]]:.3f}**, "
    f"{'below' if lr_accuracy[FT_LRS[0]] < head_only_acc else 'above'} the head alone: large "
    f"updates overwrite the pretrained features instead of adjusting them. At {FT_LRS[-1]:g} "
    f"it learns more slowly: {lr_accuracy[FT_LRS[-1]]:.3f} after 10 epochs."))

# %% [markdown]
# ### Explorer: learning-rate curves
#
# Pick a phase-2 learning rate and compare training and validation curves (precomputed
# above). Compare how the training loss moves at each rate, and what the validation curves do.

# %%
def show_lr_curves(lr=1e-3):
    tl.plot_history(lr_histories[lr], metrics=("loss", "accuracy"))
    plt.suptitle(f"phase 2 at lr={lr:g}: test accuracy {lr_accuracy[lr]:.3f}", fontsize=10)
    plt.show()


widgets.interact(show_lr_curves, lr=widgets.SelectionSlider(
    options=[(f"{lr:g}", lr) for lr in FT_LRS], value=1e-3, description="lr"));

# %% [markdown]
# ## Part 4 - Discriminative learning rates (3 points)
#
# Bottom layers hold generic features that need little change; top layers need more.
# **Discriminative** (layer-wise) learning rates give the top layer `top_lr` and multiply by
# `decay` at each step down: for layers `[l_0, ..., l_{n-1}]` (bottom to top),
#
# $$\mathrm{lr}(l_i) = \mathrm{top\_lr} \cdot \mathrm{decay}^{\,n-1-i}.$$
#
# Implement `layerwise_learning_rates`.

# %% [answer] a04_layerwise_lrs
def layerwise_learning_rates(layer_names, top_lr, decay):
    """Discriminative learning rates: ``top_lr`` at the top, times ``decay`` per layer down.

    Args:
        layer_names: sequence of ``str``, layer names from bottom to top (not changed).
        top_lr: ``float`` > 0, learning rate of the last (top) layer.
        decay: ``float`` with ``0 < decay <= 1``; ``1`` gives every layer ``top_lr``.

    Returns:
        ``dict[str, float]`` mapping each name, in the given order, to
        ``top_lr * decay ** (n - 1 - i)`` where ``i`` is its position and ``n`` the length.

    Raises:
        ValueError: ``layer_names`` empty or with a repeated name, ``top_lr`` <= 0, or
            ``decay`` outside ``(0, 1]`` (each message names its argument).
    """
    ### BEGIN SOLUTION
    names = list(layer_names)
    if not names or len(set(names)) != len(names):
        raise ValueError("Argument `layer_names` must be a non-empty list of distinct names. "
                         f"Received: layer_names={names!r}")
    if not top_lr > 0:
        raise ValueError(f"Argument `top_lr` must be > 0. Received: top_lr={top_lr!r}")
    if not 0 < decay <= 1:
        raise ValueError(f"Argument `decay` must be in (0, 1]. Received: decay={decay!r}")
    n = len(names)
    return {name: float(top_lr * decay ** (n - 1 - i)) for i, name in enumerate(names)}
    ### END SOLUTION


# %% [tests] a04_layerwise_lrs points=3
_lrs = layerwise_learning_rates(["a", "b", "c"], 1e-3, 0.5)
tl.check_type(_lrs, dict, "layerwise_learning_rates(...)")
tl.check_close([_lrs.get(k, np.nan) for k in "abc"], [2.5e-4, 5e-4, 1e-3],
               "learning rates of ['a', 'b', 'c'] with top_lr=1e-3, decay=0.5",
               atol=1e-12, hint="the LAST name is the top layer and gets top_lr.")
tl.check_raises(lambda: layerwise_learning_rates(["a"], 1e-3, 1.5), ValueError,
                "decay=1.5", match="decay")
print("layerwise_learning_rates: visible checks pass")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a04_layerwise_lrs", points=3, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# Keras' `fit` has one learning rate per optimizer, so training with a learning rate per layer
# needs a small custom loop: `fit_layerwise` (given) groups the trainable variables by their
# layer's rate and gives each group its own Adam optimizer. (Multiplying each layer's
# *gradient* by a factor would not work with Adam: its step size does not depend on the
# gradient's scale.)

# %%
def fit_layerwise(model, x, y, lr_by_layer, *, epochs, batch_size=32, seed=0):
    """Plumbing: train ``model`` with one Adam optimizer per learning rate in ``lr_by_layer``.

    Every trainable variable's layer (the part of ``variable.path`` before the variable name)
    must be a key of ``lr_by_layer``. Frozen layers are simply not trained.
    """
    groups = {}
    for variable in model.trainable_variables:
        layer = variable.path.split("/")[-2]
        if layer not in lr_by_layer:
            raise ValueError(f"Argument `lr_by_layer` has no learning rate for layer {layer!r}.")
        groups.setdefault(lr_by_layer[layer], []).append(variable)
    optimizers = [(keras.optimizers.Adam(lr), variables) for lr, variables in groups.items()]
    for optimizer, variables in optimizers:
        optimizer.build(variables)
    ordered = [v for _, variables in optimizers for v in variables]
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    @tf.function
    def train_step(x_batch, y_batch):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_batch, model(x_batch, training=True))
        gradients = tape.gradient(loss, ordered)
        start = 0
        for optimizer, variables in optimizers:
            optimizer.apply_gradients(
                zip(gradients[start:start + len(variables)], variables, strict=True))
            start += len(variables)
        return loss

    data = tf.data.Dataset.from_tensor_slices((x.astype("float32"), y))
    data = data.shuffle(len(x), seed=seed).batch(batch_size)
    for _ in range(epochs):
        for x_batch, y_batch in data:
            train_step(x_batch, y_batch)
    return model


# %% [markdown]
# Same start as the learning-rate sweep (seed 0, trained head), 10 epochs, the head at
# `1e-3` and each convolution below at 0.7 times the rate of the one above it.

# %%
lr_by_layer = layerwise_learning_rates(CONV_LAYERS + ["head"], top_lr=1e-3, decay=0.7)
keras.utils.set_random_seed(SEEDS[0])
sweep_model.set_weights(phase1_weights)
unfreeze_top(sweep_base, len(CONV_LAYERS))
fit_layerwise(sweep_model, x_train, y_train, lr_by_layer, epochs=10, seed=SEEDS[0])
layerwise_acc = test_accuracy(sweep_model)
layerwise_gap = layerwise_acc - lr_accuracy[1e-3]

fig, ax = plt.subplots(figsize=(6.5, 2.6))
ax.bar(range(len(lr_by_layer)), list(lr_by_layer.values()), color="C4")
ax.set_xticks(range(len(lr_by_layer)), list(lr_by_layer), rotation=45, ha="right", fontsize=8)
ax.set_yscale("log")
ax.set_ylabel("learning rate")
ax.set_title("discriminative learning rates, bottom to top", fontsize=10)
plt.show()
display(Markdown(
    f"Learning rates from {min(lr_by_layer.values()):.1e} (`{CONV_LAYERS[0]}`) to "
    f"{max(lr_by_layer.values()):.0e} (`head`). Test accuracy with them: "
    f"**{layerwise_acc:.3f}**; with one rate of 1e-3 for every layer (the sweep above): "
    f"**{lr_accuracy[1e-3]:.3f}**. "
    + ("Within two points: on one seed, that is noise. " if abs(layerwise_gap) <= 0.02 else
       f"Discriminative rates are {abs(100 * layerwise_gap):.0f} points "
       f"{'ahead' if layerwise_gap > 0 else 'behind'} on this seed. ")
    + "Keep in mind what the method assumes: that the bottom layers already hold the right "
    "generic features. Digits are far from the photo source, so the bottom layers may need to "
    f"change too, and at {min(lr_by_layer.values()):.0e} they barely move in 10 epochs. "
    "One seed and one `decay` are an illustration, not a verdict: try `decay=0.9` yourself."))

# %% [markdown]
# ## Key takeaways
#
# * Fine-tuning = **two phases**: train a new head on the frozen base, then unfreeze the top
#   layers and continue at a learning rate **10-100 times lower**. Recompile after every change
#   of `trainable`.
# * Keep **BatchNorm in inference mode** (call the base with `training=False`, keep BN layers
#   frozen): a few images give noisy batch statistics that would overwrite the source ones.
# * Unfreezing "a few top layers" can already mean most of the parameters (the explorer).
# * A fine-tuning learning rate that is too high destroys the pretrained features instead of
#   adjusting them (the learning-rate sweep).
# * **Early stopping** on `val_loss` with `restore_best_weights=True` keeps the best epoch
#   instead of the last, overfitted one.
# * **Discriminative learning rates** give the generic bottom layers smaller steps.
# * When the target differs from the source (strokes vs photos), frozen features are weak and
#   fine-tuning has room to beat feature extraction; whether it does, and whether it beats
#   training from scratch, is a measurement over several seeds, not a rule.
#
# ## Knowledge check (5 points)
#
# Set each answer to the letter of the best option.
#
# **q1.** Why is the new head trained first, with the base frozen?
# (a) to make the training faster overall;
# (b) a randomly initialised head produces large, noisy gradients that would damage the
# pretrained features if the base were trainable;
# (c) because Keras cannot train a base and a head together.
#
# **q2.** The head trained well at `lr=1e-2`. A sensible learning rate for phase 2 is
# (a) `1e-1`, to move away from the source task quickly; (b) `1e-2`, the same;
# (c) `1e-3` to `1e-4`.
#
# **q3.** During fine-tuning on 10 images per class, the BatchNorm layers of the base should
# (a) run in inference mode and stay frozen, keeping the statistics of the source task;
# (b) run in training mode, to adapt their statistics to the new batches;
# (c) be removed from the network.
#
# **q4.** You set `layer.trainable = True` on some layers but forget to call `compile` again.
# What happens at the next `fit`?
# (a) Keras raises an error; (b) the change may not take effect: the model keeps training with
# the trainable set it was compiled with; (c) only the BatchNorm layers train.
#
# **q5.** With discriminative learning rates, which layers get the *smallest* learning rate?
# (a) the bottom layers, whose generic features need the least change; (b) the head;
# (c) the layers with the most parameters.
#
# **q6.** Why does multiplying each layer's gradient by a factor *not* give it a different
# learning rate under Adam?
# (a) Adam ignores gradients of frozen layers; (b) Adam clips gradients;
# (c) Adam divides by a running estimate of the gradient's magnitude, so scaling the gradient
# leaves the step size unchanged.
#
# **q7.** `EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)` stops at
# epoch 20. Which weights does the model have afterwards?
# (a) those of epoch 20; (b) those of the epoch with the lowest validation loss;
# (c) those of epoch 15.

# %% [answer] a04_quiz
answers = {}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "c", "q3": "a", "q4": "b", "q5": "a", "q6": "c", "q7": "b"}
### END SOLUTION

# %% [tests] a04_quiz points=5
_expected = {f"q{i}" for i in range(1, 8)}
assert set(answers) == _expected, (
    f"answer every question: answers should have the keys {sorted(_expected)}, "
    f"it has {sorted(answers)}")
assert all(v in ("a", "b", "c") for v in answers.values()), "each answer is 'a', 'b' or 'c'"
print("knowledge check: all questions answered")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a04_quiz", points=5, namespace=globals())
### END HIDDEN TESTS
