"""Hidden checks of assignment 02 (choosing a pretrained model).

Every check builds its own small inputs (tiny Keras models, scripted fake models, files written
into pytest's tmp_path, small seeded arrays), so it runs in about a second and does not depend on
what the notebook computed.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import copy  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import struct  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from check_support import load_keras  # noqa: E402

import tl_helpers as tl  # noqa: E402
from tl_helpers.grading.probes import ScriptedModel  # noqa: E402


# ===================================================================== compute_model_card
def _dense_model():
    keras = load_keras()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(4,), name="x")
    outputs = keras.layers.Dense(3, name="dense")(inputs)
    return keras.Model(inputs, outputs, name="tiny_dense")


def _bn_model():
    """Input(5) -> Dense(8) -> BatchNorm -> Dropout -> Dense(2): 98 weights, 82 trainable."""
    keras = load_keras()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(5,))
    x = keras.layers.Dense(8, name="d1")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Dropout(0.5, name="drop")(x)
    outputs = keras.layers.Dense(2, name="d2")(x)
    return keras.Model(inputs, outputs, name="bn_model")


def _nested_model():
    """A 2-layer model used as a layer inside an outer model with one more Dense: depth 3."""
    keras = load_keras()
    keras.utils.set_random_seed(0)
    inner_in = keras.Input(shape=(6,))
    h = keras.layers.Dense(4, name="inner_1")(inner_in)
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="inner_2")(h), name="inner")
    inputs = keras.Input(shape=(6,))
    x = keras.layers.Rescaling(0.5, name="scale")(inputs)
    outputs = keras.layers.Dense(1, name="outer")(inner(x))
    return keras.Model(inputs, outputs, name="outer_model")


def _card(nb, model, path=None, as_text=False):
    """compute_model_card(model, path); with as_text the notebook gets the path as a str (the
    kernel cannot see the grader's files: the Path's file is copied along, and the probe
    passes the copy's path as text)."""
    if as_text:
        card = nb.probe.call_with_str_paths(nb.compute_model_card, model, path)
    else:
        card = nb.compute_model_card(model, path)
    tl.check_type(card, dict, "compute_model_card(model, path)", hint="return a plain dict.")
    missing = {"name", "parameters", "trainable_parameters", "depth", "input_shape",
               "output_shape", "size_mb", "file_format"} - set(card)
    assert not missing, f"the card lacks the keys {sorted(missing)}: keep the documented keys."
    return card


@pytest.mark.grade_id("a02_model_card")
def test_card_dense_closed_form(nb):
    """A Dense(3) layer on 4 inputs: 15 parameters, depth 1, shapes without the batch axis"""
    card = _card(nb, _dense_model())
    assert card["name"] == "tiny_dense", "the card's name should be model.name."
    assert card["parameters"] == 15 and card["trainable_parameters"] == 15, (
        f"a Dense(3) layer on 4 inputs has 4*3 weights + 3 biases = 15 parameters; the card "
        f"says {card['parameters']} (trainable {card['trainable_parameters']}).")
    assert card["depth"] == 1, f"one layer owns weights, so depth is 1; got {card['depth']}."
    assert tuple(card["input_shape"]) == (4,) and tuple(card["output_shape"]) == (3,), (
        f"shapes leave out the batch axis: (4,) and (3,); got {card['input_shape']} and "
        f"{card['output_shape']}.")
    assert isinstance(card["input_shape"], tuple) and isinstance(card["output_shape"], tuple), (
        "input_shape and output_shape should be tuples.")
    assert type(card["parameters"]) is int and type(card["depth"]) is int, (
        "parameters and depth should be Python ints (convert numpy integers with int()).")
    assert card["size_mb"] is None and card["file_format"] is None, (
        "without a path the size on disk and the file format are unknown: use None.")


@pytest.mark.grade_id("a02_model_card")
def test_card_batchnorm_and_frozen_layers(nb):
    """Non-trainable weights count in parameters; frozen layers lower the trainable count"""
    model = _bn_model()
    card = _card(nb, model)
    assert card["parameters"] == 98, (
        f"Dense(8) 48 + BatchNorm 32 (gamma, beta, moving mean, moving variance) + Dense(2) 18 "
        f"= 98 parameters; got {card['parameters']}. The moving statistics are weights too.")
    assert card["trainable_parameters"] == 82, (
        f"BatchNorm's moving mean and variance (16 numbers) are not trainable: 82 trainable "
        f"parameters; got {card['trainable_parameters']}.")
    assert card["depth"] == 3, (
        f"Dense, BatchNormalization and Dense own weights (Input and Dropout do not): depth 3; "
        f"got {card['depth']}.")
    model.get_layer("d1").trainable = False
    frozen = _card(nb, model)
    assert frozen["trainable_parameters"] == 34 and frozen["parameters"] == 98, (
        f"with d1 frozen, 48 parameters stop being trainable: 34 trainable of 98; got "
        f"{frozen['trainable_parameters']} of {frozen['parameters']}. Count "
        "model.trainable_weights, do not assume every weight is trainable.")


@pytest.mark.grade_id("a02_model_card")
def test_card_opens_nested_models(nb):
    """Depth counts the layers inside a model used as a layer"""
    card = _card(nb, _nested_model())
    assert card["depth"] == 3, (
        f"the inner model holds 2 layers with weights and the outer model adds 1: depth 3; got "
        f"{card['depth']}. A nested keras.Model is not one layer: count its layers "
        "(keras.applications backbones are nested this way).")
    assert card["parameters"] == 6 * 4 + 4 + 4 * 3 + 3 + 3 + 1, (
        "the parameters of the nested model count too.")


def _flat_backbone():
    """Rescaling -> Conv -> BatchNorm -> ReLU -> pooling, flat like EfficientNet-Lite: depth 2."""
    keras = load_keras()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(8, 8, 3), name="image")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="preprocess")(inputs)
    x = keras.layers.Conv2D(4, 3, strides=2, use_bias=False, name="stem_conv")(x)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.ReLU(6.0, name="stem_activation")(x)
    outputs = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, outputs, name="flat_backbone")


@pytest.mark.grade_id("a02_model_card")
def test_card_flat_backbone(nb):
    """A flat backbone with preprocessing inside: only layers with weights count in depth"""
    card = _card(nb, _flat_backbone())
    assert card["parameters"] == 3 * 3 * 3 * 4 + 4 * 4 and card["trainable_parameters"] == 116, (
        f"a 3x3 convolution from 3 to 4 channels without bias (108 weights) and a "
        f"BatchNormalization over 4 channels (16) make 124 parameters, 116 trainable; got "
        f"{card['parameters']} ({card['trainable_parameters']} trainable).")
    assert card["depth"] == 2, (
        f"only the convolution and the BatchNormalization own weights (the preprocessing, "
        f"activation and pooling layers do not): depth 2; got {card['depth']}.")
    assert tuple(card["input_shape"]) == (8, 8, 3) and tuple(card["output_shape"]) == (4,), (
        "the shapes leave out the batch axis: (8, 8, 3) in, (4,) out.")


@pytest.mark.grade_id("a02_model_card")
def test_card_file_size_and_format(nb, tmp_path):
    """Size on disk and format come from the file; .weights.h5 is one format"""
    model = _dense_model()
    files = {"model.keras": ".keras", "dense.weights.h5": ".weights.h5", "UPPER.KERAS": ".keras"}
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "dense.weights.h5")
    (tmp_path / "UPPER.KERAS").write_bytes((tmp_path / "model.keras").read_bytes())
    for name, fmt in files.items():
        for as_text in (False, True):
            card = _card(nb, model, tmp_path / name, as_text=as_text)
            tl.check_close(card["size_mb"], os.path.getsize(tmp_path / name) / 1e6,
                           f"size_mb of {name}", atol=1e-9, rtol=0,
                           hint="MB here means 1,000,000 bytes of the file on disk.")
            assert card["file_format"] == fmt, (
                f"the format of {name!r} is {fmt!r}, got {card['file_format']!r}. Use the lower-"
                "case extension with its dot; a weights-only file has the two-part '.weights.h5'.")


@pytest.mark.grade_id("a02_model_card")
def test_card_bad_inputs(nb, tmp_path):
    """A missing file and a non-model raise errors that name the argument"""
    model = _dense_model()
    missing = tmp_path / "no_such_model.keras"
    tl.check_raises(lambda: nb.compute_model_card(model, missing), FileNotFoundError,
                    "compute_model_card(model, a missing file)", match="no_such_model",
                    hint="raise FileNotFoundError naming the path when the file does not exist.")
    tl.check_raises(lambda: nb.compute_model_card("resnet50"), TypeError,
                    "compute_model_card('resnet50')", match="model",
                    hint="check isinstance(model, keras.Model) first.")


@pytest.mark.grade_id("a02_model_card")
def test_card_keeps_model(nb):
    """The model's weights and trainable flags are unchanged"""
    model = _bn_model()
    model.get_layer("d2").trainable = False
    before = [w.copy() for w in model.get_weights()]
    flags = [layer.trainable for layer in model.layers]
    nb.compute_model_card(model)
    assert [layer.trainable for layer in model.layers] == flags, (
        "compute_model_card changed the layers' trainable flags: count "
        "model.trainable_weights instead of freezing or unfreezing layers.")
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True)), (
        "compute_model_card changed the model's weights: only read them.")


# ========================================================================= measure_latency
# ScriptedModel (a fake model whose n-th call sleeps durations_ms[n], the last one repeating)
# runs in the notebook's kernel; its record (calls, kwargs, inputs) is copied back after a call.
_BATCH = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)


@pytest.mark.grade_id("a02_measure_latency")
def test_latency_excludes_warmup(nb):
    """Warm-up calls are made but not timed"""
    model = ScriptedModel([150, 150, 150, 10, 10, 10])
    ms = nb.measure_latency(model, _BATCH.copy(), n_warmup=3, n_runs=3)
    assert model.calls == 6, (
        f"n_warmup=3 and n_runs=3 should call the model exactly 6 times; it was called "
        f"{model.calls} times.")
    tl.check_between(ms, 8.0, 45.0, "the latency when the 3 slow calls are warm-up (ms)",
                     hint="the warm-up calls (150 ms each here) must not be timed: time only "
                     "the n_runs calls after them.")


@pytest.mark.grade_id("a02_measure_latency")
def test_latency_is_median(nb):
    """The median of the timed runs, not the mean: one outlier does not move it"""
    model = ScriptedModel([10, 10, 10, 10, 10, 250])
    ms = nb.measure_latency(model, _BATCH.copy(), n_warmup=1, n_runs=5)
    tl.check_type(ms, float, "measure_latency(...)", hint="return a Python float.")
    tl.check_between(ms, 8.0, 45.0, "the latency with one 250 ms outlier among 5 runs (ms)",
                     hint="return the median of the run times (the mean here would be ~58 ms), "
                     "in milliseconds (not seconds).")


@pytest.mark.grade_id("a02_measure_latency")
def test_latency_calls_model_correctly(nb):
    """The model is called on the batch in inference mode, and the batch is not changed"""
    batch = _BATCH.copy()
    model = ScriptedModel([1])
    nb.measure_latency(model, batch, n_warmup=0, n_runs=2)
    assert model.calls == 2, f"n_warmup=0, n_runs=2: 2 calls expected, got {model.calls}."
    assert all(kw.get("training") is False for kw in model.kwargs), (
        "call the model as model(batch, training=False): inference mode (BatchNorm and "
        "Dropout behave as when deployed).")
    assert all(np.array_equal(x, _BATCH) for x in model.inputs), (
        "the model should receive the batch itself, unchanged.")
    assert np.array_equal(batch, _BATCH), "measure_latency changed the batch it was given."


@pytest.mark.grade_id("a02_measure_latency")
def test_latency_real_keras_model(nb):
    """Works on a real Keras model and returns milliseconds"""
    keras = load_keras()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(8,))
    model = keras.Model(inputs, keras.layers.Dense(4)(inputs))
    ms = nb.measure_latency(model, np.ones((3, 8), dtype=np.float32), n_warmup=1, n_runs=3)
    tl.check_type(ms, float, "measure_latency(keras model, ...)", hint="return a Python float.")
    tl.check_between(ms, 1e-3, 2000.0, "the latency of a one-layer model (ms)",
                     hint="convert seconds to milliseconds (* 1000).")


@pytest.mark.grade_id("a02_measure_latency")
@pytest.mark.parametrize("kwargs,name", [
    (dict(n_warmup=-1), "n_warmup"), (dict(n_runs=0), "n_runs"), (dict(n_runs=2.5), "n_runs"),
    (dict(batch=np.zeros((0, 4, 4, 3), dtype=np.float32)), "batch"),
], ids=["negative_warmup", "zero_runs", "float_runs", "empty_batch"])
def test_latency_rejects_bad_args(nb, kwargs, name):
    """Bad arguments raise a ValueError naming the argument, before any call"""
    model = ScriptedModel([1])
    args = dict(batch=_BATCH.copy(), n_warmup=1, n_runs=2)
    args.update(kwargs)
    tl.check_raises(lambda: nb.measure_latency(model, args["batch"], args["n_warmup"],
                                               args["n_runs"]),
                    ValueError, f"measure_latency with a bad `{name}`", match=name,
                    hint=f"check `{name}` first and raise ValueError naming it.")
    assert model.calls == 0, "validate the arguments before calling the model."


@pytest.mark.grade_id("a02_measure_latency")
def test_latency_rejects_non_callable(nb):
    """A model that cannot be called raises TypeError naming `model`"""
    tl.check_raises(lambda: nb.measure_latency("mobilenet", _BATCH.copy()), TypeError,
                    "measure_latency('mobilenet', batch)", match="model",
                    hint="check callable(model).")


# ======================================================================== detect_framework
def _write(path, data):
    path.write_bytes(data)
    return path


_KERAS_FILES: dict = {}  # file name -> bytes, saved once per grading run (saving is slow)


def _tiny_keras_files(tmp_path):
    """A real .keras and a real .weights.h5 file of a tiny model, written into tmp_path."""
    if not _KERAS_FILES:
        import tempfile

        keras = load_keras()
        keras.utils.set_random_seed(0)
        inputs = keras.Input(shape=(3,))
        model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
        with tempfile.TemporaryDirectory() as folder:
            for name, save in (("real.keras", model.save),
                               ("real.weights.h5", model.save_weights)):
                save(Path(folder) / name)
                _KERAS_FILES[name] = (Path(folder) / name).read_bytes()
    for name, data in _KERAS_FILES.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path / "real.keras", tmp_path / "real.weights.h5"


def _torch_zip(path, entry="archive/data.pkl"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(entry, pickle.dumps({"w": 1}, protocol=2))
        archive.writestr("archive/version", "3\n")
    return path


def _safetensors(header_obj, data=bytes(16), length=None):
    header = json.dumps(header_obj).encode()
    n = len(header) if length is None else length
    return struct.pack("<Q", n) + header + data


_SAFE_HEADER = {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}


@pytest.mark.grade_id("a02_detect_framework")
def test_detect_real_keras_files(nb, tmp_path):
    """Real .keras and .weights.h5 files are Keras, as str or Path"""
    keras_file, weights_file = _tiny_keras_files(tmp_path)
    for path in (keras_file, weights_file):
        got = nb.detect_framework(path)
        assert got == "keras", f"{path.name} saved by Keras should give 'keras', got {got!r}."
    # the kernel cannot see tmp_path: the Path is copied along and the probe passes it as a str
    got = nb.probe.call_with_str_paths(nb.detect_framework, keras_file)
    assert got == "keras", (
        f"{keras_file.name} given as a str should give 'keras', got {got!r}. Hint: accept str "
        "and pathlib.Path (Path(path)).")
    h5 = _write(tmp_path / "legacy.HDF5", weights_file.read_bytes())
    assert nb.detect_framework(h5) == "keras", (
        "extensions are case-insensitive: an HDF5 file named .HDF5 is 'keras'.")


@pytest.mark.grade_id("a02_detect_framework")
def test_detect_other_frameworks(nb, tmp_path):
    """PyTorch (zip and pickle), ONNX, TFLite and safetensors signatures are recognised"""
    cases = {
        _torch_zip(tmp_path / "net.pt"): "pytorch",
        _write(tmp_path / "old.pth", pickle.dumps([1, 2], protocol=4)): "pytorch",
        _write(tmp_path / "CAPS.PTH", pickle.dumps([1], protocol=2)): "pytorch",
        _write(tmp_path / "m.onnx", b"\x08\x07\x12\x04onnx" + bytes(8)): "onnx",
        _write(tmp_path / "m.tflite", struct.pack("<I", 20) + b"TFL3" + bytes(24)): "tflite",
        _write(tmp_path / "m.safetensors", _safetensors(_SAFE_HEADER)): "safetensors",
    }
    for path, expected in cases.items():
        got = nb.detect_framework(path)
        assert got == expected, f"{path.name} has the signature of {expected!r}; got {got!r}."


@pytest.mark.grade_id("a02_detect_framework")
@pytest.mark.parametrize("name", ["weights.bin", "model.pkl", "model", "archive.zip"],
                         ids=["bin", "pkl", "no_extension", "zip"])
def test_detect_unknown_extension(nb, tmp_path, name):
    """An unknown extension raises a ValueError naming the file"""
    path = _write(tmp_path / name, pickle.dumps({"w": 1}))
    tl.check_raises(lambda: nb.detect_framework(path), ValueError,
                    f"detect_framework({name!r})", match=name,
                    hint="extensions outside the table are unknown: raise ValueError and put "
                    "the file's name in the message.")


@pytest.mark.grade_id("a02_detect_framework")
@pytest.mark.parametrize("case", [
    "h5_renamed_to_pth", "zip_without_data_pkl", "keras_zip_without_metadata", "random_h5",
    "torch_zip_as_keras", "empty_onnx", "onnx_wrong_first_byte", "tflite_without_id",
    "safetensors_too_long_header", "safetensors_not_json", "safetensors_json_list",
    "short_safetensors",
], ids=lambda c: c)
def test_detect_rejects_mismatched_contents(nb, tmp_path, case):
    """Contents that do not match the extension raise a ValueError naming the file"""
    _, weights_file = _tiny_keras_files(tmp_path)
    hdf5 = weights_file.read_bytes()
    rng = np.random.default_rng(0)
    if case == "h5_renamed_to_pth":
        path = _write(tmp_path / "renamed.pth", hdf5)
    elif case == "zip_without_data_pkl":
        with zipfile.ZipFile(tmp_path / "notes.pt", "w") as archive:
            archive.writestr("notes.txt", "hello")
        path = tmp_path / "notes.pt"
    elif case == "keras_zip_without_metadata":
        with zipfile.ZipFile(tmp_path / "half.keras", "w") as archive:
            archive.writestr("config.json", "{}")
        path = tmp_path / "half.keras"
    elif case == "random_h5":
        path = _write(tmp_path / "noise.h5", rng.integers(0, 256, 64, dtype=np.uint8).tobytes())
    elif case == "torch_zip_as_keras":
        path = _torch_zip(tmp_path / "torch.keras")
    elif case == "empty_onnx":
        path = _write(tmp_path / "empty.onnx", b"")
    elif case == "onnx_wrong_first_byte":
        path = _write(tmp_path / "text.onnx", b"hello world")
    elif case == "tflite_without_id":
        path = _write(tmp_path / "bad.tflite", bytes(32))
    elif case == "safetensors_too_long_header":
        path = _write(tmp_path / "cut.safetensors", _safetensors(_SAFE_HEADER, b"", 10**6))
    elif case == "safetensors_not_json":
        path = _write(tmp_path / "junk.safetensors",
                      struct.pack("<Q", 6) + b"\xff\xfeabc!" + bytes(4))
    elif case == "safetensors_json_list":
        path = _write(tmp_path / "list.safetensors", _safetensors([1, 2, 3]))
    else:
        path = _write(tmp_path / "tiny.safetensors", b"\x01\x00")
    tl.check_raises(lambda: nb.detect_framework(path), ValueError,
                    f"detect_framework on a {case.replace('_', ' ')} file", match=path.name,
                    hint="the extension only says what to expect: check the bytes (see the "
                    "table), and turn every failure (short file, bad zip, bad JSON) into a "
                    "ValueError that names the file.")


@pytest.mark.grade_id("a02_detect_framework")
def test_detect_missing_file(nb, tmp_path):
    """A path that does not exist raises FileNotFoundError"""
    tl.check_raises(lambda: nb.detect_framework(tmp_path / "ghost.keras"), FileNotFoundError,
                    "detect_framework('ghost.keras')", match="ghost",
                    hint="check that the file exists before reading it.")


@pytest.mark.grade_id("a02_detect_framework")
def test_detect_keeps_file(nb, tmp_path):
    """The file is only read, never changed"""
    path = _torch_zip(tmp_path / "keep.pt")
    before = path.read_bytes()
    # the kernel works on a copy of the file: the probe reads that copy back after the call
    after = nb.probe.file_bytes_after_call(nb.detect_framework, path)
    assert after is not None and after.tobytes() == before, (
        "detect_framework changed the file: only read it.")


# ============================================================================ pareto_front
def _row(name, accuracy, size_mb, latency_ms, **extra):
    return dict(name=name, accuracy=accuracy, size_mb=size_mb, latency_ms=latency_ms, **extra)


def _reference_front(table):
    def dominates(b, a):
        ge = b["accuracy"] >= a["accuracy"] and b["size_mb"] <= a["size_mb"] and \
            b["latency_ms"] <= a["latency_ms"]
        gt = b["accuracy"] > a["accuracy"] or b["size_mb"] < a["size_mb"] or \
            b["latency_ms"] < a["latency_ms"]
        return ge and gt
    return [a["name"] for a in table if not any(dominates(b, a) for b in table)]


@pytest.mark.grade_id("a02_pareto_front")
def test_front_closed_form(nb):
    """A hand-made table: each dominated model removed, order kept"""
    table = [_row("a", 0.70, 5.0, 5.0), _row("b", 0.90, 1.0, 9.0), _row("c", 0.80, 2.0, 3.0),
             _row("d", 0.60, 6.0, 6.0), _row("e", 0.95, 8.0, 8.0)]
    got = nb.pareto_front(table)
    tl.check_type(got, list, "pareto_front(table)", hint="return a list of names.")
    assert got == ["b", "c", "e"], (
        "'a' is dominated by 'c' (more accurate, smaller, faster) and 'd' by 'a'; a model "
        "that wins on one count only (like 'b': smallest) stays on the front. Return the "
        f"names in table order. Got {got}.")


@pytest.mark.grade_id("a02_pareto_front")
def test_front_ties(nb):
    """Equal on all counts: both kept; equal on two, worse on one: dominated"""
    table = [_row("twin1", 0.8, 1.0, 2.0), _row("twin2", 0.8, 1.0, 2.0),
             _row("same_but_bigger", 0.8, 1.5, 2.0), _row("same_but_slower", 0.8, 1.0, 2.5)]
    got = nb.pareto_front(table)
    assert got == ["twin1", "twin2"], (
        "identical models do not dominate each other (domination needs one strictly better "
        "count), while a model equal on two counts and worse on the third is dominated. "
        f"Got {got}.")


@pytest.mark.grade_id("a02_pareto_front")
def test_front_edge_cases(nb):
    """Empty table, one model, one model that dominates all, extra keys ignored"""
    assert nb.pareto_front([]) == [], "an empty table has an empty front: []."
    assert nb.pareto_front([_row("only", 0.5, 1.0, 1.0)]) == ["only"], (
        "a single model is on the front.")
    table = [_row("x", 0.5, 2.0, 2.0, top1=0.99), _row("best", 0.9, 1.0, 1.0, top1=0.1),
             _row("y", 0.6, 3.0, 1.5, top1=0.5)]
    assert nb.pareto_front(table) == ["best"], (
        "a model better on every count dominates all others; keys other than accuracy, size_mb "
        "and latency_ms (like ImageNet top1) must be ignored.")


@pytest.mark.grade_id("a02_pareto_front")
def test_front_matches_definition_on_random_tables(nb):
    """Random tables with ties: the front matches the definition"""
    rng = np.random.default_rng(2)
    tables = []
    for _ in range(30):
        n = int(rng.integers(2, 9))
        tables.append([_row(f"m{i}", float(rng.integers(0, 4)) / 4, float(rng.integers(1, 4)),
                            float(rng.integers(1, 4))) for i in range(n)])
    answers = nb.probe.call_each(nb.pareto_front, tuple((t,) for t in tables))  # one round trip
    for trial, (table, got) in enumerate(zip(tables, answers, strict=True)):
        n, expected = len(table), _reference_front(table)
        assert got == expected, (
            f"on a random table of {n} models (trial {trial}) the front should have "
            f"{len(expected)} models, got {len(got)}: {got}. Higher accuracy is better, smaller "
            "size and latency are better.")


@pytest.mark.grade_id("a02_pareto_front")
def test_front_keeps_table_and_rejects_missing_keys(nb):
    """The table is not modified; a row without a needed key raises ValueError"""
    table = [_row("a", 0.7, 5.0, 5.0), _row("b", 0.9, 1.0, 9.0)]
    before = copy.deepcopy(table)
    nb.pareto_front(table)
    assert table == before, "pareto_front changed the table: do not sort or edit it in place."
    bad = [_row("a", 0.7, 5.0, 5.0), dict(name="b", accuracy=0.9, size_mb=1.0)]
    tl.check_raises(lambda: nb.pareto_front(bad), ValueError,
                    "pareto_front with a row lacking 'latency_ms'", match="latency_ms",
                    hint="check every row for the four keys and name the missing one.")


# ======================================================================= pick_under_budget
_TABLE = [_row("tiny", 0.70, 0.1, 1.0), _row("small", 0.80, 0.5, 5.0),
          _row("medium", 0.88, 2.0, 10.0), _row("large", 0.92, 10.0, 40.0)]


@pytest.mark.grade_id("a02_pick_under_budget")
@pytest.mark.parametrize("max_mb,max_ms,expected", [
    (100.0, 100.0, "large"), (2.0, 100.0, "medium"), (100.0, 9.0, "small"),
    (0.5, 5.0, "small"), (0.49, 5.0, "tiny"), (0.05, 100.0, None), (100.0, 0.5, None),
], ids=["no_limit", "size_limit", "latency_limit", "inclusive", "just_below", "none_fits_mb",
        "none_fits_ms"])
def test_pick_budgets(nb, max_mb, max_ms, expected):
    """The most accurate model within both budgets (inclusive), or None"""
    got = nb.pick_under_budget(_TABLE, max_mb, max_ms)
    assert got == expected, (
        f"with max_mb={max_mb} and max_ms={max_ms} the choice is {expected!r}; got {got!r}. "
        "Keep the models with size_mb <= max_mb AND latency_ms <= max_ms (budgets are "
        "inclusive), take the most accurate, and return None when nothing fits.")


@pytest.mark.grade_id("a02_pick_under_budget")
def test_pick_tie_breaks(nb):
    """Equal accuracy: the lower latency wins, then the smaller size, then the earlier row"""
    table = [_row("slow", 0.9, 1.0, 5.0), _row("fast_big", 0.9, 3.0, 2.0),
             _row("fast_small", 0.9, 2.0, 2.0), _row("fast_small_2", 0.9, 2.0, 2.0)]
    got = nb.pick_under_budget(table, 10.0, 10.0)
    assert got == "fast_small", (
        f"all four are equally accurate: the lowest latency wins, then the smallest size, then "
        f"the earlier row; expected 'fast_small', got {got!r}.")


@pytest.mark.grade_id("a02_pick_under_budget")
def test_pick_is_on_the_front(nb):
    """On random tables the pick matches the definition and lies on the Pareto front"""
    rng = np.random.default_rng(3)
    calls = []
    for _ in range(30):
        table = [_row(f"m{i}", float(rng.random()), float(rng.random() * 4),
                      float(rng.random() * 4)) for i in range(int(rng.integers(1, 8)))]
        calls.append((table, float(rng.random() * 4 + 0.1), float(rng.random() * 4 + 0.1)))
    answers = nb.probe.call_each(nb.pick_under_budget, tuple(calls))  # one round trip
    for trial, ((table, max_mb, max_ms), got) in enumerate(zip(calls, answers, strict=True)):
        fits = [r for r in table if r["size_mb"] <= max_mb and r["latency_ms"] <= max_ms]
        expected = max(fits, key=lambda r: r["accuracy"])["name"] if fits else None
        assert got == expected, (
            f"trial {trial}: expected {expected!r}, got {got!r}. Filter by both budgets first, "
            "then maximise accuracy.")
        assert got is None or got in _reference_front(table), (
            "the pick should always be on the Pareto front.")


@pytest.mark.grade_id("a02_pick_under_budget")
@pytest.mark.parametrize("max_mb,max_ms,name", [
    (0.0, 10.0, "max_mb"), (-1.0, 10.0, "max_mb"), (1.0, 0.0, "max_ms"),
    (1.0, float("nan"), "max_ms"), ("big", 10.0, "max_mb"),
], ids=["zero_mb", "negative_mb", "zero_ms", "nan_ms", "text_mb"])
def test_pick_rejects_bad_budgets(nb, max_mb, max_ms, name):
    """A budget that is not a number > 0 raises a ValueError naming it"""
    tl.check_raises(lambda: nb.pick_under_budget(_TABLE, max_mb, max_ms), ValueError,
                    f"pick_under_budget with a bad `{name}`", match=name,
                    hint=f"check that `{name}` is a number > 0 (NaN is not) and name it.")


@pytest.mark.grade_id("a02_pick_under_budget")
def test_pick_keeps_table(nb):
    """The table is not modified (no in-place sort)"""
    table = copy.deepcopy(_TABLE)
    nb.pick_under_budget(table, 5.0, 50.0)
    assert table == _TABLE, "pick_under_budget changed the table: use sorted()/max(), not .sort()."


# ==================================================================================== logme
def _exact_logme(f, y):
    """Maximise the exact Gaussian log marginal likelihood over (alpha, beta) numerically."""
    from scipy.optimize import minimize

    f = np.asarray(f, dtype=np.float64)
    n = len(f)
    gram = f @ f.T
    values = []
    for k in np.unique(y):
        yk = (y == k).astype(np.float64)

        def negative_evidence(p, yk=yk):
            cov = np.eye(n) * np.exp(-p[1]) + gram * np.exp(-p[0])
            _, logdet = np.linalg.slogdet(cov)
            return 0.5 * (logdet + yk @ np.linalg.solve(cov, yk) + n * np.log(2 * np.pi))

        best = min((minimize(negative_evidence, np.array(start), method="Nelder-Mead",
                             options=dict(xatol=1e-7, fatol=1e-9, maxiter=2000))
                    for start in ([0.0, 0.0], [3.0, 2.0])), key=lambda r: r.fun)
        values.append(-best.fun / n)
    return float(np.mean(values))


def _problem(n=40, d=6, c=3, noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    f = rng.normal(size=(c, d))[y] + noise * rng.normal(size=(n, d))
    return f, y


@pytest.mark.grade_id("a02_logme")
@pytest.mark.parametrize("n,d,c,noise", [(40, 6, 3, 1.0), (24, 30, 2, 0.5), (36, 3, 4, 0.2)],
                         ids=["tall", "wide", "few_features"])
def test_logme_is_the_maximum_evidence(nb, n, d, c, noise):
    """LogME equals the maximised log evidence (computed independently, closed form)"""
    f, y = _problem(n, d, c, noise)
    got = nb.logme(f, y)
    tl.check_type(got, float, "logme(features, labels)", hint="return a Python float.")
    expected = _exact_logme(f, y)
    tl.check_close(got, expected, "LogME", atol=1e-3, rtol=0, hint=(
        "LogME is the mean over classes of (maximised log evidence) / N. Check each term of "
        "the formula, that sigma has D values (zeros added when N < D), that m^2 and r^2 are "
        "recomputed with the final alpha and beta, and that you iterate to convergence."))


def _exact_fit_limit(f, y):
    """The evidence's limit as beta -> infinity (N <= D, rank N), from the Gram matrix F F^T."""
    f = np.asarray(f, dtype=np.float64)
    n = len(f)
    gram = f @ f.T
    _, logdet = np.linalg.slogdet(gram)
    values = []
    for k in np.unique(y):
        yk = (y == k).astype(np.float64)
        m0 = yk @ np.linalg.solve(gram, yk)
        values.append((n / 2 * np.log(n / m0) - 0.5 * logdet - n / 2
                       - n / 2 * np.log(2 * np.pi)) / n)
    return float(np.mean(values))


@pytest.mark.grade_id("a02_logme")
@pytest.mark.parametrize("n,d,c,noise", [(20, 60, 2, 0.5), (30, 80, 3, 0.1)],
                         ids=["exact_fit_a", "exact_fit_b"])
def test_logme_fewer_examples_than_features(nb, n, d, c, noise):
    """N <= D: labels fit exactly, the evidence's supremum is its limit as beta grows"""
    f, y = _problem(n, d, c, noise, seed=7)
    got = nb.logme(f, y)
    tl.check_type(got, float, "logme(features, labels)", hint="return a Python float.")
    assert np.isfinite(got), (
        f"with {n} examples and {d} features LogME should be finite, got {got}. When N <= D "
        "the iteration drives beta towards infinity: use the larger of the evidence after the "
        "iteration (non-finite counts as -inf) and the closed-form limit L_inf.")
    tl.check_close(got, _exact_fit_limit(f, y), "LogME with N <= D", atol=1e-3, rtol=0, hint=(
        "here the evidence grows all the way as beta -> infinity, so LogME is the limit "
        "L_inf = N/2 log(N / m0^2) - 1/2 sum(log sigma_i) - N/2 - N/2 log(2 pi), per class, "
        "divided by N."))
    tl.check_close(nb.logme(f * 100.0, y), got, "LogME with N <= D of features x 100",
                   atol=1e-3, rtol=0, hint="the limit is invariant to rescaling too.")


@pytest.mark.grade_id("a02_logme")
def test_logme_invariances(nb):
    """Invariant to rotating and rescaling the features, and to reordering the examples"""
    f, y = _problem(40, 6, 3, 1.0, seed=1)
    base = nb.logme(f, y)
    q, _ = np.linalg.qr(np.random.default_rng(5).normal(size=(6, 6)))
    tl.check_close(nb.logme(f @ q, y), base, "LogME of rotated features", atol=1e-4, rtol=0,
                   hint="LogME depends on the features only through the SVD of F.")
    for scale in (100.0, 0.01):
        tl.check_close(nb.logme(f * scale, y), base, f"LogME of features x {scale:g}",
                       atol=1e-3, rtol=0, hint=(
                           "rescaling the features must not change LogME: do not add constants "
                           "such as 1e-5 to m^2 or r^2, and iterate until t converges."))
    order = np.random.default_rng(6).permutation(len(y))
    tl.check_close(nb.logme(f[order], y[order]), base, "LogME of shuffled examples", atol=1e-6,
                   rtol=0)


@pytest.mark.grade_id("a02_logme")
def test_logme_ranks_by_information(nb):
    """Cleaner features score higher: noise 0.1 > 1 > 10"""
    scores = [nb.logme(*_problem(60, 8, 3, noise, seed=2)) for noise in (0.1, 1.0, 10.0)]
    assert scores[0] > scores[1] > scores[2], (
        f"features with less noise should be more transferable: got {np.round(scores, 3)} for "
        "noise 0.1, 1 and 10. Check the signs of the beta and alpha terms.")


@pytest.mark.grade_id("a02_logme")
def test_logme_labels_and_dtypes(nb):
    """Any integer labels work; float32 features give the float64 result"""
    f, y = _problem(30, 5, 2, 0.7, seed=3)
    base = nb.logme(f, y)
    tl.check_close(nb.logme(f, np.where(y == 0, 3, 7)), base, "LogME with labels {3, 7}",
                   atol=1e-9, rtol=0, hint="use the classes present (np.unique), not range(C).")
    tl.check_close(nb.logme(f.astype(np.float32), y), base, "LogME of float32 features",
                   atol=1e-4, rtol=0, hint="convert the features to float64 before the SVD.")
    tl.check_close(nb.logme(f.tolist(), y.tolist()), base, "LogME of lists", atol=1e-9, rtol=0,
                   hint="convert with np.asarray.")


@pytest.mark.grade_id("a02_logme")
def test_logme_keeps_inputs(nb):
    """features and labels are not modified"""
    f, y = _problem(30, 5, 3, 0.7, seed=4)
    f0, y0 = f.copy(), y.copy()
    nb.logme(f, y)
    assert np.array_equal(f, f0), "logme changed `features` in place: work on a float64 copy."
    assert np.array_equal(y, y0), "logme changed `labels` in place."


@pytest.mark.grade_id("a02_logme")
@pytest.mark.parametrize("case,name", [
    ("features_1d", "features"), ("features_nan", "features"), ("features_3d", "features"),
    ("labels_short", "labels"), ("labels_float", "labels"), ("one_class", "labels"),
], ids=lambda v: v)
def test_logme_rejects_bad_inputs(nb, case, name):
    """Bad inputs raise a ValueError naming the argument"""
    f, y = _problem(20, 4, 2, 1.0, seed=5)
    if case == "features_1d":
        f = f[:, 0]
    elif case == "features_nan":
        f = f.copy()
        f[3, 1] = np.nan
    elif case == "features_3d":
        f = f[:, :, None]
    elif case == "labels_short":
        y = y[:-1]
    elif case == "labels_float":
        y = y + 0.5
    else:
        y = np.zeros_like(y)
    tl.check_raises(lambda: nb.logme(f, y), ValueError, f"logme with {case.replace('_', ' ')}",
                    match=name, hint=f"validate `{name}` first and name it in the message.")


# ============================================================================ knowledge check
@pytest.mark.grade_id("a02_quiz")
@pytest.mark.parametrize("question,answer", [
    ("q1", "b"), ("q2", "a"), ("q3", "b"), ("q4", "a"), ("q5", "b"), ("q6", "c"),
], ids=["q1", "q2", "q3", "q4", "q5", "q6"])
def test_quiz(nb, question, answer):
    """knowledge check"""
    assert isinstance(nb.answers, dict), "answers must be a dict."
    assert nb.answers.get(question) == answer, f"{question} is not right yet"
