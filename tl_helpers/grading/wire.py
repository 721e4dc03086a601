"""Plain data between the grader and a student's kernel: what may cross, and how.

The hidden checks run in the grader; the student's kernel only answers calls (see
:mod:`tl_helpers.grading.function_server` and :mod:`tl_course.proxy`). Everything that
crosses between them is written by :func:`encode` into a folder as one JSON tree plus files, and
read back by :func:`decode`, which trusts nothing it reads:

* JSON ``null``, booleans, numbers, strings and lists; every other value is a tagged object
  ``{"$": kind, ...}``: ``tuple``, ``dict`` (a list of key/value pairs), ``set``, ``ndarray``
  (a ``.npy`` file read with ``allow_pickle=False``), ``scalar`` (a NumPy number with its dtype),
  ``path``, ``model`` (its Keras config as a JSON file, rebuilt with ``safe_mode=True``, and
  one ``.npy`` file per weight: what a ``.keras`` file holds, without the zip and HDF5 steps
  that made a crossing slow: see :mod:`tl_helpers.grading.keras_models`), ``exception`` (a
  builtin exception type's name and the message: see :mod:`tl_helpers.grading.exceptions`),
  ``dataset`` (:class:`tl_helpers.ImageDataset` fields), ``probe`` (a
  :mod:`tl_helpers.grading.probes` object's state), ``handle`` (an object that stays in the
  kernel) and ``arg`` (the call's own argument number ``i``);
* files are regular files inside the folder (no links), each at most :data:`MAX_FILE_BYTES`;
* the tree is at most :data:`MAX_DEPTH` deep and :data:`MAX_NODES` values large.

Anything else is a :class:`WireError` that says what came back. A ``str`` subclass that equals
everything, a ``float`` whose comparisons are all true or an exception class that inherits from
three builtins cannot cross: JSON has no classes, and an exception crosses as one builtin type.

Example:
    >>> import tempfile, numpy as np
    >>> folder = Path(tempfile.mkdtemp())
    >>> tree = encode({"a": (1, 2.5), "b": np.arange(3)}, folder)
    >>> value = decode(tree, folder)
    >>> value["a"], value["b"].tolist()
    ((1, 2.5), [0, 1, 2])
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from tl_helpers.grading.exceptions import WireError, exception_type_name, make_exception
from tl_helpers.grading.keras_models import (
    config_json,
    is_keras_model,
    model_from_config,
    set_weights_and_flags,
    trainable_flags,
)

__all__ = [
    "WireError",
    "encode",
    "decode",
    "MAX_FILE_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
]

MAX_FILE_BYTES = 512 * 2**20
"""Largest file (an array or a model) one answer may carry."""
MAX_DEPTH = 64
"""Deepest nesting of lists, tuples and dicts one answer may have."""
MAX_NODES = 2_000_000
"""Most values (numbers, strings, containers) one answer may hold."""
MAX_STRING = 10 * 2**20

_NUMERIC_KINDS = "biufc"


# ------------------------------------------------------------------------------------ encode
class _Encoder:
    def __init__(self, folder: Path, *, args: tuple = (), handle: Callable[[Any], dict] | None,
                 model_ref: Callable[[Any], dict | None] | None = None,
                 path_map: Callable[[PurePath], PurePath] | None = None) -> None:
        self.folder = folder
        self.args = args
        self.handle = handle
        self.model_ref = model_ref
        self.path_map = path_map
        self.counter = itertools.count()
        self.prefix = secrets.token_hex(4)

    def file(self, suffix: str) -> tuple[str, Path]:
        name = f"v{self.prefix}-{next(self.counter)}{suffix}"
        return name, self.folder / name

    def __call__(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
        for i, arg in enumerate(self.args):
            if value is arg and not isinstance(value, (bool, int, float, str, type(None))):
                return {"$": "arg", "index": i}
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            return value
        if kind is float:
            return value if math.isfinite(value) else {"$": "float", "value": repr(value)}
        if kind is tuple:
            return {"$": "tuple", "items": [self(v, depth + 1) for v in value]}
        if kind is list:
            return [self(v, depth + 1) for v in value]
        if kind is dict:
            return {"$": "dict", "items": [[self(k, depth + 1), self(v, depth + 1)]
                                           for k, v in value.items()]}
        if kind in (set, frozenset):
            return {"$": "set", "items": [self(v, depth + 1) for v in value]}
        if isinstance(value, PurePath):
            if self.path_map is not None:
                value = self.path_map(value)
            return {"$": "path", "value": str(value)}
        if kind is np.ndarray:
            if value.dtype.kind not in _NUMERIC_KINDS + "U":
                raise WireError(f"an array of dtype {value.dtype} cannot be sent (numbers, "
                                "booleans or strings only)")
            name, path = self.file(".npy")
            np.save(path, value, allow_pickle=False)
            return {"$": "ndarray", "file": name}
        if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC_KINDS:
            item = value.item()
            if isinstance(item, float) and not math.isfinite(item):
                item = repr(item)
            if isinstance(item, complex):
                item = [item.real, item.imag]
            return {"$": "scalar", "dtype": value.dtype.str, "value": item}
        if isinstance(value, BaseException):
            return {"$": "exception", "type": exception_type_name(value), "message": str(value)}
        if is_keras_model(value):
            if self.model_ref is not None:
                ref = self.model_ref(value)
                if ref is not None:
                    return ref
            name, path = self.file(".json")
            path.write_text(config_json(value), encoding="utf-8")
            weights = [self(np.asarray(v), depth + 1) for v in value.weights]
            return {"$": "model", "config": name, "weights": weights,
                    "flags": trainable_flags(value)}
        if _is_tensor(value):
            return self(np.asarray(value), depth)
        dataset = _dataset_type()
        if dataset is not None and kind is dataset:
            return {"$": "dataset", "fields": {f.name: self(getattr(value, f.name), depth + 1)
                                               for f in dataclasses.fields(value)}}
        probes = _probe_classes()
        if kind in probes.values():
            return {"$": "probe", "class": kind.__name__,
                    "state": self(value.get_state(), depth + 1)}
        if self.handle is not None:
            return self.handle(value)
        raise WireError(f"a {_type_label(value)} cannot be sent to the notebook")


def encode(value: Any, folder: Path, *, args: tuple = (),
           handle: Callable[[Any], dict] | None = None,
           model_ref: Callable[[Any], dict | None] | None = None,
           path_map: Callable[[PurePath], PurePath] | None = None) -> Any:
    """Write ``value`` as a JSON-able tree, with arrays and models as files in ``folder``.

    ``args``: objects that are written as ``{"$": "arg", "index": i}`` when met (a function
    that returns its own argument). ``handle``: how to write anything else (the kernel keeps it
    and writes a handle); without it such a value is a :class:`WireError`. ``model_ref``: may
    write a Keras model as a reference instead of a file (a model the other side already has).
    ``path_map``: how a path is sent (the grader copies the file it names along).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return _Encoder(folder, args=args, handle=handle, model_ref=model_ref,
                    path_map=path_map)(value)


# ------------------------------------------------------------------------------------ decode
class _Decoder:
    def __init__(self, folder: Path, *, args: tuple, resolve: Callable[[dict], Any] | None,
                 trusted_models: bool) -> None:
        self.folder = Path(folder)
        self.args = args
        self.resolve = resolve
        self.trusted_models = trusted_models
        self.nodes = 0

    def read_file(self, name: Any) -> Path:
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            raise WireError(f"the answer names a file outside its folder: {str(name)[:80]!r}")
        path = self.folder / name
        try:
            info = os.lstat(path)
        except OSError:
            raise WireError(f"the answer's file {name} is missing") from None
        if not stat.S_ISREG(info.st_mode):
            raise WireError(f"the answer's file {name} is not a regular file (a link?)")
        if info.st_size > MAX_FILE_BYTES:
            raise WireError(f"the answer's file {name} is {info.st_size / 2**20:.0f} MB, more "
                            f"than the {MAX_FILE_BYTES // 2**20} MB allowed")
        return path

    def __call__(self, tree: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise WireError(f"the answer holds more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise WireError(f"the answer is nested more than {MAX_DEPTH} levels deep")
        kind = type(tree)
        if tree is None or kind in (bool, int, float):
            return tree
        if kind is str:
            if len(tree) > MAX_STRING:
                raise WireError("the answer holds a string longer than 10 MB")
            return tree
        if kind is list:
            return [self(v, depth + 1) for v in tree]
        if kind is not dict:
            raise WireError(f"unexpected JSON value of type {kind.__name__}")
        tag = tree.get("$")
        if tag == "tuple":
            return tuple(self(v, depth + 1) for v in _items(tree))
        if tag == "dict":
            out = {}
            for pair in _items(tree):
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("a dict entry is not a [key, value] pair")
                key = self(pair[0], depth + 1)
                try:
                    out[key] = self(pair[1], depth + 1)
                except TypeError:
                    raise WireError(f"a dict key of type {type(key).__name__} is not "
                                    "hashable") from None
            return out
        if tag == "set":
            try:
                return {self(v, depth + 1) for v in _items(tree)}
            except TypeError:
                raise WireError("a set holds an unhashable value") from None
        if tag == "float":
            text = tree.get("value")
            if text not in ("nan", "inf", "-inf"):
                raise WireError(f"bad special float {str(text)[:20]!r}")
            return float(text)
        if tag == "scalar":
            return _scalar(tree)
        if tag == "ndarray":
            path = self.read_file(tree.get("file"))
            try:
                array = np.load(path, allow_pickle=False)
            except Exception as error:
                raise WireError(f"the answer's array could not be read: {error}") from None
            if not isinstance(array, np.ndarray) or array.dtype.kind not in _NUMERIC_KINDS + "U":
                raise WireError("the answer's array is not numbers, booleans or strings")
            return array
        if tag == "path":
            text = tree.get("value")
            if type(text) is not str:
                raise WireError("a path that is not a string")
            return Path(text)
        if tag == "exception":
            return make_exception(tree.get("type"), tree.get("message"))
        if tag == "model":
            model = model_from_config(self.read_file(tree.get("config")),
                                      trusted=self.trusted_models)
            set_weights_and_flags(model, self(tree.get("weights"), depth + 1), tree.get("flags"))
            return model
        if tag == "dataset":
            return self.dataset(tree, depth)
        if tag == "probe":
            probes = _probe_classes()
            klass = probes.get(tree.get("class"))
            if klass is None:
                raise WireError(f"unknown probe {str(tree.get('class'))[:40]!r}")
            return klass.from_state(self(tree.get("state"), depth + 1))
        if tag == "arg":
            index = tree.get("index")
            if type(index) is not int or not 0 <= index < len(self.args):
                raise WireError("the answer refers to an argument that does not exist")
            return self.args[index]
        if tag in ("handle", "sublayer") and self.resolve is not None:
            return self.resolve(tree)
        raise WireError(f"the answer holds an unknown kind of value {str(tag)[:40]!r}")

    def dataset(self, tree: dict, depth: int) -> Any:
        from tl_helpers.data import ImageDataset

        fields = tree.get("fields")
        if type(fields) is not dict:
            raise WireError("a dataset without fields")
        names = {f.name for f in dataclasses.fields(ImageDataset)}
        if set(fields) - names:
            raise WireError(f"a dataset with unknown fields {sorted(set(fields) - names)}")
        values = {k: self(v, depth + 1) for k, v in fields.items()}
        return ImageDataset(**values)


def _items(tree: dict) -> list:
    items = tree.get("items")
    if type(items) is not list:
        raise WireError("a container without a list of items")
    return items


def _scalar(tree: dict) -> Any:
    dtype_text, value = tree.get("dtype"), tree.get("value")
    try:
        dtype = np.dtype(dtype_text) if type(dtype_text) is str else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _NUMERIC_KINDS:
        raise WireError(f"a NumPy scalar of unknown dtype {str(dtype_text)[:20]!r}")
    if type(value) is str and value in ("nan", "inf", "-inf"):
        value = float(value)
    elif type(value) is list and len(value) == 2 and all(type(v) in (int, float) for v in value):
        value = complex(*value)
    elif type(value) not in (bool, int, float):
        raise WireError("a NumPy scalar whose value is not a number")
    return dtype.type(value)


def decode(tree: Any, folder: Path, *, args: tuple = (),
           resolve: Callable[[dict], Any] | None = None, trusted_models: bool = False) -> Any:
    """Read a tree written by :func:`encode` (by someone you do not trust).

    ``resolve`` turns ``handle``/``sublayer`` entries into objects; without it they are a
    :class:`WireError`. Models load with ``safe_mode=True`` unless ``trusted_models`` (the
    kernel side, reading what the grader sent).
    """
    return _Decoder(Path(folder), args=args, resolve=resolve, trusted_models=trusted_models)(tree)


# ------------------------------------------------------------------------------------ types
def _is_tensor(value: Any) -> bool:
    tf = _loaded("tensorflow")
    if tf is not None and isinstance(value, (tf.Tensor, tf.Variable)):
        return True
    keras = _loaded("keras")
    return keras is not None and isinstance(value, keras.Variable)


def _loaded(module: str) -> Any:
    import sys

    return sys.modules.get(module)


def _dataset_type() -> type | None:
    data = _loaded("tl_helpers.data")
    return getattr(data, "ImageDataset", None)


def _probe_classes() -> dict[str, type]:
    from tl_helpers.grading import probes

    return {name: getattr(probes, name) for name in probes.PROBE_CLASSES}


def _type_label(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" \
        else kind.__qualname__
