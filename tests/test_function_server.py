"""The kernel's side of a call: the function server answers in plain data and never raises."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tl_course.kernel_link import recompile
from tl_helpers.grading import function_server, wire
from tl_helpers.grading.keras_models import apply_model_state


def _serve(tmp_path, request, namespace):
    (tmp_path / "in").mkdir(parents=True, exist_ok=True)
    (tmp_path / "in" / "request.json").write_text(json.dumps(request))
    function_server.serve(tmp_path, namespace=namespace)
    return json.loads((tmp_path / "out" / "response.json").read_text())


def test_a_recompiled_argument_comes_back_as_state_and_safe_compile_settings(tmp_path):
    import keras

    def dense():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])
        model.compile(keras.optimizers.Adam(1e-2), "mse")
        return model

    def the_notebooks(m):  # the notebook's function that recompiles its argument
        m.layers[0].trainable = False
        m.compile(keras.optimizers.SGD(0.5), "mse")

    args = wire.encode([dense()], tmp_path / "in")
    response = _serve(tmp_path, {"op": "call", "target": {"$": "global", "name": "recompile"},
                                 "args": args}, {"recompile": the_notebooks})
    after = response["after"][0]
    assert after["$"] == "model_state" and "compile" in after
    ours = dense()
    apply_model_state(ours, after, tmp_path / "out")
    recompile(ours, after["compile"])
    assert type(ours.optimizer) is keras.optimizers.SGD and ours.layers[0].trainable is False
    forged = json.loads(after["compile"])
    forged["loss"] = {"module": "builtins", "class_name": "function", "config": "print",
                      "registered_name": "function"}
    for bad in (json.dumps(forged), "not json", "[1]"):
        with pytest.raises(wire.WireError, match="compile settings|recompiled"):
            recompile(dense(), bad)


def test_the_server_reports_arguments_changed_in_place(tmp_path):
    def grow(values, array):
        values.append(3)
        array += 1

    args = wire.encode([[1, 2], np.zeros(2)], tmp_path / "in")
    response = _serve(tmp_path, {"op": "call", "target": {"$": "global", "name": "grow"},
                                 "args": args}, {"grow": grow})
    assert response["ok"] and response["value"] is None
    after = [wire.decode(t, tmp_path / "out") for t in response["after"]]
    assert after[0] == [1, 2, 3] and after[1].tolist() == [1.0, 1.0]


def test_the_server_sends_a_changed_model_as_its_state_and_keeps_it(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])

    def freeze(m):
        m.layers[0].trainable = False

    args = wire.encode([model], tmp_path / "in")
    response = _serve(tmp_path, {"op": "call", "target": {"$": "global", "name": "freeze"},
                                 "args": args}, {"freeze": freeze})
    after = response["after"][0]
    assert after["$"] == "model_state" and after["flags"][0] is True and after["flags"][-1] is False
    assert after["weights"] is None  # only the flags changed: only they cross
    apply_model_state(model, after, tmp_path / "out")
    assert model.layers[0].trainable is False
    held = function_server.HANDLES[after["handle"]]  # kept for the next call, same state
    assert held.layers[0].trainable is False
    assert np.array_equal(held.get_weights()[0], model.get_weights()[0])
    for step, keep in enumerate([[after["handle"]], []]):  # kept while the grader holds it
        folder = tmp_path / f"release{step}"
        folder.mkdir()
        assert _serve(folder, {"op": "release", "keep": keep}, {})["ok"]
        assert (after["handle"] in function_server.HANDLES) == bool(keep)


def test_the_server_reports_each_change_of_a_model_it_holds_across_calls(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])

    def freeze(m, flag):
        m.layers[0].trainable = flag

    afters = []
    for step, flag in enumerate([False, True, True, False]):
        folder = tmp_path / f"call{step}"
        (folder / "in").mkdir(parents=True)
        held = afters[-1]["handle"] if afters and afters[-1] else None
        arg = {"$": "handle", "id": held} if held else wire.encode(model, folder / "in")
        response = _serve(folder, {"op": "call", "target": {"$": "global", "name": "freeze"},
                                   "args": [arg, flag]}, {"freeze": freeze})
        afters.append(response["after"][0] or afters[-1] | {"unchanged": True})
    # changed, changed back, unchanged (the state the previous call left), changed again
    assert [a.get("unchanged", False) for a in afters] == [False, False, True, False]
    assert [a["flags"][-1] for a in afters] == [False, True, True, False]


def test_the_server_never_raises(tmp_path):
    response = _serve(tmp_path, {"op": "get", "target": {"$": "global", "name": "nope"}}, {})
    assert response["ok"] is False
    error = wire.decode(response["error"], tmp_path)
    assert type(error) is RuntimeError and "nope" in str(error)



def test_a_kernel_freezes_its_heap_once_at_the_first_request(tmp_path, monkeypatch):
    """In a kernel, the first request collects and freezes what is alive (TensorFlow, Keras, the
    notebook), so that the collection after each graded cell's checks scans only what was made
    since; later requests freeze nothing more. A plain process (no IPython shell) is left as
    it is."""
    import gc

    request = {"op": "call", "target": {"$": "global", "name": "len"}, "args": [[1, 2]],
               "kwargs": {"$": "dict", "items": []}}
    monkeypatch.setattr(function_server, "_HEAP_SETTLED", [])
    before = gc.get_freeze_count()
    assert _serve(tmp_path / "plain", request, {"len": len})["value"] == 2
    assert gc.get_freeze_count() == before, "no shell: the heap must be left as it is"
    monkeypatch.setattr(function_server, "_shell", lambda: object())  # as in a kernel
    try:
        assert _serve(tmp_path / "first", request, {"len": len})["value"] == 2
        frozen = gc.get_freeze_count()
        assert frozen > before
        made_since = [[i] for i in range(1000)]  # noqa: F841 - objects alive at the next call
        assert _serve(tmp_path / "second", request, {"len": len})["value"] == 2
        assert gc.get_freeze_count() == frozen, "the heap is frozen once, not at every request"
    finally:
        gc.unfreeze()
