# %% [markdown]
# # 03 Frozen vs trainable layers
#
# **Estimated time:** 60-75 minutes (the notebook itself runs in a few minutes at most; a
# rerun is faster, because extracted features are cached on disk).
#
# **Learning objectives.** After this notebook you can
#
# 1. explain why transfer works in CNNs: **early layers** compute generic edges, colours and
#    textures, **deeper layers** more task-specific features; and show it with the first-layer
#    filters, the activations and a layer-by-layer measurement;
# 2. **freeze** a base up to a named layer (`trainable = False`) and count **trainable and
#    non-trainable parameters**;
# 3. attach a **new classifier head** for a different number of classes on a frozen base, and
#    keep **BatchNorm in inference mode**;
# 4. say why a model must be **recompiled** after `trainable` changes, and show what goes wrong
#    when it is not;
# 5. measure **layer-wise transferability** (accuracy when transferring up to layer *k*) and the
#    **speed-up** of training a head on cached features instead of running the frozen base
#    every epoch.
#
# **Scenario.** A research lab sorts small image patches into 10 categories: textures (brick,
# grass, gravel), microscopy and medical images (cells, tissue, retina), and astronomy and
# objects (moon, galaxies, coins). Labelling is slow, so they have **10 labelled patches per
# class**, and only a laptop. Their backbone is **EfficientNet-Lite0**, a real ImageNet model
# (1.28 million everyday photos, 1000 classes, none of these images), small enough for a
# laptop. How much of it should they keep frozen, which of its layers carry what they need, how
# do they put a 10-class head on it, and how do they make training cheap?

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

start_assignment("03_frozen_vs_trainable")

import difflib
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
from tl_helpers.layer_support import (extract_features_at_cuts, kernel_images,
                                      recalibrate_batchnorm)

tf.zeros(1)  # TensorFlow's first-use log line lands here, not in a graded cell
tf.get_logger().setLevel("ERROR")  # no retracing notices between the outputs
keras.utils.set_random_seed(tl.config.SEED)

# %% [markdown]
# ## The target task and the backbone
#
# `tl.load_photo_patches` cuts patches out of 10 images that ship with scikit-image, here at
# 96x96 pixels. Training patches come from the left 60% of each image, test patches from the
# right 40%, so no test patch overlaps a training patch. We keep a small pool of training
# patches per class (most experiments use only 10 of them) and a fixed test set; the cell prints
# how many.

# %%
IMAGE_SIZE = 96
patches = tl.load_photo_patches(image_size=IMAGE_SIZE, n_train_per_class=30,
                                n_test_per_class=40)
N_LABELS = 10  # labelled patches per class in the few-label experiments
SEEDS = [0, 1, 2]
train_idx, test_idx = tl.few_shot_indices(patches, N_LABELS, seed=SEEDS[0])
x_train, y_train = patches.x[train_idx], patches.y[train_idx]
x_test, y_test = patches.x[test_idx], patches.y[test_idx]
print(f"{patches.num_classes} classes; a pool of {int(np.sum(~patches.is_test))} training "
      f"patches; train {x_train.shape}, test {x_test.shape}")
first_of_class = [int(np.flatnonzero(y_train == c)[0]) for c in range(patches.num_classes)]
tl.plot_image_grid(x_train[first_of_class], y_train[first_of_class],
                   class_names=patches.class_names, ncols=10)
plt.show()

# %% [markdown]
# `tl.load_backbone("efficientnet_lite0", weights="imagenet")` returns Google's EfficientNet-Lite0
# with its ImageNet weights, without the 1000-class classifier: it maps raw 0-255 images
# (the `preprocess` layer inside rescales them) to 1280 pooled features. It is one flat list of
# layers: a stem convolution (`stem_conv`, `stem_bn`, `stem_activation`), 16 inverted-residual
# blocks named `block1a` ... `block7a` (each a 1x1 *expand* convolution, a depthwise
# convolution and a 1x1 *project* convolution, with BatchNorm; blocks with a shortcut end in an
# `_add` layer), a 1x1 `top_conv` to 1280 channels, and global average pooling (`avg_pool`).
# The table shows where each group of blocks ends.

# %%
base_model = tl.load_backbone("efficientnet_lite0", weights="imagenet",
                              input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
IMAGENET_WEIGHTS = base_model.get_weights()  # to undo the training experiments later
card = tl.model_card("efficientnet_lite0")
summary = tl.layer_summary(base_model)
names = [row["name"] for row in summary]
GROUP_ENDS = ["stem_activation", "block1a_project_bn", "block2b_add", "block3b_add",
              "block4c_add", "block5c_add", "block6d_add", "block7a_project_bn",
              "top_activation", "avg_pool"]
print(f"{'ends at layer':>20} {'output shape':>20} {'parameters up to here':>22}")
running = 0
for row in summary:
    running += row["params"]
    if row["name"] in GROUP_ENDS:
        print(f"{row['name']:>20} {str(row['output_shape']):>20} {running:>22,}")
display(Markdown(
    f"{len(summary)} layers, **{base_model.count_params():,} parameters** "
    f"({card['parameters']:,} with the ImageNet classifier, {card['size_mb']:.0f} MB; ImageNet "
    f"top-1 {card['top1']:.1%} at {card['default_input_size']} px). Five stride-2 layers shrink "
    f"a {IMAGE_SIZE}x{IMAGE_SIZE} patch to a "
    f"{base_model.get_layer('top_activation').output.shape[1]}x"
    f"{base_model.get_layer('top_activation').output.shape[2]} grid at the top."))

# %% [markdown]
# ## Why transfer works: what the layers see
#
# The first convolution, `stem_conv`, has 32 filters of 3x3 pixels over the 3 colour channels.
# Below they are drawn as tiny RGB images (each filter rescaled to 0-1 on its own): first the
# ImageNet weights, then a random initialisation of the same network (what training from
# scratch would start from).

# %%
keras.utils.set_random_seed(tl.config.SEED)
random_model = tl.load_backbone("efficientnet_lite0", weights=None,
                                input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
pool_idx = np.flatnonzero(~patches.is_test)  # the training patches (labels unused here)
recalibrate_batchnorm(random_model, patches.x[pool_idx[::4]], batch_size=8)
tl.plot_image_grid(kernel_images(base_model), ncols=16, max_images=32,
                   title="stem_conv filters, ImageNet weights")
tl.plot_image_grid(kernel_images(random_model), ncols=16, max_images=32,
                   title="stem_conv filters, random initialisation")
plt.show()


def neighbour_correlation(kernel):
    """Plumbing: correlation between horizontally or vertically adjacent filter weights."""
    k = np.transpose(kernel, (3, 2, 0, 1))  # (filters, channels, kh, kw)
    left = np.concatenate([k[..., :, :-1].ravel(), k[..., :-1, :].ravel()])
    right = np.concatenate([k[..., :, 1:].ravel(), k[..., 1:, :].ravel()])
    return float(np.corrcoef(left, right)[0, 1])


def channel_agreement(kernel):
    """Plumbing: mean |correlation| between the R, G and B weights of each (non-zero) filter."""
    values = []
    for f in np.transpose(kernel, (3, 2, 0, 1)).reshape(kernel.shape[3], 3, -1):
        if np.all(f.std(axis=1) > 0):
            values.append(np.abs(np.corrcoef(f)[np.triu_indices(3, 1)]).mean())
    return float(np.mean(values))


stem = {kind: model.get_layer("stem_conv").get_weights()[0]
        for kind, model in (("ImageNet", base_model), ("random", random_model))}
dead = int(np.sum(np.all(stem["ImageNet"] == 0, axis=(0, 1, 2))))
stats = {kind: (neighbour_correlation(k), channel_agreement(k)) for kind, k in stem.items()}
for kind, (smooth, colour) in stats.items():
    print(f"{kind:>9}: adjacent weights correlate {smooth:+.2f}; |corr| between a filter's "
          f"R, G and B weights {colour:.2f}")
display(Markdown(
    f"The ImageNet filters are **smooth patterns**: adjacent weights correlate at "
    f"{stats['ImageNet'][0]:+.2f}, against {stats['random'][0]:+.2f} for random weights, which "
    "are independent noise. In the pictures they are brightness steps in one direction (edge "
    "detectors) and contrasts of one colour against another, a filter's three colour channels "
    f"agreeing or opposing each other (mean |correlation| {stats['ImageNet'][1]:.2f} against "
    f"{stats['random'][1]:.2f}). "
    + (f"{dead} of the 32 filters are exactly zero in the released weights: unused. " if dead
       else "")
    + "A 3x3 filter is small; what it computes shows better in its output."))

# %% [markdown]
# ### Explorer: activations layer by layer
#
# Pick a layer, a test patch and the weights. The panels show the first 11 channels of the
# layer's output (its *activations*, bright = strong response). With ImageNet weights the early
# layers trace the edges, lines and colour regions of the patch on a fine grid; deeper layers
# have a coarser grid and more channels, each responding to a larger, more specific pattern.
# Switch to the random weights: the stem still responds to brightness and colour (any
# convolution does), but the deep layers lose the patch's structure. (Everything is
# precomputed: the controls only select. The random network's BatchNorm statistics were
# estimated on unlabelled training patches, `recalibrate_batchnorm`, so that its deep
# activations do not shrink to zero; more on this in Part 5.)

# %%
ACTIVATION_LAYERS = ["stem_activation", "block2b_add", "block3b_add", "block4c_add",
                     "block6d_add", "top_activation"]
sample_idx = [int(np.flatnonzero(y_test == c)[0]) for c in range(patches.num_classes)]
activations = {}
for kind, model in (("ImageNet", base_model), ("random", random_model)):
    probe_model = keras.Model(model.input,
                              [model.get_layer(name).output for name in ACTIVATION_LAYERS])
    outputs = probe_model(x_test[sample_idx], training=False)
    activations[kind] = dict(zip(ACTIVATION_LAYERS, [np.asarray(a) for a in outputs]))
for name in ACTIVATION_LAYERS:
    shape = activations["ImageNet"][name].shape
    print(f"{name:>16}: each patch gives {shape[1]}x{shape[2]} positions x {shape[3]} channels")


def show_activations(layer="stem_activation", patch=0, weights="ImageNet"):
    maps = activations[weights][layer][patch]
    fig, axes = plt.subplots(2, 6, figsize=(10, 3.6), layout="constrained")
    axes[0, 0].imshow(x_test[sample_idx[patch]])
    axes[0, 0].set_title(patches.class_names[y_test[sample_idx[patch]]], fontsize=8)
    for channel, ax in enumerate(axes.ravel()[1:]):
        ax.imshow(maps[..., channel], cmap="magma")
        ax.set_title(f"channel {channel}", fontsize=7)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(f"{layer} ({weights} weights): {maps.shape[0]}x{maps.shape[1]} grid, "
                 f"{maps.shape[2]} channels", fontsize=10)
    plt.show()


# tl.interact is ipywidgets.interact in JupyterLab; run headless (grading) it draws this default
# view once, with no widget
tl.interact(
    show_activations,
    layer=tl.widgets.Dropdown(options=ACTIVATION_LAYERS, value="stem_activation",
                           description="layer"),
    patch=tl.widgets.IntSlider(value=0, min=0, max=len(sample_idx) - 1, description="patch"),
    weights=tl.widgets.ToggleButtons(options=["ImageNet", "random"], description="weights"));
# %% [markdown]
# Pictures suggest; numbers decide. Part 5 measures, layer by layer, how useful each layer's
# features are for the new task, ImageNet against random weights. First, the tools to freeze
# layers.
#
# ## Part 1 - Freeze up to a named layer (3 points)
#
# In Keras every layer has a `trainable` flag. A frozen layer (`trainable = False`) keeps its
# weights during `fit`; its weights move from `model.trainable_weights` to
# `model.non_trainable_weights`. Two rules matter:
#
# * a model's flag overrides its layers: if `base_model.trainable` is `False`, none of its
#   layers train, whatever their own flags say. Set `base_model.trainable = True` first, then
#   choose layer by layer;
# * a frozen **BatchNormalization** layer also runs in **inference mode**: it normalises with
#   its stored moving mean and variance, and does not update them.
#
# Implement `freeze_until(base_model, layer_name)`: freeze everything up to and including
# `layer_name`, make everything above it trainable. Check the name **before** changing anything,
# so that a typo leaves the model as it was, and make the error helpful (`difflib` is imported).

# %% [answer] a03_freeze_until
def freeze_until(base_model, layer_name):
    """Freeze the layers of ``base_model`` up to and including ``layer_name``.

    Works in place and changes only ``trainable`` flags (no weight value changes): sets
    ``base_model.trainable = True``, then ``trainable = False`` on every layer of
    ``base_model.layers`` from the first one up to and including ``layer_name``, and
    ``trainable = True`` on every layer after it. Calling it again with another name replaces
    the previous cut.

    Args:
        base_model: a built ``keras.Model`` (changed in place).
        layer_name: ``str``, the name of a layer in ``base_model.layers``.

    Returns:
        ``list[str]``: the names of the frozen layers, in model order (bottom to top).

    Raises:
        ValueError: if ``layer_name`` is not the name of a layer of ``base_model``. The message
            names the argument ``layer_name``, shows the value received and suggests the
            closest layer names ("Did you mean ...?"). Nothing is changed in that case.
    """
    ### BEGIN SOLUTION
    names = [layer.name for layer in base_model.layers]
    if not isinstance(layer_name, str) or layer_name not in names:
        close = difflib.get_close_matches(str(layer_name), names, n=3)
        hint = f" Did you mean {' or '.join(repr(n) for n in close)}?" if close else ""
        raise ValueError(f"Argument `layer_name` must be the name of a layer of the model.{hint} "
                         f"Received: layer_name={layer_name!r}")
    cut = names.index(layer_name)
    base_model.trainable = True
    for i, layer in enumerate(base_model.layers):
        layer.trainable = i > cut
    return names[:cut + 1]
    ### END SOLUTION


# %% [tests] a03_freeze_until points=3
_probe = base_model  # freeze_until only changes trainable flags
_names = [layer.name for layer in _probe.layers]
_frozen = freeze_until(_probe, "block2b_add")
tl.check_type(_frozen, list, "freeze_until(base, 'block2b_add')")
assert _frozen == _names[:_names.index("block2b_add") + 1], (
    f"freeze_until(base, 'block2b_add') should return the "
    f"{_names.index('block2b_add') + 1} names from 'image' to 'block2b_add', but it returned "
    f"{len(_frozen)} names ending with {_frozen[-1] if _frozen else None!r}. Hint: the named "
    "layer itself is frozen too.")
_wrong = [layer.name for layer in _probe.layers
          if layer.trainable != (layer.name not in _frozen)]
assert not _wrong, f"these layers have the wrong trainable flag: {_wrong}"
tl.check_raises(lambda: freeze_until(_probe, "block9a_add"), ValueError,
                "freeze_until(base, 'block9a_add')", match="layer_name")
print("freeze_until: visible checks pass")

# %% [markdown]
# ## Part 2 - Count trainable and non-trainable parameters (2 points)
#
# `model.count_params()` counts everything. What you train is only part of it: the
# **trainable** parameters (kernels, biases, BatchNorm's scale `gamma` and offset `beta` in
# unfrozen layers) get gradient updates; the **non-trainable** ones are frozen weights plus
# BatchNorm's moving mean and variance, which are *never* trained by gradients (the forward
# pass updates them in training mode).
#
# Implement `count_params(model)`. Use the model's own lists `model.trainable_weights` and
# `model.non_trainable_weights` (each weight appears once there, even if its layer is used
# twice); a weight's number of values is the product of its shape.

# %% [answer] a03_count_params
def count_params(model):
    """Count the trainable and the non-trainable parameters of a Keras model or layer.

    Args:
        model: a built ``keras.Model`` or ``keras.layers.Layer`` (not changed).

    Returns:
        ``(trainable, non_trainable)``: a tuple of two Python ``int``, the total number of
        scalar values in ``model.trainable_weights`` and in ``model.non_trainable_weights``.
        Their sum equals ``model.count_params()``.

    Raises:
        TypeError: if ``model`` has no ``trainable_weights`` (not a Keras model or layer); the
            message names the argument ``model``.
    """
    ### BEGIN SOLUTION
    if not (hasattr(model, "trainable_weights") and hasattr(model, "non_trainable_weights")):
        raise TypeError("Argument `model` must be a Keras model or layer. Received: model of "
                        f"type {type(model).__name__}")
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return int(trainable), int(non_trainable)
    ### END SOLUTION


# %% [tests] a03_count_params points=2
_tiny = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                          keras.layers.BatchNormalization()])
_counts = count_params(_tiny)
tl.check_type(_counts, tuple, "count_params(model)")
assert tuple(_counts) == (21, 6), (
    f"Dense(4 -> 3) + BatchNormalization(3) has 15 + 6 = 21 trainable parameters (kernel, bias, "
    f"gamma, beta) and 6 non-trainable ones (moving mean and variance); count_params returned "
    f"{_counts}. Hint: BatchNorm's moving statistics are never trainable.")
_tiny.layers[0].trainable = False
assert tuple(count_params(_tiny)) == (6, 21), (
    f"after freezing the Dense layer the counts should be (6, 21), not {count_params(_tiny)}")
print("count_params: visible checks pass")

# %% [markdown]
# With both functions: where you put the cut decides how much of the network trains. Cut
# EfficientNet-Lite0 after each group of blocks and count.

# %%
CUTS = ["image", "stem_activation", "block2b_add", "block3b_add", "block4c_add", "block5c_add",
        "block6d_add", "top_activation"]
cut_counts = {}
for name in CUTS:
    freeze_until(base_model, name)
    cut_counts[name] = count_params(base_model)
    print(f"frozen up to {name:>15}: {cut_counts[name][0]:>9,} trainable, "
          f"{cut_counts[name][1]:>9,} non-trainable")
n_layers = len(base_model.layers)
top_layers = n_layers - 1 - [layer.name for layer in base_model.layers].index("block5c_add")
top_share = cut_counts["block5c_add"][0] / cut_counts["image"][0]
display(Markdown(
    f"Even with nothing frozen, {cut_counts['image'][1]:,} parameters are non-trainable: the "
    f"BatchNorm moving statistics. Blocks 6 and 7 and the top convolution are {top_layers} of "
    f"the {n_layers} layers but hold **{top_share:.0%}** of the trainable parameters: freezing "
    f"everything up to block 5 freezes only {1 - top_share:.0%} of them. Early layers work on "
    "large grids with few channels (cheap in parameters, expensive in computation); deep layers "
    "on small grids with many channels."))

# %% [markdown]
# ## Part 3 - A new head for a new number of classes (4 points)
#
# The backbone ends in 1280 features. The source task had 1000 ImageNet classes; ours has 10,
# so the ImageNet classifier is useless: we attach a **new head**, a `Dense` softmax layer
# with `num_classes` outputs, and train only that head first (the base frozen).
#
# Build the model with the functional API:
#
# ```python
# inputs = keras.Input(shape=base_model.input_shape[1:])
# features = base_model(inputs, training=False)   # the base runs in inference mode
# outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(features)
# ```
#
# Freeze the whole base (`base_model.trainable = False`) **before** compiling, then compile
# with `keras.optimizers.Adam(lr)`, the loss `"sparse_categorical_crossentropy"` (integer
# labels) and the metric `"accuracy"`.
# %% [answer] a03_build_transfer_model
def build_transfer_model(base_model, num_classes, *, lr=1e-3):
    """Put a new softmax head with ``num_classes`` outputs on a frozen ``base_model``.

    Sets ``base_model.trainable = False`` (in place: the base is shared by the returned model,
    not copied, and none of its weight values change). The returned model maps images of
    ``base_model``'s input shape through ``base_model`` (called with ``training=False``) and a
    ``keras.layers.Dense(num_classes, activation="softmax", name="head")`` layer, and is
    compiled with ``keras.optimizers.Adam(lr)``, ``"sparse_categorical_crossentropy"`` and
    ``metrics=["accuracy"]``.

    Args:
        base_model: a ``keras.Model`` with a 2-D output ``(None, num_features)``.
        num_classes: ``int`` >= 2, number of classes of the new task.
        lr: ``float`` > 0, Adam learning rate.

    Returns:
        A compiled ``keras.Model`` with output shape ``(None, num_classes)`` (probabilities
        that sum to 1) whose only trainable weights are the head's kernel and bias.

    Raises:
        ValueError: ``num_classes`` not an ``int`` >= 2, or ``lr`` not > 0 (the message names
            the argument). Nothing is changed in that case.
    """
    ### BEGIN SOLUTION
    if (isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer))
            or num_classes < 2):
        raise ValueError("Argument `num_classes` must be an int >= 2. "
                         f"Received: num_classes={num_classes!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr > 0:
        raise ValueError(f"Argument `lr` must be a number > 0. Received: lr={lr!r}")
    base_model.trainable = False
    inputs = keras.Input(shape=base_model.input_shape[1:], name="image")
    features = base_model(inputs, training=False)
    outputs = keras.layers.Dense(int(num_classes), activation="softmax", name="head")(features)
    model = keras.Model(inputs, outputs, name=f"{base_model.name}_transfer")
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
    ### END SOLUTION


# %% [tests] a03_build_transfer_model points=4
_base = base_model  # build_transfer_model only changes trainable flags
_model = build_transfer_model(_base, 3, lr=0.01)
tl.check_type(_model, keras.Model, "build_transfer_model(base, 3)")
tl.check_shape(_model(x_train[:4]), (4, 3), "the model's output on 4 patches",
               hint="the head needs num_classes outputs.")
assert _model.optimizer is not None, "compile the model before returning it"
tl.check_close(float(_model.optimizer.learning_rate), 0.01, "the optimizer's learning rate",
               rtol=1e-4)
tl.check_close(count_params(_model)[0], 1280 * 3 + 3, "trainable parameters",
               hint="only the head (1280 x 3 kernel + 3 biases) trains: freeze the base.")
tl.check_raises(lambda: build_transfer_model(_base, 1), ValueError,
                "build_transfer_model(base, num_classes=1)", match="num_classes")
print("build_transfer_model: visible checks pass")

# %% [markdown]
# Train the head for 10 epochs on the 10 labelled patches per class, and check what the frozen
# base did meanwhile: its weights, and its BatchNorm moving statistics.

# %%
keras.utils.set_random_seed(SEEDS[0])
model = build_transfer_model(base_model, patches.num_classes, lr=1e-2)
base_before = [w.copy() for w in base_model.get_weights()]
history = model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
changed = sum(not np.array_equal(a, b) for a, b in zip(base_before, base_model.get_weights()))
head_acc = float(model.evaluate(x_test, y_test, verbose=0)[1])
tl.plot_history(history, metrics=("loss", "accuracy"))
plt.show()
display(Markdown(
    f"Test accuracy of the new head: **{head_acc:.3f}** (chance: {1 / patches.num_classes:.2f}), "
    f"from {N_LABELS} labelled patches per class. Base variables that changed during the 10 "
    f"epochs: **{changed} of {len(base_before)}** (kernels, BatchNorm scales, offsets and "
    "moving statistics)."))

# %% [markdown]
# ### BatchNorm in inference mode: what really protects it in Keras 3
#
# A BatchNorm layer in *training mode* normalises with the statistics of the current batch and
# moves its stored moving mean and variance towards them. With 10 patches per class, those
# batch statistics are noise, and they would overwrite statistics learned on 1.28 million
# ImageNet photos. The classic advice is to call the base with `training=False`, as you did.
# Does it suffice? Measure it: unfreeze the top of the base (blocks 6 and 7 and the top
# convolution, as in fine-tuning), train on one batch of 8 patches, and see how far the moving
# means of the unfrozen BatchNorm layers move, with and without freezing those BatchNorm
# layers. (The frozen base above is the third set-up: nothing in it changed.)

# %%
FINE_TUNE_CUT = "block5c_add"  # fine-tuning unfreezes what comes after it


def moving_mean_shift(clf, bn_layers):
    """Plumbing: largest change of a moving mean of ``bn_layers`` over one batch of `fit`."""
    before = [np.array(layer.moving_mean) for layer in bn_layers]
    clf.fit(x_train[:8], y_train[:8], epochs=1, batch_size=8, verbose=0)
    return max(float(np.max(np.abs(np.array(layer.moving_mean) - b)))
               for layer, b in zip(bn_layers, before))


keras.utils.set_random_seed(SEEDS[0])
# a second classifier on the same base_model (its weights are restored before Part 5)
bn_model = build_transfer_model(base_model, patches.num_classes)  # base called with training=False
frozen = set(freeze_until(base_model, FINE_TUNE_CUT))  # unfreeze the top, as in fine-tuning
top_bn = [layer for layer in base_model.layers if layer.name not in frozen
          and isinstance(layer, keras.layers.BatchNormalization)]
# run_eagerly: one small batch runs op by op, quicker than tracing a training graph for it
bn_model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy",
                 run_eagerly=True)  # recompile!
shift_unfrozen = moving_mean_shift(bn_model, top_bn)
for layer in top_bn:
    layer.trainable = False  # freeze the BatchNorm layers of the unfrozen top
bn_model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy",
                 run_eagerly=True)  # recompile!
shift_bn_frozen = moving_mean_shift(bn_model, top_bn)
print(f"{len(top_bn)} BatchNorm layers above {FINE_TUNE_CUT!r}; largest moving-mean change:")
print(f"  top unfrozen, training=False only:         {shift_unfrozen:.2e}")
print(f"  top unfrozen, its BatchNorm layers frozen: {shift_bn_frozen:.2e}")
del bn_model  # free the memory of this experiment's model and optimizer
display(Markdown(
    "In Keras 3, `fit` calls the model with `training=True`, and a functional model passes that "
    "value on to every layer inside it, **overriding** the `training=False` written when the "
    "model was built: with the top of the base unfrozen, its moving means moved by up to "
    f"{shift_unfrozen:.2e} after a single batch. What keeps BatchNorm in inference mode is its "
    f"**`trainable = False`** flag: a frozen base ({changed} variables changed above), or frozen "
    f"BatchNorm layers inside an unfrozen base (largest change {shift_bn_frozen:.1e}). Keep "
    "writing `training=False` (it states the intent, and older `tf.keras` honours it), but when "
    "you unfreeze a base, keep its BatchNorm layers frozen."))

# %% [markdown]
# ## Part 4 - Move the cut, then recompile (3 points)
#
# `compile` fixes what `fit` trains: the first `fit` after `compile` builds a training step for
# the variables that were trainable *then*, and reuses it until the next `compile`. Change
# `trainable` without recompiling and `fit` keeps training the old set of variables.
#
# Implement `move_cut`: freeze the base up to `layer_name` with your `freeze_until` (which
# checks the name first), then **recompile** the model with a new `Adam(lr)` and the same loss
# and metric as in Part 3, and return the new counts.
# %% [answer] a03_move_cut
def move_cut(model, base_model, layer_name, *, lr=1e-4):
    """Freeze ``base_model`` up to ``layer_name``, make the rest trainable, recompile ``model``.

    Changes ``base_model``'s ``trainable`` flags in place (as ``freeze_until``) and recompiles
    ``model`` with ``keras.optimizers.Adam(lr)``, ``"sparse_categorical_crossentropy"`` and
    ``metrics=["accuracy"]``, so that the next ``fit`` trains exactly the new set of trainable
    weights. No weight value changes.

    Args:
        model: a ``keras.Model`` that contains ``base_model`` (e.g. from
            ``build_transfer_model``); compiled or not.
        base_model: the backbone inside ``model``.
        layer_name: ``str``, the last layer of ``base_model`` to keep frozen.
        lr: ``float`` > 0, the learning rate of the new optimizer.

    Returns:
        ``(trainable, non_trainable)``: ``count_params(model)`` after the change.

    Raises:
        ValueError: ``layer_name`` is not a layer of ``base_model`` (names ``layer_name``), or
            ``lr`` is not > 0 (names ``lr``). Nothing is changed in that case.
    """
    ### BEGIN SOLUTION
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr > 0:
        raise ValueError(f"Argument `lr` must be a number > 0. Received: lr={lr!r}")
    freeze_until(base_model, layer_name)
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return count_params(model)
    ### END SOLUTION


# %% [tests] a03_move_cut points=3
# a tiny base (dense layers) keeps this check fast; the hidden checks also use Lite0
_inputs = keras.Input((6,))
_hidden = keras.layers.Dense(4, name="bottom")(_inputs)
_base = keras.Model(_inputs, keras.layers.Dense(3, name="top")(_hidden), name="tiny_base")
_model = build_transfer_model(_base, 3)
_x, _y = np.random.default_rng(0).normal(size=(16, 6)), np.arange(16) % 3
_model.fit(_x, _y, epochs=1, verbose=0)  # builds the training step
_counts = move_cut(_model, _base, "bottom", lr=0.01)
_top = _base.get_layer("top").get_weights()[0].copy()
_model.fit(_x, _y, epochs=1, verbose=0)
assert not np.array_equal(_top, _base.get_layer("top").get_weights()[0]), (
    "layer 'top' is above the cut but did not change during fit: did you forget to recompile? "
    "A compiled model keeps training the variables that were trainable at compile time.")
tl.check_close(float(_model.optimizer.learning_rate), 0.01, "the new optimizer's learning rate",
               rtol=1e-4)
tl.check_type(_counts, tuple, "move_cut(...)")
print("move_cut: visible checks pass")

# %% [markdown]
# ### Why recompiling matters, measured
#
# Two classic mistakes, on the model of Part 3 (base frozen, head trained, compiled):
#
# 1. **Unfreeze, forget to recompile:** the layers you unfroze do not train.
# 2. **Freeze, forget to recompile:** the layers you froze *keep training*, even though
#    `trainable` is `False` and `count_params` says they are frozen.
#
# For each, we move the cut with `freeze_until` alone (the mistake) and count the base
# variables that change while training on one batch of 32 patches; then we fix it with
# `move_cut` (which recompiles) and count again. The cut moves between "everything frozen" and
# `block5c_add` (blocks 6 and 7 and the top convolution trainable, as in fine-tuning).

# %%
def count_changed(clf, base):
    """Plumbing: train on one batch, return how many base variables changed."""
    before = [w.copy() for w in base.get_weights()]
    clf.fit(x_train[:32], y_train[:32], epochs=1, batch_size=32, verbose=0)
    return sum(not np.array_equal(a, b) for a, b in zip(before, base.get_weights()))


ALL_FROZEN = base_model.layers[-1].name  # the cut above every layer
n_base_vars = len(base_model.weights)
freeze_until(base_model, FINE_TUNE_CUT)  # mistake 1: top unfrozen, no compile
unfreeze_without = count_changed(model, base_model)
unfreeze_with = (move_cut(model, base_model, FINE_TUNE_CUT), count_changed(model, base_model))[1]
freeze_until(base_model, ALL_FROZEN)  # mistake 2: everything frozen again, no compile
freeze_without = count_changed(model, base_model)
freeze_with = (move_cut(model, base_model, ALL_FROZEN), count_changed(model, base_model))[1]
print(f"unfreeze the top ({ALL_FROZEN!r} -> {FINE_TUNE_CUT!r}): {unfreeze_without:>3} of "
      f"{n_base_vars} base variables changed NOT recompiled, {unfreeze_with:>3} recompiled")
print(f"freeze it again  ({FINE_TUNE_CUT!r} -> {ALL_FROZEN!r}): {freeze_without:>3} of "
      f"{n_base_vars} base variables changed NOT recompiled, {freeze_with:>3} recompiled")
display(Markdown(
    f"Without `compile`, unfreezing the top made **{unfreeze_without} of {n_base_vars}** base "
    f"variables train, and freezing it again left **{freeze_without} of {n_base_vars}** still "
    f"changing. After `compile`: {unfreeze_with} and {freeze_with}. The fix is one line: "
    "**after every change of `trainable`, call `compile` again** (it keeps the weights; it "
    "resets only the optimizer state and the training step)."))

# %% [markdown]
# ## Part 5 - Layer-wise transferability (3 points)
#
# How far up is the pretrained network useful for the new task? Transfer the layers up to
# layer *k*, frozen, and measure what a linear classifier can do with their output. Compare
# with the same layers at **random** weights: where the two are close, the layer computes
# generic features that even a random network provides; where pretrained pulls ahead, the
# pretraining learned something that transfers.
#
# A convolutional layer outputs a grid `(height, width, channels)`; averaging it over the grid
# (global average pooling) gives one vector of `channels` numbers per image, whatever the layer.
#
# Implement `features_at(base_model, layer_name)`: a new model from the backbone's input to the
# output of `layer_name`, followed by `keras.layers.GlobalAveragePooling2D()` when that output
# is 4-D. Build it on the existing layers (`base_model.input`,
# `base_model.get_layer(layer_name).output`): the new model then **shares** the backbone's
# weights instead of copying them.

# %% [answer] a03_features_at
def features_at(base_model, layer_name):
    """A feature extractor that cuts ``base_model`` at ``layer_name``.

    Args:
        base_model: a functional ``keras.Model`` (not changed: same layers, weights and
            ``trainable`` flags afterwards).
        layer_name: ``str``, the name of a layer in ``base_model.layers``.

    Returns:
        A ``keras.Model`` named ``f"{base_model.name}_upto_{layer_name}"`` (the name keeps the
        cached features of different cuts apart) that maps ``base_model``'s input to the output
        of ``layer_name``, averaged over height and width when it is 4-D: output shape
        ``(None, channels)``; a 2-D output ``(None, n)`` is returned as it is. It shares the
        layers (and weights) of ``base_model``.

    Raises:
        ValueError: if ``layer_name`` is not the name of a layer of ``base_model`` (the message
            names ``layer_name``).
    """
    ### BEGIN SOLUTION
    names = [layer.name for layer in base_model.layers]
    if not isinstance(layer_name, str) or layer_name not in names:
        close = difflib.get_close_matches(str(layer_name), names, n=3)
        hint = f" Did you mean {' or '.join(repr(n) for n in close)}?" if close else ""
        raise ValueError(f"Argument `layer_name` must be the name of a layer of the model.{hint} "
                         f"Received: layer_name={layer_name!r}")
    outputs = base_model.get_layer(layer_name).output
    if len(outputs.shape) == 4:
        outputs = keras.layers.GlobalAveragePooling2D(name=f"{layer_name}_gap")(outputs)
    return keras.Model(base_model.input, outputs, name=f"{base_model.name}_upto_{layer_name}")
    ### END SOLUTION


# %% [tests] a03_features_at points=3
_cut = features_at(base_model, "block3b_add")
tl.check_type(_cut, keras.Model, "features_at(base, 'block3b_add')")
tl.check_shape(_cut(x_train[:5]), (5, 40), "its output on 5 patches",
               hint="block3b_add outputs (12, 12, 40): average over the 12x12 grid.")
tl.check_close(_cut(x_train[:5]), np.mean(keras.Model(
    base_model.input, base_model.get_layer("block3b_add").output)(x_train[:5]), axis=(1, 2)),
    "the pooled features", atol=1e-4, hint="use global AVERAGE pooling over height and width.")
tl.check_raises(lambda: features_at(base_model, "block8a"), ValueError,
                "features_at(base, 'block8a')", match="layer_name")
print("features_at: visible checks pass")

# %% [markdown]
# Now the measurement. We cut EfficientNet-Lite0 after the stem, after blocks 2, 3, 4, 5 and 6,
# and at the top (`top_activation`, the 1280 features the backbone normally returns). Your
# `features_at` builds each cut; `extract_features_at_cuts` (plumbing) runs all the cuts of one
# backbone in a single pass over all the patches, cached on disk (a rerun is instant). A
# logistic regression is then trained on 10 labelled patches per class, for 3 seeds (different
# labelled patches), on the ImageNet and on the random backbone.
#
# The random backbone is the one from the filter pictures, with its BatchNorm statistics
# estimated on unlabelled training patches: a network trained from scratch normalises with
# real batch statistics too, and without them a fresh network's deep activations shrink
# towards zero. This cell is the slowest of the notebook the first time.

# %%
LAYERWISE_CUTS = ["stem_activation", "block2b_add", "block3b_add", "block4c_add",
                  "block5c_add", "block6d_add", "top_activation"]
# the recompile demo trained the top of base_model: start again from the ImageNet weights
base_model.set_weights(IMAGENET_WEIGHTS)  # undo the one-batch trainings of Parts 3 and 4
backbones = {"ImageNet": base_model, "random init": random_model}


def probe_accuracy(features, seed):
    """Plumbing: logistic regression on N_LABELS patches per class, scored on the test set.

    One BLAS thread: next to TensorFlow's threads on 2 busy cores, two BLAS threads made these
    tiny fits up to 70x slower (measured), for the same result."""
    tr, te = tl.few_shot_indices(patches, N_LABELS, seed=seed)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    with threadpool_limits(limits=1, user_api="blas"):
        clf.fit(features[tr], patches.y[tr])
        return float(clf.score(features[te], patches.y[te]))


layerwise = {}
for kind, backbone in backbones.items():
    cut_features = extract_features_at_cuts(
        [features_at(backbone, name) for name in LAYERWISE_CUTS], patches.x, batch_size=32,
        progress=False)
    layerwise[kind] = {name: [probe_accuracy(feats, seed) for seed in SEEDS]
                       for name, feats in zip(LAYERWISE_CUTS, cut_features)}
    print(f"{kind:>11}: " + ", ".join(f"{n} {np.mean(a):.3f}" for n, a in layerwise[kind].items()))

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.6))
depth = np.arange(len(LAYERWISE_CUTS))
for kind, by_layer in layerwise.items():
    scores = np.array([by_layer[name] for name in LAYERWISE_CUTS])
    ax.errorbar(depth, scores.mean(axis=1), yerr=scores.std(axis=1), marker="o", capsize=3,
                label=kind)
ax.axhline(1 / patches.num_classes, color="0.6", ls=":", label="chance")
ax.set_xticks(depth, LAYERWISE_CUTS, rotation=20, fontsize=8)
ax.set_xlabel("transfer up to layer k (frozen, average-pooled, logistic regression)")
ax.set_ylabel("test accuracy")
ax.set_title(f"layer-wise transferability of EfficientNet-Lite0, {N_LABELS} labels per class, "
             f"{len(SEEDS)} seeds", fontsize=10)
ax.legend(fontsize=8)
plt.show()

mean_acc = {kind: {n: float(np.mean(a)) for n, a in by.items()} for kind, by in layerwise.items()}
gap = {n: mean_acc["ImageNet"][n] - mean_acc["random init"][n] for n in LAYERWISE_CUTS}
best_layer = max(LAYERWISE_CUTS, key=mean_acc["ImageNet"].get)
best_random = max(LAYERWISE_CUTS, key=mean_acc["random init"].get)
first, top = LAYERWISE_CUTS[0], LAYERWISE_CUTS[-1]
best_minus_top = np.array(layerwise["ImageNet"][best_layer]) - np.array(
    layerwise["ImageNet"][top])  # one difference per seed
random_drops = mean_acc["random init"][top] < mean_acc["random init"][best_random]
display(Markdown(
    f"At the first layer (`{first}`) ImageNet and random features are "
    f"{abs(100 * gap[first]):.1f} points apart ({mean_acc['ImageNet'][first]:.3f} vs "
    f"{mean_acc['random init'][first]:.3f}): pooled edge and colour responses are generic, and "
    "even random filters compute some. Deeper, the gap "
    + ("grows" if gap[best_layer] > abs(gap[first]) else "does not grow")
    + f" to **{100 * gap[best_layer]:+.1f} points** at `{best_layer}` "
    f"({mean_acc['ImageNet'][best_layer]:.3f} vs {mean_acc['random init'][best_layer]:.3f}) and "
    f"{100 * gap[top]:+.1f} at `{top}`: random features are best at `{best_random}` "
    f"({mean_acc['random init'][best_random]:.3f}) and get "
    f"{'worse' if random_drops else 'no worse'}"
    " above it, while deep ImageNet features carry what pretraining learned. The best cut for "
    f"this target is **`{best_layer}`** ({mean_acc['ImageNet'][best_layer]:.3f})"
    + (": here the last layer transfers best." if best_layer == top else
       f", {100 * best_minus_top.mean():.1f} points above the top "
       f"(ahead on {int(np.sum(best_minus_top > 0))} of {len(SEEDS)} seeds"
       + ("): the top layers are the most specific to ImageNet's 1000 classes, and these "
          "microscopy, astronomy and texture patches are far from them, so cutting lower pays "
          "(and costs less computation)." if np.all(best_minus_top > 0) else
          "): within the noise between seeds, no reason to cut lower here."))))
# %% [markdown]
# ## Cached features: the same head, much faster
#
# A frozen base computes the same features for an image at every epoch. Training the head on
# images runs the base forward at every step; training it on **cached** features (one pass of
# `tl.extract_features`, then only the head) does the same arithmetic once. We time both on
# the 10 labelled patches per class (100 images), with the input set-up that keeps Keras' own
# overhead small: a `tf.data.Dataset` built **once** and `steps_per_execution=32` (up to 32
# training steps per call into TensorFlow, instead of returning to Python after every step).
# Both paths get the same head initialisation and the batches in the same order.

# %%
FULL_EPOCHS, HEAD_EPOCHS = 3, 10
speed_idx, _ = tl.few_shot_indices(patches, N_LABELS, seed=SEEDS[0])
x_pool, y_pool = patches.x[speed_idx], patches.y[speed_idx]


class EpochClock(keras.callbacks.Callback):
    """Plumbing: wall-clock seconds since the start of `fit` at the end of each epoch."""

    def on_train_begin(self, logs=None):
        self.start, self.times = time.perf_counter(), []

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def timed_fit(clf, x, y, epochs, fast=True):
    """Plumbing: recompile with Adam(1e-2), fit, return the EpochClock. ``fast``: a tf.data
    pipeline built once + 32 steps per call; otherwise NumPy arrays, one step per call."""
    clf.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                steps_per_execution=32 if fast else 1)
    clock = EpochClock()
    if fast:
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32).prefetch(tf.data.AUTOTUNE)
        clf.fit(data, epochs=epochs, verbose=0, callbacks=[clock])
    else:
        clf.fit(x, y, batch_size=32, epochs=epochs, shuffle=False, verbose=0, callbacks=[clock])
    return clock


keras.utils.set_random_seed(SEEDS[0])
full_model = build_transfer_model(base_model, patches.num_classes, lr=1e-2)
head_init = full_model.get_layer("head").get_weights()
full_clock = timed_fit(full_model, x_pool, y_pool, FULL_EPOCHS)

start = time.perf_counter()
pool_features = tl.extract_features(base_model, x_pool, batch_size=32, cache=False,
                                    progress=False)
extract_seconds = time.perf_counter() - start


def new_head():
    """Plumbing: the same Dense head on cached features, from the same initial weights."""
    inputs = keras.Input(shape=(pool_features.shape[1],))
    clf = keras.Model(inputs, keras.layers.Dense(patches.num_classes, activation="softmax",
                                                 name="head")(inputs))
    clf.get_layer("head").set_weights(head_init)
    return clf


head_model = new_head()
head_clock = timed_fit(head_model, pool_features, y_pool, FULL_EPOCHS)
weight_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(
    full_model.get_layer("head").get_weights(), head_model.get_layer("head").get_weights()))
fast_head = float(np.median(np.diff(timed_fit(new_head(), pool_features, y_pool,
                                              HEAD_EPOCHS).times)))
numpy_head = float(np.median(np.diff(timed_fit(new_head(), pool_features, y_pool,
                                               HEAD_EPOCHS, fast=False).times)))
per_epoch_full = float(np.median(np.diff(full_clock.times)))
full_seconds = full_clock.times[-1]
cached_seconds = extract_seconds + head_clock.times[-1]
break_even = extract_seconds / max(per_epoch_full - fast_head, 1e-9)
print(f"frozen base every epoch: {full_seconds:.2f} s for {FULL_EPOCHS} epochs "
      f"({per_epoch_full:.2f} s per epoch after the first)")
print(f"cached features: {extract_seconds:.2f} s to extract + {head_clock.times[-1]:.2f} s to "
      f"train = {cached_seconds:.2f} s")
print(f"head on cached features, per epoch: {1000 * fast_head:.1f} ms (tf.data + 32 steps/call), "
      f"{1000 * numpy_head:.1f} ms (NumPy arrays, one step per call)")
print(f"largest difference between the two trained heads' weights: {weight_diff:.1e}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
epochs_axis = np.arange(1, HEAD_EPOCHS + 1)
ax.plot(epochs_axis, full_clock.times[0] + per_epoch_full * (epochs_axis - 1), "--", color="C0",
        label=f"frozen base run every epoch ({FULL_EPOCHS} measured, then extrapolated)")
ax.plot(np.arange(1, FULL_EPOCHS + 1), full_clock.times, "o", color="C0", ms=4)
ax.plot(epochs_axis, extract_seconds + head_clock.times[0] + fast_head * (epochs_axis - 1), "-",
        color="C1", label="extract once, then head on cached features")
ax.set_xlabel("epochs")
ax.set_ylabel("cumulative seconds")
ax.legend(fontsize=8)
ax.set_title(f"training the head on {len(x_pool)} patches: wall-clock time", fontsize=10)
plt.show()
display(Markdown(
    f"Both heads end with the same weights (largest difference {weight_diff:.1e}): with the "
    "base frozen and in inference mode, training on cached features *is* the same computation. "
    f"An epoch through the frozen base took **{per_epoch_full:.2f} s**; an epoch of the head "
    f"on cached features **{1000 * fast_head:.1f} ms**, "
    f"**{per_epoch_full / fast_head:.0f}x** less. Extracting the features once cost "
    f"{extract_seconds:.2f} s, which pays for itself after about {break_even:.1f} epochs; over "
    f"{FULL_EPOCHS} epochs the cached path took {cached_seconds:.2f} s instead of "
    f"{full_seconds:.2f} s, and every further epoch widens the gap. How the data is fed "
    f"matters once the model is tiny: with NumPy arrays and one step per call the head's epoch "
    f"took {1000 * numpy_head:.1f} ms, {numpy_head / fast_head:.1f}x the tf.data set-up, for "
    "the same arithmetic. Timings depend on the machine and its load: rerun the cell to see "
    "them vary. Caching only works while the base is frozen and sees the same images every "
    "epoch: random data augmentation, or fine-tuning the base, changes the features and needs "
    "the full model again."))

# %% [markdown]
# ## Key takeaways
#
# * Early CNN layers compute **generic** features (edges, colour contrasts, textures), deeper
#   ones more **task-specific** features: the ImageNet stem filters are smooth edge and colour
#   detectors, and the layer-wise measurement shows ImageNet and random features close at the
#   first layer and far apart higher up. The best cut for a target far from ImageNet need not
#   be the top.
# * `layer.trainable = False` freezes a layer; a model's own flag overrides its layers'. Count
#   what trains with `model.trainable_weights`: BatchNorm's moving statistics are always
#   non-trainable.
# * A new task with another number of classes gets a **new head** (`Dense(num_classes,
#   softmax)`) on a frozen base; train the head first.
# * **Recompile after every change of `trainable`**: otherwise `fit` keeps training the old set
#   of variables, unfrozen layers do not train and frozen ones still do.
# * In Keras 3 the `training=False` of a functional call is overridden by `fit`; BatchNorm
#   stays in inference mode because it is **frozen** (`trainable = False`).
# * With a frozen base, **cache the features** once and train the head on them: the same
#   result, far cheaper per epoch (the ratio measured above); with a `tf.data` pipeline built
#   once and `steps_per_execution`, Keras' overhead stops hiding the gain.
#
# ## Knowledge check (5 points)
#
# Set each answer to the letter of the best option.
#
# **q1.** Which layers of a pretrained CNN are the most generic, the most reusable for a new
# image task? (a) the last layers before the classifier; (b) the first layers; (c) all layers
# are equally specific.
#
# **q2.** A model has one `Dense(4 -> 3)` layer followed by a `BatchNormalization` layer. With
# nothing frozen, how many parameters are non-trainable? (a) 6; (b) 0; (c) 27.
#
# **q3.** You compiled and trained a model, then set `base_model.trainable = True` and called
# `fit` again without `compile`. What happens? (a) the base trains, as intended; (b) Keras
# raises an error; (c) the base does not train: `fit` reuses the training step built for the
# variables that were trainable at compile time.
#
# **q4.** The source model classified 1000 ImageNet classes; your task has 10. What do you do
# with the classifier? (a) replace it by a new `Dense(10, activation="softmax")` head on top of
# the frozen base; (b) keep the 1000-way softmax and map its outputs to your classes; (c) delete
# the last convolution block instead.
#
# **q5.** In Keras 3 you unfreeze a base that was called with `training=False` and fine-tune it
# with `fit`. What keeps its BatchNorm moving statistics unchanged? (a) nothing else is needed:
# `training=False` does; (b) setting `trainable = False` on the BatchNorm layers; (c) a lower
# learning rate.
#
# **q6.** When does training the head on cached features give the same result as running the
# frozen base every epoch? (a) always, even with random augmentation of the images; (b) only
# with a GPU; (c) when the base is frozen, runs in inference mode and sees the same images
# every epoch.

# %% [answer] a03_quiz
answers = {}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "a", "q3": "c", "q4": "a", "q5": "b", "q6": "c"}
### END SOLUTION

# %% [tests] a03_quiz points=5
tl.check_quiz(answers, questions=6)
print("knowledge check: all questions answered")
