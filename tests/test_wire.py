"""The plain-data wire between grader and kernel (and fast mode's choice of cells to skip)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tl_course.fast_mode import skippable_cells
from tl_helpers.grading import wire
from tl_helpers.grading.exceptions import make_exception
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
    assert type(make_exception("SystemExit", "x")) is RuntimeError
    assert type(make_exception("NotABuiltin", "x")) is RuntimeError


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



def test_probes_cross_as_their_state(tmp_path):
    recorder = FeatureRecorder()
    recorder(np.ones((2, 3)), [0, 1])
    back = _round_trip(recorder, tmp_path)
    assert type(back) is FeatureRecorder and back.calls[0][0].shape == (2, 3)
    scripted = _round_trip(ScriptedModel([5, 1]), tmp_path)
    assert scripted.durations == [5.0, 1.0] and scripted.calls == 0



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
