# %% [markdown]
# # 03 Frozen vs trainable layers
#
# **Estimated time:** 60-75 minutes (the notebook itself runs in about a minute and a half).
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
# class**, and only a laptop. Their backbone, `course_mobilenet`, was pretrained on patches of
# *everyday photos* (117 classes, none of these images). How much of it should they keep
# frozen, how do they put a 10-class head on it, and how do they make training cheap?

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
tf.get_logger().setLevel("ERROR")  # no retracing notices between the outputs
keras.utils.set_random_seed(tl.config.SEED)

# %% [markdown]
# ## The target task and the backbone
#
# `tl.load_photo_patches` cuts 32x32 patches out of 10 images that ship with scikit-image.
# Training patches come from the left 60% of each image, test patches from the right 40%, so
# no test patch overlaps a training patch. We keep 50 training patches per class (most
# experiments use only 10 of them) and a fixed test set of 100 per class.

# %%
patches = tl.load_photo_patches(n_train_per_class=50, n_test_per_class=100)
N_LABELS = 10  # labelled patches per class in the few-label experiments
SEEDS = [0, 1, 2]
train_idx, test_idx = tl.few_shot_indices(patches, N_LABELS, seed=SEEDS[0])
x_train, y_train = patches.x[train_idx], patches.y[train_idx]
x_test, y_test = patches.x[test_idx], patches.y[test_idx]
print(f"{patches.num_classes} classes; train {x_train.shape}, test {x_test.shape}")
first_of_class = [int(np.flatnonzero(y_train == c)[0]) for c in range(patches.num_classes)]
tl.plot_image_grid(x_train[first_of_class], y_train[first_of_class],
                   class_names=patches.class_names, ncols=10)
plt.show()

# %% [markdown]
# The backbone maps raw 0-255 images to 128 features. `tl.layer_summary` lists its layers:
# a stem convolution, then four depthwise-separable blocks (a 3x3 depthwise convolution and a
# 1x1 pointwise one, each followed by BatchNormalization and ReLU), then global average pooling.

# %%
base_model = tl.load_backbone("course_mobilenet", weights="course")
summary = tl.layer_summary(base_model)
for row in summary:
    if row["params"] or row["name"] in ("image", "avg_pool"):
        print(f"{row['name']:>14} {row['type']:>22} {str(row['output_shape']):>20} "
              f"{row['params']:>7,} params")
print(f"{len(summary)} layers, {base_model.count_params():,} parameters in total")

# %% [markdown]
# ## Why transfer works: what the layers see
#
# The first convolution, `stem_conv`, has 24 filters of 3x3 pixels over the 3 colour channels.
# Below they are drawn as tiny RGB images (each filter rescaled to 0-1): each one responds to a
# small pattern of colour and brightness, the raw material of edges and textures in any image.
# First the pretrained backbone, then the random weights that its pretraining **started from**
# (the seed of its model card). Compare them.

# %%
def filters_as_images(model, layer_name="stem_conv"):
    """Plumbing: a conv kernel (kh, kw, 3, n) as n small RGB images rescaled to 0-1."""
    kernel = model.get_layer(layer_name).get_weights()[0]
    images = np.transpose(kernel, (3, 0, 1, 2))
    low = images.min(axis=(1, 2, 3), keepdims=True)
    high = images.max(axis=(1, 2, 3), keepdims=True)
    return (images - low) / (high - low + 1e-12)


PRETRAIN_SEED = tl.model_card("course_mobilenet")["seed"]
keras.utils.set_random_seed(PRETRAIN_SEED)
start_model = tl.load_backbone("course_mobilenet", weights=None)  # pretraining's starting point
tl.plot_image_grid(filters_as_images(base_model), ncols=12,
                   title="stem_conv filters, pretrained (course weights)")
tl.plot_image_grid(filters_as_images(start_model), ncols=12,
                   title="stem_conv filters, the random weights pretraining started from")
plt.show()

# %% [markdown]
# They look alike: 3x3 filters are too small to turn into the striped edge detectors of large
# ImageNet networks. How far did pretraining move each layer? The cosine similarity between a
# layer's pretrained and starting weights is 1 when pretraining left them unchanged and about 0
# for two unrelated random initialisations (the reference column).

# %%
def cosine(a, b):
    """Plumbing: cosine similarity of two weight arrays."""
    a, b = np.ravel(a), np.ravel(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


keras.utils.set_random_seed(PRETRAIN_SEED + 1)
other_start = tl.load_backbone("course_mobilenet", weights=None)  # an unrelated random init
CONV_NAMES = [layer.name for layer in base_model.layers
              if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))]
moved = {name: (cosine(base_model.get_layer(name).get_weights()[0],
                       start_model.get_layer(name).get_weights()[0]),
                cosine(other_start.get_layer(name).get_weights()[0],
                       start_model.get_layer(name).get_weights()[0])) for name in CONV_NAMES}
print(f"{'layer':>10}  cos(pretrained, start)  cos(unrelated init, start)")
for name, (kept, reference) in moved.items():
    print(f"{name:>10}  {kept:>22.2f}  {reference:>26.2f}")
early = np.mean([moved[n][0] for n in CONV_NAMES[:3]])
late = np.mean([moved[n][0] for n in CONV_NAMES[-3:]])
display(Markdown(
    f"The first three convolutions kept a cosine of **{early:.2f}** with their starting weights "
    f"on average, the last three **{late:.2f}**: pretraining "
    + ("rewrote the deep layers more than the early ones. The early layers compute generic, "
       "almost task-independent responses; what the source task taught sits mostly higher up."
       if late < early else "moved the early layers as much as the deep ones here.")))

# %% [markdown]
# ### Explorer: activations layer by layer
#
# Pick a layer and a test patch. The panels show the first 12 channels of the layer's output
# (its *activations*, bright = strong response). Early layers keep the patch's layout on a fine
# grid: look for the edges and textures of the patch in them. Deeper layers have a coarser grid
# and more channels, each responding to a larger, more specific pattern. (Everything is
# precomputed: the controls only select.)

# %%
ACTIVATION_LAYERS = ["stem_relu", "block1_pw_relu", "block2_pw_relu", "block3_pw_relu",
                     "block4_pw_relu"]
activation_model = keras.Model(
    base_model.input, [base_model.get_layer(name).output for name in ACTIVATION_LAYERS])
sample_idx = [int(np.flatnonzero(y_test == c)[0]) for c in range(patches.num_classes)]
activations = dict(zip(ACTIVATION_LAYERS, [
    np.asarray(a) for a in activation_model(x_test[sample_idx], training=False)]))
for name in ACTIVATION_LAYERS:
    print(f"{name:>15}: each patch gives {activations[name].shape[1]}x"
          f"{activations[name].shape[2]} positions x {activations[name].shape[3]} channels")


def show_activations(layer="stem_relu", patch=0):
    maps = activations[layer][patch]
    fig, axes = plt.subplots(2, 7, figsize=(10, 3.2), layout="constrained")
    axes[0, 0].imshow(x_test[sample_idx[patch]])
    axes[0, 0].set_title(patches.class_names[y_test[sample_idx[patch]]], fontsize=8)
    for channel, ax in enumerate(axes.ravel()[1:13]):
        ax.imshow(maps[..., channel], cmap="magma")
        ax.set_title(f"channel {channel}", fontsize=7)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(f"{layer}: {maps.shape[0]}x{maps.shape[1]} grid, {maps.shape[2]} channels",
                 fontsize=10)
    plt.show()


widgets.interact(
    show_activations,
    layer=widgets.Dropdown(options=ACTIVATION_LAYERS, value="stem_relu", description="layer"),
    patch=widgets.IntSlider(value=0, min=0, max=len(sample_idx) - 1, description="patch"));

# %% [markdown]
# Pictures suggest; numbers decide. Part 5 measures, layer by layer, how useful each layer's
# features are for the new task, pretrained against random. First, the tools to freeze layers.
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
_probe = tl.load_backbone("course_mobilenet", weights=None)
_frozen = freeze_until(_probe, "block2_pw_relu")
tl.check_type(_frozen, list, "freeze_until(base, 'block2_pw_relu')")
assert _frozen[-1] == "block2_pw_relu" and len(_frozen) == 17, (
    f"freeze_until(base, 'block2_pw_relu') should return the 17 names from 'image' to "
    f"'block2_pw_relu', but it returned {len(_frozen)} names ending with "
    f"{_frozen[-1] if _frozen else None!r}. Hint: the named layer itself is frozen too.")
_wrong = [layer.name for layer in _probe.layers
          if layer.trainable != (layer.name not in _frozen)]
assert not _wrong, f"these layers have the wrong trainable flag: {_wrong}"
tl.check_raises(lambda: freeze_until(_probe, "block9_pw"), ValueError,
                "freeze_until(base, 'block9_pw')", match="layer_name")
print("freeze_until: visible checks pass")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a03_freeze_until", points=3, namespace=globals())
### END HIDDEN TESTS

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
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a03_count_params", points=2, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# With both functions: where you put the cut decides how much of the network trains. Most of
# `course_mobilenet`'s parameters sit in its top blocks.

# %%
CUTS = ["image", "stem_relu", "block1_pw_relu", "block2_pw_relu", "block3_pw_relu",
        "block4_pw_relu"]
cut_counts = {}
for name in CUTS:
    freeze_until(base_model, name)
    cut_counts[name] = count_params(base_model)
    print(f"frozen up to {name:>15}: {cut_counts[name][0]:>6,} trainable, "
          f"{cut_counts[name][1]:>6,} non-trainable")
top_share = 1 - cut_counts["block2_pw_relu"][0] / cut_counts["image"][0]
display(Markdown(
    f"Even with nothing frozen, {cut_counts['image'][1]:,} parameters are non-trainable: the "
    f"BatchNorm moving statistics. Blocks 3 and 4 hold "
    f"{1 - top_share:.0%} of the trainable parameters: freezing everything up to block 2 "
    f"freezes only {top_share:.0%} of them."))

# %% [markdown]
# ## Part 3 - A new head for a new number of classes (4 points)
#
# The backbone ends in 128 features. The source task had 117 classes; ours has 10, so the
# source classifier is useless: we attach a **new head**, a `Dense` softmax layer with
# `num_classes` outputs, and train only that head first (the base frozen).
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
_base = tl.load_backbone("course_mobilenet", weights=None)
_model = build_transfer_model(_base, 3, lr=0.01)
tl.check_type(_model, keras.Model, "build_transfer_model(base, 3)")
tl.check_shape(_model(x_train[:4]), (4, 3), "the model's output on 4 patches",
               hint="the head needs num_classes outputs.")
assert _model.optimizer is not None, "compile the model before returning it"
tl.check_close(float(_model.optimizer.learning_rate), 0.01, "the optimizer's learning rate",
               rtol=1e-4)
tl.check_close(count_params(_model)[0], 128 * 3 + 3, "trainable parameters",
               hint="only the head (128 x 3 kernel + 3 biases) trains: freeze the base.")
tl.check_raises(lambda: build_transfer_model(_base, 1), ValueError,
                "build_transfer_model(base, num_classes=1)", match="num_classes")
print("build_transfer_model: visible checks pass")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a03_build_transfer_model", points=4, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# Train the head for 20 epochs on the 10 labelled patches per class (validation curves on a
# fifth of the test set), and check what the frozen base did meanwhile: its weights, and its
# BatchNorm moving statistics.

# %%
keras.utils.set_random_seed(SEEDS[0])
base_model = tl.load_backbone("course_mobilenet", weights="course")
model = build_transfer_model(base_model, patches.num_classes, lr=1e-2)
base_before = [w.copy() for w in base_model.get_weights()]
history = model.fit(x_train, y_train, epochs=20, batch_size=32,
                    validation_data=(x_test[::5], y_test[::5]), verbose=0)
changed = sum(not np.array_equal(a, b) for a, b in zip(base_before, base_model.get_weights()))
head_acc = float(model.evaluate(x_test, y_test, verbose=0)[1])
tl.plot_history(history, metrics=("loss", "accuracy"))
plt.show()
display(Markdown(
    f"Test accuracy of the new head: **{head_acc:.3f}** (chance: {1 / patches.num_classes:.2f}). "
    f"Base variables that changed during the 20 epochs: **{changed} of {len(base_before)}** "
    "(kernels, BatchNorm scales, offsets and moving statistics)."))

# %% [markdown]
# ### BatchNorm in inference mode: what really protects it in Keras 3
#
# A BatchNorm layer in *training mode* normalises with the statistics of the current batch and
# moves its stored moving mean and variance towards them. With 10 patches per class, those
# batch statistics are noise, and they would overwrite statistics learned on 24,000 source
# images. The classic advice is to call the base with `training=False`, as you did. Does it
# suffice? Measure it: unfreeze the base (as in fine-tuning), train one epoch, and see how far
# the moving means move, for three set-ups.

# %%
def moving_mean_shift(freeze_base, freeze_batchnorm):
    """Plumbing: largest change of any BatchNorm moving mean over one epoch of `fit`."""
    keras.utils.set_random_seed(SEEDS[0])
    base = tl.load_backbone("course_mobilenet", weights="course")
    clf = build_transfer_model(base, patches.num_classes)  # base called with training=False
    base.trainable = not freeze_base
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization) and freeze_batchnorm:
            layer.trainable = False
    clf.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy")  # recompile!
    bn_layers = [layer for layer in base.layers
                 if isinstance(layer, keras.layers.BatchNormalization)]
    before = [np.array(layer.moving_mean) for layer in bn_layers]
    clf.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)
    return max(float(np.max(np.abs(np.array(layer.moving_mean) - b)))
               for layer, b in zip(bn_layers, before))


bn_shift = {
    "frozen base": moving_mean_shift(freeze_base=True, freeze_batchnorm=False),
    "unfrozen base, training=False only": moving_mean_shift(False, False),
    "unfrozen base, BatchNorm layers frozen": moving_mean_shift(False, True),
}
for setup, shift in bn_shift.items():
    print(f"{setup:>40}: largest moving-mean change {shift:.2e}")
display(Markdown(
    "In Keras 3, `fit` calls the model with `training=True`, and a functional model passes that "
    "value on to every layer inside it, **overriding** the `training=False` written when the "
    "model was built: with an unfrozen base the moving means moved by "
    f"{bn_shift['unfrozen base, training=False only']:.2e}. What keeps BatchNorm in inference "
    "mode is its **`trainable = False`** flag: a frozen base, or frozen BatchNorm layers inside "
    f"an unfrozen base, left them unchanged ({bn_shift['frozen base']:.1e} and "
    f"{bn_shift['unfrozen base, BatchNorm layers frozen']:.1e}). Keep writing "
    "`training=False` (it states the intent, and older `tf.keras` honours it), but when you "
    "unfreeze a base, keep its BatchNorm layers frozen."))

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
_base = tl.load_backbone("course_mobilenet", weights=None)
_model = build_transfer_model(_base, 3)
_model.fit(x_train[:16], y_train[:16] % 3, epochs=1, verbose=0)  # builds the training step
_counts = move_cut(_model, _base, "block3_pw_relu", lr=0.01)
_top = _base.get_layer("block4_pw").get_weights()[0].copy()
_model.fit(x_train[:16], y_train[:16] % 3, epochs=1, verbose=0)
assert not np.array_equal(_top, _base.get_layer("block4_pw").get_weights()[0]), (
    "block4_pw is above the cut but did not change during fit: did you forget to recompile? "
    "A compiled model keeps training the variables that were trainable at compile time.")
tl.check_close(float(_model.optimizer.learning_rate), 0.01, "the new optimizer's learning rate",
               rtol=1e-4)
tl.check_type(_counts, tuple, "move_cut(...)")
print("move_cut: visible checks pass")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a03_move_cut", points=3, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# ### Why recompiling matters, measured
#
# Two classic mistakes, each on a model compiled and trained for one epoch first:
#
# 1. **Unfreeze, forget to recompile:** the layers you unfroze do not train.
# 2. **Freeze, forget to recompile:** the layers you froze *keep training*, even though
#    `trainable` is `False` and `count_params` says they are frozen.
#
# For each, we move the cut with `freeze_until` alone (the mistake) and count the base
# variables that change during one more epoch; then we fix it with `move_cut` (which
# recompiles) and count again.

# %%
def count_changed(clf, base):
    """Plumbing: train one epoch, return how many base variables changed."""
    before = [w.copy() for w in base.get_weights()]
    clf.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)
    return sum(not np.array_equal(a, b) for a, b in zip(before, base.get_weights()))


def recompile_experiment(first_cut, new_cut):
    """Plumbing: changed base variables after moving the cut without, then with, compile."""
    keras.utils.set_random_seed(SEEDS[0])
    base = tl.load_backbone("course_mobilenet", weights="course")
    clf = build_transfer_model(base, patches.num_classes)
    move_cut(clf, base, first_cut)
    clf.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)
    freeze_until(base, new_cut)  # the mistake: flags changed, no compile
    without = count_changed(clf, base)
    move_cut(clf, base, new_cut)  # the fix: the same flags, recompiled
    return without, count_changed(clf, base)


last = base_model.layers[-1].name
n_base_vars = len(base_model.weights)
recompile_demo = {
    f"unfreeze everything (cut '{last}' -> 'image')": recompile_experiment(last, "image"),
    f"freeze everything (cut 'image' -> '{last}')": recompile_experiment("image", last),
}
for what, (without, with_compile) in recompile_demo.items():
    print(f"{what}: {without:>2} of {n_base_vars} base variables changed NOT recompiled, "
          f"{with_compile:>2} recompiled")
(unfreeze_without, unfreeze_with), (freeze_without, freeze_with) = recompile_demo.values()
display(Markdown(
    f"Without `compile`, unfreezing the whole base made **{unfreeze_without} of {n_base_vars}** "
    f"base variables train, and freezing it left **{freeze_without} of {n_base_vars}** still "
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
_base = tl.load_backbone("course_mobilenet", weights="course")
_cut = features_at(_base, "block2_pw_relu")
tl.check_type(_cut, keras.Model, "features_at(base, 'block2_pw_relu')")
tl.check_shape(_cut(x_train[:5]), (5, 64), "its output on 5 patches",
               hint="block2_pw_relu outputs (8, 8, 64): average over the 8x8 grid.")
tl.check_close(_cut(x_train[:5]), np.mean(keras.Model(
    _base.input, _base.get_layer("block2_pw_relu").output)(x_train[:5]), axis=(1, 2)),
    "the pooled features", atol=1e-5, hint="use global AVERAGE pooling over height and width.")
tl.check_raises(lambda: features_at(_base, "block7"), ValueError, "features_at(base, 'block7')",
                match="layer_name")
print("features_at: visible checks pass")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a03_features_at", points=3, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# Now the measurement. For each cut, `tl.extract_features` runs the cut model once over all
# patches (cached on disk: a rerun is instant), and a logistic regression is trained on 10
# labelled patches per class, for 3 seeds (different labelled patches), on the pretrained and
# on a randomly initialised backbone. This cell takes about 20 seconds the first time.

# %%
keras.utils.set_random_seed(tl.config.SEED)
backbones = {"pretrained": tl.load_backbone("course_mobilenet", weights="course"),
             "random init": tl.load_backbone("course_mobilenet", weights=None)}


def probe_accuracy(features, seed):
    """Plumbing: logistic regression on N_LABELS patches per class, scored on the test set."""
    tr, te = tl.few_shot_indices(patches, N_LABELS, seed=seed)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    clf.fit(features[tr], patches.y[tr])
    return float(clf.score(features[te], patches.y[te]))


layerwise = {kind: {} for kind in backbones}
for kind, backbone in backbones.items():
    for name in ACTIVATION_LAYERS:
        feats = tl.extract_features(features_at(backbone, name), patches.x, progress=False)
        layerwise[kind][name] = [probe_accuracy(feats, seed) for seed in SEEDS]
    print(kind + ": " + ", ".join(f"{n} {np.mean(a):.3f}" for n, a in layerwise[kind].items()))

# %%
fig, ax = plt.subplots(figsize=(7, 3.4))
depth = np.arange(len(ACTIVATION_LAYERS))
for kind, by_layer in layerwise.items():
    scores = np.array([by_layer[name] for name in ACTIVATION_LAYERS])
    ax.errorbar(depth, scores.mean(axis=1), yerr=scores.std(axis=1), marker="o", capsize=3,
                label=kind)
ax.axhline(1 / patches.num_classes, color="0.6", ls=":", label="chance")
ax.set_xticks(depth, ACTIVATION_LAYERS, rotation=20, fontsize=8)
ax.set_xlabel("transfer up to layer k (frozen, average-pooled, logistic regression)")
ax.set_ylabel("test accuracy")
ax.set_title(f"layer-wise transferability, {N_LABELS} labels per class, {len(SEEDS)} seeds",
             fontsize=10)
ax.legend(fontsize=8)
plt.show()

mean_acc = {kind: {n: float(np.mean(a)) for n, a in by.items()} for kind, by in layerwise.items()}
gap = {n: mean_acc["pretrained"][n] - mean_acc["random init"][n] for n in ACTIVATION_LAYERS}
best_layer = max(ACTIVATION_LAYERS, key=mean_acc["pretrained"].get)
first, top = ACTIVATION_LAYERS[0], ACTIVATION_LAYERS[-1]
best_minus_top = np.array(layerwise["pretrained"][best_layer]) - np.array(
    layerwise["pretrained"][top])  # one difference per seed
display(Markdown(
    f"At the first layer (`{first}`) pretrained and random features are "
    f"{abs(100 * gap[first]):.1f} points apart ({mean_acc['pretrained'][first]:.3f} vs "
    f"{mean_acc['random init'][first]:.3f}): pooled edge and colour responses are generic, and "
    "even random filters compute some. Deeper, the gap grows to "
    f"**{100 * gap[top]:+.1f} points** at `{top}` ({mean_acc['pretrained'][top]:.3f} vs "
    f"{mean_acc['random init'][top]:.3f}): deep random features get "
    f"{'worse' if mean_acc['random init'][top] < mean_acc['random init'][first] else 'better'}"
    " with depth, deep pretrained features carry what pretraining learned. The best cut for "
    f"this target is **`{best_layer}`** ({mean_acc['pretrained'][best_layer]:.3f})"
    + (": here the last layer transfers best." if best_layer == top else
       f", {100 * best_minus_top.mean():.1f} points above the last layer "
       f"(ahead on {int(np.sum(best_minus_top > 0))} of {len(SEEDS)} seeds"
       + ("): the top layers are already somewhat specific to the source task, so cutting "
          "lower can pay." if np.all(best_minus_top > 0) else
          "): within the noise between seeds, no reason to cut lower here."))))

# %% [markdown]
# ## Cached features: the same head, much faster
#
# A frozen base computes the same features for an image at every epoch. Training the head on
# images runs the base forward at every step; training it on **cached** features (one pass of
# `tl.extract_features`, then only the head) does the same arithmetic once. We time both on
# all 50 training patches per class (500 images), 20 epochs, the same head initialisation,
# batches in the same order (`shuffle=False`).

# %%
EPOCHS = 20
pool_idx = np.flatnonzero(~patches.is_test)
x_pool, y_pool = patches.x[pool_idx], patches.y[pool_idx]


class EpochClock(keras.callbacks.Callback):
    """Plumbing: wall-clock seconds since the start of `fit` at the end of each epoch."""

    def on_train_begin(self, logs=None):
        self.start, self.times = time.perf_counter(), []

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


keras.utils.set_random_seed(SEEDS[0])
base_model = tl.load_backbone("course_mobilenet", weights="course")
full_model = build_transfer_model(base_model, patches.num_classes, lr=1e-2)
head_init = full_model.get_layer("head").get_weights()
full_clock = EpochClock()
full_model.fit(x_pool, y_pool, epochs=EPOCHS, batch_size=32, shuffle=False, verbose=0,
               callbacks=[full_clock])

start = time.perf_counter()
pool_features = tl.extract_features(base_model, x_pool, cache=False, progress=False)
extract_seconds = time.perf_counter() - start
head_inputs = keras.Input(shape=(pool_features.shape[1],))
head_model = keras.Model(head_inputs, keras.layers.Dense(
    patches.num_classes, activation="softmax", name="head")(head_inputs))
head_model.get_layer("head").set_weights(head_init)
head_model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                   metrics=["accuracy"])
head_clock = EpochClock()
head_model.fit(pool_features, y_pool, epochs=EPOCHS, batch_size=32, shuffle=False, verbose=0,
               callbacks=[head_clock])

full_seconds, head_seconds = full_clock.times[-1], head_clock.times[-1]
cached_seconds = extract_seconds + head_seconds
per_epoch_full = (full_clock.times[-1] - full_clock.times[0]) / (EPOCHS - 1)
per_epoch_head = (head_clock.times[-1] - head_clock.times[0]) / (EPOCHS - 1)
weight_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(
    full_model.get_layer("head").get_weights(), head_model.get_layer("head").get_weights()))
print(f"frozen base every epoch: {full_seconds:.2f} s for {EPOCHS} epochs")
print(f"cached features:         {extract_seconds:.2f} s to extract + {head_seconds:.2f} s "
      f"to train = {cached_seconds:.2f} s")
print(f"speed-up, whole run: {full_seconds / cached_seconds:.1f}x; per epoch after the first: "
      f"{per_epoch_full / per_epoch_head:.1f}x")
print(f"largest difference between the two trained heads' weights: {weight_diff:.1e}")

resnet = tl.load_backbone("course_resnet", weights="course")
start = time.perf_counter()
tl.extract_features(resnet, x_pool, cache=False, progress=False)
resnet_seconds = time.perf_counter() - start
print(f"one pass over the {len(x_pool)} patches: course_mobilenet {extract_seconds:.2f} s, "
      f"course_resnet {resnet_seconds:.2f} s")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
epochs_axis = np.arange(1, EPOCHS + 1)
ax.plot(epochs_axis, full_clock.times, "o-", ms=3, label="frozen base run every epoch")
ax.plot(epochs_axis, extract_seconds + np.array(head_clock.times), "o-", ms=3,
        label="extract once, then head on cached features")
ax.set_xlabel("epochs")
ax.set_ylabel("cumulative seconds")
ax.legend(fontsize=8)
ax.set_title("training the head: measured wall-clock time", fontsize=10)
plt.show()
display(Markdown(
    f"Both heads end with the same weights (largest difference {weight_diff:.1e}): with the "
    "base frozen and in inference mode, training on cached features *is* the same computation. "
    f"It took {cached_seconds:.2f} s instead of {full_seconds:.2f} s "
    f"(**{full_seconds / cached_seconds:.1f}x** faster over {EPOCHS} epochs; each further "
    f"epoch is **{per_epoch_full / per_epoch_head:.1f}x** cheaper). The gain is modest because "
    f"`course_mobilenet` is tiny ({base_model.count_params():,} parameters): much of an epoch is "
    "Keras' fixed cost per step. It grows with the base: one pass of `course_resnet` "
    f"({resnet.count_params():,} parameters) over the same patches took {resnet_seconds:.2f} s, "
    "which every epoch of its frozen-base model would pay again, against "
    f"{per_epoch_head:.3f} s per epoch for the head on cached features: roughly "
    f"**{resnet_seconds / per_epoch_head:.0f}x** per epoch (an estimate from these two "
    "timings). Timings depend on the machine and its load: rerun the cell to see them vary. "
    "Caching only works while the base is frozen and sees the same images every epoch: random "
    "data augmentation, or fine-tuning the base, changes the features and needs the full "
    "model again."))

# %% [markdown]
# ### Where a cached epoch's time goes
#
# The head's arithmetic on cached features is tiny (500 rows of 128 features into 10
# classes), yet an epoch still took milliseconds, not microseconds. With NumPy arrays, `fit`
# builds a new shuffled input pipeline at the start of every epoch and returns to Python after
# every step. Two standard Keras settings remove most of that overhead: a `tf.data.Dataset`
# built **once**, and `steps_per_execution=32`, which runs up to 32 steps per call into
# TensorFlow. Both paths get the same settings and are timed again (fresh heads, the same
# frozen base, 8 epochs, median of the epochs after the first).

# %%
def seconds_per_epoch(model, x, y, epochs=8):
    """Plumbing: median seconds per epoch after the first, tf.data pipeline + 32 steps per call."""
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32).prefetch(tf.data.AUTOTUNE)
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                  steps_per_execution=32)
    clock = EpochClock()
    model.fit(data, epochs=epochs, verbose=0, callbacks=[clock])
    return float(np.median(np.diff(clock.times)))


def softmax_head(inputs, features):
    """Plumbing: a fresh softmax classifier on ``features``, as a model from ``inputs``."""
    return keras.Model(inputs, keras.layers.Dense(patches.num_classes,
                                                  activation="softmax")(features))


base_model.trainable = False
image_inputs = keras.Input(shape=x_pool.shape[1:])
feature_inputs = keras.Input(shape=(pool_features.shape[1],))
fast_full = seconds_per_epoch(softmax_head(image_inputs, base_model(image_inputs, training=False)),
                              x_pool, y_pool)
fast_head = seconds_per_epoch(softmax_head(feature_inputs, feature_inputs), pool_features, y_pool)
print(f"per epoch, NumPy arrays:            frozen base {per_epoch_full:.3f} s, cached "
      f"{per_epoch_head:.4f} s ({per_epoch_full / per_epoch_head:.1f}x)")
print(f"per epoch, tf.data + 32 steps/call: frozen base {fast_full:.3f} s, cached "
      f"{fast_head:.4f} s ({fast_full / fast_head:.1f}x)")
display(Markdown(
    f"With the pipeline built once and 32 steps per call, an epoch of the head on cached "
    f"features took **{1000 * fast_head:.1f} ms** instead of {1000 * per_epoch_head:.1f} ms, and "
    f"caching is **{fast_full / fast_head:.1f}x** faster per epoch than running the frozen base "
    f"(with NumPy arrays: {per_epoch_full / per_epoch_head:.1f}x). The head's arithmetic did not "
    "change, only the overhead around it: for small models, how the data is fed can matter as "
    "much as the model. The course benchmark `bench/cached_features.py` measures the same on "
    "the other backbones."))

# %% [markdown]
# ## Key takeaways
#
# * Early CNN layers compute **generic** features (edges, colour contrasts, textures), deeper
#   ones more **task-specific** features: pretrained and random features are close at the
#   first layer and far apart at the top (the layer-wise measurement).
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
#   result, several times faster; with a `tf.data` pipeline built once and
#   `steps_per_execution`, Keras' overhead stops hiding the gain.
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
# **q4.** The source model classified 117 classes; your task has 10. What do you do with the
# classifier? (a) replace it by a new `Dense(10, activation="softmax")` head on top of the
# frozen base; (b) keep the 117-way softmax and map its outputs to your classes; (c) delete the
# last convolution block instead.
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
_expected = {f"q{i}" for i in range(1, 7)}
assert set(answers) == _expected, (
    f"answer every question: answers should have the keys {sorted(_expected)}, "
    f"it has {sorted(answers)}")
assert all(v in ("a", "b", "c") for v in answers.values()), "each answer is 'a', 'b' or 'c'"
print("knowledge check: all questions answered")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a03_quiz", points=5, namespace=globals())
### END HIDDEN TESTS
