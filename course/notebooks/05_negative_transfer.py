# %% [markdown]
# # 05 Negative transfer
#
# **Estimated time:** 60-75 minutes (the notebook itself runs in about a minute and a half).
#
# **Learning objectives.** After this notebook you can
#
# 1. define **negative transfer** and compute the **negative-transfer gap** with a clear sign
#    convention;
# 2. sweep the **similarity** between a source and a target domain and find where transfer
#    turns from helpful to harmful;
# 3. compute a **similarity measure from data** (the maximum mean discrepancy, MMD, between
#    feature sets) and say what it can and cannot predict;
# 4. **detect** negative transfer with a few labelled target images and **mitigate** it by
#    re-initialising the top layers of the transferred model.
#
# **Scenario.** A factory's inspection model was trained on thousands of images of parts drawn
# with thin strokes. A new production line draws thicker strokes, and its engineers relabelled
# some part types. They have labelled just **10 images per class** on the new line. "Start from
# the old model, it knows our parts," says one engineer. "The old model learned the wrong
# things," says another. Who is right depends on how similar the two lines are: you will
# measure it.

# %% [markdown]
# ## Setup
#
# Run this cell first. It imports everything the notebook needs and fixes the random seeds.

# %% [setup]
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from tl_helpers.grading import start_assignment

start_assignment("05_negative_transfer")

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display
from scipy.stats import spearmanr

import tl_helpers as tl

tf.zeros(1)  # TensorFlow's first-use log line lands here, not in a graded cell
keras.utils.set_random_seed(tl.config.SEED)

# %% [markdown]
# ## What negative transfer is
#
# Transfer learning reuses what a model learned on a **source** task (Task 1) to start a
# **target** task (Task 2). It pays off when the tasks share structure. When they do not, the
# source knowledge can **hurt**: the transferred model ends up *worse* than the same model
# trained from scratch on the target data alone. That is **negative transfer** (think of a digit
# reader trained on one script, failing on another).
#
# We measure it with the **negative-transfer gap**:
#
# $$\text{gap} = \text{error}_\text{transfer} - \text{error}_\text{scratch}
#              = \text{accuracy}_\text{scratch} - \text{accuracy}_\text{transfer}.$$
#
# **Sign convention used throughout:** a *positive* gap means transfer is **harmful** (negative
# transfer); a *negative* gap means transfer **helps**; both models are scored on the same
# target test set.

# %% [markdown]
# ## Part 1 - The negative-transfer gap (2 points)
#
# Implement `negative_transfer_gap`. It must accept one accuracy per model (two floats) or one
# accuracy per run (two arrays of the same shape, e.g. one value per seed), and refuse
# accuracies that are not in [0, 1] (a common slip is passing percentages such as `85.0`).

# %% [answer] a05_transfer_gap
def negative_transfer_gap(transfer_acc, scratch_acc):
    """Negative-transfer gap: transfer error minus scratch error.

    ``gap = (1 - transfer_acc) - (1 - scratch_acc) = scratch_acc - transfer_acc``.
    A positive gap means transfer hurt (negative transfer); a negative gap means it helped.

    Args:
        transfer_acc: accuracy of the transferred model on the target test set: a number,
            or an array-like of numbers (e.g. one per seed). Values in [0, 1].
        scratch_acc: accuracy of the same model trained from scratch on the same target data;
            the same shape as ``transfer_acc``. Values in [0, 1].

    Returns:
        A Python ``float`` when both inputs are scalars (0-d), otherwise a new ``float64``
        ``np.ndarray`` of the inputs' shape (element-wise gaps). The inputs are not changed.

    Raises:
        ValueError: an input holds a value outside [0, 1] or NaN (the message names the
            argument, e.g. ``transfer_acc``), or the two inputs have different shapes.
    """
    ### BEGIN SOLUTION
    t = np.array(transfer_acc, dtype=np.float64)
    s = np.array(scratch_acc, dtype=np.float64)
    for name, value in (("transfer_acc", t), ("scratch_acc", s)):
        if np.any(np.isnan(value)) or np.any(value < 0) or np.any(value > 1):
            raise ValueError(
                f"Argument `{name}` must hold accuracies in [0, 1] (not percentages). "
                f"Received: {name}={value.tolist()!r}")
    if t.shape != s.shape:
        raise ValueError(
            "Arguments `transfer_acc` and `scratch_acc` must have the same shape. "
            f"Received: transfer_acc.shape={t.shape}, scratch_acc.shape={s.shape}")
    gap = s - t
    return float(gap) if gap.ndim == 0 else gap
    ### END SOLUTION


# %% [tests] a05_transfer_gap points=2
tl.check_close(negative_transfer_gap(0.9, 0.6), -0.3, "negative_transfer_gap(0.9, 0.6)",
               hint="transfer 0.9 beats scratch 0.6, so transfer helped: the gap is negative "
                    "(transfer error 0.1 minus scratch error 0.4).")
tl.check_close(negative_transfer_gap([0.2, 0.5], [0.6, 0.5]), [0.4, 0.0],
               "negative_transfer_gap([0.2, 0.5], [0.6, 0.5])",
               hint="work element-wise on arrays (one gap per seed).")
tl.check_raises(lambda: negative_transfer_gap(85.0, 0.6), ValueError,
                "negative_transfer_gap(85.0, 0.6)", match="transfer_acc",
                hint="accuracies are fractions in [0, 1]; name the bad argument in the message.")
print("negative_transfer_gap: the visible checks pass.")

# %% [markdown]
# ## The source and target domains
#
# We need source-target pairs whose similarity we control. `tl.similarity_sweep` draws them:
# the **source** is clean white shapes (10 classes: circle, square, ...) on black; each
# **target** moves away from it as `similarity` goes from 1 to 0 along the factors we choose
# (see `tl.SHIFT_FACTORS`). We shift two things:
#
# * `"stroke"`: strokes get thicker (1.5 pixels at similarity 1, 4 pixels at 0);
# * `"labels"`: about `(1 - similarity) * 10` classes **change meaning** (label 3 may now draw
#   a circle): the same pictures, other labels, like the relabelled parts in our scenario.
#
# Each target has 50 images per class: **10 to train**, **10 to validate** (for the detection
# rule) and **30 to test**. We repeat everything for three seeds (new target images, new
# random initialisations).

# %%
SIMILARITIES = [1.0, 0.75, 0.5, 0.25, 0.0]
SHIFT = ("stroke", "labels")
SEEDS = [1, 2, 3]
N_TRAIN, N_VAL = 10, 10  # per class; the remaining 30 per class are the test set


def split_by_class(dataset, n_train, n_val):
    """Plumbing: boolean masks (train, val, test) with n_train and n_val images per class."""
    rank = np.zeros(len(dataset.y), dtype=int)  # position of each image within its class
    for c in np.unique(dataset.y):
        rank[dataset.y == c] = np.arange(np.sum(dataset.y == c))
    return rank < n_train, (rank >= n_train) & (rank < n_train + n_val), rank >= n_train + n_val


targets = {}  # (seed, similarity) -> target ImageDataset
for seed in SEEDS:
    # the sweep's own source is not used (1 image per class): one source model serves every seed
    for sim, _, target in tl.similarity_sweep(SIMILARITIES, n_per_class_source=1,
                                              n_per_class_target=50, seed=seed, shift=SHIFT):
        targets[seed, sim] = target

source = tl.make_domain(n_per_class=180, seed=0, name="source")
src_train, _, src_held = split_by_class(source, 150, 0)
src_held = ~src_train  # 30 held-out source images per class
print(f"source: {source.x[src_train].shape[0]} training and {src_held.sum()} held-out images; "
      f"each target: {len(targets[SEEDS[0], 1.0])} images")

# %%
for sim in (1.0, 0.5, 0.0):
    t = targets[SEEDS[0], sim]
    first = [int(np.flatnonzero(t.y == c)[0]) for c in range(10)]  # one image per label
    tl.plot_image_grid(t.x[first], t.y[first], class_names=[f"{c}: {n}" for c, n in
                                                            enumerate(t.class_names)],
                       ncols=10, title=f"target at similarity {sim} (title = label: shape)")
    plt.show()

# %% [markdown]
# At similarity 1 label *c* draws shape *c* as in the source. As similarity falls, strokes
# thicken and more labels point to other shapes: the pictures look alike, but the **meaning**
# of some labels changed.
#
# ## The source model
#
# A small convolutional network (three strided convolutions, a dense layer and a 10-class
# softmax head) is trained once on the source.

# %%
WEIGHTED_LAYERS = ["conv1", "conv2", "conv3", "dense", "head"]


def build_net(seed=0):
    """Plumbing: the small CNN used for source, transfer and scratch (raw 0-255 input)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv3")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(32, activation="relu", name="dense")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name="shape_cnn")


# %%
source_model = build_net(seed=0)
source_model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                     metrics=["accuracy"])
history = source_model.fit(source.x[src_train], source.y[src_train], epochs=15, batch_size=64,
                           validation_data=(source.x[src_held], source.y[src_held]), verbose=0)
source_acc = history.history["val_accuracy"][-1]
tl.plot_history(history, metrics="accuracy")
plt.show()
display(Markdown(f"Source model: held-out source accuracy **{source_acc:.3f}**, "
                 f"{source_model.count_params():,} parameters."))

# %% [markdown]
# ## Part 2 - Re-initialise the top layers (4 points)
#
# The usual cure for negative transfer is to **transfer less**: keep the bottom layers (generic
# strokes and edges) and give the top layers (the most source-specific features, and the
# classifier that encodes the source's *label meaning*) fresh random weights. Re-initialising
# *every* layer reuses only the architecture: that is training from scratch.
#
# Implement `reinitialize_top(model, n_layers, seed)`. "Layers" are the layers that have
# weights (`layer.weights` is not empty), in the order of `model.layers`. Hints:
# `keras.models.clone_model(model)` builds the same architecture with **freshly initialised**
# weights (seed it first with `keras.utils.set_random_seed(seed)`), and
# `layer.set_weights(other.get_weights())` copies weights layer by layer.

# %% [answer] a05_reinit_top
def reinitialize_top(model, n_layers, seed=0):
    """Copy ``model``, re-initialising the weights of its top ``n_layers`` weighted layers.

    Args:
        model: a built ``keras.Model`` (it is **not** changed).
        n_layers: how many of the top weighted layers get fresh weights, an ``int`` between 0
            (an exact copy) and the number of weighted layers (everything re-initialised:
            only the architecture is reused).
        seed: ``int`` seed of the fresh weights: the same seed gives the same weights.

    Returns:
        A new ``keras.Model`` with the same architecture and layer names (not compiled). The
        bottom weighted layers hold bit-identical copies of ``model``'s weights; the top
        ``n_layers`` hold fresh weights from each layer's own initializers.

    Raises:
        TypeError: ``n_layers`` is not an ``int`` (a ``bool`` is refused too).
        ValueError: ``n_layers`` is negative or larger than the number of weighted layers;
            the message names ``n_layers`` and says how many weighted layers there are.
    """
    ### BEGIN SOLUTION
    if isinstance(n_layers, bool) or not isinstance(n_layers, (int, np.integer)):
        raise TypeError(f"Argument `n_layers` must be an int. Received: n_layers={n_layers!r}")
    weighted = [layer for layer in model.layers if layer.weights]
    if not 0 <= n_layers <= len(weighted):
        raise ValueError(
            f"Argument `n_layers` must be between 0 and {len(weighted)} (the model has "
            f"{len(weighted)} layers with weights). Received: n_layers={n_layers}")
    keras.utils.set_random_seed(seed)
    new_model = keras.models.clone_model(model)
    for layer in weighted[:len(weighted) - n_layers]:
        new_model.get_layer(layer.name).set_weights(layer.get_weights())
    return new_model
    ### END SOLUTION


# %% [tests] a05_reinit_top points=4
# an untrained copy of the architecture keeps this check fast (the trained source_model comes next)
_net = build_net(seed=1)
_copy = reinitialize_top(_net, 1, seed=0)
tl.check_type(_copy, keras.Model, "reinitialize_top(build_net(seed=1), 1)")
assert _copy is not _net, (
    "reinitialize_top must return a new model, not change and return the input. "
    "Hint: keras.models.clone_model builds a copy.")
assert np.array_equal(_copy.get_layer("conv1").get_weights()[0],
                      _net.get_layer("conv1").get_weights()[0]), (
    "with n_layers=1 the bottom layer conv1 must keep the model's weights. Hint: copy the "
    "weights of every weighted layer except the top n_layers.")
assert not np.array_equal(_copy.get_layer("head").get_weights()[0],
                          _net.get_layer("head").get_weights()[0]), (
    "with n_layers=1 the top layer (head) must get fresh weights.")
tl.check_raises(lambda: reinitialize_top(_net, 6), ValueError,
                "reinitialize_top(model, 6) (the model has 5 weighted layers)",
                match="n_layers")
print("reinitialize_top: the visible checks pass.")

# %% [markdown]
# ## The similarity sweep
#
# With only 10 labels per class we cannot train for long, so every strategy gets the **same
# fixed budget**: 40 full-batch Adam steps at learning rate 0.01, all layers trainable. The
# strategies differ only in where the weights start:
#
# | `n_layers` re-initialised | what is transferred |
# |---|---|
# | 0 | everything, the source head included (**transfer**) |
# | 1 | everything but the head |
# | 2 | the three convolutions |
# | 3 | the two bottom convolutions |
# | 5 | nothing but the architecture (**scratch**) |
#
# The starting weights come from your `reinitialize_top`, once per seed; then each start is
# fine-tuned on every target. This cell runs 75 short fine-tunes (about 20-30 seconds).
#
# The cells from here on use your functions: until Parts 1 and 2 are done they stop with
# `NotImplementedError`. Implement them, then rerun from here.

# %%
N_REINIT = [0, 1, 2, 3, 5]  # 0 = transfer everything, 5 = scratch
SCRATCH = len(WEIGHTED_LAYERS)
STEPS, LR = 40, 1e-2

starts = {(seed, k): reinitialize_top(source_model, k, seed=100 + seed).get_weights()
          for seed in SEEDS for k in N_REINIT}

# Plumbing: one compiled network; each run loads its start weights, resets the optimiser and
# runs STEPS full-batch steps in one call (steps_per_execution), so nothing is retraced.
tuner = build_net(seed=0)
tuner.compile(keras.optimizers.Adam(LR), "sparse_categorical_crossentropy",
              steps_per_execution=STEPS)


def fine_tune(start_weights, x, y):
    """Plumbing: STEPS full-batch Adam steps from start_weights; returns the tuned network."""
    tuner.set_weights(start_weights)
    tl.reset_optimizer(tuner.optimizer)  # step counter and Adam's moments back to 0
    tuner.fit(np.tile(x, (STEPS, 1, 1, 1)), np.tile(y, STEPS), batch_size=len(y), epochs=1,
              shuffle=False, verbose=0)
    return tuner


def accuracy(net, x, y):
    return float(np.mean(np.argmax(net(x, training=False), axis=1) == y))


val_acc, test_acc = {}, {}  # (seed, similarity, n_reinit) -> accuracy
for (seed, sim), target in targets.items():
    train, val, test = split_by_class(target, N_TRAIN, N_VAL)
    for k in N_REINIT:
        net = fine_tune(starts[seed, k], target.x[train], target.y[train])
        val_acc[seed, sim, k] = accuracy(net, target.x[val], target.y[val])
        test_acc[seed, sim, k] = accuracy(net, target.x[test], target.y[test])


def accs(sim, k, table=test_acc):
    """Plumbing: the accuracies of one (similarity, n_reinit) cell, one per seed."""
    return np.array([table[seed, sim, k] for seed in SEEDS])


print("mean test accuracy over seeds (rows: similarity; columns: n_layers re-initialised)")
print("similarity " + " ".join(f"{k:>7}" for k in N_REINIT))
for sim in SIMILARITIES:
    print(f"{sim:>10} " + " ".join(f"{accs(sim, k).mean():7.3f}" for k in N_REINIT))

# %%
head_only, full, scratch = (accs(1.0, k).mean() for k in (1, 0, SCRATCH))
display(Markdown(
    f"At similarity 1, re-initialising only the head gives **{head_only:.3f}**, "
    f"{'below' if head_only < full else 'above'} full transfer ({full:.3f}) and "
    f"{'below' if head_only < scratch else 'above'} scratch ({scratch:.3f}). A random head "
    "trained *together* with pretrained layers at a high learning rate sends large gradients "
    "into them and can damage the features (the reason notebook 04 trains a new head on a "
    "frozen base first). Keep it in mind when you explore the table with the widget below."))

# %% [markdown]
# ### Where does transfer turn negative?
#
# The gap of full transfer (`n_layers=0`) against scratch, per seed, with your
# `negative_transfer_gap`:

# %%
gaps = {sim: negative_transfer_gap(accs(sim, 0), accs(sim, SCRATCH)) for sim in SIMILARITIES}
gap_mean = np.array([gaps[sim].mean() for sim in SIMILARITIES])
gap_std = np.array([gaps[sim].std() for sim in SIMILARITIES])
for sim in SIMILARITIES:
    print(f"similarity {sim:4}: gap per seed {np.round(gaps[sim], 3)}, "
          f"mean {gaps[sim].mean():+.3f}")

fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
ax.errorbar(SIMILARITIES, gap_mean, yerr=gap_std, marker="o", capsize=3,
            label="transfer everything (n_layers=0)")
ax.axhline(0, color="gray", lw=1)
ax.fill_between([-0.05, 1.05], 0, max(0.05, gap_mean.max() + 0.1), color="red", alpha=0.07)
ax.text(0.02, 0.02, "harmful (negative transfer)", color="darkred", fontsize=8,
        transform=ax.get_yaxis_transform(), va="bottom")
ax.set_xlim(1.05, -0.05)  # from similar (left) to dissimilar (right)
ax.set_xlabel("source-target similarity")
ax.set_ylabel("gap = transfer error - scratch error")
ax.legend(fontsize=8)
plt.show()

# %%
low, high = min(SIMILARITIES), max(SIMILARITIES)
harmful = [sim for sim in SIMILARITIES if gaps[sim].min() > 0]  # positive for every seed
display(Markdown(
    f"At similarity **{high}** transfer helps: the gap is **{gaps[high].mean():+.3f}** "
    f"(per seed {', '.join(f'{g:+.3f}' for g in gaps[high])}; transfer "
    f"{accs(high, 0).mean():.3f} vs scratch {accs(high, SCRATCH).mean():.3f}). "
    f"At similarity **{low}** it hurts: **{gaps[low].mean():+.3f}** "
    f"(per seed {', '.join(f'{g:+.3f}' for g in gaps[low])}; transfer "
    f"{accs(low, 0).mean():.3f} vs scratch {accs(low, SCRATCH).mean():.3f}). "
    f"The gap is positive for every seed at similarities **{harmful}**."))

# %% [markdown]
# The source model is not *useless* on dissimilar targets: its convolutions still detect
# strokes. What hurts is knowledge that is now **wrong**: the head maps features to the
# source's label meanings, and thin-stroke detectors fit thick strokes less well. With a short
# budget, unlearning costs more than learning from scratch.

# %% [markdown]
# ## Part 3 - A similarity measure from data: MMD (4 points)
#
# Can we see the danger *before* fine-tuning, from unlabelled target images? The **maximum mean
# discrepancy** compares two samples through a kernel $k$. Its squared, biased estimate between
# $x_1..x_n$ and $y_1..y_m$ is
#
# $$\mathrm{MMD}^2 = \frac{1}{n^2}\sum_{i,j} k(x_i, x_j) + \frac{1}{m^2}\sum_{i,j} k(y_i, y_j)
#                  - \frac{2}{nm}\sum_{i,j} k(x_i, y_j),
#   \qquad k(a, b) = \exp\!\left(-\frac{\lVert a-b\rVert^2}{2\sigma^2}\right).$$
#
# It is 0 when both samples are the same and grows as the distributions move apart. The
# bandwidth $\sigma$ is often set by the **median heuristic**: the median Euclidean distance
# between all pairs of distinct rows of the pooled sample.

# %% [answer] a05_mmd
def mmd_rbf(x, y, bandwidth=None):
    """Squared maximum mean discrepancy (biased estimate) with a Gaussian (RBF) kernel.

    Args:
        x: array-like ``(n, d)`` of numbers, one sample per row (n >= 1).
        y: array-like ``(m, d)`` of numbers with the same ``d`` (m >= 1).
        bandwidth: kernel width sigma > 0, or ``None`` for the median heuristic: sigma is the
            median of the Euclidean distances ``||a - b||`` over all pairs of distinct rows
            (each unordered pair once) of ``np.concatenate([x, y])``; when that median is 0
            (or there is a single pair-free row), use sigma = 1.0.

    Returns:
        ``float`` >= 0: mean k(x, x') + mean k(y, y') - 2 mean k(x, y), every mean over all
        pairs including i == j, with ``k(a, b) = exp(-||a - b||**2 / (2 * sigma**2))``; a tiny
        negative value from rounding is returned as 0.0. The inputs are not changed.

    Raises:
        ValueError: ``x`` or ``y`` is not 2-D or has no rows (the message names it), the
            numbers of columns differ, or ``bandwidth`` is not > 0.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    for name, value in (("x", x), ("y", y)):
        if value.ndim != 2 or len(value) == 0:
            raise ValueError(f"Argument `{name}` must be a non-empty 2-D array (samples, "
                             f"features). Received: {name}.shape={value.shape}")
    if x.shape[1] != y.shape[1]:
        raise ValueError("Arguments `x` and `y` must have the same number of columns. "
                         f"Received: x.shape={x.shape}, y.shape={y.shape}")
    pooled = np.concatenate([x, y])
    sq = np.sum(pooled**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * pooled @ pooled.T, 0.0)
    if bandwidth is None:
        upper = np.sqrt(d2[np.triu_indices(len(pooled), k=1)])
        bandwidth = float(np.median(upper)) if upper.size else 0.0
        if bandwidth == 0:
            bandwidth = 1.0
    elif not bandwidth > 0:
        raise ValueError(f"Argument `bandwidth` must be > 0 or None. Received: "
                         f"bandwidth={bandwidth!r}")
    k = np.exp(-d2 / (2 * bandwidth**2))
    n = len(x)
    value = k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()
    return max(float(value), 0.0)
    ### END SOLUTION


# %% [tests] a05_mmd points=4
tl.check_close(mmd_rbf([[0.0]], [[1.0]], bandwidth=1.0), 2 - 2 * np.exp(-0.5),
               "mmd_rbf([[0]], [[1]], bandwidth=1)",
               hint="k(x,x) + k(y,y) - 2 k(x,y) = 1 + 1 - 2 exp(-1/2) for one point each.")
_rng = np.random.default_rng(0)
_a = _rng.normal(size=(40, 3))
tl.check_close(mmd_rbf(_a, _a), 0.0, "mmd_rbf(a, a)", atol=1e-9,
               hint="a sample has no discrepancy with itself.")
assert mmd_rbf(_a, _a + 2.0) > mmd_rbf(_a, _a + 0.5) > 0, (
    "mmd_rbf should grow as the second sample moves away from the first.")
tl.check_raises(lambda: mmd_rbf(np.zeros(5), np.zeros((5, 1))), ValueError,
                "mmd_rbf(1-D x, y)", match="x",
                hint="x must be 2-D (samples, features); name the argument in the message.")
print("mmd_rbf: the visible checks pass.")

# %% [markdown]
# We compare the **source model's features** (the 32 outputs of its global-average-pooling
# layer) on held-out source images and on each target's images, 300 of each (this needs your
# `mmd_rbf`).

# %%
feature_model = keras.Model(source_model.input, source_model.get_layer("gap").output)
source_features = np.asarray(feature_model(source.x[src_held], training=False))
mmd = {}  # (seed, similarity) -> MMD^2
for (seed, sim), target in targets.items():
    _, _, test = split_by_class(target, N_TRAIN, N_VAL)
    mmd[seed, sim] = mmd_rbf(source_features,
                             np.asarray(feature_model(target.x[test], training=False)))

points = [(mmd[seed, sim], negative_transfer_gap(test_acc[seed, sim, 0],
                                                 test_acc[seed, sim, SCRATCH]), sim)
          for seed in SEEDS for sim in SIMILARITIES]
mmd_values, gap_values, sims = map(np.array, zip(*points))
rho = spearmanr(mmd_values, gap_values).statistic

fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
scatter = ax.scatter(mmd_values, gap_values, c=sims, cmap="viridis", vmin=0, vmax=1)
fig.colorbar(scatter, ax=ax, label="similarity")
ax.axhline(0, color="gray", lw=1)
ax.set_xlabel("MMD$^2$ (source vs target features)")
ax.set_ylabel("gap = transfer error - scratch error")
ax.set_title(f"Spearman rank correlation {rho:.2f} (3 seeds x 5 similarities)", fontsize=9)
plt.show()

# %% [markdown]
# ### MMD's blind spot
#
# MMD compares the images' distribution $P(X)$ only; it never sees labels. A target that
# keeps the source's look but **permutes every label** (`shift="labels"` at similarity 0) has
# the same $P(X)$ as the source. What do MMD and the gap say there?

# %%
blind = []
for seed in SEEDS:
    _, relabelled = tl.make_domain_pair(0.0, n_per_class_source=1, n_per_class_target=50,
                                        seed=seed, shift="labels")
    train, val, test = split_by_class(relabelled, N_TRAIN, N_VAL)
    features = np.asarray(feature_model(relabelled.x[test], training=False))
    transfer = accuracy(fine_tune(starts[seed, 0], relabelled.x[train], relabelled.y[train]),
                        relabelled.x[test], relabelled.y[test])
    scratch = accuracy(fine_tune(starts[seed, SCRATCH], relabelled.x[train],
                                 relabelled.y[train]), relabelled.x[test], relabelled.y[test])
    blind.append((mmd_rbf(source_features, features), negative_transfer_gap(transfer, scratch)))
blind_mmd, blind_gap = np.array(blind).T
same_look = np.array([mmd[seed, 1.0] for seed in SEEDS])
display(Markdown(
    f"Labels permuted, look unchanged: MMD$^2$ **{blind_mmd.mean():.4f}** (the same-domain "
    f"target at similarity 1: {same_look.mean():.4f}; the most shifted one: "
    f"{np.mean([mmd[s, 0.0] for s in SEEDS]):.4f}), yet the gap is "
    f"**{blind_gap.mean():+.3f}** (per seed {', '.join(f'{g:+.3f}' for g in blind_gap)}). "
    f"Across the sweep MMD ranks the gaps with Spearman correlation **{rho:.2f}**, because "
    f"look and labels moved together there; alone, it cannot see a change of label meaning."))

# %% [markdown]
# ## Part 4 - Detect negative transfer with a validation set (2 points)
#
# A few **labelled** target images see what MMD cannot. The rule: fine-tune both the
# transferred model and the scratch model, score both on a small target **validation** set
# (never the test set), and flag negative transfer when the mean gap on validation exceeds a
# margin (a margin avoids flagging noise).

# %% [answer] a05_detect
def detect_negative_transfer(transfer_val_acc, scratch_val_acc, margin=0.02):
    """Flag negative transfer from validation accuracies (one per run, e.g. per seed).

    Args:
        transfer_val_acc: 1-D array-like of validation accuracies of the transferred model,
            values in [0, 1], at least one.
        scratch_val_acc: 1-D array-like of validation accuracies of the scratch model, the
            same length (run i of both used the same data).
        margin: ``float`` >= 0; how much worse (in accuracy) the transferred model must be
            on average before it is flagged.

    Returns:
        ``True`` (a Python ``bool``) when the mean of ``scratch_val_acc - transfer_val_acc``
        is strictly greater than ``margin``, else ``False``.

    Raises:
        ValueError: an input is empty or not 1-D, the lengths differ, an accuracy is outside
            [0, 1], or ``margin`` is negative (the message names the argument).
    """
    ### BEGIN SOLUTION
    if not margin >= 0:
        raise ValueError(f"Argument `margin` must be >= 0. Received: margin={margin!r}")
    t = np.asarray(transfer_val_acc, dtype=np.float64)
    s = np.asarray(scratch_val_acc, dtype=np.float64)
    for name, value in (("transfer_val_acc", t), ("scratch_val_acc", s)):
        if value.ndim != 1 or value.size == 0:
            raise ValueError(f"Argument `{name}` must be a non-empty 1-D sequence. "
                             f"Received: {name}.shape={value.shape}")
        if np.any(np.isnan(value)) or np.any(value < 0) or np.any(value > 1):
            raise ValueError(f"Argument `{name}` must hold accuracies in [0, 1]. "
                             f"Received: {name}={value.tolist()!r}")
    if len(t) != len(s):
        raise ValueError("Arguments `transfer_val_acc` and `scratch_val_acc` must have the "
                         f"same length. Received: {len(t)} and {len(s)}")
    gap = negative_transfer_gap(t, s)
    return bool(np.mean(gap) > margin)
    ### END SOLUTION


# %% [tests] a05_detect points=2
assert detect_negative_transfer([0.40, 0.50], [0.70, 0.80]) is True, (
    "transfer 0.45 vs scratch 0.75 on validation: transfer is clearly worse, flag it (True).")
assert detect_negative_transfer([0.90, 0.95], [0.60, 0.62]) is False, (
    "transfer beats scratch: this is positive transfer, do not flag it.")
assert detect_negative_transfer([0.60], [0.61], margin=0.02) is False, (
    "a gap of 0.01 is within the margin 0.02: do not flag noise.")
tl.check_raises(lambda: detect_negative_transfer([0.5], [0.5, 0.6]), ValueError,
                "detect_negative_transfer with lengths 1 and 2")
print("detect_negative_transfer: the visible checks pass.")

# %% [markdown]
# ### Detect, then mitigate
#
# For each similarity we run the rule on the **validation** accuracies of the three seeds and
# compare its verdict with the truth on the **test** set (this needs your
# `detect_negative_transfer`). When the rule fires, the mitigation
# re-initialises more layers: we take the `n_layers` with the best validation accuracy (per
# seed). When it does not, we keep full transfer.

# %%
MARGIN = 0.02
rows, mitigated_gap, agree, n_fired, n_scratch = [], {}, 0, 0, 0
for sim in SIMILARITIES:
    flagged = detect_negative_transfer(accs(sim, 0, val_acc), accs(sim, SCRATCH, val_acc),
                                       MARGIN)
    truth = bool(gaps[sim].mean() > MARGIN)
    chosen = [max(N_REINIT, key=lambda k, s=seed: (val_acc[s, sim, k], -k)) if flagged else 0
              for seed in SEEDS]
    final = np.array([test_acc[seed, sim, k] for seed, k in zip(SEEDS, chosen)])
    mitigated_gap[sim] = negative_transfer_gap(final, accs(sim, SCRATCH))
    agree += flagged == truth
    n_fired += len(SEEDS) if flagged else 0
    n_scratch += sum(k == SCRATCH for k in chosen) if flagged else 0
    rows.append(f"| {sim} | {'yes' if flagged else 'no'} | {'yes' if truth else 'no'} | "
                f"{chosen} | {gaps[sim].mean():+.3f} | {mitigated_gap[sim].mean():+.3f} |")
display(Markdown(
    "| similarity | rule flags (validation) | harmful on test | n_layers chosen per seed | "
    "gap before | gap after |\n|---|---|---|---|---|---|\n" + "\n".join(rows)
    + f"\n\nThe validation rule agrees with the test set at **{agree} of {len(SIMILARITIES)}** "
    f"similarities. Worst mean gap before mitigation **{max(gap_mean):+.3f}**, after "
    f"**{max(m.mean() for m in mitigated_gap.values()):+.3f}**. Where the rule fired, "
    f"validation chose `n_layers={SCRATCH}` (only the architecture reused) in "
    f"**{n_scratch} of {n_fired}** runs: with this short budget, partial re-initialisation "
    "rarely beat scratch, so the remedy for a dissimilar target was to transfer nothing."))

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
ax.errorbar(SIMILARITIES, gap_mean, yerr=gap_std, marker="o", capsize=3,
            label="transfer everything")
ax.errorbar(SIMILARITIES, [mitigated_gap[s].mean() for s in SIMILARITIES],
            yerr=[mitigated_gap[s].std() for s in SIMILARITIES], marker="s", capsize=3,
            label="detect + re-initialise (validation)")
ax.axhline(0, color="gray", lw=1)
ax.set_xlim(1.05, -0.05)
ax.set_xlabel("source-target similarity")
ax.set_ylabel("gap = error - scratch error")
ax.set_title("positive = harmful", fontsize=9)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Explore: how many layers to re-initialise?
#
# Move the slider along the similarity sweep. The left panel shows one target image per label
# (title = label: shape it draws); the right panel the test accuracy of each start, mean over
# the three seeds (bars: min-max), against scratch (dashed). Watch which `n_layers` wins as
# the domains drift apart. Everything shown was computed above; the slider only selects.

# %%
def show_similarity(similarity):
    target = targets[SEEDS[0], similarity]
    first = [int(np.flatnonzero(target.y == c)[0]) for c in range(10)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3), layout="constrained",
                                      width_ratios=[1.3, 1])
    strip = np.concatenate([target.x[i] for i in first[:5]], axis=1)
    strip = np.concatenate([strip, np.concatenate([target.x[i] for i in first[5:]], axis=1)])
    left.imshow(strip)
    left.set_title(" | ".join(f"{c}:{target.class_names[c][:4]}" for c in range(10)),
                   fontsize=7)
    left.axis("off")
    means = [accs(similarity, k).mean() for k in N_REINIT]
    lows = [means[i] - accs(similarity, k).min() for i, k in enumerate(N_REINIT)]
    highs = [accs(similarity, k).max() - means[i] for i, k in enumerate(N_REINIT)]
    right.bar([str(k) for k in N_REINIT], means, yerr=[lows, highs], capsize=3,
              color=["tab:blue"] * (len(N_REINIT) - 1) + ["tab:gray"])
    right.axhline(means[-1], color="gray", ls="--", lw=1)
    right.set_ylim(0, 1)
    right.set_xlabel("n_layers re-initialised (5 = scratch)")
    right.set_ylabel("test accuracy")
    right.set_title(f"similarity {similarity}: gap of full transfer "
                    f"{gaps[similarity].mean():+.3f}", fontsize=9)
    plt.show()


# tl.interact is ipywidgets.interact in JupyterLab; run headless (grading) it draws this default
# view once, with no widget
tl.interact(
    show_similarity,
    similarity=tl.widgets.SelectionSlider(options=SIMILARITIES, value=1.0,
                                          description="similarity", continuous_update=False));

# %% [markdown]
# ## Key takeaways
#
# * **Negative transfer** is transfer that makes the target model *worse* than training from
#   scratch. Measure it with the gap = transfer error - scratch error (positive = harmful), on
#   the same test set, over several seeds.
# * Transfer success tracks **source-target similarity**: in this notebook's sweep the gap was
#   negative (helpful) for similar domains and positive (harmful) for dissimilar ones.
# * Feature-distribution distances such as **MMD** warn about a change of *look* without any
#   labels, but are blind to a change of *label meaning*; a few labelled validation images see
#   both.
# * The cure is to **transfer less**: re-initialise the top layers (the head holds the source's
#   label meaning), and for very dissimilar tasks reuse only the architecture. Choose how much
#   on validation data, never on the test set.

# %% [markdown]
# ## Knowledge check (5 points)
#
# Set each answer to `"a"`, `"b"` or `"c"`.
#
# **q1.** With this notebook's sign convention, a gap of +0.2 means
# (a) transfer was 0.2 more accurate than scratch; (b) transfer was 0.2 less accurate than
# scratch: negative transfer; (c) the source model reached 0.2 accuracy on the target.
#
# **q2.** MMD between source and target features is close to 0, but the target's labels mean
# other things than the source's. Which is true?
# (a) transfer is guaranteed to help; (b) MMD cannot see the change, because it compares only
# the distributions of the inputs; (c) MMD will be large because the labels differ.
#
# **q3.** A validation rule flags negative transfer for a very dissimilar target. The first
# fix to try is
# (a) fine-tune the transferred model for fewer steps; (b) report the test accuracy of the
# transferred model anyway; (c) re-initialise the top layers (up to all of them, i.e. reuse
# only the architecture) and compare on validation data.
#
# **q4.** Why decide with a **validation** set and not the test set?
# (a) choosing on the test set makes the reported test accuracy optimistic; (b) the test set
# is too large to evaluate; (c) validation sets always have more labels.
#
# **q5.** Why is the source **head** the first layer to re-initialise?
# (a) it has the most parameters; (b) it encodes the source's label meanings, the most
# task-specific knowledge; (c) Keras cannot fine-tune dense layers.

# %% [answer] a05_quiz
answers = {}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "b", "q3": "c", "q4": "a", "q5": "b"}
### END SOLUTION

# %% [tests] a05_quiz points=5
tl.check_quiz(answers, questions=5)
print("knowledge check: all five questions answered.")
