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
# 3. measure **latency** robustly: warm-up calls excluded, the median of many runs reported;
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
# quickly, and the team has labelled only 20 images per class. The shelf holds several pretrained
# models. Which one do you ship? You will answer with numbers this notebook measures.

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

import ipywidgets as widgets
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display
from scipy.stats import kendalltau
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import tl_helpers as tl

tf.zeros(1)  # TensorFlow's first-use log line lands here, not in a graded cell
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
ax = tl.plot_model_selection(keras_rows, x="size_mb", y="top1", size="parameters", label="name")
ax.set_xscale("log")
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
for name in ["course_mobilenet", "course_resnet", "mobilenet_v2", "efficientnet_b0"]:
    spec = tl.get_backbone_spec(name)
    print(f"{name:17s} family {spec.family:13s} default input {spec.default_input_size:3d}, "
          f"smallest input {spec.min_input_size:2d}, feature size {spec.feature_size}")
try:
    tl.load_backbone("mobilenet_v2", weights=None, input_shape=(16, 16, 3))
except ValueError as error:
    print("\nAsking for 16x16 images:", error)

# %% [markdown]
# ## The candidates
#
# Only two backbones in this course have pretrained weights that work offline
# (`course_mobilenet` and `course_resnet`, pretrained by the course on patches of photos that
# ship inside Python packages). To get an honest shelf of candidates we add what a
# practitioner could also ship:
#
# * the same two architectures with **random** weights (`weights=None`): same size and speed,
#   no pretraining;
# * the pretrained networks **cut** after an earlier block (`block1`, `block2`), with global
#   average pooling on top: smaller and faster, with more generic features.
#
# Each candidate is saved as a `.keras` file, as you would ship it.

# %%
CUT_LAYERS = {"mobilenet": {"block1": "block1_pw_relu", "block2": "block2_pw_relu"},
              "resnet": {"block1": "block1_out", "block2": "block2_out"}}


def cut_backbone(base_model, layer_name, name):
    """The part of base_model up to layer_name, with global average pooling (plumbing)."""
    pooled = keras.layers.GlobalAveragePooling2D(name="cut_pool")(
        base_model.get_layer(layer_name).output)
    return keras.Model(base_model.input, pooled, name=name)


def renamed(model, name):
    """The same model (same layers and weights) under another name (plumbing)."""
    return keras.Model(model.input, model.output, name=name)


candidates = {}
for arch in ["mobilenet", "resnet"]:
    pretrained = tl.load_backbone(f"course_{arch}", weights="course")
    candidates[arch] = renamed(pretrained, arch)
    candidates[f"{arch}_random"] = renamed(tl.load_backbone(f"course_{arch}", weights=None),
                                           f"{arch}_random")
    for block, layer_name in CUT_LAYERS[arch].items():
        candidates[f"{arch}_{block}"] = cut_backbone(pretrained, layer_name, f"{arch}_{block}")

saved_paths = {}
for name, model in candidates.items():
    saved_paths[name] = WORK_DIR / f"{name}.keras"
    model.save(saved_paths[name])
print(f"{len(candidates)} candidates saved in {WORK_DIR}:", ", ".join(candidates))

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
_card = compute_model_card(candidates["mobilenet"], saved_paths["mobilenet"])
tl.check_type(_card, dict, "compute_model_card(...)", hint="return a plain dict.")
assert _card["parameters"] == tl.model_card("course_mobilenet")["parameters"], (
    f"course_mobilenet has {tl.model_card('course_mobilenet')['parameters']:,} parameters "
    f"(its documented card), your card says {_card['parameters']}. Count every weight, "
    "trainable and non-trainable (BatchNorm moving statistics too).")
assert _card["input_shape"] == (32, 32, 3) and _card["output_shape"] == (128,), (
    "input_shape/output_shape should leave out the batch axis: (32, 32, 3) and (128,).")
tl.check_close(_card["size_mb"], os.path.getsize(saved_paths["mobilenet"]) / 1e6, "size_mb",
               hint="size on disk is os.path.getsize(path) / 1e6.")
assert _card["file_format"] == ".keras", "file_format of 'mobilenet.keras' should be '.keras'."
print("compute_model_card: sanity checks passed.")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a02_model_card", points=3, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# The cards of our candidates, side by side:

# %%
cards = {name: compute_model_card(model, saved_paths[name]) for name, model in candidates.items()}
markdown_table(list(cards.values()), ["name", "parameters", "trainable_parameters", "depth",
                                      "input_shape", "output_shape", "size_mb", "file_format"])

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
    f"agree exactly: the documented figure is for Keras' own ImageNet weights file. Our "
    f"pretrained course backbones are {documented['parameters'] / cards['resnet']['parameters']:.0f}"
    f"x (`resnet`) and {documented['parameters'] / cards['mobilenet']['parameters']:.0f}x "
    f"(`mobilenet`) smaller than MobileNetV2: the size range of an edge device."))

# %% [markdown]
# ## Part 2 - Latency, measured robustly (3 points)
#
# How long does one prediction take? Time a model naively and you get a mess: the **first
# calls** are slow (TensorFlow allocates memory, picks kernels, builds its graph), and later
# calls jitter because other programs share the CPU. Look at the time of each of the first
# 30 calls of `resnet` on one image:

# %%
one_image = tl.load_photo_patches(n_train_per_class=1, n_test_per_class=1).x[:1].astype(
    "float32")
trace_model = tl.load_backbone("course_resnet", weights=None)  # a fresh, never-called model
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
_ms = measure_latency(candidates["mobilenet"], one_image, n_warmup=2, n_runs=5)
tl.check_type(_ms, float, "measure_latency(...)", hint="return float(np.median(times_ms)).")
tl.check_between(_ms, 0.01, 5000, "the latency of mobilenet on one image (ms)",
                 hint="return milliseconds, not seconds: multiply perf_counter seconds by 1000.")
tl.check_raises(lambda: measure_latency(candidates["mobilenet"], one_image, n_runs=0),
                ValueError, "measure_latency(..., n_runs=0)", match="n_runs",
                hint="check n_runs >= 1 before timing anything.")
print(f"measure_latency: sanity checks passed ({_ms:.1f} ms).")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a02_measure_latency", points=3, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# The latency of every candidate on one image (batch size 1, as on the device):

# %%
for name, model in candidates.items():
    cards[name]["latency_ms"] = measure_latency(model, one_image, n_warmup=3, n_runs=15)
markdown_table(list(cards.values()), ["name", "parameters", "depth", "size_mb", "latency_ms"])

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
candidates["mobilenet"].save(FORMAT_DIR / "mobilenet.keras")
candidates["mobilenet"].save_weights(FORMAT_DIR / "mobilenet.weights.h5")
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
_got = detect_framework(FORMAT_DIR / "mobilenet.keras")
assert _got == "keras", f"a real .keras file should give 'keras', not {_got!r}."
tl.check_raises(lambda: detect_framework(FORMAT_DIR / "vectors.bin"), ValueError,
                "detect_framework('vectors.bin')", match="vectors.bin",
                hint="an unknown extension must raise a ValueError whose message names the file.")
print("detect_framework: sanity checks passed.")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a02_detect_framework", points=3, namespace=globals())
### END HIDDEN TESTS

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
# photo-patch task (textures, microscopy, medical and astronomy images that the course backbones
# never saw). For each candidate we extract frozen features once (cached on disk), then train a
# **linear probe** (logistic regression on the frozen features) on 20 labelled images per
# class and score it on a fixed test set of 100 patches per class, for 3 random draws of the
# training images. These are linear-probe accuracies, not fine-tuned ones.

# %%
N_PER_CLASS, SEEDS = 20, (0, 1, 2)
target = tl.load_photo_patches(n_train_per_class=50, n_test_per_class=100)
features = {name: tl.extract_features(model, target.x, progress=False)
            for name, model in candidates.items()}
splits = [tl.few_shot_indices(target, N_PER_CLASS, seed=seed) for seed in SEEDS]

probe_start = time.perf_counter()
for name, feats in features.items():
    accuracies = []
    for train_idx, test_idx in splits:
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        probe.fit(feats[train_idx], target.y[train_idx])
        accuracies.append(probe.score(feats[test_idx], target.y[test_idx]))
    cards[name]["accuracy"] = float(np.mean(accuracies))
    cards[name]["accuracy_std"] = float(np.std(accuracies))
probe_seconds = time.perf_counter() - probe_start

table = [{k: card[k] for k in ("name", "accuracy", "accuracy_std", "size_mb", "latency_ms")}
         for card in cards.values()]
markdown_table(table, ["name", "accuracy", "accuracy_std", "size_mb", "latency_ms"])
display(Markdown(
    f"Test set: {len(splits[0][1])} patches; training: {len(splits[0][0])} labelled patches per "
    f"draw. Pretraining matters: `mobilenet` {cards['mobilenet']['accuracy']:.3f} vs "
    f"`mobilenet_random` {cards['mobilenet_random']['accuracy']:.3f}; `resnet` "
    f"{cards['resnet']['accuracy']:.3f} vs `resnet_random` {cards['resnet_random']['accuracy']:.3f}"
    f" (same size and speed). Cutting costs little: `resnet_block1` "
    f"{cards['resnet_block1']['accuracy']:.3f} at {cards['resnet_block1']['size_mb']:.3f} MB vs "
    f"`resnet` {cards['resnet']['accuracy']:.3f} at {cards['resnet']['size_mb']:.3f} MB."))

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
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a02_pareto_front", points=2, namespace=globals())
### END HIDDEN TESTS

# %%
front = pareto_front(table)
ax = tl.plot_model_selection(table, x="latency_ms", y="accuracy", size="size_mb",
                             highlight=front)
ax.set_xlabel("latency on one image (ms, median)")
ax.set_ylabel("linear-probe accuracy")
plt.show()
dominated = [row["name"] for row in table if row["name"] not in front]
display(Markdown(f"Pareto front: **{', '.join(front)}**. Dominated: {', '.join(dominated)}."))

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
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a02_pick_under_budget", points=2, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# The microscope's firmware leaves room for a model file of `MAX_MB` megabytes, and the board
# must answer within `MAX_MS` milliseconds. The board is slower than this laptop, so we check
# the latency budget against a latency measured here, scaled by `BOARD_SLOWDOWN`. These three
# numbers are the product team's requirements, not results:

# %%
MAX_MB, MAX_MS, BOARD_SLOWDOWN = 0.5, 100.0, 4.0
board_table = [dict(row, latency_ms=row["latency_ms"] * BOARD_SLOWDOWN) for row in table]
choice = pick_under_budget(board_table, MAX_MB, MAX_MS)
fitting = [r["name"] for r in board_table if r["size_mb"] <= MAX_MB and r["latency_ms"] <= MAX_MS]
chosen = cards[choice] if choice else None
display(Markdown(
    f"Budget: {MAX_MB} MB and {MAX_MS:.0f} ms on the board ({MAX_MS / BOARD_SLOWDOWN:.0f} ms "
    f"here). Models that fit: {', '.join(fitting) or 'none'}. Choice: **{choice}**"
    + (f" (accuracy {chosen['accuracy']:.3f}, {chosen['size_mb']:.3f} MB, "
       f"{chosen['latency_ms']:.1f} ms here). Without the budget the most accurate is "
       f"**{max(table, key=lambda r: r['accuracy'])['name']}** "
       f"({max(r['accuracy'] for r in table):.3f})." if chosen else ".")
    + f" Is the choice on the Pareto front? **{choice in front}**."))

# %% [markdown]
# ### Explorer: move the budget
#
# Drag the sliders. Left: accuracy against size, right: accuracy against latency on the board;
# the grey areas are outside the budget and the red circle is `pick_under_budget`'s choice.
# Things to try: how small can the size budget get before the choice changes? Is there a budget
# for which a model *off* the Pareto front is chosen?

# %%
def show_budget(max_mb, max_ms):
    pick = pick_under_budget(board_table, max_mb, max_ms)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    for ax, column, limit, label in ((left, "size_mb", max_mb, "size on disk (MB)"),
                                     (right, "latency_ms", max_ms, "latency on the board (ms)")):
        tl.plot_model_selection(board_table, x=column, y="accuracy", size=None,
                                highlight=[pick] if pick else None, ax=ax)
        high = max(max(r[column] for r in board_table), limit) * 1.15
        ax.axvspan(limit, high, color="0.85", zorder=0)
        ax.set_xlim(0, high)
        ax.set_xlabel(label)
    left.set_ylabel("linear-probe accuracy")
    right.set_ylabel("")
    fig.suptitle(f"budget {max_mb:.2f} MB, {max_ms:.0f} ms: choice = {pick}", fontsize=10)
    plt.show()


budget_explorer = widgets.interactive(
    show_budget,
    max_mb=widgets.FloatSlider(value=MAX_MB, min=0.05, max=1.5, step=0.05, readout_format=".2f",
                               description="max MB", continuous_update=False),
    max_ms=widgets.FloatSlider(value=MAX_MS, min=5.0, max=250.0, step=5.0,
                               description="max ms", continuous_update=False))
display(budget_explorer)

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
# Work in float64. Do **not** add constants such as `+ 1e-5` to $m^2$ or $r^2$ (some published
# code does): they break LogME's invariance to rescaling the features.

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
        evidence divided by ``N`` (higher = features more transferable to these labels).

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

    evidences = []
    for k in classes:
        yk = (y == k).astype(np.float64)
        x2 = (u.T @ yk) ** 2
        outside = max(float(yk @ yk - x2.sum()), 0.0)
        alpha, beta = 1.0, 1.0
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
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a02_logme", points=4, namespace=globals())
### END HIDDEN TESTS

# %% [markdown]
# Two properties you can check with your own function: LogME does not change when the features
# are **rotated** (an orthogonal matrix $Q$) or **rescaled**, because a linear model on $FQ$ or
# $cF$ can fit exactly what it fits on $F$:

# %%
feats = features["resnet"][splits[0][0]]
labels = target.y[splits[0][0]]
rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(feats.shape[1],) * 2))
display(Markdown(
    f"LogME of `resnet` features: {logme(feats, labels):.4f}; rotated: "
    f"{logme(feats @ rotation, labels):.4f}; times 100: {logme(feats * 100, labels):.4f}."))

# %% [markdown]
# Now the real question: does LogME, computed on the **200 labelled training images** only
# (the same draws as the probes), rank the candidates like their linear-probe test accuracy?
# We measure the agreement with **Kendall's tau** (1 = same order, 0 = unrelated, -1 = reversed).

# %%
logme_start = time.perf_counter()
for name in candidates:
    scores = [logme(features[name][train_idx], target.y[train_idx])
              for train_idx, _ in splits]
    cards[name]["logme"] = float(np.mean(scores))
logme_seconds = time.perf_counter() - logme_start

names = list(candidates)
accuracy = np.array([cards[n]["accuracy"] for n in names])
logme_score = np.array([cards[n]["logme"] for n in names])
tau, p_value = kendalltau(logme_score, accuracy)
pretrained_only = np.array(["random" not in n for n in names])
tau_pretrained, p_pretrained = kendalltau(logme_score[pretrained_only], accuracy[pretrained_only])
order_by_logme = [names[i] for i in np.argsort(-logme_score)]
order_by_accuracy = [names[i] for i in np.argsort(-accuracy)]

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
ax.errorbar(logme_score, accuracy, yerr=[cards[n]["accuracy_std"] for n in names], fmt="o",
            capsize=3)
for n, xv, yv in zip(names, logme_score, accuracy, strict=True):
    ax.annotate(n, (xv, yv), fontsize=8, xytext=(4, 3), textcoords="offset points")
ax.set_xlabel("LogME on the training images (mean of 3 draws)")
ax.set_ylabel("linear-probe test accuracy (mean ± std of 3 draws)")
ax.set_title(f"Kendall tau = {tau:.2f} over {len(names)} candidates", fontsize=10)
plt.show()
markdown_table([cards[n] for n in order_by_logme], ["name", "logme", "accuracy", "accuracy_std"])
display(Markdown(
    f"Kendall tau between LogME and linear-probe accuracy: **{tau:.2f}** (p = {p_value:.3f}, "
    f"{len(names)} candidates). Best by LogME: **{order_by_logme[0]}**; best by accuracy: "
    f"**{order_by_accuracy[0]}**. Lowest two by LogME: {', '.join(order_by_logme[-2:])}; "
    f"lowest two by accuracy: {', '.join(order_by_accuracy[-2:])}. Among the "
    f"{pretrained_only.sum()} pretrained candidates alone (accuracies within "
    f"{np.ptp(accuracy[pretrained_only]):.3f} of each other) tau is **{tau_pretrained:.2f}** "
    f"(p = {p_pretrained:.3f}). LogME for all candidates "
    f"and draws took "
    f"{logme_seconds:.2f} s; the logistic-regression probes took {probe_seconds:.2f} s "
    f"on this machine."))

# %% [markdown]
# Read the ranking with its limits in mind. LogME scores a *linear* model of the features, so
# it agrees best with a linear probe (what we compared it with here), less with fine-tuning.
# Candidates whose accuracies differ by less than their spread over draws (see `accuracy_std`)
# cannot be ranked reliably by any score, and a tau over a handful of candidates has a wide
# uncertainty: the p-value above says how surprising it would be by chance. Its main use is to
# cheaply **throw out** weak candidates before spending compute on the rest.

# %% [markdown]
# ## Key takeaways
#
# * The Keras applications table gives **ImageNet** accuracy, file size, parameters and depth;
#   none of them is your task's accuracy or your device's latency. Measure those.
# * A **model card** (parameters, depth, input/output shapes, size on disk, file format) makes
#   candidates comparable; check it against the documented card when one exists.
# * Measure latency with **warm-up** calls excluded and report the **median** of many timed
#   runs: the first call and occasional outliers are many times slower than a typical call.
# * Trust a model file's **contents**, not only its extension: every format has a signature
#   (zip entries, HDF5 magic, pickle byte, `TFL3`, a JSON header); reject what does not match.
# * Ship a model on the **Pareto front**, and let the **deployment budget** pick among those.
#   In this notebook pretraining beat random initialisation at equal size and speed, and cut
#   backbones traded little accuracy for size: see the tables above.
# * **LogME** ranks candidates from one forward pass plus linear algebra, without training;
#   check its ranking (Kendall tau) where you can, and use it to prune, not to crown.

# %% [markdown]
# ## Knowledge check (5 points)
#
# Set each answer to `"a"`, `"b"` or `"c"`.
#
# **q1.** The Keras table lists a model with higher ImageNet top-1 than another. For your
# 10-class microscope task this means
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
assert isinstance(answers, dict), "answers must be a dict such as {\"q1\": \"a\", ...}"
assert set(answers) == {"q1", "q2", "q3", "q4", "q5", "q6"}, (
    "answer all six questions: answers = {\"q1\": ..., \"q2\": ..., ..., \"q6\": ...}")
assert all(v in ("a", "b", "c") for v in answers.values()), (
    "each answer must be one of \"a\", \"b\" or \"c\" (lower case)")
print("knowledge check: all six questions answered.")
### BEGIN HIDDEN TESTS
from tl_helpers.grading import grade_cell
grade_cell("a02_quiz", points=5, namespace=globals())
### END HIDDEN TESTS
