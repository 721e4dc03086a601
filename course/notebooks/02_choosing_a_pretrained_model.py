# %% [markdown]
# # 02 Choosing a pretrained model
#
# **Estimated time:** 75-90 minutes of work (running the notebook takes a minute or two).
#
# **Learning objectives.** After this notebook you can
#
# 1. read the **Keras applications table** (families, size, top-1/top-5, parameters, depth)
#    and say what each column does and does not tell you about *your* task;
# 2. compute a **model card** (parameters, depth, input and output shapes, size on disk, file
#    format) for any Keras model;
# 3. measure **latency** robustly: warm-up calls excluded, the median of many runs reported, the
#    model run the way it will be deployed;
# 4. recognise a model file's **framework** from its extension *and* its contents (`.keras`,
#    `.h5`, `.pt`/`.pth`, `.onnx`, `.tflite`, `.safetensors`);
# 5. build the **Pareto front** over accuracy, size and latency and **pick a model under a
#    deployment budget**;
# 6. compute the **LogME** transferability score and check how well it ranks candidate
#    backbones *without* training a classifier on each.
#
# **Scenario.** A start-up builds a hand-held field microscope. A small board next to the
# camera must say which of 10 kinds of image it is looking at (brick, grass, gravel, cells,
# retina, moon, ...). The firmware leaves little room for the model file, the board must answer
# quickly, and the team has labelled only 20 images per class. The shelf holds three real
# ImageNet models of one family (EfficientNet-Lite0, -Lite1, -Lite2) and two small backbones
# the team could pretrain itself. Which one do you ship? You will answer with numbers this
# notebook measures.

# %% [markdown]
# ## Setup
#
# Run this cell first. It imports everything the notebook needs and fixes the random seeds.
#
# **How to work through it.** Each part ends with a function for you to write (replace
# `raise NotImplementedError()`), followed by a check cell: run it, and read its message if it
# fails. The cells *after* an exercise use your function, so they raise `NotImplementedError`
# until you have written it: finish each exercise before running on. Files the notebook writes
# go to a temporary folder (`WORK_DIR`).

# %% [setup]
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from tl_helpers.grading import start_assignment

start_assignment("02_choosing_a_pretrained_model")

import json
import pickle
import struct
import tempfile
import time
import zipfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display
from scipy.stats import kendalltau, spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import tl_helpers as tl

tf.zeros(1)  # TensorFlow's first-use log line lands here, not in a graded cell
# One thread for NumPy's linear algebra: on 2 cores shared with TensorFlow's threads, its
# threads waiting for each other made small fits (200 x 1,280 features) many times slower.
threadpool_limits(limits=1, user_api="blas")
keras.utils.set_random_seed(tl.config.SEED)
WORK_DIR = Path(tempfile.mkdtemp(prefix="tl02_"))  # every file this notebook writes goes here


def markdown_table(rows, columns):
    """Show a list of dicts as a Markdown table (plumbing: no pandas needed)."""
    def fmt(value, column):
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
        if isinstance(value, int) and column != "year":
            return f"{value:,}"
        return "-" if value is None else str(value)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(row.get(c), c) for c in columns) + " |" for row in rows]
    display(Markdown("\n".join(lines)))

# %% [markdown]
# ## The landscape: families and the Keras applications table
#
# Most pretrained vision models you will meet belong to a handful of **families**:
#
# * **VGG** (2014): plain stacks of 3x3 convolutions; accurate for its time, but huge and slow.
# * **ResNet** (2015): residual (skip) connections make very deep networks trainable.
# * **Inception / Xception**: parallel branches of different kernel sizes; Xception replaces them
#   with depthwise-separable convolutions.
# * **MobileNet** (V1-V3): depthwise-separable convolutions built for phones and edge devices.
# * **DenseNet**: every layer sees the feature maps of all earlier layers.
# * **NASNet / EfficientNet**: architectures found by search; EfficientNet scales depth, width
#   and resolution together.
# * **ViT** (Vision Transformer): an image cut into patches, processed as a sequence of tokens by
#   a Transformer; not in `keras.applications` (it lives in KerasHub and other hubs).
#
# `tl_helpers` carries the documented figures of the `keras.applications` table (no download):

# %%
keras_rows = [tl.model_card(name) for name in tl.list_backbones("keras")]
markdown_table(keras_rows, ["name", "family", "year", "parameters", "size_mb", "top1", "top5",
                            "depth", "file_format"])

# %% [markdown]
# Read the columns with care: `top1`/`top5` are **ImageNet** accuracies at 224x224 (or larger)
# input, `size_mb` is the size of the downloaded weights file, `depth` counts layers with
# parameters. None of them is *your* task's accuracy, and none is the latency on *your* device.
# The plot below shows the trade-off the table hides: accuracy against size, on a log scale.

# %%
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.set_xscale("log")  # scales and limits first: the labels are placed for them
tl.plot_model_selection(keras_rows, x="size_mb", y="top1", size="parameters", label="name", ax=ax)
ax.set_xlabel("size of the ImageNet weights file (MB, log scale)")
ax.set_ylabel("ImageNet top-1 accuracy")
plt.show()

smallest = min(keras_rows, key=lambda r: r["size_mb"])
largest = max(keras_rows, key=lambda r: r["size_mb"])
best = max(keras_rows, key=lambda r: r["top1"])
display(Markdown(
    f"The smallest file, **{smallest['name']}** ({smallest['size_mb']:g} MB, top-1 "
    f"{smallest['top1']:.3f}), is **{largest['size_mb'] / smallest['size_mb']:.0f}x** smaller "
    f"than the largest, **{largest['name']}** ({largest['size_mb']:g} MB, top-1 "
    f"{largest['top1']:.3f}). The most accurate entry is **{best['name']}** "
    f"(top-1 {best['top1']:.3f}, {best['size_mb']:g} MB). Bigger is not simply better."))

# %% [markdown]
# ### Beyond vision
#
# The same questions (size, framework, input, output, documented accuracy) apply to every
# modality. A few well-known pretrained models, as catalogue knowledge (nothing to compute here):
#
# | model | modality | input it needs | what it outputs | typical files |
# |---|---|---|---|---|
# | BERT | text | WordPiece token ids from *its own* tokenizer | one contextual vector per token | `.safetensors`, `.bin` (PyTorch), `.h5` |
# | word2vec / GloVe | text | single words (a fixed vocabulary) | one static vector per word | `.bin`, `.txt` |
# | YAMNet | audio | mono waveform at the model's sample rate | AudioSet class scores + embeddings | TF SavedModel, `.tflite` |
# | wav2vec 2.0 | audio (speech) | raw waveform | contextual speech features | `.pt`, `.safetensors` |
#
# The **input requirements** are part of the choice. Our course backbones take raw 0-255 RGB
# images and normalise them *inside* the model (a layer named `preprocess`), and every
# architecture has a smallest input it accepts:

# %%
for name in ["efficientnet_lite0", "course_mobilenet", "course_resnet", "mobilenet_v2"]:
    spec = tl.get_backbone_spec(name)
    print(f"{name:18s} family {spec.family:17s} default input {spec.default_input_size:3d}, "
          f"smallest input {spec.min_input_size:2d}, feature size {spec.feature_size}")
try:
    tl.load_backbone("mobilenet_v2", weights=None, input_shape=(16, 16, 3))
except ValueError as error:
    print("\nAsking for 16x16 images:", error)

# %% [markdown]
# ## The candidates
#
# Five backbones are on the shelf, and all of them work offline:
#
# * **EfficientNet-Lite0, -Lite1, -Lite2** (`efficientnet_lite0/1/2`, `weights="imagenet"`):
#   Google's 2020 variants of EfficientNet for phones and edge accelerators, trained on
#   ImageNet (1.28 million photos, 1,000 classes). Their weights ship inside Python packages.
#   The three differ in depth, width and **native input size**.
# * The course backbones **`course_mobilenet`** and **`course_resnet`** (`weights="course"`):
#   small networks that the course pretrained itself on patches of 13 photos. They stand for
#   the model you could pretrain on your own data; nobody publishes an ImageNet accuracy for
#   them.
#
# Each backbone takes raw 0-255 RGB images and returns one pooled feature vector per image
# (preprocessing is inside the model). The board's camera gives **96x96** patches, so every
# candidate is built for 96x96 inputs (Part 2 measures what the Lite models' native sizes would
# cost). Each candidate is saved as a `.keras` file, as you would ship it, and the target data
# (patches of the 10 kinds of image, none of them seen in pretraining) is loaded once.

# %%
IMAGE_SIZE = 96
lite_names = ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]
CANDIDATE_WEIGHTS = {"efficientnet_lite0": "imagenet", "efficientnet_lite1": "imagenet",
                     "efficientnet_lite2": "imagenet", "course_mobilenet": "course",
                     "course_resnet": "course"}
candidates = {name: tl.load_backbone(name, weights=weights,
                                     input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
              for name, weights in CANDIDATE_WEIGHTS.items()}
saved_paths = {}
for name, model in candidates.items():
    saved_paths[name] = WORK_DIR / f"{name}.keras"
    model.save(saved_paths[name])
target = tl.load_photo_patches(image_size=IMAGE_SIZE, n_train_per_class=30, n_test_per_class=40)
print(f"{len(candidates)} candidates saved in {WORK_DIR}:", ", ".join(candidates))
print(f"target task: {target.num_classes} classes ({', '.join(target.class_names)}), "
      f"{len(target.x)} patches of {IMAGE_SIZE}x{IMAGE_SIZE}")

# %% [markdown]
# ## Part 1 - A model card for any Keras model (3 points)
#
# A **model card** collects what you need to compare models side by side. Implement
# `compute_model_card(model, path=None)`. Two details matter:
#
# * `depth` counts the layers that **own at least one weight** (convolutions, dense layers,
#   BatchNormalization, ...), the definition of the Keras table's "Depth" column. A model used
#   as a layer inside another model (as `keras.applications` backbones are inside
#   `tl.load_backbone`'s models) must be opened up: count *its* layers, not the model as one.
# * Size on disk is the size of the **file** (`path`), in MB of 1,000,000 bytes. The file format
#   is the extension in lower case; a weights-only file has the two-part extension
#   `.weights.h5`.
#
# Useful: `model.count_params()`, `layer.weights`, `layer.trainable_weights`,
# `model.input_shape`, `os.path.getsize`. Do not change the model (for example its `trainable`
# flags) while you count.

# %% [answer] a02_model_card
def compute_model_card(model, path=None):
    """Describe a Keras model for a side-by-side comparison.

    Args:
        model: a built ``keras.Model`` with one input and one output.
        path: ``None``, or the path (``str`` or ``pathlib.Path``) of a file the model was saved
            to (``.keras``, ``.h5``, ``.weights.h5``, ...).

    Returns:
        A dict with exactly these keys:

        * ``"name"``: ``model.name`` (str).
        * ``"parameters"``: number of weights, trainable and non-trainable (Python int).
        * ``"trainable_parameters"``: number of trainable weights (Python int).
        * ``"depth"``: number of layers that own at least one weight, counting the layers
          inside nested models one by one (Python int).
        * ``"input_shape"``: input shape without the batch axis, a tuple such as ``(32, 32, 3)``.
        * ``"output_shape"``: output shape without the batch axis, a tuple such as ``(128,)``.
        * ``"size_mb"``: size of the file at ``path`` in MB (bytes / 1e6, a float), or ``None``
          when ``path`` is ``None``.
        * ``"file_format"``: the file's extension in lower case with its dot (``".keras"``,
          ``".h5"``; ``".weights.h5"`` for weights-only files), or ``None`` when ``path`` is
          ``None``.

    Raises:
        TypeError: ``model`` is not a ``keras.Model`` (the message names ``model``).
        FileNotFoundError: ``path`` does not exist (the message names ``path``).

    The model is not changed (weights and ``trainable`` flags stay as they are).
    """
    ### BEGIN SOLUTION
    if not isinstance(model, keras.Model):
        raise TypeError(f"Argument `model` must be a keras.Model. Received: model of type "
                        f"{type(model).__name__}")

    def count_layers_with_weights(m):
        total = 0
        for layer in m.layers:
            if isinstance(layer, keras.Model):
                total += count_layers_with_weights(layer)
            elif layer.weights:
                total += 1
        return total

    size_mb, file_format = None, None
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Argument `path` must name an existing file. "
                                    f"Received: path={str(path)!r}")
        size_mb = os.path.getsize(path) / 1e6
        lower = path.name.lower()
        file_format = ".weights.h5" if lower.endswith(".weights.h5") else path.suffix.lower()
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {
        "name": model.name,
        "parameters": int(model.count_params()),
        "trainable_parameters": int(trainable),
        "depth": count_layers_with_weights(model),
        "input_shape": tuple(model.input_shape[1:]),
        "output_shape": tuple(model.output_shape[1:]),
        "size_mb": size_mb,
        "file_format": file_format,
    }
    ### END SOLUTION

# %% [tests] a02_model_card points=3
# a model of its own (random weights: a card counts parameters, not knowledge) keeps this fast
_model = tl.load_backbone("course_mobilenet", weights=None, input_shape=(96, 96, 3))
_path = WORK_DIR / "check_course_mobilenet.keras"
_model.save(_path)
_card = compute_model_card(_model, _path)
tl.check_type(_card, dict, "compute_model_card(...)", hint="return a plain dict.")
assert _card["parameters"] == tl.model_card("course_mobilenet")["parameters"], (
    f"course_mobilenet has {tl.model_card('course_mobilenet')['parameters']:,} parameters "
    f"(its documented card), your card says {_card['parameters']}. Count every weight, "
    "trainable and non-trainable (BatchNorm moving statistics too).")
assert _card["input_shape"] == (96, 96, 3) and _card["output_shape"] == (128,), (
    "input_shape/output_shape should leave out the batch axis: (96, 96, 3) and (128,).")
tl.check_close(_card["size_mb"], os.path.getsize(_path) / 1e6,
               "size_mb", hint="size on disk is os.path.getsize(path) / 1e6.")
assert _card["file_format"] == ".keras", (
    f"file_format of {_path.name!r} should be '.keras'.")
print("compute_model_card: sanity checks passed.")

# %% [markdown]
# The cards of our candidates, side by side, with what the published model cards
# (`tl.model_card`) say about the same networks:

# %%
cards = {name: compute_model_card(model, saved_paths[name]) for name, model in candidates.items()}
for name, card in cards.items():
    published = tl.model_card(name)
    card["published_parameters"] = published["parameters"]
    card["native_input"] = tl.get_backbone_spec(name).default_input_size
    card["top1"] = published.get("top1")  # ImageNet top-1; None for the course backbones
markdown_table(list(cards.values()), ["name", "parameters", "published_parameters", "depth",
                                      "input_shape", "output_shape", "size_mb", "native_input",
                                      "top1"])
lite0 = cards["efficientnet_lite0"]
classifier = 1280 * 1000 + 1000  # ImageNet head: 1,280 features x 1,000 classes + 1,000 biases
display(Markdown(
    f"Our `efficientnet_lite0` has **{lite0['parameters']:,}** parameters, its published card "
    f"{lite0['published_parameters']:,}: a difference of "
    f"{lite0['published_parameters'] - lite0['parameters']:,}, which "
    + ("is exactly" if lite0["published_parameters"] - lite0["parameters"] == classifier
       else "is not")
    + f" the size of the ImageNet classifier we left out (1,280 x 1,000 weights + 1,000 biases "
    f"= {classifier:,}). The course backbones' cards match exactly: "
    f"**{all(cards[n]['parameters'] == cards[n]['published_parameters'] for n in ('course_mobilenet', 'course_resnet'))}**. "
    f"The largest file, `efficientnet_lite2`, is "
    f"{cards['efficientnet_lite2']['size_mb'] / cards['course_mobilenet']['size_mb']:.0f}x the "
    f"smallest, `course_mobilenet`. Only the Lite models come with an ImageNet top-1."))

# %% [markdown]
# Does your `compute_model_card` agree with the Keras table? `keras.applications.MobileNetV2(weights=None)`
# builds the full ImageNet architecture with random weights, offline:

# %%
mobilenet_v2 = keras.applications.MobileNetV2(weights=None)
mobilenet_v2.save_weights(WORK_DIR / "mobilenet_v2.weights.h5")
mnv2_card = compute_model_card(mobilenet_v2, WORK_DIR / "mobilenet_v2.weights.h5")
documented = tl.model_card("mobilenet_v2")
markdown_table([dict(mnv2_card, source="measured here"),
                dict(documented, source="Keras documentation", output_shape=None,
                     input_shape=tuple(documented["input_shape"]))],
               ["source", "parameters", "depth", "input_shape", "output_shape", "size_mb",
                "file_format"])
del mobilenet_v2
(WORK_DIR / "mobilenet_v2.weights.h5").unlink()  # a large file we no longer need

# %%
display(Markdown(
    f"Parameters match the documentation: **{mnv2_card['parameters'] == documented['parameters']}**"
    f"; depth matches: **{mnv2_card['depth'] == documented['depth']}**. The file sizes need not "
    f"agree exactly: the documented figure is for Keras' own ImageNet weights file. MobileNetV2 "
    f"has {documented['parameters'] / cards['efficientnet_lite0']['parameters']:.1f}x the "
    f"parameters of our `efficientnet_lite0` and "
    f"{documented['parameters'] / cards['course_mobilenet']['parameters']:.0f}x those of "
    f"`course_mobilenet`."))

# %% [markdown]
# ## Part 2 - Latency, measured robustly (3 points)
#
# How long does one prediction take? Time a model naively and you get a mess: the **first
# calls** are slow (TensorFlow allocates memory, picks kernels, builds its graph), and later
# calls jitter because other programs share the CPU. Look at the time of each of the first
# 30 calls of a fresh `course_resnet` on one 96x96 image:

# %%
one_image = target.x[:1].astype("float32")
trace_model = tl.load_backbone("course_resnet", weights=None,
                               input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))  # never called yet
call_ms = []
for _ in range(30):
    start = time.perf_counter()
    np.asarray(trace_model(one_image, training=False))
    call_ms.append((time.perf_counter() - start) * 1000)
call_ms = np.array(call_ms)

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.plot(np.arange(1, 31), call_ms, "o-", ms=4)
ax.axhline(np.median(call_ms[3:]), color="tab:green", ls="--",
           label=f"median of calls 4-30: {np.median(call_ms[3:]):.1f} ms")
ax.axhline(call_ms.mean(), color="tab:red", ls=":",
           label=f"mean of all 30 calls: {call_ms.mean():.1f} ms")
ax.set_xlabel("call number")
ax.set_ylabel("time of the call (ms)")
ax.set_ylim(0, None)
ax.legend(fontsize=8)
plt.show()
display(Markdown(
    f"The first call took **{call_ms[0]:.0f} ms**, {call_ms[0] / np.median(call_ms[3:]):.0f}x "
    f"the median of the later calls ({np.median(call_ms[3:]):.1f} ms); the slowest later call "
    f"took {call_ms[3:].max():.1f} ms. (Timings depend on what else runs on the machine.)"))

# %% [markdown]
# So a robust latency measurement
#
# 1. runs a few **warm-up** calls and throws their times away;
# 2. times each of `n_runs` calls separately with `time.perf_counter()`;
# 3. reports the **median**, which one slow outlier cannot move (the mean can).
#
# Implement `measure_latency`. Call the model exactly as `model(batch, training=False)` and
# turn the result into a NumPy array (`np.asarray`) inside the timed region, so that the time
# includes the whole computation.

# %% [answer] a02_measure_latency
def measure_latency(model, batch, n_warmup=3, n_runs=20):
    """Median time, in milliseconds, of one forward pass of ``model`` over ``batch``.

    Calls ``model(batch, training=False)`` exactly ``n_warmup + n_runs`` times. The first
    ``n_warmup`` calls are not timed; each of the next ``n_runs`` calls is timed on its own with
    ``time.perf_counter()``.

    Args:
        model: a ``keras.Model``, or any callable accepting ``(batch, training=False)``.
        batch: NumPy array ``(batch_size, ...)`` with ``batch_size >= 1``; not modified.
        n_warmup: number of untimed warm-up calls, an int ``>= 0``.
        n_runs: number of timed calls, an int ``>= 1``.

    Returns:
        The median of the ``n_runs`` times in milliseconds, as a Python ``float``.

    Raises:
        TypeError: ``model`` is not callable (the message names ``model``).
        ValueError: ``batch`` has no batch axis or no examples (names ``batch``); ``n_warmup``
            or ``n_runs`` is not an int in its range (names the argument).
    """
    ### BEGIN SOLUTION
    if not callable(model):
        raise TypeError(f"Argument `model` must be callable. Received: model of type "
                        f"{type(model).__name__}")
    for arg, value, minimum in (("n_warmup", n_warmup, 0), ("n_runs", n_runs, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"Argument `{arg}` must be an int >= {minimum}. "
                             f"Received: {arg}={value!r}")
    if np.ndim(batch) < 1 or len(batch) == 0:
        raise ValueError(f"Argument `batch` must hold at least one example along its first "
                         f"axis. Received: batch.shape={np.shape(batch)}")
    for _ in range(n_warmup):
        np.asarray(model(batch, training=False))
    times = []
    for _ in range(n_runs):
        start = time.perf_counter()
        np.asarray(model(batch, training=False))
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000.0)
    ### END SOLUTION

# %% [tests] a02_measure_latency points=3
# a small stand-in (the course's MobileNet, random weights, 32x32 input) keeps this check fast
_net = tl.load_backbone("course_mobilenet", weights=None, input_shape=(32, 32, 3))
_image = np.zeros((1, 32, 32, 3), "float32")
_ms = measure_latency(_net, _image, n_warmup=2, n_runs=5)
tl.check_type(_ms, float, "measure_latency(...)", hint="return float(np.median(times_ms)).")
tl.check_between(_ms, 0.01, 5000, "the latency of course_mobilenet on one image (ms)",
                 hint="return milliseconds, not seconds: multiply perf_counter seconds by 1000.")
tl.check_raises(lambda: measure_latency(_net, _image, n_runs=0),
                ValueError, "measure_latency(..., n_runs=0)", match="n_runs",
                hint="check n_runs >= 1 before timing anything.")
print(f"measure_latency: sanity checks passed ({_ms:.1f} ms).")

# %% [markdown]
# ### Measure the model the way you will deploy it
#
# `model(batch, training=False)` in plain Python runs the network **eagerly**: one layer after
# the other, each dispatched from Python. For a deep network (`efficientnet_lite0` has
# 100+ layers) that dispatching can cost more than the arithmetic. A deployed model runs as a
# compiled **graph** instead (TensorFlow Lite on the board; `tf.function` here). `as_graph`
# below (plumbing) wraps a model into a graph-compiled callable that your `measure_latency`
# times like any model; its first call builds the graph, which is one more reason for warm-up.

# %%
def as_graph(model):
    """``model``'s inference pass compiled once into a TensorFlow graph (plumbing).

    Returns a callable ``(batch, training=False)``, so that ``measure_latency`` can time it.
    """
    forward = tf.function(lambda batch: model(batch, training=False))

    def call(batch, training=False):
        return forward(tf.convert_to_tensor(batch))

    return call


eager_ms = measure_latency(candidates["efficientnet_lite0"], one_image, n_warmup=2, n_runs=5)
graphs = {name: as_graph(model) for name, model in candidates.items()}
for name in candidates:
    cards[name]["latency_ms"] = measure_latency(graphs[name], one_image, n_warmup=3, n_runs=20)
display(Markdown(
    f"`efficientnet_lite0` on one image: **{eager_ms:.1f} ms** eagerly, "
    f"**{cards['efficientnet_lite0']['latency_ms']:.1f} ms** as a graph "
    f"({eager_ms / cards['efficientnet_lite0']['latency_ms']:.1f}x). Every latency below is "
    f"the graph's, batch size 1 (the board sees one image at a time), median of 20 calls:"))
markdown_table(list(cards.values()), ["name", "parameters", "depth", "size_mb", "latency_ms"])

# %% [markdown]
# ### What the native input size would cost
#
# The Lite models were trained on ImageNet at **their own** input sizes (224, 240 and 260
# pixels); we run them at 96. Convolutional networks accept other sizes, but the cost of a
# convolution grows with the number of pixels, and features computed far from the training
# size can be worse. The next cell builds `efficientnet_lite0` at its native size and times it
# against the 96-px model, the two measurements one right after the other (so that both see
# the same load on the machine).

# %%
native_sizes = {name: tl.get_backbone_spec(name).default_input_size for name in lite_names}
native_size = native_sizes["efficientnet_lite0"]
native = tl.load_backbone("efficientnet_lite0", weights="imagenet",
                          input_shape=(native_size, native_size, 3))
native_image = tf.image.resize(one_image, (native_size, native_size)).numpy()
native_ms = measure_latency(as_graph(native), native_image, n_warmup=2, n_runs=10)
small_ms = measure_latency(graphs["efficientnet_lite0"], one_image, n_warmup=1, n_runs=10)
del native
display(Markdown(
    "Native input sizes: "
    + ", ".join(f"`{n}` {s} px ({(s / IMAGE_SIZE) ** 2:.1f}x the pixels of {IMAGE_SIZE} px)"
                for n, s in native_sizes.items())
    + f". `efficientnet_lite0` at {native_size} px took **{native_ms:.1f} ms** per image, "
    f"at {IMAGE_SIZE} px **{small_ms:.1f} ms**: {native_ms / small_ms:.1f}x. For the board's "
    f"budget we stay at {IMAGE_SIZE} px; the accuracy measured in Part 4 is the accuracy **at "
    f"{IMAGE_SIZE} px**, which need not follow the ImageNet ranking made at 224-260 px."))

# %% [markdown]
# ## Part 3 - What framework is this file? (3 points)
#
# Models reach you as files. The extension says what the file *claims* to be; the first bytes
# say what it *is*. A file renamed by mistake, truncated by a failed download or saved by
# another framework should be rejected with a clear error before you try to load it.
#
# | extension | what the contents must show | returns |
# |---|---|---|
# | `.keras` | a zip file whose entries include `config.json` and `metadata.json` | `"keras"` |
# | `.h5`, `.hdf5` (also `.weights.h5`) | the 8-byte HDF5 signature `b"\x89HDF\r\n\x1a\n"` at the start | `"keras"` |
# | `.pt`, `.pth` | a zip with an entry whose name ends in `data.pkl` (`torch.save` since PyTorch 1.6), or a pickle: first byte `b"\x80"` (older `torch.save`) | `"pytorch"` |
# | `.onnx` | a protobuf `ModelProto`: at least 2 bytes, the first is `0x08` (field 1, `ir_version`) | `"onnx"` |
# | `.tflite` | the FlatBuffers identifier `b"TFL3"` at bytes 4 to 8 | `"tflite"` |
# | `.safetensors` | bytes 0-8: header length `n` (little-endian unsigned 64-bit, `struct.unpack("<Q", ...)`), `0 < n <= file size - 8`; the next `n` bytes are a JSON object (a dict) | `"safetensors"` |
#
# Extensions are case-insensitive (`MODEL.PT` is a PyTorch file). Useful: `zipfile.is_zipfile`,
# `zipfile.ZipFile(path).namelist()`, `open(path, "rb").read(n)`, `struct`, `json.loads`.
#
# PyTorch, ONNX and TFLite are not installed here, so the next cell writes small files with the
# real signatures of each format next to real Keras files, plus three broken ones.

# %%
FORMAT_DIR = WORK_DIR / "model_files"
FORMAT_DIR.mkdir()


def write_bytes(name, data):
    (FORMAT_DIR / name).write_bytes(data)


# Keras: a real model and real weights
candidates["course_mobilenet"].save(FORMAT_DIR / "mobilenet.keras")
candidates["course_mobilenet"].save_weights(FORMAT_DIR / "mobilenet.weights.h5")
# PyTorch >= 1.6: a zip archive holding <name>/data.pkl; older PyTorch: a bare pickle
with zipfile.ZipFile(FORMAT_DIR / "resnet18.pth", "w") as archive:
    archive.writestr("resnet18/data.pkl", pickle.dumps({"fc.weight": "storage 0"}, protocol=2))
    archive.writestr("resnet18/data/0", bytes(64))
    archive.writestr("resnet18/version", "3\n")
write_bytes("old_checkpoint.PT", pickle.dumps({"epoch": 3}, protocol=2))
# ONNX: protobuf ModelProto with ir_version=8, producer_name="pytorch", producer_version="2.1"
write_bytes("classifier.onnx", b"\x08\x08\x12\x07pytorch\x1a\x032.1" + bytes(32))
# TFLite: 4-byte root-table offset, then the identifier TFL3
write_bytes("detector.tflite", struct.pack("<I", 28) + b"TFL3" + bytes(40))
# safetensors: header length, JSON header, raw tensor bytes
header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}).encode()
write_bytes("bert_tiny.safetensors", struct.pack("<Q", len(header)) + header + bytes(16))
# three broken files: an HDF5 file renamed to .pth, a truncated download, an unknown extension
write_bytes("renamed.pth", (FORMAT_DIR / "mobilenet.weights.h5").read_bytes())
write_bytes("truncated.safetensors", struct.pack("<Q", 10**6) + b'{"w": {')
write_bytes("vectors.bin", bytes(range(16)))
print("\n".join(f"{p.name:24s} {p.stat().st_size:8,d} bytes" for p in sorted(FORMAT_DIR.iterdir())))

# %% [answer] a02_detect_framework
def detect_framework(path):
    """Recognise the framework of a model file from its extension and its contents.

    Args:
        path: path of the file (``str`` or ``pathlib.Path``).

    Returns:
        ``"keras"``, ``"pytorch"``, ``"onnx"``, ``"tflite"`` or ``"safetensors"``, following the
        table above: the extension (case-insensitive) says which format to expect, the first
        bytes must confirm it.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the extension is not in the table, or the contents do not match the
            extension (empty, truncated, renamed or corrupt file). The message names the file.
    """
    ### BEGIN SOLUTION
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Argument `path` must name an existing file. "
                                f"Received: path={str(path)!r}")
    name = path.name.lower()
    expected = {".keras": "keras", ".h5": "keras", ".hdf5": "keras", ".pt": "pytorch",
                ".pth": "pytorch", ".onnx": "onnx", ".tflite": "tflite",
                ".safetensors": "safetensors"}
    suffix = Path(name).suffix
    if suffix not in expected:
        raise ValueError(f"Unknown model file extension {suffix or '(none)'!r} of {path.name!r}. "
                         f"Supported: {', '.join(expected)}. Received: path={str(path)!r}")
    data = path.read_bytes()

    def zip_names():
        if not zipfile.is_zipfile(path):
            return None
        try:
            with zipfile.ZipFile(path) as archive:
                return archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return None

    ok = False
    if suffix == ".keras":
        names = zip_names()
        ok = names is not None and "config.json" in names and "metadata.json" in names
    elif suffix in (".h5", ".hdf5"):
        ok = data[:8] == b"\x89HDF\r\n\x1a\n"
    elif suffix in (".pt", ".pth"):
        names = zip_names()
        ok = (names is not None and any(n.endswith("data.pkl") for n in names)) or \
            (names is None and data[:1] == b"\x80")
    elif suffix == ".onnx":
        ok = len(data) >= 2 and data[0] == 0x08
    elif suffix == ".tflite":
        ok = data[4:8] == b"TFL3"
    elif suffix == ".safetensors":
        if len(data) > 8:
            (n,) = struct.unpack("<Q", data[:8])
            if 0 < n <= len(data) - 8:
                try:
                    ok = isinstance(json.loads(data[8 : 8 + n]), dict)
                except ValueError:
                    ok = False
    if not ok:
        raise ValueError(f"The file {path.name!r} has the extension {suffix!r} but its contents "
                         f"are not a valid {expected[suffix]} file (empty, truncated, renamed or "
                         f"corrupt). Received: path={str(path)!r}")
    return expected[suffix]
    ### END SOLUTION

# %% [tests] a02_detect_framework points=3
_files = WORK_DIR / "check_files"  # two files of its own keep this check independent
_files.mkdir(exist_ok=True)
keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save(_files / "tiny.keras")
(_files / "vectors.bin").write_bytes(bytes(range(16)))
_got = detect_framework(_files / "tiny.keras")
assert _got == "keras", f"a real .keras file should give 'keras', not {_got!r}."
tl.check_raises(lambda: detect_framework(_files / "vectors.bin"), ValueError,
                "detect_framework('vectors.bin')", match="vectors.bin",
                hint="an unknown extension must raise a ValueError whose message names the file.")
print("detect_framework: sanity checks passed.")

# %% [markdown]
# Every file of the folder, through your detector:

# %%
detected = []
for file in sorted(FORMAT_DIR.iterdir()):
    try:
        detected.append({"file": file.name, "framework": detect_framework(file), "error": ""})
    except ValueError as error:
        detected.append({"file": file.name, "framework": "rejected", "error": str(error)[:90]})
markdown_table(detected, ["file", "framework", "error"])

# %% [markdown]
# ## Part 4 - The Pareto front and a deployment budget (2 + 2 points)
#
# Size and latency are measured; now the accuracy **on our task**. The target is the 10-class
# photo-patch task (textures, microscopy, medical and astronomy images). For each candidate we
# extract frozen features once (cached on disk: the first run of this notebook pays for it),
# then train a **linear probe** (standardised features + logistic regression) on
# `N_PER_CLASS` labelled patches per class and score it on a fixed test set of 40 patches per
# class, for 3 random draws of the training patches. These are linear-probe accuracies at
# 96 px, not fine-tuned ones: the *transfer accuracy* of each frozen backbone.

# %%
N_PER_CLASS, SEEDS = 20, (0, 1, 2)
extract_start = time.perf_counter()
features = {name: tl.extract_features(model, target.x, batch_size=32, progress=False)
            for name, model in candidates.items()}  # batch 32: less memory than the default 128
extract_seconds = time.perf_counter() - extract_start
splits = [tl.few_shot_indices(target, N_PER_CLASS, seed=seed) for seed in SEEDS]

probe_start = time.perf_counter()
for name, feats in features.items():
    accuracies = []
    for train_idx, test_idx in splits:
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))
        probe.fit(feats[train_idx], target.y[train_idx])
        accuracies.append(probe.score(feats[test_idx], target.y[test_idx]))
    cards[name]["accuracy"] = float(np.mean(accuracies))
    cards[name]["accuracy_std"] = float(np.std(accuracies))
probe_seconds = time.perf_counter() - probe_start

table = [{k: card[k] for k in ("name", "accuracy", "accuracy_std", "size_mb", "latency_ms",
                               "top1")} for card in cards.values()]
markdown_table(table, ["name", "accuracy", "accuracy_std", "size_mb", "latency_ms", "top1"])
best_lite = max(lite_names, key=lambda n: cards[n]["accuracy"])
best_course = max(["course_mobilenet", "course_resnet"], key=lambda n: cards[n]["accuracy"])
by_top1 = sorted(lite_names, key=lambda n: -cards[n]["top1"])
by_accuracy = sorted(lite_names, key=lambda n: -cards[n]["accuracy"])
display(Markdown(
    f"Test set: {len(splits[0][1])} patches; training: {len(splits[0][0])} labelled patches per "
    f"draw. Feature extraction took {extract_seconds:.1f} s (less when the cache already held "
    f"the features). The best ImageNet model, **{best_lite}** "
    f"({cards[best_lite]['accuracy']:.3f}), is "
    f"{cards[best_lite]['accuracy'] - cards[best_course]['accuracy']:+.3f} above the best course "
    f"backbone, **{best_course}** ({cards[best_course]['accuracy']:.3f}), with a file "
    f"{cards[best_lite]['size_mb'] / cards[best_course]['size_mb']:.0f}x as large and "
    f"{cards[best_lite]['latency_ms'] / cards[best_course]['latency_ms']:.1f}x the latency. "
    f"Within the Lite family, ImageNet top-1 orders the models {' > '.join(by_top1)}; transfer "
    f"accuracy at 96 px orders them {' > '.join(by_accuracy)}"
    + (" (the same order)." if by_top1 == by_accuracy else
       ": **not** the ImageNet order. A higher ImageNet top-1 did not buy a higher accuracy on "
       "this task at this input size; differences smaller than `accuracy_std` are within the "
       "noise of the draws.")))

# %% [markdown]
# No single model wins on accuracy, size *and* latency. A model is **dominated** when another
# model is at least as good on all three counts (accuracy at least as high, size and latency at
# most as large) and strictly better on at least one. Nobody should ship a dominated model: the
# other one is better for every budget. The models that are not dominated form the **Pareto
# front**.
#
# Implement `pareto_front(table)`.

# %% [answer] a02_pareto_front
def pareto_front(table):
    """Names of the models that no other model dominates.

    Args:
        table: list of dicts, one per model, each with at least the keys ``"name"`` (str),
            ``"accuracy"`` (higher is better), ``"size_mb"`` and ``"latency_ms"`` (lower is
            better). Other keys are ignored.

    Returns:
        List of the names of the non-dominated models, in the order of ``table``. Row ``a`` is
        dominated when some row ``b`` has ``accuracy >= a's``, ``size_mb <= a's`` and
        ``latency_ms <= a's``, with at least one of the three strictly better. Identical rows do
        not dominate each other. An empty table gives ``[]``.

    Raises:
        ValueError: a row lacks one of the four keys (the message names ``table`` and the key).

    ``table`` is not modified.
    """
    ### BEGIN SOLUTION
    keys = ("name", "accuracy", "size_mb", "latency_ms")
    for i, row in enumerate(table):
        missing = [k for k in keys if k not in row]
        if missing:
            raise ValueError(f"Argument `table` must give every row the keys {keys}; row {i} "
                             f"lacks {missing[0]!r}. Received: table[{i}]={row!r}")

    def dominates(b, a):
        at_least = (b["accuracy"] >= a["accuracy"] and b["size_mb"] <= a["size_mb"]
                    and b["latency_ms"] <= a["latency_ms"])
        strictly = (b["accuracy"] > a["accuracy"] or b["size_mb"] < a["size_mb"]
                    or b["latency_ms"] < a["latency_ms"])
        return at_least and strictly

    return [a["name"] for a in table if not any(dominates(b, a) for b in table)]
    ### END SOLUTION

# %% [tests] a02_pareto_front points=2
_toy = [dict(name="small", accuracy=0.80, size_mb=1.0, latency_ms=2.0),
        dict(name="big", accuracy=0.90, size_mb=9.0, latency_ms=8.0),
        dict(name="bloated", accuracy=0.85, size_mb=9.5, latency_ms=9.0)]
_front = pareto_front(_toy)
tl.check_type(_front, list, "pareto_front(table)", hint="return a list of names.")
assert _front == ["small", "big"], (
    f"'bloated' is dominated by 'big' (less accurate, larger and slower), so the front of the "
    f"toy table is ['small', 'big'], in table order. Got {_front}.")
print("pareto_front: sanity checks passed.")

# %%
front = pareto_front(table)
fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
ax.set_xscale("log")  # scales and limits first: the labels are placed for them
tl.plot_model_selection(table, x="latency_ms", y="accuracy", size="size_mb", highlight=front,
                        ax=ax)
ax.set_xlabel("latency on one image (ms, median, log scale)")
ax.set_ylabel("linear-probe accuracy at 96 px")
plt.show()
dominated = [row["name"] for row in table if row["name"] not in front]
display(Markdown(f"Pareto front: **{', '.join(front)}**. Dominated: "
                 f"{', '.join(dominated) or 'none'}."))

# %% [markdown]
# A deployment budget turns the front into a decision: among the models that fit **both** the
# size and the latency budget, take the most accurate. Implement `pick_under_budget`.

# %% [answer] a02_pick_under_budget
def pick_under_budget(table, max_mb, max_ms):
    """The most accurate model whose size and latency fit the budget.

    Args:
        table: list of dicts with the keys ``"name"``, ``"accuracy"``, ``"size_mb"`` and
            ``"latency_ms"`` (as for ``pareto_front``).
        max_mb: largest allowed ``size_mb``, a number > 0 (a model of exactly ``max_mb`` fits).
        max_ms: largest allowed ``latency_ms``, a number > 0 (inclusive too).

    Returns:
        The ``"name"`` of the most accurate model with ``size_mb <= max_mb`` and
        ``latency_ms <= max_ms``. Ties in accuracy go to the lower latency, then the smaller
        size, then the earlier row. ``None`` when no model fits.

    Raises:
        ValueError: ``max_mb`` or ``max_ms`` is not a number > 0 (the message names it), or a
            row lacks one of the four keys (names ``table``).

    ``table`` is not modified.
    """
    ### BEGIN SOLUTION
    for arg, value in (("max_mb", max_mb), ("max_ms", max_ms)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
                not value > 0:
            raise ValueError(f"Argument `{arg}` must be a number > 0. Received: {arg}={value!r}")
    keys = ("name", "accuracy", "size_mb", "latency_ms")
    for i, row in enumerate(table):
        missing = [k for k in keys if k not in row]
        if missing:
            raise ValueError(f"Argument `table` must give every row the keys {keys}; row {i} "
                             f"lacks {missing[0]!r}. Received: table[{i}]={row!r}")
    fits = [(i, row) for i, row in enumerate(table)
            if row["size_mb"] <= max_mb and row["latency_ms"] <= max_ms]
    if not fits:
        return None
    _, chosen = min(fits, key=lambda item: (-item[1]["accuracy"], item[1]["latency_ms"],
                                            item[1]["size_mb"], item[0]))
    return chosen["name"]
    ### END SOLUTION

# %% [tests] a02_pick_under_budget points=2
_pick = pick_under_budget(_toy, max_mb=5.0, max_ms=5.0)
assert _pick == "small", f"only 'small' fits 5 MB and 5 ms; got {_pick!r}."
assert pick_under_budget(_toy, max_mb=0.5, max_ms=100.0) is None, (
    "no toy model fits 0.5 MB: return None, not the closest model.")
print("pick_under_budget: sanity checks passed.")

# %% [markdown]
# The microscope's firmware leaves room for a model file of `MAX_MB` megabytes, and the board
# must answer within `MAX_MS` milliseconds. The board is slower than this laptop, so we check
# the latency budget against a latency measured here, scaled by `BOARD_SLOWDOWN`. These three
# numbers are the product team's requirements, not results:

# %%
MAX_MB, MAX_MS, BOARD_SLOWDOWN = 16.0, 200.0, 3.0
board_table = [dict(row, latency_ms=row["latency_ms"] * BOARD_SLOWDOWN) for row in table]
choice = pick_under_budget(board_table, MAX_MB, MAX_MS)
fitting = [r["name"] for r in board_table if r["size_mb"] <= MAX_MB and r["latency_ms"] <= MAX_MS]
chosen = cards[choice] if choice else None
display(Markdown(
    f"Budget: {MAX_MB:g} MB and {MAX_MS:.0f} ms on the board ({MAX_MS / BOARD_SLOWDOWN:.0f} ms "
    f"here). Models that fit: {', '.join(fitting) or 'none'}. Choice: **{choice}**"
    + (f" (accuracy {chosen['accuracy']:.3f}, {chosen['size_mb']:.1f} MB, "
       f"{chosen['latency_ms']:.1f} ms here). Without the budget the most accurate is "
       f"**{max(table, key=lambda r: r['accuracy'])['name']}** "
       f"({max(r['accuracy'] for r in table):.3f})." if chosen else ".")
    + f" Is the choice on the Pareto front? **{choice in front}**."))

# %% [markdown]
# ### Explorer: move the budget
#
# Drag the sliders. Left: accuracy against size, right: accuracy against latency on the board;
# the grey areas are outside the budget and the red circle is `pick_under_budget`'s choice.
# Things to try: how small can the size budget get before the choice changes? Which latency
# budget makes the team give up the ImageNet models? Is there a budget for which a model *off*
# the Pareto front is chosen?

# %%
def show_budget(max_mb, max_ms):
    pick = pick_under_budget(board_table, max_mb, max_ms)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    for ax, column, limit, label in ((left, "size_mb", max_mb, "size on disk (MB)"),
                                     (right, "latency_ms", max_ms, "latency on the board (ms)")):
        high = max(max(r[column] for r in board_table), limit) * 1.15
        ax.set_xlim(0, high)  # limits first: the labels are placed for them
        ax.axvspan(limit, high, color="0.85", zorder=0)
        tl.plot_model_selection(board_table, x=column, y="accuracy", size=None,
                                highlight=[pick] if pick else None, ax=ax)
        ax.set_xlabel(label)
    left.set_ylabel("linear-probe accuracy")
    right.set_ylabel("")
    fig.suptitle(f"budget {max_mb:.1f} MB, {max_ms:.0f} ms: choice = {pick}", fontsize=10)
    plt.show()


slowest_ms = max(r["latency_ms"] for r in board_table)
# tl.interact is ipywidgets.interact in JupyterLab; run headless (grading) it draws this default
# view once, with no widget
tl.interact(
    show_budget,
    max_mb=tl.widgets.FloatSlider(value=MAX_MB, min=0.1, max=25.0, step=0.1,
                                  readout_format=".1f", description="max MB",
                                  continuous_update=False),
    max_ms=tl.widgets.FloatSlider(value=MAX_MS, min=1.0, max=float(np.ceil(slowest_ms * 1.5)),
                                  step=1.0, description="max ms", continuous_update=False));

# %% [markdown]
# ## Part 5 - Transferability without training: LogME (4 points)
#
# Measuring the accuracy of every candidate means training a probe (or fine-tuning) on each.
# **Transferability scores** estimate it from one forward pass per candidate plus some linear
# algebra. **LogME** (You et al., ICML 2021) asks: if the target labels were a *linear* function
# of the frozen features plus Gaussian noise, how likely are the labels we observed? Features
# that explain the labels well get a high **log marginal evidence**.
#
# For features $F$ ($N \times D$) and the 0/1 indicator vector $y$ of one class $k$, with a
# Gaussian prior of precision $\alpha$ on the weights and noise precision $\beta$, the log
# evidence is
#
# $$\mathcal{L}(\alpha,\beta) = \tfrac{D}{2}\log\alpha + \tfrac{N}{2}\log\beta
#   - \tfrac{1}{2}\sum_{i=1}^{D}\log(\alpha+\beta\sigma_i) - \tfrac{\beta}{2}\,r^2
#   - \tfrac{\alpha}{2}\,m^2 - \tfrac{N}{2}\log 2\pi ,$$
#
# where $\sigma_i$ are the eigenvalues of $F^\top F$. With the thin SVD $F = U\,\mathrm{diag}(s)\,V^\top$
# (`np.linalg.svd(F, full_matrices=False)`): $\sigma = s^2$ (pad with zeros up to $D$ values
# when $N < D$), $x = U^\top y$, and with $t = \alpha/\beta$
#
# $$m^2 = \sum_i \frac{\sigma_i x_i^2}{(t+\sigma_i)^2}, \qquad
#   r^2 = \sum_i x_i^2\Big(\frac{t}{t+\sigma_i}\Big)^2 + \Big(\lVert y\rVert^2 - \sum_i x_i^2\Big),
#   \qquad \gamma = \sum_i \frac{\sigma_i}{t+\sigma_i}.$$
#
# **Algorithm**, for each class $k$ present in the labels: start at $\alpha = \beta = 1$;
# repeat (at most 100 times): compute $t, \gamma, m^2, r^2$, then update
# $\alpha \leftarrow \gamma / m^2$ and $\beta \leftarrow (N - \gamma) / r^2$; stop when
# $t$ changes by at most $10^{-3}$ relative. Then compute $m^2, r^2$ again with the final
# $\alpha, \beta$ and evaluate $\mathcal{L}$. LogME is the **mean over classes of
# $\mathcal{L}/N$**.
#
# **Fewer examples than features.** Our Lite features have $D = 1280$ dimensions and we have
# $N = 200$ labelled images. When $N \le D$ and $F$ has rank $N$ (`np.linalg.matrix_rank(F) == N`)
# a linear model can fit any labels exactly, and the evidence of a class may keep growing as
# the noise precision $\beta \to \infty$: the iteration then drives $t$ towards 0 and never
# converges. The limit has a closed form, with $m_0^2 = \sum_{i=1}^{N} x_i^2 / \sigma_i$ over the
# $N$ non-zero $\sigma_i$:
#
# $$\mathcal{L}_\infty = \tfrac{N}{2}\log\frac{N}{m_0^2} - \tfrac{1}{2}\sum_{i=1}^{N}\log\sigma_i
#   - \tfrac{N}{2} - \tfrac{N}{2}\log 2\pi .$$
#
# In that case (and only then) the class's maximised evidence is the **larger** of
# $\mathcal{L}$ after the iteration and $\mathcal{L}_\infty$ (a non-finite $\mathcal{L}$ counts
# as $-\infty$). Silence NumPy's overflow warnings there (`np.errstate(all="ignore")`).
#
# Work in float64. Do **not** add constants such as `+ 1e-5` to $m^2$ or $r^2$ (some published
# code does, which also hides the $N \le D$ case): they break LogME's invariance to rescaling
# the features.

# %% [answer] a02_logme
def logme(features, labels):
    """LogME transferability score of ``features`` for the classification ``labels``.

    Args:
        features: array ``(N, D)`` of finite numbers (float32 or float64), ``N >= 2``; computed
            in float64; not modified.
        labels: integer array ``(N,)`` of class indices (any integers, e.g. ``0..C-1``) with at
            least 2 distinct classes; not modified.

    Returns:
        A Python ``float``: the mean over the classes present in ``labels`` of the maximised log
        evidence divided by ``N`` (higher = features more transferable to these labels). When
        ``N <= D`` and ``features`` has rank ``N``, a class's maximised evidence is the larger
        of the iteration's result and the limit ``L_inf`` given above.

    Raises:
        ValueError: ``features`` is not 2-D, has fewer than 2 rows or non-finite values (the
            message names ``features``); ``labels`` is not 1-D, has the wrong length, holds
            non-integers or fewer than 2 classes (names ``labels``).
    """
    ### BEGIN SOLUTION
    f = np.asarray(features)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"Argument `features` must be 2-D (N, D) with N >= 2. "
                         f"Received: features.shape={f.shape}")
    f = f.astype(np.float64)
    if not np.isfinite(f).all():
        raise ValueError("Argument `features` must hold finite numbers. Received: NaN or inf")
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(f):
        raise ValueError(f"Argument `labels` must be 1-D with one label per row of `features`. "
                         f"Received: labels.shape={y.shape}, features.shape={f.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"Argument `labels` must hold integer class indices. "
                         f"Received: labels.dtype={y.dtype}")
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"Argument `labels` must hold at least 2 classes. "
                         f"Received: classes {classes.tolist()}")
    n, d = f.shape
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    sigma = s ** 2
    sigma_all = np.zeros(d)
    sigma_all[: len(sigma)] = sigma
    tiny = np.finfo(np.float64).tiny

    def stats(t, x2, outside):
        gamma = np.sum(sigma / (t + sigma))
        m2 = np.sum(sigma * x2 / (t + sigma) ** 2)
        r2 = np.sum(x2 * (t / (t + sigma)) ** 2) + outside
        return gamma, m2, r2

    exact_fit = n <= d and np.linalg.matrix_rank(f) == n  # labels can be fit exactly
    evidences = []
    for k in classes:
        yk = (y == k).astype(np.float64)
        x = u.T @ yk
        x2 = x ** 2
        outside = max(float(yk @ yk - x2.sum()), 0.0)
        alpha, beta = 1.0, 1.0
        with np.errstate(all="ignore"):
            for _ in range(100):
                t = alpha / beta
                gamma, m2, r2 = stats(t, x2, outside)
                alpha = gamma / max(m2, tiny)
                beta = (n - gamma) / max(r2, tiny)
                if abs(alpha / beta - t) <= 1e-3 * t:
                    break
            _, m2, r2 = stats(alpha / beta, x2, outside)
            evidence = (d / 2 * np.log(alpha) + n / 2 * np.log(beta)
                        - 0.5 * np.sum(np.log(alpha + beta * sigma_all))
                        - beta / 2 * r2 - alpha / 2 * m2 - n / 2 * np.log(2 * np.pi))
        if not np.isfinite(evidence):
            evidence = -np.inf
        if exact_fit:  # the limit beta -> infinity, maximised over alpha
            m0 = np.sum(x2 / sigma)
            limit = (n / 2 * np.log(n / m0) - 0.5 * np.sum(np.log(sigma)) - n / 2
                     - n / 2 * np.log(2 * np.pi))
            evidence = max(evidence, limit)
        evidences.append(evidence / n)
    return float(np.mean(evidences))
    ### END SOLUTION

# %% [tests] a02_logme points=4
_rng = np.random.default_rng(0)
_y = np.arange(60) % 3
_signal = np.eye(3)[_y] @ _rng.normal(size=(3, 8)) + 0.3 * _rng.normal(size=(60, 8))
_noise = _rng.normal(size=(60, 8))
_good, _bad = logme(_signal, _y), logme(_noise, _y)
tl.check_type(_good, float, "logme(features, labels)", hint="return float(np.mean(...)).")
assert np.isfinite(_good) and np.isfinite(_bad), "LogME should be a finite number."
assert _good > _bad, (
    f"features that encode the labels should score higher than pure noise; got "
    f"{_good:.3f} (informative) vs {_bad:.3f} (noise). Check the sign of each term.")
print(f"logme: sanity checks passed (informative {_good:.3f} > noise {_bad:.3f}).")

# %% [markdown]
# Two properties you can check with your own function: LogME does not change when the features
# are **rotated** (an orthogonal matrix $Q$) or **rescaled**, because a linear model on $FQ$ or
# $cF$ can fit exactly what it fits on $F$:

# %%
feats = features["course_resnet"][splits[0][0]]
labels = target.y[splits[0][0]]
rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(feats.shape[1],) * 2))
display(Markdown(
    f"LogME of `course_resnet` features: {logme(feats, labels):.4f}; rotated: "
    f"{logme(feats @ rotation, labels):.4f}; times 100: {logme(feats * 100, labels):.4f}."))

# %% [markdown]
# Now the real question: does LogME, computed on the **200 labelled training patches** only
# (the same draws as the probes), rank the five candidates like their measured transfer
# accuracy? We measure the agreement with two rank correlations: **Kendall's tau** (the
# fraction of pairs in the same order minus the fraction in the opposite order) and
# **Spearman's rho** (the correlation of the ranks); 1 = same order, 0 = unrelated,
# -1 = reversed.

# %%
logme_start = time.perf_counter()
for name in candidates:
    scores = [logme(features[name][train_idx], target.y[train_idx]) for train_idx, _ in splits]
    cards[name]["logme"] = float(np.mean(scores))
logme_seconds = time.perf_counter() - logme_start

names = list(candidates)
accuracy = np.array([cards[n]["accuracy"] for n in names])
logme_score = np.array([cards[n]["logme"] for n in names])
tau, tau_p = kendalltau(logme_score, accuracy)
rho, rho_p = spearmanr(logme_score, accuracy)
order_by_logme = [names[i] for i in np.argsort(-logme_score)]
order_by_accuracy = [names[i] for i in np.argsort(-accuracy)]
print(f"Kendall tau  = {tau:+.3f} (p = {tau_p:.3f})")
print(f"Spearman rho = {rho:+.3f} (p = {rho_p:.3f})")
print("order by LogME:   ", " > ".join(order_by_logme))
print("order by accuracy:", " > ".join(order_by_accuracy))

logme_table = [{k: cards[n][k] for k in ("name", "logme", "accuracy", "accuracy_std")}
               for n in names]
fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
tl.plot_model_selection(logme_table, x="logme", y="accuracy", size=None, ax=ax)
ax.errorbar(logme_score, accuracy, yerr=[cards[n]["accuracy_std"] for n in names], fmt="none",
            ecolor="0.4", capsize=3)
ax.set_xlabel("LogME on the training patches (mean of 3 draws)")
ax.set_ylabel("linear-probe test accuracy (mean ± std of 3 draws)")
ax.set_title(f"Kendall tau = {tau:.2f}, Spearman rho = {rho:.2f} over {len(names)} candidates",
             fontsize=10)
plt.show()
markdown_table([cards[n] for n in order_by_logme], ["name", "logme", "accuracy", "accuracy_std"])

# %%
pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
discordant = [(a, b) for a, b in pairs
              if (cards[a]["logme"] - cards[b]["logme"]) * (cards[a]["accuracy"]
                                                            - cards[b]["accuracy"]) < 0]
lite_tau, _ = kendalltau([cards[n]["logme"] for n in lite_names],
                         [cards[n]["accuracy"] for n in lite_names])
n_train = len(splits[0][0])
exact_fit = [n for n in names if features[n].shape[1] >= n_train]
agreement = ("agree well" if tau >= 0.6 else "agree only partly" if tau > 0 else "disagree")
display(Markdown(
    f"Over the {len(names)} candidates LogME and transfer accuracy **{agreement}**: Kendall tau "
    f"**{tau:.2f}** (p = {tau_p:.3f}), Spearman rho **{rho:.2f}** (p = {rho_p:.3f}). Best by "
    f"LogME: **{order_by_logme[0]}**; best by accuracy: **{order_by_accuracy[0]}**. "
    f"{len(discordant)} of {len(pairs)} pairs are ordered differently"
    + (": " + "; ".join(
        f"`{a}` vs `{b}` (accuracy {cards[a]['accuracy']:.3f} vs {cards[b]['accuracy']:.3f})"
        for a, b in discordant) if discordant else "")
    + f". Within the Lite family alone tau is {lite_tau:.2f}. With {n_train} labelled patches, "
    f"the {len(exact_fit)} candidates with at least as many feature dimensions "
    f"({', '.join(exact_fit) or 'none'}) are scored by the exact-fit limit, the others by an "
    "interior maximum of the evidence: scores from the two cases are not on the same footing, "
    f"so compare their orders within each group. LogME for all candidates and "
    f"draws took {logme_seconds:.2f} s; the logistic-regression probes took "
    f"{probe_seconds:.2f} s on this machine."))

# %% [markdown]
# Read the ranking with its limits in mind. LogME scores a *linear* model of the features, so
# it agrees best with a linear probe (what we compared it with here), less with fine-tuning.
# Candidates whose accuracies differ by less than their spread over draws (see `accuracy_std`)
# cannot be ranked reliably by any score, and a rank correlation over five candidates has a
# wide uncertainty: the p-values above say how surprising it would be by chance. Its main use
# is to cheaply **throw out** weak candidates before spending compute on the rest.

# %% [markdown]
# ## Key takeaways
#
# * The Keras applications table gives **ImageNet** accuracy, file size, parameters and depth;
#   none of them is your task's accuracy or your device's latency. Measure those.
# * A **model card** (parameters, depth, input/output shapes, size on disk, file format) makes
#   candidates comparable; check it against the published card, and know what differs (a
#   feature extractor has no ImageNet classifier).
# * Measure latency with **warm-up** calls excluded, report the **median** of many timed runs,
#   and time the model **as it will run when deployed** (a compiled graph, at the input size
#   and batch size of the device).
# * Trust a model file's **contents**, not only its extension: every format has a signature
#   (zip entries, HDF5 magic, pickle byte, `TFL3`, a JSON header); reject what does not match.
# * Ship a model on the **Pareto front**, and let the **deployment budget** pick among those.
# * **LogME** ranks candidates from one forward pass plus linear algebra, without training;
#   check its ranking (rank correlation) where you can, and use it to prune, not to crown.
#
# What this notebook measured, on this machine:

# %%
display(Markdown("\n".join([
    f"* Transfer accuracy at {IMAGE_SIZE} px with {N_PER_CLASS} labels per class: "
    + ", ".join(f"`{n}` {cards[n]['accuracy']:.3f}" for n in order_by_accuracy) + ".",
    f"* ImageNet top-1 ordered the Lite models {' > '.join(by_top1)}; transfer accuracy "
    f"ordered them {' > '.join(by_accuracy)}"
    + (" (the same order)." if by_top1 == by_accuracy else " (a different order)."),
    f"* Pareto front: {', '.join(front)}; under the budget ({MAX_MB:g} MB, {MAX_MS:.0f} ms on the "
    f"board) the choice is **{choice}**.",
    f"* LogME against transfer accuracy: Kendall tau {tau:.2f}, Spearman rho {rho:.2f} over "
    f"{len(names)} candidates, for {logme_seconds:.2f} s of computation.",
])))

# %% [markdown]
# ## Knowledge check (5 points)
#
# Set each answer to `"a"`, `"b"` or `"c"`.
#
# **q1.** The published cards give EfficientNet-Lite2 a higher ImageNet top-1 than
# EfficientNet-Lite0. For your 10-class microscope task at 96 px this means
# (a) it will also be more accurate on your task; (b) nothing certain: measure it on your task,
# for example with a linear probe or a transferability score; (c) it is also faster.
#
# **q2.** Why exclude the first calls when timing a model?
# (a) they include one-off costs (memory allocation, kernel selection, graph building) that
# the deployed model pays only once; (b) they are always faster; (c) Keras ignores them anyway.
#
# **q3.** A file `weights.pth` starts with the bytes `b"\x89HDF\r\n\x1a\n"`. What should a
# careful loader do?
# (a) load it with PyTorch because of the extension; (b) reject it (or investigate): the
# contents say HDF5 (Keras), not PyTorch; (c) rename it to `.onnx`.
#
# **q4.** Model A has accuracy 0.90, 0.4 MB, 10 ms; model B has accuracy 0.88, 0.6 MB, 12 ms.
# (a) B is dominated by A and should never be shipped; (b) both are on the Pareto front;
# (c) A is dominated by B.
#
# **q5.** Multiplying every feature by 100 changes LogME
# (a) by a factor of 100; (b) not at all (up to rounding), because the optimal prior precision
# absorbs the scale; (c) to NaN.
#
# **q6.** LogME is most useful to
# (a) replace the final evaluation on a test set; (b) pick the learning rate for fine-tuning;
# (c) rank many candidate backbones cheaply and discard the weak ones before training.

# %% [answer] a02_quiz
answers = {}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "a", "q3": "b", "q4": "a", "q5": "b", "q6": "c"}
### END SOLUTION

# %% [tests] a02_quiz points=5
tl.check_quiz(answers, questions=6)
print("knowledge check: all six questions answered.")
