"""Read a PyTorch state dict saved in the legacy (pre-zip) format, with NumPy alone.

Some registry packages ship pretrained weights as ``.pth`` files written by ``torch.save`` with
the legacy serialisation. That format is a row of five pickles followed by raw tensor data:

1. a magic number, 2. the protocol version, 3. system information (endianness, type sizes),
4. the state dict, whose tensors are ``torch._utils._rebuild_tensor_v2(storage, offset, size,
   stride, ...)`` calls and whose storages are *persistent ids*
   ``("storage", torch.FloatStorage, key, location, numel, None)``,
5. the list of storage keys, in the order their data follows,

then, for each key, an ``int64`` element count and that many little-endian elements.

Unpickling runs whatever the pickle names, so :func:`read_state_dict` uses a restricted
unpickler that knows only ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and
the ``torch.*Storage`` types, each replaced by a harmless stand-in: nothing from the file is ever
imported or executed, and torch is not needed. Any other name, a truncated file or an element
count that does not match raises :class:`StateDictError` naming the file.

Example:
    >>> import io, pickle, struct, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "bad.pth"
    >>> _ = path.write_bytes(pickle.dumps(print))  # a pickle that names a function
    >>> read_state_dict(path)
    Traceback (most recent call last):
    ...
    tl_helpers.torch_state_dict.StateDictError: ...
"""

from __future__ import annotations

import collections
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["StateDictError", "read_state_dict"]

_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_PROTOCOL_VERSION = 1001

#: torch storage type -> NumPy dtype (little-endian, as torch writes them on x86 and ARM).
_STORAGE_DTYPES = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class StateDictError(ValueError):
    """A ``.pth`` file that is not a plain legacy state dict, or is damaged."""


class _StorageType:
    """Stand-in for a ``torch.*Storage`` class: only its element dtype matters."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _StorageRef:
    """A storage named in the state dict; its data is read after the pickles."""

    def __init__(self, key: str, storage_type: _StorageType, numel: int):
        self.key, self.dtype, self.numel = key, storage_type.dtype, numel


class _TensorRef:
    """A tensor to cut out of a storage once the storage's data has been read."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, *_):
    return _TensorRef(storage, offset, size, stride)


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves three kinds of names to stand-ins and refuses all others."""

    def __init__(self, file, path: Path):
        super().__init__(file)
        self._path = path
        self.storages: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise StateDictError(
            f"The file {self._path} names `{module}.{name}`, which a plain state dict never "
            "does: refused without running it. Only tensors (torch._utils._rebuild_tensor_v2, "
            "torch.*Storage) in an OrderedDict are read."
        )

    def persistent_load(self, pid):
        if (
            not isinstance(pid, tuple)
            or len(pid) < 5
            or pid[0] != "storage"
            or not isinstance(pid[1], _StorageType)
            or not isinstance(pid[2], str)
            or not isinstance(pid[4], int)
        ):
            raise StateDictError(f"The file {self._path} holds an unknown persistent id {pid!r}.")
        _, storage_type, key, _location, numel = pid[:5]
        if key not in self.storages:
            self.storages[key] = _StorageRef(key, storage_type, numel)
        return self.storages[key]


def _load_pickle(unpickler: _RestrictedUnpickler, path: Path, what: str) -> Any:
    try:
        return unpickler.load()
    except StateDictError:
        raise
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, IndexError,
            KeyError, AttributeError) as err:
        raise StateDictError(
            f"Could not read the {what} of {path}: the file is truncated or is not a legacy "
            f"PyTorch state dict ({type(err).__name__}: {err})."
        ) from None


def _materialise(ref: _TensorRef, data: dict[str, np.ndarray], path: Path, name: str):
    buffer = data[ref.storage.key]
    if len(ref.size) != len(ref.stride) or any(s < 0 for s in ref.size + ref.stride):
        raise StateDictError(f"Tensor {name!r} in {path} has an invalid size/stride.")
    last = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride, strict=True) if n > 0)
    if ref.offset < 0 or (min(ref.size, default=1) > 0 and last >= len(buffer)):
        raise StateDictError(
            f"Tensor {name!r} in {path} reaches past the end of its storage "
            f"({last + 1} > {len(buffer)} elements): the file is damaged."
        )
    itemsize = buffer.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        buffer[ref.offset:], shape=ref.size, strides=[s * itemsize for s in ref.stride],
        writeable=False,
    )
    return np.array(view)  # a compact copy that owns its memory


def read_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a legacy ``torch.save`` state dict into NumPy arrays, without torch.

    Args:
        path: the ``.pth`` file.

    Returns:
        A dict from parameter name (``"_conv_stem.weight"``, ...) to a NumPy array with the
        tensor's shape and dtype, in the file's order.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        StateDictError: the file names anything but tensors (it is refused before anything in
            it runs), is truncated, or its element counts do not match.

    Example:
        >>> from tl_helpers.efficientnet_lite import weights_file
        >>> state = read_state_dict(weights_file("efficientnet_lite0"))  # doctest: +SKIP
        >>> state["_conv_stem.weight"].shape  # doctest: +SKIP
        (32, 3, 3, 3)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Argument `path` must be an existing .pth file. Received: {path}")
    with open(path, "rb") as f:
        unpickler = _RestrictedUnpickler(f, path)
        magic = _load_pickle(unpickler, path, "magic number")
        if magic != _MAGIC_NUMBER:
            raise StateDictError(
                f"{path} is not a legacy PyTorch file (wrong magic number). Files saved with "
                "torch>=1.6's default zip format are not supported."
            )
        version = _load_pickle(unpickler, path, "protocol version")
        if version != _PROTOCOL_VERSION:
            raise StateDictError(f"{path} uses protocol version {version!r}, not 1001.")
        sys_info = _load_pickle(unpickler, path, "system information")
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise StateDictError(f"{path} was written on a big-endian machine: not supported.")
        state = _load_pickle(unpickler, path, "state dict")
        keys = _load_pickle(unpickler, path, "storage keys")
        if not isinstance(state, dict) or not isinstance(keys, list):
            raise StateDictError(f"{path} does not hold a state dict (a dict of tensors).")
        data: dict[str, np.ndarray] = {}
        for key in keys:
            ref = unpickler.storages.get(key)
            if ref is None:
                raise StateDictError(f"{path} lists storage {key!r} that no tensor uses.")
            header = f.read(8)
            if len(header) != 8:
                raise StateDictError(f"{path} is truncated: storage {key!r} is missing.")
            count = int(np.frombuffer(header, "<i8")[0])
            if count != ref.numel:
                raise StateDictError(
                    f"{path} is damaged: storage {key!r} announces {count} elements, the state "
                    f"dict says {ref.numel}."
                )
            raw = f.read(count * ref.dtype.itemsize)
            if len(raw) != count * ref.dtype.itemsize:
                raise StateDictError(f"{path} is truncated inside storage {key!r}.")
            data[key] = np.frombuffer(raw, ref.dtype)
    missing = set(unpickler.storages) - set(data)
    if missing:
        raise StateDictError(f"{path} is missing the data of storages {sorted(missing)}.")
    arrays = {}
    for name, value in state.items():
        if not isinstance(value, _TensorRef):
            raise StateDictError(f"Entry {name!r} of {path} is not a tensor.")
        arrays[str(name)] = _materialise(value, data, path, str(name))
    return arrays
