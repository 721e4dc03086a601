"""The plain-data wire between grader and kernel, and fast mode's choice of cells to skip."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tl_course.fast_mode import skippable_cells
from tl_helpers.grading import function_server, wire
from tl_helpers.grading.probes import FeatureRecorder, ScriptedModel


def _round_trip(value, tmp_path):
    return wire.decode(wire.encode(value, tmp_path), tmp_path)


def test_plain_values_keep_their_types(tmp_path):
    value = {"t": (1, 2.5, "x", None, True), "l": [1, [2]], "s": {3}, 4: np.float32(1.5),
             "a": np.arange(6).reshape(2, 3), "p": Path("/x/y"), "nan": float("nan")}
    back = _round_trip(value, tmp_path)
    assert type(back["t"]) is tuple and back["t"] == (1, 2.5, "x", None, True)
    assert back["l"] == [1, [2]] and back["s"] == {3} and back["p"] == Path("/x/y")
    assert type(back[4]) is np.float32 and back[4] == 1.5
    assert back["a"].tolist() == [[0, 1, 2], [3, 4, 5]] and np.isnan(back["nan"])


def test_exceptions_cross_as_one_builtin_type(tmp_path):
    class Sly(ValueError, TypeError, FileNotFoundError):
        pass

    back = _round_trip(Sly("factor"), tmp_path)
    assert type(back) is ValueError and str(back) == "factor"
    assert not isinstance(back, (TypeError, FileNotFoundError))
    assert type(wire.make_exception("SystemExit", "x")) is RuntimeError
    assert type(wire.make_exception("NotABuiltin", "x")) is RuntimeError


def test_subclasses_with_lies_are_not_plain_data(tmp_path):
    class Yes(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    with pytest.raises(wire.WireError, match="cannot be sent"):
        wire.encode(Yes("z"), tmp_path)
    handles = []
    tree = wire.encode([Yes("z")], tmp_path, handle=lambda v: handles.append(v) or
                       {"$": "handle", "id": 1})
    assert tree == [{"$": "handle", "id": 1}] and type(handles[0]) is Yes


@pytest.mark.parametrize("tree,match", [
    ({"$": "ndarray", "file": "../../etc/passwd"}, "outside its folder"),
    ({"$": "ndarray", "file": "missing.npy"}, "missing"),
    ({"$": "no_such_kind"}, "unknown kind"),
    ({"not": "tagged"}, "unknown kind"),
    ({"$": "scalar", "dtype": "O", "value": 1}, "unknown dtype"),
    ({"$": "dict", "items": [[[1], 2]]}, "not hashable"),
    ({"$": "handle", "id": 3}, "unknown kind"),
    ({"$": "arg", "index": 5}, "does not exist"),
    ({"$": "float", "value": "1e400"}, "special float"),
    ({"$": "probe", "class": "os.system", "state": {}}, "unknown probe"),
], ids=["traversal", "missing", "kind", "untagged", "object-scalar", "unhashable",
        "handle-without-resolver", "arg", "float", "probe"])
def test_untrusted_trees_are_refused_with_a_reason(tmp_path, tree, match):
    with pytest.raises(wire.WireError, match=match):
        wire.decode(tree, tmp_path)


def test_links_pickles_and_depth_are_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError, match="could not be read"):
        wire.decode({"$": "ndarray", "file": "obj.npy"}, tmp_path)
    (tmp_path / "secret").write_text("x")
    os.symlink(tmp_path / "secret", tmp_path / "link.npy")
    with pytest.raises(wire.WireError, match="not a regular file"):
        wire.decode({"$": "ndarray", "file": "link.npy"}, tmp_path)
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError, match="nested"):
        wire.decode(deep, tmp_path)


def test_models_come_back_only_through_safe_mode(tmp_path):
    import keras

    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    tree = wire.encode(model, tmp_path)
    with pytest.raises(wire.WireError, match="safe_mode=True"):
        wire.decode(tree, tmp_path)
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    back = _round_trip(plain, tmp_path)
    assert np.allclose(back.get_weights()[0], plain.get_weights()[0])


def test_models_cross_as_config_and_weights_with_flags_and_compile_settings(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"),
                             keras.layers.BatchNormalization(name="bn")], name="base")
    base.get_layer("d1").trainable = False
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(base(inputs)))
    model.compile(keras.optimizers.Adam(3e-4), "sparse_categorical_crossentropy")
    tree = wire.encode(model, tmp_path)
    assert tree["$"] == "model" and not list(tmp_path.glob("*.keras"))
    back = wire.decode(tree, tmp_path)
    assert back.get_layer("base").get_layer("d1").trainable is False
    assert all(np.array_equal(a, b) for a, b in zip(back.get_weights(), model.get_weights(),
                                                    strict=True))
    assert type(back.optimizer) is keras.optimizers.Adam
    assert abs(float(back.optimizer.learning_rate) - 3e-4) < 1e-9
    with pytest.raises(wire.WireError, match="one array per weight"):
        wire.decode(dict(tree, weights=tree["weights"][:-1]), tmp_path)
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(wire.WireError, match="could not be loaded safely"):
        wire.decode(dict(tree, config="list.json"), tmp_path)


def test_a_recompiled_argument_comes_back_as_state_and_safe_compile_settings(tmp_path):
    import keras

    from tl_course import proxy

    def dense():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])
        model.compile(keras.optimizers.Adam(1e-2), "mse")
        return model

    def recompile(m):
        m.layers[0].trainable = False
        m.compile(keras.optimizers.SGD(0.5), "mse")

    args = wire.encode([dense()], tmp_path / "in")
    response = _serve(tmp_path, {"op": "call", "target": {"$": "global", "name": "recompile"},
                                 "args": args}, {"recompile": recompile})
    after = response["after"][0]
    assert after["$"] == "model_state" and "compile" in after
    ours = dense()
    wire.apply_model_state(ours, after, tmp_path / "out")
    proxy._recompile(ours, after["compile"])
    assert type(ours.optimizer) is keras.optimizers.SGD and ours.layers[0].trainable is False
    forged = json.loads(after["compile"])
    forged["loss"] = {"module": "builtins", "class_name": "function", "config": "print",
                      "registered_name": "function"}
    for bad in (json.dumps(forged), "not json", "[1]"):
        with pytest.raises(wire.WireError, match="compile settings|recompiled"):
            proxy._recompile(dense(), bad)


def test_model_state_updates_a_model_and_refuses_what_does_not_fit(tmp_path):
    import keras

    def dense():
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])

    ours, theirs = dense(), dense()
    theirs.layers[0].trainable = False
    theirs.layers[0].kernel.assign(np.full((2, 3), 7.0))
    wire.apply_model_state(ours, wire.model_state(theirs, tmp_path / "a"), tmp_path / "a")
    assert ours.layers[0].trainable is False
    assert all(np.array_equal(a, b) for a, b in zip(ours.get_weights(), theirs.get_weights(),
                                                    strict=True))

    other = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    tree = wire.model_state(other, tmp_path / "b")
    before = wire.model_fingerprint(ours)
    with pytest.raises(wire.WireError, match="does not fit"):
        wire.apply_model_state(ours, tree, tmp_path / "b")
    tree = wire.model_state(theirs, tmp_path / "c")
    with pytest.raises(wire.WireError, match="one array per weight"):
        wire.apply_model_state(ours, dict(tree, weights=tree["weights"][:1]), tmp_path / "c")
    text = np.array(["a", "b", "c", "d", "e", "f"]).reshape(2, 3)
    forged = dict(tree, weights=[wire.encode(text, tmp_path / "c"), tree["weights"][1]])
    with pytest.raises(wire.WireError, match="does not fit"):
        wire.apply_model_state(ours, forged, tmp_path / "c")
    with pytest.raises(wire.WireError, match="flags"):
        wire.apply_model_state(ours, dict(tree, flags=[True]), tmp_path / "c")
    assert wire.model_fingerprint(ours) == before  # nothing was half applied


def test_probes_cross_as_their_state(tmp_path):
    recorder = FeatureRecorder()
    recorder(np.ones((2, 3)), [0, 1])
    back = _round_trip(recorder, tmp_path)
    assert type(back) is FeatureRecorder and back.calls[0][0].shape == (2, 3)
    scripted = _round_trip(ScriptedModel([5, 1]), tmp_path)
    assert scripted.durations == [5.0, 1.0] and scripted.calls == 0


def _serve(tmp_path, request, namespace):
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / "request.json").write_text(json.dumps(request))
    function_server.serve(tmp_path, namespace=namespace)
    return json.loads((tmp_path / "out" / "response.json").read_text())


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
    wire.apply_model_state(model, after, tmp_path / "out")
    assert model.layers[0].trainable is False
    held = function_server._HANDLES[after["handle"]]  # kept for the next call, same state
    assert held.layers[0].trainable is False
    assert np.array_equal(held.get_weights()[0], model.get_weights()[0])
    for step, keep in enumerate([[after["handle"]], []]):  # kept while the grader holds it
        folder = tmp_path / f"release{step}"
        folder.mkdir()
        assert _serve(folder, {"op": "release", "keep": keep}, {})["ok"]
        assert (after["handle"] in function_server._HANDLES) == bool(keep)


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


def _nb(*cells):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src, id=f"c{i}")
                                           for i, src in enumerate(cells)])


def test_fast_mode_skips_unchanged_experiments_nothing_reads():
    release = _nb("import numpy as np", "results = np.ones(3)\nresults.sum()",
                  "for k in range(3):\n    print(k)", "def helper(x):\n    return x + 1")
    answer = nbformat.v4.new_code_cell("def f(x):\n    return helper(x)", id="a")
    answer.metadata["nbgrader"] = {"grade_id": "f", "solution": True}
    release.cells.append(answer)
    assert skippable_cells(release, release) == {0, 1, 2}  # nothing that runs needs numpy
    changed = nbformat.from_dict(release)
    changed.cells[1].source = "results = np.zeros(3)"  # a changed course cell is student code
    assert skippable_cells(changed, release) == {2}
    reads = nbformat.from_dict(release)
    reads.cells.append(nbformat.v4.new_code_cell("print(results)", id="mine"))
    assert skippable_cells(reads, release) == {2}
    hidden_tag = nbformat.from_dict(release)
    hidden_tag.cells[0].metadata["tags"] = ["skip"]  # tags the student controls change nothing
    assert skippable_cells(hidden_tag, release) == {0, 1, 2}


def test_fast_mode_skips_an_experiment_that_only_later_cells_could_see():
    release = _nb("model = make()", "print(model)", "model.set_weights(old)\nrun_probe(model)")
    answer = nbformat.v4.new_code_cell("def f(x):\n    return x + 1", id="a")
    answer.metadata["nbgrader"] = {"grade_id": "f", "solution": True}
    release.cells.insert(2, answer)
    mine = nbformat.from_dict(release)
    mine.cells[1].source = "print(model)  # mine"  # student code reading model: cell 0 runs
    # cell 3 changes model after every cell that reads it has run: it cannot matter
    assert skippable_cells(mine, release) == {3}
    later = nbformat.from_dict(mine)  # a function reads model when called, maybe after cell 3
    later.cells[2].source = "def f(x):\n    return model(x)"
    assert skippable_cells(later, release) == set()


def test_fast_mode_sees_a_global_read_next_to_a_local_of_the_same_name():
    release = _nb("patches = load()", "x = 1")
    submitted = nbformat.from_dict(release)
    submitted.cells.append(nbformat.v4.new_code_cell(
        "def show(patches):\n    return patches\n\ndef count():\n    return len(patches)", id="m"))
    # `patches` is an argument of show() but a global in count(): the load must run
    assert skippable_cells(submitted, release) == {1}
    comprehension = nbformat.from_dict(submitted)
    comprehension.cells[2].source = "sizes = [len(p) for p in patches]"
    assert skippable_cells(comprehension, release) == {1}


@pytest.mark.parametrize("source,read", [
    ("class A:\n    x = 1\nprint(x)", {"print", "x"}),  # x is A's attribute, not a global
    ("z = [x for x in x]", {"x"}),  # the first iterable is read outside the comprehension
    ("try:\n    import foo\nexcept ImportError:\n    pass\nfoo.bar()", {"ImportError", "foo"}),
    ("def f(v):\n    return v + offset\nv = f(1)", {"offset"}),
], ids=["class_attribute", "comprehension_iterable", "try_may_not_bind", "argument_is_local"])
def test_fast_mode_reads_names_as_python_scopes_them(source, read):
    import ast

    from tl_course.fast_mode import names_read

    assert names_read(ast.parse(source)) == read
