"""The plain-data wire between grader and kernel (and fast mode's choice of cells to skip)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

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


