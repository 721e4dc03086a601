"""The kernel's side of grading: answer one call from the grader, in plain data.

While a submission is graded, the grader (which holds the hidden checks) sends the student's
kernel one line per call::

    __import__("tl_helpers.grading.function_server", fromlist=["serve"]).serve("/x/call-7")

:func:`serve` reads ``request.json`` and its files from that folder, looks the name up in the
notebook's namespace, calls it, and writes ``out/response.json`` with the result, the state of
every argument after the call (functions such as ``freeze_until`` change a model in place) and,
when the call raised, the builtin exception type and message (see
:mod:`tl_helpers.grading.exceptions`). Objects that are not plain data stay here
(:data:`HANDLES`) and cross as handles the grader can call.

This module runs in the student's process, so a student can change it; that only changes what
their own functions appear to return, which is theirs to choose anyway. It holds no key, no
hidden test and nothing that decides a grade.

Example (what the grader does, in one process):
    >>> import json, tempfile
    >>> call = Path(tempfile.mkdtemp())
    >>> _ = (call / "in").mkdir(), (call / "in" / "request.json").write_text(json.dumps(
    ...     {"op": "call", "target": {"$": "global", "name": "len"}, "args": [[1, 2, 3]],
    ...      "kwargs": {"$": "dict", "items": []}}))
    >>> serve(call, namespace={"len": len})
    >>> json.loads((call / "out" / "response.json").read_text())["value"]
    3
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

from tl_helpers.grading import wire
from tl_helpers.grading.keras_models import (
    apply_model_state,
    is_keras_model,
    model_fingerprint,
    model_state,
    same_weights,
)

__all__ = ["serve", "HANDLES"]

HANDLES: dict[int, Any] = {}
"""The objects this kernel holds for the grader, by handle number (until it releases them)."""
_COUNTER = itertools.count(1)
# id(model) -> (model, its (fingerprint, optimizer id) after the last call, cell count then):
# the state a model argument of the previous call was left in, so the next call need not
# hash its weights again before it runs (valid only while no cell and no other request ran)
_AFTER: dict[int, tuple[Any, tuple[str, int], int]] = {}
_HEAP_SETTLED: list[bool] = []  # whether this kernel's heap was frozen (see _settle_heap)


def _shell() -> Any:
    """The IPython shell this kernel runs, or None (a plain Python process)."""
    try:
        return sys.modules["IPython"].get_ipython()  # type: ignore[union-attr]
    except (KeyError, AttributeError):
        return None


def _settle_heap() -> None:
    """Once per kernel, at the grader's first request: collect, then freeze what is alive
    (TensorFlow, Keras, the notebook's definitions), so that every later collection (Python's
    own, and the one after each graded cell's checks) scans only what was made since: about
    0.2 s each with TensorFlow loaded, a few milliseconds after. Only in a kernel (a test
    calling :func:`serve` in its own process keeps its heap as it is)."""
    if _HEAP_SETTLED or _shell() is None:
        return
    import gc

    gc.collect()
    gc.freeze()
    _HEAP_SETTLED.append(True)


def _cells_run() -> int:
    """How many cells the notebook has run (requests do not count: they store no history)."""
    shell = _shell()
    return int(getattr(shell, "execution_count", -1)) if shell is not None else -1


def _namespace() -> dict:
    shell = _shell()
    if shell is not None:
        return shell.user_ns
    return vars(sys.modules["__main__"])


def _handle(value: Any) -> dict:
    for key, held in HANDLES.items():
        if held is value:
            number = key
            break
    else:
        number = next(_COUNTER)
        HANDLES[number] = value
    kind = value if isinstance(value, type) else type(value)
    return {"$": "handle", "id": number, "type": getattr(kind, "__qualname__", "object")[:80],
            "callable": callable(value)}


class _Sublayer:
    def __init__(self, arg: int, name: str) -> None:
        self.arg, self.name = arg, name


def _resolver(folder: Path, changed: set[int] | None = None) -> Any:
    def resolve(tree: dict) -> Any:
        if tree.get("$") == "handle":
            number = tree.get("id")
            if number not in HANDLES:
                raise LookupError(f"handle {number!r} is unknown in this kernel")
            value = HANDLES[number]
            if "state" in tree:  # a model held here, whose flags or weights the grader changed
                apply_model_state(value, tree["state"], folder)
                if changed is not None:
                    changed.add(id(value))
            return value
        return _Sublayer(tree.get("arg"), tree.get("name"))

    return resolve


def _model_version(model: Any) -> tuple[str, int]:
    """What tells whether a call changed a model: its fingerprint and its optimizer's id."""
    return model_fingerprint(model), id(getattr(model, "optimizer", None))


def _target(request: dict, namespace: dict, resolve: Any) -> Any:
    target = request.get("target") or {}
    if target.get("$") == "global":
        name = target.get("name")
        if name not in namespace:
            raise NameError(f"name {name!r} is not defined in the notebook")
        return namespace[name]
    if target.get("$") == "probe":
        from tl_helpers.grading import probes

        name = target.get("name")
        if name not in probes.PROBE_FUNCTIONS:
            raise NameError(f"no probe named {name!r}")
        return getattr(probes, name)
    return resolve(target)


def _answer(request: dict, folder: Path, out: Path, namespace: dict) -> dict:
    previous = dict(_AFTER)
    _AFTER.clear()
    op = request.get("op")
    if op == "release":  # the grader is done with what it handed over, except ``keep``
        previous.clear()  # no reference left here to what is dropped
        keep = request.get("keep") or []
        dropped = [n for n in HANDLES if n not in keep]
        for number in dropped:
            del HANDLES[number]
        if dropped:  # models hold reference cycles (cheap to collect once the heap is settled)
            import gc

            gc.collect()
        return {"ok": True, "value": None}
    changed: set[int] = set()
    resolve = _resolver(folder, changed)
    target = _target(request, namespace, resolve)
    if op == "get":
        return {"ok": True, "value": wire.encode(target, out, handle=_handle)}
    if op == "getattr":
        value = getattr(target, request["name"])
        return {"ok": True, "value": wire.encode(value, out, handle=_handle)}
    if op != "call":
        raise ValueError(f"unknown request {op!r}")
    args = wire.decode(request.get("args", []), folder, resolve=resolve, trusted_models=True)
    kwargs = wire.decode(request.get("kwargs", {"$": "dict", "items": []}), folder,
                         resolve=resolve, trusted_models=True)
    args = [_fill(a, args) for a in args]
    kwargs = {k: _fill(v, args) for k, v in kwargs.items()}
    every = list(args) + list(kwargs.values())
    cells = _cells_run()
    models = {}
    for i, value in enumerate(every):
        if is_keras_model(value):
            known = previous.get(id(value))
            # the grader changed no model for this call (a model may be a layer of another)
            fresh = known is not None and known[0] is value and known[2] == cells \
                and not changed
            models[i] = known[1] if fresh else _model_version(value)
    try:
        result = target(*args, **kwargs)
    except Exception as error:  # the student's exception, as data
        response = {"ok": False, "error": wire.encode(error, out)}
    else:
        response = {"ok": True, "value": _encode_result(result, out, every)}
    response["after"] = [_after(i, a, out, models) for i, a in enumerate(every)]
    for i in models:
        _AFTER[id(every[i])] = (every[i], models[i], cells)
    # the models this kernel now holds for the caller's arguments: sent again, they cost nothing
    response["models"] = [[i, _handle(every[i])["id"]] for i in models]
    return response


def _fill(value: Any, args: list) -> Any:
    if isinstance(value, _Sublayer):
        return args[value.arg].get_layer(value.name)
    return value


def _encode_result(result: Any, out: Path, every: list) -> Any:
    def model_ref(model: Any) -> dict | None:
        return None

    tree = wire.encode(result, out, args=tuple(every), handle=_handle, model_ref=model_ref)
    if isinstance(tree, dict) and tree.get("$") == "model":
        tree["handle"] = _handle(result)["id"]
    return tree


def _after(index: int, value: Any, out: Path, models: dict) -> Any:
    """The state of one argument after the call, or None when it cannot have changed."""
    if index in models:
        fingerprint, optimizer = _model_version(value)
        before, models[index] = models[index], (fingerprint, optimizer)  # now: the state after
        if (fingerprint, optimizer) == before:
            return None
        # flags or weights changed: send just those (and the new compile settings if the
        # call recompiled it)
        tree = model_state(value, out, weights=not same_weights(fingerprint, before[0]))
        if optimizer != before[1]:
            config = value.get_compile_config() if hasattr(value, "get_compile_config") else None
            tree["compile"] = json.dumps(config)
        tree["handle"] = _handle(value)["id"]
        return tree
    try:
        import numpy as np

        if isinstance(value, (np.ndarray, list, dict, set)):
            return wire.encode(value, out, handle=_handle)
        from tl_helpers.grading import probes

        if type(value) in [getattr(probes, n) for n in probes.PROBE_CLASSES]:
            return wire.encode(value, out, handle=_handle)
    except wire.WireError:
        return None
    return None


def serve(call_dir: str | Path, namespace: dict | None = None) -> None:
    """Answer the request in ``call_dir`` (see the module docstring); never raises."""
    folder = Path(call_dir)
    out = folder / "out"
    out.mkdir(exist_ok=True)
    try:
        _settle_heap()
        request = json.loads((folder / "in" / "request.json").read_text(encoding="utf-8"))
        response = _answer(request, folder / "in", out,
                           namespace if namespace is not None else _namespace())
    except Exception as error:  # noqa: BLE001 - a problem of this call, reported as data
        response = {"ok": False, "error": {"$": "exception", "type": "RuntimeError",
                                           "message": f"the notebook could not answer: "
                                                      f"{type(error).__name__}: {error}"}}
    try:
        text = json.dumps(response)
    except (TypeError, ValueError) as error:
        text = json.dumps({"ok": False, "error": {"$": "exception", "type": "RuntimeError",
                                                  "message": f"unsendable answer: {error}"}})
    (out / "response.json").write_text(text, encoding="utf-8")
