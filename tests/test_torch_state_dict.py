"""The legacy torch state-dict reader: real files read without torch, bad files refused."""

import collections
import pickle
import struct
import sys
import types

import numpy as np
import pytest

from tl_helpers.efficientnet_lite import weights_file
from tl_helpers.torch_state_dict import StateDictError, read_state_dict

MAGIC, PROTOCOL = 0x1950A86A20F9469CFC6C, 1001


class _Key:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


def write_legacy_state_dict(path, tensors, *, counts=None, stride_of=None):
    """Write ``tensors`` ({name: float32 array}) the way ``torch.save(..., legacy)`` does.

    A stand-in ``torch`` module is put in ``sys.modules`` only while pickling, so that the
    pickle names ``torch.FloatStorage`` and ``torch._utils._rebuild_tensor_v2`` as torch would.
    """
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    storage_cls = type("FloatStorage", (), {"__module__": "torch"})

    def _rebuild_tensor_v2(*args):  # never called: only its name is pickled
        raise AssertionError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage, torch._utils, utils._rebuild_tensor_v2 = storage_cls, utils, \
        _rebuild_tensor_v2

    class Tensor:
        def __init__(self, key, array):
            self.key, self.array = _Key(key, array.size), array

        def __reduce__(self):
            shape = self.array.shape
            stride = (stride_of or {}).get(self.key.key) or tuple(
                int(np.prod(shape[i + 1:])) for i in range(len(shape)))
            return _rebuild_tensor_v2, (self.key, 0, shape, stride, False,
                                        collections.OrderedDict())

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _Key):
                return ("storage", storage_cls, obj.key, "cpu", obj.numel, None)
            return None

    state = collections.OrderedDict(
        (name, Tensor(str(i), np.ascontiguousarray(a, np.float32)))
        for i, (name, a) in enumerate(tensors.items()))
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules.update({"torch": torch, "torch._utils": utils})
    try:
        with open(path, "wb") as f:
            for obj in (MAGIC, PROTOCOL, {"little_endian": True}):
                pickle.dump(obj, f, protocol=2)
            Pickler(f, protocol=2).dump(state)
            pickle.dump([t.key.key for t in state.values()], f, protocol=2)
            for t in state.values():
                count = (counts or {}).get(t.key.key, t.array.size)
                f.write(struct.pack("<q", count))
                f.write(t.array.astype("<f4").tobytes())
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return path


def test_a_written_state_dict_reads_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {"conv.weight": rng.normal(size=(4, 3, 3, 3)), "bn.bias": rng.normal(size=4)}
    state = read_state_dict(write_legacy_state_dict(tmp_path / "ok.pth", tensors))
    assert list(state) == list(tensors)
    for name, array in tensors.items():
        assert state[name].dtype == np.float32 and state[name].shape == array.shape
        np.testing.assert_array_equal(state[name], array.astype(np.float32))
        assert state[name].flags.writeable and state[name].flags.owndata


def test_strided_tensors_are_cut_out_of_their_storage(tmp_path):
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = write_legacy_state_dict(tmp_path / "t.pth", {"w": array}, stride_of={"0": (1, 2)})
    # stride (1, 2) over the same 6 elements reads the storage as a transposed 3x2 matrix
    np.testing.assert_array_equal(read_state_dict(path)["w"],
                                  np.arange(6, dtype=np.float32).reshape(3, 2).T)


def test_the_real_lite0_file_is_read_without_torch():
    state = read_state_dict(weights_file("efficientnet_lite0"))
    assert "torch" not in sys.modules
    assert len(state) == 296
    assert sum(a.size for a in state.values()) == 4_694_073
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert np.isfinite(state["_fc.weight"]).all()


def test_a_pickle_naming_os_system_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            import os

            return os.system, (f"touch {marker}",)

    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        for obj in (MAGIC, PROTOCOL, {"little_endian": True}):
            pickle.dump(obj, f, protocol=2)
        pickle.dump(collections.OrderedDict(w=Evil()), f, protocol=2)
    with pytest.raises(StateDictError, match=r"evil\.pth names `(posix|os|nt)\.system`.*refused"):
        read_state_dict(path)
    assert not marker.exists()


def test_a_bare_malicious_pickle_is_refused_too(tmp_path):
    path = tmp_path / "bare.pth"
    path.write_bytes(pickle.dumps(eval))
    with pytest.raises(StateDictError, match=r"bare\.pth names `builtins\.eval`"):
        read_state_dict(path)


def test_a_truncated_file_is_refused_with_its_name(tmp_path):
    good = write_legacy_state_dict(tmp_path / "good.pth", {"w": np.ones((8, 8))})
    data = good.read_bytes()
    for cut in (5, len(data) // 2, len(data) - 3):
        bad = tmp_path / f"cut{cut}.pth"
        bad.write_bytes(data[:cut])
        with pytest.raises(StateDictError, match=rf"cut{cut}\.pth.*truncated"):
            read_state_dict(bad)


def test_a_wrong_element_count_is_refused(tmp_path):
    path = write_legacy_state_dict(tmp_path / "count.pth", {"w": np.ones(4)}, counts={"0": 5})
    with pytest.raises(StateDictError, match=r"count\.pth is damaged: storage '0' announces 5"):
        read_state_dict(path)


def test_not_a_legacy_file_is_refused(tmp_path):
    path = tmp_path / "zip.pth"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)  # torch>=1.6's zip format
    with pytest.raises(StateDictError, match=r"zip\.pth"):
        read_state_dict(path)
    with pytest.raises(FileNotFoundError, match="Argument `path`"):
        read_state_dict(tmp_path / "missing.pth")
