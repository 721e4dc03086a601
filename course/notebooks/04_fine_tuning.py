# %% [markdown]
# # 04 Fine-tuning
#
# **Estimated time:** 60-75 minutes (the notebook itself runs in about two minutes the first
# time, less afterwards: the frozen part's outputs are cached on disk).
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
# **Scenario.** The research lab of notebook 03 sorts small image patches into 10 categories
# (textures, microscopy and medical images, astronomy and objects) with **EfficientNet-Lite0**,
# a real ImageNet model. Frozen features and a linear classifier already work. A colleague
# says: "ImageNet photos are not microscope slides; fine-tune the network on *our* patches and
# it will do better." Another says: "with 15 labels per class, train a small network from
# scratch and skip ImageNet altogether." Who is right? You will find out with numbers this
# notebook computes.

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

import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import tl_helpers as tl

tf.zeros(1)  # TensorFlow's first-use log line lands here, not in a graded cell
tf.get_logger().setLevel("ERROR")  # no retracing notices between the outputs
keras.utils.set_random_seed(tl.config.SEED)

# %% [markdown]
# ## The target task and the backbone
#
# The patches of notebook 03 (`tl.load_photo_patches`, 96x96 pixels): training patches come
# from the left 60% of each image, test patches from the right 40%. Every strategy below gets
# the same **15 labelled patches per class**: 10 to train on and 5 for validation (early
# stopping), and is scored on the same fixed test set. Two seeds draw two different sets of
# labelled patches.

# %%
IMAGE_SIZE = 96
patches = tl.load_photo_patches(image_size=IMAGE_SIZE, n_train_per_class=20,
                                n_test_per_class=30)
SEEDS = [0, 1]  # each seed adds a from-scratch run, the slowest part of the notebook
N_TRAIN, N_VAL = 10, 5


def split_train_val(dataset, n_train, n_val, seed):
    """Plumbing: n_train + n_val labelled images per class, split into train and validation.

    The test set is the fixed one of ``tl.few_shot_indices`` (it never depends on the seed).
    """
    train_idx, test_idx = tl.few_shot_indices(dataset, n_train + n_val, seed=seed)
    y = dataset.y[train_idx]
    rank = np.zeros(len(y), dtype=int)  # position of each image within its class
    for c in np.unique(y):
        rank[y == c] = np.arange(np.sum(y == c))
    is_train = rank < n_train
    return train_idx[is_train], train_idx[~is_train], test_idx


train_idx, val_idx, test_idx = split_train_val(patches, N_TRAIN, N_VAL, seed=SEEDS[0])
y_train, y_val, y_test = patches.y[train_idx], patches.y[val_idx], patches.y[test_idx]
print(f"{patches.num_classes} classes; train {len(train_idx)}, validation {len(val_idx)}, "
      f"test {len(test_idx)} patches")
first_of_class = [int(np.flatnonzero(y_train == c)[0]) for c in range(patches.num_classes)]
tl.plot_image_grid(patches.x[train_idx][first_of_class], y_train[first_of_class],
                   class_names=patches.class_names, ncols=10)
plt.show()

# %% [markdown]
# `base_model` is EfficientNet-Lite0 with its ImageNet weights and without the ImageNet
# classifier: raw 0-255 patches in, 1280 pooled features out. Its layers with weights are
# convolutions and BatchNormalization layers, grouped in 16 blocks `block1a` ... `block7a`
# (notebook 03 shows them); `top_conv` is the last convolution.

# %%
base_model = tl.load_backbone("efficientnet_lite0", weights="imagenet",
                              input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
card = tl.model_card("efficientnet_lite0")
CONV_LAYERS = [layer.name for layer in base_model.layers
               if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
print(f"{len(base_model.layers)} layers, {base_model.count_params():,} parameters, "
      f"ImageNet top-1 {card['top1']:.1%}")
print(f"{len(CONV_LAYERS)} convolutions, bottom to top: {CONV_LAYERS[:3]} ... {CONV_LAYERS[-4:]}")

# %% [markdown]
# ### Run the frozen part once
#
# Fine-tuning Lite0 end to end would run all 16 blocks forwards and backwards at every step:
# too slow on a laptop for a notebook that must finish in two minutes. We fine-tune only the
# **top of the network**, block `7a` and `top_conv`, and keep everything up to the end of
# block `6d` frozen. That frozen part computes the same output for a patch at every epoch (its
# weights do not change and its BatchNorm runs in inference mode), so we run it **once** over
# every patch, cache its outputs on disk (`tl.extract_features` works on any model), and
# fine-tune a small model made of Lite0's own layers *above* the cut, with their pretrained
# weights. Keras builds both halves from the layers of `base_model` (shared, not copied).
#
# This shortcut is **exact** as long as the input images do not change between epochs: with
# data augmentation (random flips or shifts at every step) the frozen part would have to run
# again on every augmented image, and the cache would be wrong.

# %%
CUT = "block6d_add"
bottom_model = keras.Model(base_model.input, base_model.get_layer(CUT).output,
                           name="lite0_up_to_block6d")
top_model = keras.Model(base_model.get_layer(CUT).output, base_model.output, name="lite0_top")
TOP_PRETRAINED = top_model.get_weights()  # every fine-tuning run starts from these

start = time.perf_counter()
# batches of 32: at 96x96 pixels the early blocks' activations for 128 patches take ~2 GB
activations = tl.extract_features(bottom_model, patches.x, batch_size=32, progress=False)
cut_seconds = time.perf_counter() - start
x_train, x_val, x_test = activations[train_idx], activations[val_idx], activations[test_idx]
pooled = top_model.predict(activations, batch_size=200, verbose=0)  # the 1280 features
exact_gap = float(np.max(np.abs(
    np.asarray(top_model(activations[:8], training=False))
    - np.asarray(base_model(patches.x[:8], training=False)))))
display(Markdown(
    f"The frozen part ran over {len(patches.x)} patches in **{cut_seconds:.1f} s** (a cached "
    f"run reads the file instead). Each patch becomes a {activations.shape[1]}x"
    f"{activations.shape[2]}x{activations.shape[3]} block of activations. `top_model` "
    f"({len(top_model.layers)} layers, {top_model.count_params():,} of the "
    f"{base_model.count_params():,} parameters) maps them to the same 1280 features as the "
    f"whole network: largest difference on 8 patches **{exact_gap:.1e}**"
    + (" (identical)." if exact_gap == 0 else " (floating-point rounding).")))

# %% [markdown]
# **Strategy 1: feature extraction.** A logistic regression on the 1280 frozen features of
# the 15 labelled patches per class (train + validation: it has no use for a validation set,
# its regularisation is fixed at `C=0.1`).

# %%
def feature_extraction_accuracy(seed, with_validation=True):
    """Plumbing: logistic regression on the frozen features, 15 labels per class (10 without
    the validation patches)."""
    tr, va, te = split_train_val(patches, N_TRAIN, N_VAL, seed)
    labelled = np.concatenate([tr, va]) if with_validation else tr
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
    # one BLAS thread: on 2 busy cores, two threads for this small problem are 10x slower
    with threadpool_limits(limits=1, user_api="blas"):
        clf.fit(pooled[labelled], patches.y[labelled])
    return float(clf.score(pooled[te], patches.y[te]))


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
#   statistics learned on ImageNet.
#
# Implement `unfreeze_top(base_model, n_layers)`. "Layers" here are the layers that have
# weights and are not BatchNormalization (for Lite0: the 49 `CONV_LAYERS`; for `top_model`:
# the 4 convolutions of block `7a` and `top_conv`). It must work on any Keras model.

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
_probe = tl.load_backbone("efficientnet_lite0", weights=None, input_shape=(32, 32, 3))
_names = unfreeze_top(_probe, 4)
_expected = ["block7a_expand_conv", "block7a_dwconv", "block7a_project_conv", "top_conv"]
assert _names == _expected, (
    f"unfreeze_top(lite0, 4) should unfreeze the four top convolutions {_expected} (bottom to "
    f"top), but it returned {_names!r}. Hint: skip layers without weights and "
    "BatchNormalization layers, and count from the end of base_model.layers.")
_bn = [layer.name for layer in _probe.layers
       if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
assert not _bn, f"BatchNorm layers must stay frozen, but these are trainable: {_bn[:4]}"
tl.check_close(sum(int(np.prod(w.shape)) for w in _probe.trainable_weights),
               sum(_probe.get_layer(name).count_params() for name in _expected),
               "trainable parameters after unfreeze_top(lite0, 4)",
               hint="only the four top convolutions should train.")
tl.check_raises(lambda: unfreeze_top(_probe, 99), ValueError, "unfreeze_top(lite0, 99)",
                match="n_layers")
print("unfreeze_top: visible checks pass")

# %% [markdown]
# ### Explorer: how many layers to unfreeze?
#
# Move the slider over Lite0's 49 convolutions. Green layers train, grey ones stay frozen
# (BatchNorm always does); the dotted line is this notebook's cut. The parameters pile up at
# the top: "only the last few layers" can already be a large part of the network.
# (It needs your `unfreeze_top`: in the student version, finish Part 1 first.)

# %%
_total_params = base_model.count_params()
_sizes = [base_model.get_layer(name).count_params() for name in CONV_LAYERS]
_cut_position = [i for i, name in enumerate(CONV_LAYERS) if name.startswith("block6d")][-1]
TOP_LAYERS = CONV_LAYERS[_cut_position + 1:]  # the convolutions of top_model
_layer_counts = {}
for _n in range(len(CONV_LAYERS) + 1):
    _unfrozen = unfreeze_top(base_model, _n)
    _layer_counts[_n] = (_unfrozen, sum(int(np.prod(w.shape))
                                        for w in base_model.trainable_weights))
unfreeze_top(base_model, 0)  # back to all frozen (flags only; no weight changed)


def show_unfrozen(n_layers=4):
    unfrozen, trainable = _layer_counts[n_layers]
    fig, ax = plt.subplots(figsize=(8, 2.8))
    colours = ["tab:green" if name in unfrozen else "0.75" for name in CONV_LAYERS]
    ax.bar(range(len(CONV_LAYERS)), _sizes, color=colours)
    ax.axvline(_cut_position + 0.5, color="k", ls=":", lw=1)
    ticks = [i for i, name in enumerate(CONV_LAYERS) if not name.startswith("block")
             or name.endswith(("a_expand_conv", "1a_dwconv"))]
    ax.set_xticks(ticks, [CONV_LAYERS[i].split("_")[0] for i in ticks], rotation=45,
                  ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("parameters")
    ax.set_title(f"n_layers={n_layers}: {trainable:,} of {_total_params:,} parameters train "
                 f"({trainable / _total_params:.0%})", fontsize=10)
    plt.show()


# tl.interact is ipywidgets.interact in JupyterLab; run headless (grading) it draws this default
# view once, with no widget
tl.interact(show_unfrozen, n_layers=tl.widgets.IntSlider(
    value=len(TOP_LAYERS), min=0, max=len(CONV_LAYERS), description="n_layers"));

# %%
_top_share = _layer_counts[len(TOP_LAYERS)][1] / _total_params
display(Markdown(
    f"The {len(TOP_LAYERS)} convolutions above the cut ({', '.join(TOP_LAYERS)}) are "
    f"{len(TOP_LAYERS) / len(CONV_LAYERS):.0%} of the convolutions but hold "
    f"**{_top_share:.0%} of the parameters**: {_layer_counts[len(TOP_LAYERS)][1]:,} weights "
    f"to adjust with 10 labelled patches per class."))

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

# %% [markdown]
# ## Part 3 - Two-phase fine-tuning (4 points)
#
# `build_classifier` (given) puts a new softmax head on a base, called with `training=False`.
# Careful: during `fit`, Keras 3 can pass `training=True` down into a nested model anyway, so
# what really keeps BatchNorm in inference mode is keeping its layers frozen
# (`trainable = False`), as `unfreeze_top` does. Here the base is `top_model` and the inputs are
# the cached activations, but `fine_tune` must not care: it works on any base and its inputs.
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
def build_classifier(base_model, num_classes):
    """Plumbing: ``base_model`` (run with ``training=False``) + a new softmax head ``"head"``."""
    inputs = keras.Input(base_model.input_shape[1:], name="inputs")
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
        base_model: the base inside ``model`` (a whole backbone, or the top part of one).
        x_train: the inputs of ``model``, ``(N, ...)``: raw 0-255 images for a whole
            backbone, cached activations for ``top_model``.
        y_train: ``int`` class labels ``(N,)``.
        validation_data: ``(x_val, y_val)`` for early stopping in phase 2 (and the curves).
        n_layers: layers to unfreeze in phase 2 (see ``unfreeze_top``).
        head_lr: ``float`` > 0, Adam learning rate of phase 1.
        lr_divisor: ``float`` >= 1; phase 2 uses ``head_lr / lr_divisor``.
        head_epochs: ``int``, epochs of phase 1.
        epochs: ``int``, maximum epochs of phase 2 (early stopping may end it sooner).
        batch_size: ``int``, inputs per batch.
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
# a small stand-in (the course's MobileNet, random weights) keeps this check fast
keras.utils.set_random_seed(0)
_base = tl.load_backbone("course_mobilenet", weights=None)
_model = build_classifier(_base, 10)
_x = tl.resize_images(patches.x[train_idx], 32)
_stem = _base.get_layer("stem_conv").get_weights()[0].copy()
_top = _base.get_layer("block4_pw").get_weights()[0].copy()
_h1, _h2 = fine_tune(_model, _base, _x[:60], y_train[:60], validation_data=(_x[60:], y_train[60:]),
                     n_layers=1, head_epochs=2, epochs=2, batch_size=30)
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

# %% [markdown]
# ### One fine-tuning run, phase by phase
#
# Seed 0: the head trains for 10 epochs on the frozen `top_model`, then block `7a` and
# `top_conv` (all 4 convolutions of `top_model`) are unfrozen at a 10 times lower learning rate
# for up to 20 epochs. The curves show both phases one after the other (phase 2 starts at the
# dotted line).

# %%
FINE_TUNE = dict(n_layers=len(TOP_LAYERS), head_lr=1e-2, lr_divisor=10, head_epochs=10,
                 epochs=20, patience=5, batch_size=32)


def test_accuracy(model, x, y):
    """Plumbing: accuracy of ``model`` (BatchNorm in inference mode) on ``x``, ``y``."""
    return float((np.argmax(model.predict(x, batch_size=250, verbose=0), axis=1) == y).mean())


def fine_tuned_model(seed, x_tr, y_tr, validation_data):
    """Plumbing: a fresh head on the pretrained ``top_model``, fine-tuned with ``fine_tune``."""
    keras.utils.set_random_seed(seed)
    top_model.set_weights(TOP_PRETRAINED)  # undo earlier runs (the layers are shared)
    model = build_classifier(top_model, patches.num_classes)
    histories = fine_tune(model, top_model, x_tr, y_tr, validation_data=validation_data,
                          **FINE_TUNE)
    return model, histories


model, (history_head, history_fine) = fine_tuned_model(SEEDS[0], x_train, y_train,
                                                       (x_val, y_val))
both = {k: history_head.history[k] + history_fine.history[k] for k in history_head.history}
fig = tl.plot_history(both, metrics=("loss", "accuracy"))
for ax in fig.axes:
    ax.axvline(len(history_head.history["loss"]) + 0.5, color="k", ls=":", lw=1)
plt.show()

ft_seed0 = test_accuracy(model, x_test, y_test)
best_epoch = int(np.argmin(history_fine.history["val_loss"]))
display(Markdown(
    f"Phase 1 ran {len(history_head.history['loss'])} epochs (validation accuracy "
    f"{history_head.history['val_accuracy'][-1]:.3f} at its end); phase 2 ran "
    f"{len(history_fine.history['loss'])} epochs and early stopping restored its best epoch "
    f"(epoch {best_epoch + 1}: validation loss {history_fine.history['val_loss'][best_epoch]:.3f}, "
    f"training accuracy {history_fine.history['accuracy'][best_epoch]:.3f}). Test accuracy "
    f"after fine-tuning: **{ft_seed0:.3f}**, against **{fe_seed0:.3f}** for feature extraction "
    "on the same seed."))

# %% [markdown]
# ## Three strategies, two seeds
#
# Now the comparison the lab needs, on two seeds (each seed draws other labelled patches
# and another initialisation of the head):
#
# * **feature extraction**: frozen Lite0 features + logistic regression (above);
# * **fine-tuning**: your `fine_tune` on `top_model`, as in the run above;
# * **from scratch**: no ImageNet at all. A small network (the course's `course_mobilenet`,
#   random weights) trained on the 15 labelled patches per class with the recipe the course
#   benchmark `bench/transfer.py` tuned for these patches: 800 optimiser steps of 16 patches,
#   Adam with a cosine-decayed learning rate from `1e-3`, random flips and shifts, dropout 0.3.
#   It works on the patches shrunk to 32x32 pixels: at 96x96 it would take nine times longer,
#   too long for this notebook.
#
# The first cell runs the two ImageNet strategies for the other seed; the cells
# after it train from scratch, one seed per cell (each prints its time: the slowest part of
# the notebook).

# %%
results = {"feature extraction": [], "fine-tuning": [], "from scratch": []}
seconds = {key: 0.0 for key in results}
for seed in SEEDS:
    tr, va, te = split_train_val(patches, N_TRAIN, N_VAL, seed)
    start = time.perf_counter()
    results["feature extraction"].append(feature_extraction_accuracy(seed))
    seconds["feature extraction"] += time.perf_counter() - start
    start = time.perf_counter()
    if seed == SEEDS[0]:
        results["fine-tuning"].append(ft_seed0)  # the run above
    else:
        clf, _ = fine_tuned_model(seed, activations[tr], patches.y[tr],
                                  (activations[va], patches.y[va]))
        results["fine-tuning"].append(test_accuracy(clf, activations[te], patches.y[te]))
    seconds["fine-tuning"] += time.perf_counter() - start
    print(f"seed {seed}: feature extraction {results['feature extraction'][-1]:.3f}, "
          f"fine-tuning {results['fine-tuning'][-1]:.3f}")

# %%
SCRATCH = dict(steps=800, batch_size=16, learning_rate=1e-3, dropout=0.3)
patches_32 = tl.resize_images(patches.x, 32)


def scratch_network():
    """Plumbing: course_mobilenet with random weights + dropout + softmax classifier, 32x32."""
    return keras.Sequential([
        tl.load_backbone("course_mobilenet", weights=None, input_shape=patches_32.shape[1:]),
        keras.layers.Dropout(SCRATCH["dropout"]),
        keras.layers.Dense(patches.num_classes, activation="softmax"),
    ])


# as in notebook 01: compiled once, every run restarts from its seed's fresh weights and a fresh
# Adam with the cosine-decayed rate, on 800 x 16 augmented patches drawn up front (full batches)
scratch_trainer = tl.ScratchTrainer(scratch_network, steps=SCRATCH["steps"],
                                    batch_size=SCRATCH["batch_size"],
                                    learning_rate=SCRATCH["learning_rate"])


def scratch_accuracy(seed):
    """Plumbing: course_mobilenet from random weights on the 15 labels per class, 32x32."""
    tr, va, te = split_train_val(patches, N_TRAIN, N_VAL, seed)
    labelled = np.concatenate([tr, va])
    net = scratch_trainer.fit(patches_32[labelled], patches.y[labelled], seed=seed)
    return test_accuracy(net, patches_32[te], patches.y[te])


scratch_by_seed, scratch_seconds = {}, {}


def run_scratch_seed(seed):
    """Plumbing: train from scratch for one seed; record its accuracy and time."""
    start = time.perf_counter()
    scratch_by_seed[seed] = scratch_accuracy(seed)
    scratch_seconds[seed] = time.perf_counter() - start
    print(f"seed {seed}: from scratch {scratch_by_seed[seed]:.3f} "
          f"({scratch_seconds[seed]:.1f} s)")


# %% [markdown]
# One seed per cell: each trains for 800 optimiser steps.

# %%
run_scratch_seed(SEEDS[0])

# %%
run_scratch_seed(SEEDS[1])
results["from scratch"] = [scratch_by_seed[seed] for seed in SEEDS]
seconds["from scratch"] = sum(scratch_seconds[seed] for seed in SEEDS)
print("seconds for all seeds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items())
      + f" (fine-tuning: seeds {SEEDS[1:]}, seed {SEEDS[0]} ran above)")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
for i, scores in enumerate(results.values()):
    ax.scatter(np.full(len(scores), i), scores, color=f"C{i}", alpha=0.6)
    ax.errorbar(i + 0.15, np.mean(scores), yerr=np.std(scores), fmt="D", color=f"C{i}",
                capsize=4)
ax.set_xticks(range(len(results)), list(results))
ax.set_ylabel("test accuracy")
ax.set_title(f"photo patches, {N_TRAIN} train + {N_VAL} validation labels per class, "
             f"{len(SEEDS)} seeds", fontsize=10)
plt.show()


def verdict(gaps, margin=0.02):
    """Words for a mean gap: within `margin` (2 points) counts as a tie."""
    return ("clearly ahead of" if gaps.mean() > margin else
            "clearly behind" if gaps.mean() < -margin else "on a par with")


gaps = np.array(results["fine-tuning"]) - np.array(results["feature extraction"])
gaps_scratch = np.array(results["fine-tuning"]) - np.array(results["from scratch"])
gaps_fe_scratch = np.array(results["feature extraction"]) - np.array(results["from scratch"])
mean = {k: np.mean(v) for k, v in results.items()}
std = {k: np.std(v) for k, v in results.items()}
display(Markdown(
    "| strategy | " + " | ".join(f"seed {s}" for s in SEEDS) + " | mean ± std |\n"
    "|---|" + "---|" * (len(SEEDS) + 1) + "\n"
    + "\n".join(f"| {k} | " + " | ".join(f"{a:.3f}" for a in v)
                + f" | {mean[k]:.3f} ± {std[k]:.3f} |" for k, v in results.items())
    + f"\n\nFine-tuning minus feature extraction: {', '.join(f'{g:+.3f}' for g in gaps)} "
    f"(fine-tuning is ahead on **{int(np.sum(gaps > 0))} of {len(SEEDS)}** seeds, "
    f"{100 * gaps.mean():+.1f} points on average: **{verdict(gaps)}** feature extraction). "
    f"Fine-tuning minus from scratch: {', '.join(f'{g:+.3f}' for g in gaps_scratch)} "
    f"({100 * gaps_scratch.mean():+.1f} points on average: {verdict(gaps_scratch)} training "
    f"from scratch); feature extraction minus from scratch: "
    f"{100 * gaps_fe_scratch.mean():+.1f} points on average."))

# %% [markdown]
# How to read it. Both ImageNet strategies start from features learned on 1.28 million
# photos; training from scratch must learn everything from 15 patches per class. The last
# sentence under the table says how much that pretraining is worth here.
#
# Fine-tuning *can* adapt the top blocks to microscope slides and star fields, but it pays
# for that freedom: the next cell counts what it has to learn from how little.

# %%
fe_10 = np.array([feature_extraction_accuracy(seed, with_validation=False) for seed in SEEDS])
gaps_10 = np.array(results["fine-tuning"]) - fe_10
_ft_params = _layer_counts[len(TOP_LAYERS)][1] + (1280 + 1) * patches.num_classes
_h = history_fine.history
_ran = len(_h["loss"])
display(Markdown(
    f"Fine-tuning adjusts **{_ft_params:,} weights** (the 4 convolutions and the head) with "
    f"**{N_TRAIN * patches.num_classes} training patches**; the logistic regression fits "
    f"{1280 * patches.num_classes + patches.num_classes:,} weights, strongly regularised, on "
    "features that do not move. Two costs of that freedom, measured:\n\n"
    "* **Labels kept aside.** Fine-tuning needs validation patches to know when to stop; the "
    "logistic regression trains on them. Trained on the same "
    f"{N_TRAIN} patches per class as fine-tuning, it reaches **{fe_10.mean():.3f}** on "
    f"average (against {mean['feature extraction']:.3f} with all {N_TRAIN + N_VAL}): "
    f"fine-tuning is {verdict(gaps_10)} it ({100 * gaps_10.mean():+.1f} points).\n"
    f"* **Overfitting.** On seed 0, by the last epoch of phase 2 (epoch {_ran}) the training "
    f"accuracy was {_h['accuracy'][-1]:.3f} and the validation loss "
    + (f"had risen from {_h['val_loss'][best_epoch]:.3f} (epoch {best_epoch + 1}) to "
       f"{_h['val_loss'][-1]:.3f}: the top blocks were learning the training patches rather "
       "than the classes, and early stopping rolled back to epoch "
       f"{best_epoch + 1} on the evidence of {N_VAL * patches.num_classes} validation patches."
       if best_epoch + 1 < _ran else
       f"was still falling ({_h['val_loss'][-1]:.3f}): no sign of overfitting on this seed.")
    + "\n\n"
    + ("So, with this few labels, fine-tuning does **not** beat the frozen features here. It "
       "pays off with more labelled data, or when the target is far from the source and the "
       "frozen features are poor; here feature extraction already reaches "
       f"{mean['feature extraction']:.3f}."
       if gaps.mean() <= 0.02 else
       "So the extra freedom pays off here: the top blocks adapted to the patches beyond what "
       "a linear classifier on fixed features can do. Check the seed-by-seed gaps before "
       "trusting the mean.")))

# %% [markdown]
# ## The fine-tuning learning rate
#
# How low is "much lower"? Starting from the same trained head (seed 0), phase 2 runs 10
# epochs with each learning rate below, without early stopping, so that you see the whole
# curve (compare the accuracies with each other and with the head alone). The head was
# trained at `lr=1e-2`.

# %%
keras.utils.set_random_seed(SEEDS[0])
top_model.set_weights(TOP_PRETRAINED)
sweep_model = build_classifier(top_model, patches.num_classes)
top_model.trainable = False
HEAD_LR = FINE_TUNE["head_lr"]
# the input set-up of notebook 03 (same training, less of Keras' own overhead per epoch):
# tf.data pipelines built once, up to 32 steps per call into TensorFlow
train_data = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(
    len(x_train), seed=SEEDS[0]).batch(32)
val_data = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(32)
sweep_model.compile(keras.optimizers.Adam(HEAD_LR), "sparse_categorical_crossentropy",
                    metrics=["accuracy"], steps_per_execution=32)
sweep_model.fit(train_data, epochs=FINE_TUNE["head_epochs"], verbose=0)
head_only_acc = test_accuracy(sweep_model, x_test, y_test)
phase1_weights = sweep_model.get_weights()

FT_LRS = [1e-2, 1e-3, 1e-4]  # the head's own rate, then 10x and 100x lower
lr_histories, lr_accuracy = {}, {}
for lr in FT_LRS:
    keras.utils.set_random_seed(SEEDS[0])
    sweep_model.set_weights(phase1_weights)
    unfreeze_top(top_model, len(TOP_LAYERS))
    sweep_model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy",
                        metrics=["accuracy"], steps_per_execution=32)
    lr_histories[lr] = sweep_model.fit(train_data, epochs=10, validation_data=val_data,
                                       verbose=0).history
    lr_accuracy[lr] = test_accuracy(sweep_model, x_test, y_test)
    print(f"phase-2 lr {lr:g}: test accuracy {lr_accuracy[lr]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.plot(FT_LRS, [lr_accuracy[lr] for lr in FT_LRS], "o-", label="after fine-tuning")
ax.axhline(head_only_acc, color="0.5", ls="--", label="head only (phase 1)")
ax.axhline(1 / patches.num_classes, color="C3", ls=":", label="chance")
ax.set_xscale("log")
ax.set_xlabel("phase-2 learning rate")
ax.set_ylabel("test accuracy")
ax.legend(fontsize=8)
plt.show()
best_lr = max(FT_LRS, key=lr_accuracy.get)
_high = lr_accuracy[FT_LRS[0]]
display(Markdown(
    f"The head alone (phase 1) reaches {head_only_acc:.3f}. The best phase-2 learning rate "
    f"here is **{best_lr:g}** ({lr_accuracy[best_lr]:.3f}), {HEAD_LR / best_lr:g} times below "
    f"the head's. At **{FT_LRS[0]:g}**, the head's own learning rate (the classic mistake: not "
    f"lowering it), test accuracy is **{_high:.3f}**"
    + (f", {head_only_acc - _high:.3f} below the head alone"
       + (" and close to chance (0.1)" if _high < 0.2 else "")
       + ": large updates overwrite the pretrained features instead of adjusting them, and "
       "10 epochs on 100 patches cannot relearn them." if _high < head_only_acc else
       ", not below the head alone on this seed.")
    + f" At {FT_LRS[-1]:g} the weights barely move in 10 epochs: "
    f"{lr_accuracy[FT_LRS[-1]]:.3f}."))

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


tl.interact(show_lr_curves, lr=tl.widgets.SelectionSlider(
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
# `1e-3` and each convolution below at half the rate of the one above it.

# %%
lr_by_layer = layerwise_learning_rates(TOP_LAYERS + ["head"], top_lr=1e-3, decay=0.5)
keras.utils.set_random_seed(SEEDS[0])
sweep_model.set_weights(phase1_weights)
unfreeze_top(top_model, len(TOP_LAYERS))
fit_layerwise(sweep_model, x_train, y_train, lr_by_layer, epochs=10, seed=SEEDS[0])
layerwise_acc = test_accuracy(sweep_model, x_test, y_test)
layerwise_gap = layerwise_acc - lr_accuracy[1e-3]

fig, ax = plt.subplots(figsize=(6, 2.6))
ax.bar(range(len(lr_by_layer)), list(lr_by_layer.values()), color="C4")
ax.set_xticks(range(len(lr_by_layer)), list(lr_by_layer), rotation=30, ha="right", fontsize=8)
ax.set_yscale("log")
ax.set_ylabel("learning rate")
ax.set_title("discriminative learning rates, bottom to top", fontsize=10)
plt.show()
display(Markdown(
    f"Learning rates from {min(lr_by_layer.values()):.1e} (`{TOP_LAYERS[0]}`) to "
    f"{max(lr_by_layer.values()):.0e} (`head`). Test accuracy with them: "
    f"**{layerwise_acc:.3f}**; with one rate of 1e-3 for every layer (the sweep above): "
    f"**{lr_accuracy[1e-3]:.3f}**. "
    + ("Within two points: on one seed, that is noise. " if abs(layerwise_gap) <= 0.02 else
       f"Discriminative rates are {abs(100 * layerwise_gap):.0f} points "
       f"{'ahead' if layerwise_gap > 0 else 'behind'} on this seed. ")
    + "Keep in mind what the method assumes: that the lower layers already hold the right "
    "generic features and need the smallest changes (here everything below the cut does not "
    "change at all, the strongest form of that assumption). One seed and one `decay` are an "
    "illustration, not a verdict: try `decay=0.8` yourself."))

# %% [markdown]
# ## Key takeaways
#
# * Fine-tuning = **two phases**: train a new head on the frozen base, then unfreeze the top
#   layers and continue at a learning rate **10-100 times lower**. Recompile after every change
#   of `trainable`.
# * Keep **BatchNorm in inference mode** (call the base with `training=False`, keep BN layers
#   frozen): a few images give noisy batch statistics that would overwrite the source ones.
# * Unfreezing "a few top layers" can already mean a large share of the parameters (the
#   explorer counts them).
# * A frozen bottom part can be run **once** and cached: fine-tuning the top on cached
#   activations is exact as long as the images are not augmented.
# * A fine-tuning learning rate that is too high destroys the pretrained features instead of
#   adjusting them (the learning-rate sweep).
# * **Early stopping** on `val_loss` with `restore_best_weights=True` keeps the best epoch
#   instead of the last, overfitted one.
# * **Discriminative learning rates** give the generic lower layers smaller steps.
# * Whether fine-tuning beats frozen features is a measurement over several seeds, not a
#   rule: with very few labels and good frozen features it may not, because the extra freedom
#   fits the few training images; pretraining itself (either way of using it) is what beats
#   training from scratch here.
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
#
# **q8.** This notebook ran Lite0 up to block `6d` once and fine-tuned only the layers above on
# the cached outputs. Why does that give the same result as fine-tuning the whole network with
# those layers frozen?
# (a) it does not: caching is an approximation that works because the top blocks are small;
# (b) the cache lowers the learning rate of the frozen layers to zero;
# (c) the frozen layers, with BatchNorm in inference mode, compute the same output for an
# image at every epoch, so computing it once is exact as long as the images are not augmented.

# %% [answer] a04_quiz
answers = {}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "c", "q3": "a", "q4": "b", "q5": "a", "q6": "c", "q7": "b",
           "q8": "c"}
### END SOLUTION

# %% [tests] a04_quiz points=5
tl.check_quiz(answers, questions=8)
print("knowledge check: all questions answered")
