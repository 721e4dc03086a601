"""The grader's link to a student's kernel: one request at a time, each within its time limit.

A :class:`KernelLink` writes a request (``get``, ``getattr``, ``call`` or ``release``) and its
arguments as plain data (:mod:`tl_helpers.grading.wire`) into a fresh folder of the exchange
folder both sides see, asks the kernel on its shell channel to answer it
(:mod:`tl_helpers.grading.function_server`) and reads ``response.json`` back, trusting nothing
in it. Every request has a time limit (:attr:`KernelLink.call_timeout`, and a deadline for all
checks of a cell): a call past it is interrupted (:class:`CallTimeout`); a kernel that dies or
ignores the interrupt fails this and every later request (:class:`KernelGone`). Objects that
stay in the kernel come back as a :class:`RemoteObject`; Keras models the kernel already holds
are sent as handles, with their flags and weights when a check changed them
(:mod:`tl_helpers.grading.keras_models`), and a model argument the call recompiled is compiled
again here (:func:`recompile`). :class:`tl_course.proxy.NotebookProxy` is built on it.

Example (with a kernel started by :class:`tl_course.sandbox.SandboxedKernel`):
    >>> link = KernelLink(box.start(), box.exchange, interrupt=box.interrupt)  # doctest: +SKIP
    >>> response, out = link.request({"op": "get", "target": {"$": "global", "name": "lr"}})
    ... # doctest: +SKIP
    >>> link.value(response, out)                                   # doctest: +SKIP
    0.001
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tl_helpers import config
from tl_helpers.grading import wire
from tl_helpers.grading.exceptions import WireError, first_line
from tl_helpers.grading.keras_models import (
    apply_model_state,
    is_keras_model,
    model_fingerprint,
    model_state,
    same_weights,
)

__all__ = ["KernelLink", "RemoteObject", "KernelGone", "CallTimeout", "recompile",
           "MAX_RESPONSE_BYTES"]

MAX_RESPONSE_BYTES = 64 * 2**20
"""Largest ``response.json`` the grader reads (arrays and models travel as files)."""


class KernelGone(AssertionError):
    """The notebook's kernel stopped answering (it died, or ignored an interrupt)."""


class CallTimeout(AssertionError):
    """A call into the notebook ran past its time limit (it was interrupted)."""


class KernelLink:
    """Sends requests to a running kernel through an exchange folder and its shell channel.

    Args:
        client: a started ``jupyter_client`` blocking client of the kernel.
        exchange: a folder both sides see at the same path; only the grader may create
            entries in it.
        interrupt: how to interrupt the kernel (``KernelManager.interrupt_kernel``).
        owner: ``(uid, gid)`` the kernel runs as; its answer folders are given to it.
        call_timeout: seconds one call may run.
    """

    def __init__(self, client: Any, exchange: Path, *, interrupt: Callable[[], None],
                 owner: tuple[int, int] | None = None,
                 call_timeout: float = config.CALL_TIMEOUT) -> None:
        self.client = client
        self.exchange = Path(exchange)
        self.interrupt = interrupt
        self.owner = owner
        self.call_timeout = call_timeout
        self.gone: str | None = None
        self.deadline: float | None = None  # time.monotonic() after which calls fail at once
        # id(model) -> (weak reference to the model, kernel handle, fingerprint)
        self.models: dict[int, tuple[weakref.ref, int, str]] = {}
        self.calls = 0

    # -- one round trip ----------------------------------------------------------------
    def request(self, request: dict, write_inputs: Callable[[Path], None] | None = None,
                ) -> tuple[dict, Path]:
        """Send one request; return (response, folder of its files). The caller removes the
        folder with :meth:`done`."""
        if self.gone:
            raise KernelGone(self.gone)
        self.calls += 1
        folder = self.exchange / f"call-{self.calls}-{secrets.token_hex(6)}"
        inputs, out = folder / "in", folder / "out"
        inputs.mkdir(parents=True)
        if write_inputs is not None:
            write_inputs(inputs)
        (inputs / "request.json").write_text(json.dumps(request), encoding="utf-8")
        for path in (folder, inputs, *inputs.iterdir()):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        out.mkdir(mode=0o700)
        if self.owner is not None:
            os.chown(out, *self.owner)
        code = ('__import__("tl_helpers.grading.function_server", fromlist=["serve"])'
                f'.serve({str(folder)!r})')
        self._execute(code)
        try:
            return self._read_response(out), out
        except WireError as error:
            reply = getattr(self, "last_reply", {}) or {}
            if reply.get("status") not in (None, "ok"):
                detail = (f"{reply.get('status')} {reply.get('ename', '')}: "
                          f"{reply.get('evalue', '')}")
                raise WireError(f"{error} (the kernel said: {detail[:200]})") from None
            raise

    def done(self, out: Path) -> None:
        shutil.rmtree(out.parent, ignore_errors=True)

    def release(self) -> None:
        """Let the kernel drop the objects it holds for the grader (after a cell's checks: the
        models the checks sent would otherwise stay in the student's memory), except the copies
        of models the checks still hold (a module-level cache): those are not sent again. A
        model that is garbage but not yet collected keeps its copy until a later release (no
        ``gc.collect`` here: it costs 0.3 s per graded cell)."""
        self.models = {key: entry for key, entry in self.models.items() if entry[0]() is not None}
        if self.gone:
            return
        keep = sorted({handle for _, handle, _ in self.models.values()})
        response, out = self.request({"op": "release", "keep": keep})
        self.done(out)

    def _execute(self, code: str) -> None:
        limit = self.call_timeout
        if self.deadline is not None:
            limit = min(limit, self.deadline - time.monotonic())
            if limit <= 0:
                raise CallTimeout("the time for this cell's hidden checks ran out")
        msg_id = self.client.execute(code, silent=True, store_history=False, allow_stdin=False)
        if self._wait_reply(msg_id, limit):
            return
        try:
            self.interrupt()
        except Exception:  # noqa: BLE001
            pass
        if not self._wait_reply(msg_id, 10.0):
            self.gone = ("the notebook's kernel stopped answering after a call ran past "
                         f"{self.call_timeout:g} s")
            raise KernelGone(self.gone)
        raise CallTimeout(f"the call ran longer than {limit:.0f} s and was interrupted")

    def _wait_reply(self, msg_id: str, timeout: float) -> bool:
        from queue import Empty

        self.last_reply = {}

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                reply = self.client.get_shell_msg(timeout=min(left, 1.0))
            except Empty:
                if not self._alive():
                    self.gone = "the notebook's kernel died during a call"
                    raise KernelGone(self.gone) from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                self.last_reply = reply.get("content", {})
                return True

    def _alive(self) -> bool:
        try:
            return bool(self.client.is_alive())
        except Exception:  # noqa: BLE001
            return False

    @staticmethod
    def _read_response(out: Path) -> dict:
        path = out / "response.json"
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            raise WireError("the notebook gave no answer to the call") from None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise WireError("the notebook's answer is not a regular file")
            data = handle.read(MAX_RESPONSE_BYTES + 1)
        if len(data) > MAX_RESPONSE_BYTES:
            raise WireError("the notebook's answer is larger than 64 MB")
        try:
            response = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise WireError("the notebook's answer is not JSON") from None
        if type(response) is not dict or type(response.get("ok")) is not bool:
            raise WireError("the notebook's answer has no ok/value")
        return response

    # -- values ------------------------------------------------------------------------
    def resolve(self, tree: dict) -> Any:
        if tree.get("$") != "handle" or type(tree.get("id")) is not int:
            raise WireError("the answer holds a reference the grader did not send")
        label = tree.get("type") if type(tree.get("type")) is str else "object"
        return RemoteObject(self, tree["id"], label[:80])

    def value(self, response: dict, out: Path, args: tuple = ()) -> Any:
        """The decoded result of a response (raises the notebook's exception, as a builtin)."""
        if not response["ok"]:
            error = wire.decode(response.get("error"), out)
            if not isinstance(error, Exception):
                raise WireError("the notebook reported a failure that is not an exception")
            raise error
        tree = response.get("value")
        result = wire.decode(tree, out, args=args, resolve=self.resolve)
        if isinstance(tree, dict) and tree.get("$") == "model" and type(tree.get("handle")) is int:
            self._remember(result, tree["handle"])
        return result

    def _remember(self, model: Any, handle: int, fingerprint: str | None = None) -> None:
        self.models[id(model)] = (weakref.ref(model), handle,
                                  fingerprint or model_fingerprint(model))

    def call(self, target: dict, args: tuple, kwargs: dict) -> Any:
        every = list(args) + list(kwargs.values())
        sent: dict[int, str] = {}  # id(model) -> its fingerprint when the call was sent

        def write(folder: Path) -> None:
            refs = self._model_refs(every)
            encoded_args = [self._encode(a, folder, refs, sent) for a in args]
            encoded_kwargs = {"$": "dict", "items": [[k, self._encode(v, folder, refs, sent)]
                                                     for k, v in kwargs.items()]}
            request["args"], request["kwargs"] = encoded_args, encoded_kwargs

        request: dict[str, Any] = {"op": "call", "target": target}
        response, out = self.request(request, write)
        try:
            after = response.get("after")
            self._apply_after(after, every, out)
            self._remember_arguments(response.get("models"), every, after, sent)
            return self.value(response, out, args=tuple(every))
        finally:
            self.done(out)

    def _remember_arguments(self, models: Any, every: list, after: Any,
                            sent: dict[int, str]) -> None:
        """Note which kernel handle holds each model argument (same state on both sides now):
        one the call changed was noted when its new state was applied; one it left alone still
        has the fingerprint it was sent with."""
        if type(models) is not list:
            return
        for pair in models:
            if type(pair) is list and len(pair) == 2 and all(type(v) is int for v in pair) \
                    and 0 <= pair[0] < len(every) and is_keras_model(every[pair[0]]):
                changed = type(after) is list and after[pair[0]] is not None
                if not changed:
                    self._remember(every[pair[0]], pair[1], sent.get(id(every[pair[0]])))

    def _model_refs(self, every: list) -> dict[int, dict]:
        refs: dict[int, dict] = {}
        models = [(i, a) for i, a in enumerate(every) if is_keras_model(a)]
        for i, inner in models:
            for j, outer in models:
                if i != j and any(layer is inner for layer in
                                  outer._flatten_layers(include_self=False, recursive=True)):
                    refs[id(inner)] = {"$": "sublayer", "arg": j, "name": inner.name}
        return refs

    def _encode(self, value: Any, folder: Path, refs: dict[int, dict],
                sent: dict[int, str]) -> Any:
        def model_ref(model: Any) -> dict | None:
            if id(model) in refs:
                return refs[id(model)]
            known = self.models.get(id(model))
            if known is None or known[0]() is not model:
                return None
            now = sent[id(model)] = model_fingerprint(model)
            if known[2] == now:
                return {"$": "handle", "id": known[1]}
            # the kernel holds this model, but a check changed its flags or weights since
            state = model_state(model, folder, weights=not same_weights(known[2], now))
            return {"$": "handle", "id": known[1], "state": state}

        def handle(obj: Any) -> dict:
            if isinstance(obj, RemoteObject):
                if obj._link is not self:
                    raise WireError("a remote object of another notebook")
                return {"$": "handle", "id": obj._id}
            raise WireError(f"a check passed a {type(obj).__name__}, which cannot be sent")

        def path_map(path: Any) -> Path:
            """The kernel cannot see the grader's files: a file or folder a path names is
            copied along (same name), a missing one stays missing."""
            files = folder / "files" / secrets.token_hex(4)
            files.mkdir(parents=True)
            target = files / (Path(path).name or "unnamed")
            source = Path(path)
            if source.is_dir() and not source.is_symlink():
                shutil.copytree(source, target, symlinks=False)
            elif source.is_file():
                shutil.copyfile(source, target)
            for item in [files, *files.rglob("*")]:
                os.chmod(item, 0o755 if item.is_dir() else 0o644)
            return target

        return wire.encode(value, folder, handle=handle, model_ref=model_ref, path_map=path_map)

    def _apply_after(self, after: Any, every: list, out: Path) -> None:
        """Copy the arguments' state after the call onto the caller's objects."""
        if after is None:
            return
        if type(after) is not list or len(after) != len(every):
            raise WireError("the answer does not describe the arguments after the call")
        import numpy as np

        from tl_helpers.grading import probes

        for original, tree in zip(every, after, strict=True):
            if tree is None:
                continue
            if is_keras_model(original):
                if not (isinstance(tree, dict) and tree.get("$") == "model_state"):
                    raise WireError("a model argument came back as something else")
                apply_model_state(original, tree, out)
                if "compile" in tree:
                    recompile(original, tree["compile"])
                if type(tree.get("handle")) is int:
                    self._remember(original, tree["handle"])
                continue
            new = wire.decode(tree, out, resolve=self.resolve)
            if isinstance(original, np.ndarray):
                if not isinstance(new, np.ndarray) or new.shape != original.shape:
                    raise WireError("an array argument changed shape during the call")
                if not np.array_equal(new, original, equal_nan=original.dtype.kind in "fc"):
                    original[...] = new
            elif type(original) is list and type(new) is list:
                original[:] = new
            elif type(original) is dict and type(new) is dict:
                original.clear()
                original.update(new)
            elif type(original) is set and type(new) is set:
                original.clear()
                original.update(new)
            elif type(original) in [getattr(probes, n) for n in probes.PROBE_CLASSES] \
                    and type(new) is type(original):
                original.set_state(new.get_state())


def recompile(model: Any, text: Any) -> None:
    """Compile ``model`` as the call recompiled the notebook's copy (its compile config, read
    in Keras's safe mode: built-in optimizers, losses and metrics only)."""
    try:
        settings = json.loads(text) if type(text) is str else []
    except ValueError:
        settings = []
    if settings is None:  # recompiled into no compile at all
        return
    if type(settings) is not dict:
        raise WireError("the compile settings that came back are not a JSON object")
    try:
        model.compile_from_config(settings)
    except Exception as error:  # noqa: BLE001 - what the notebook sent, refused as data
        raise WireError(
            f"the model was recompiled with settings the grader cannot rebuild safely "
            f"({type(error).__name__}: {first_line(error, 200)}): use a built-in Keras "
            "optimizer, loss and metrics.") from None


class RemoteObject:
    """An object that stays in the student's kernel: calls and attribute reads go there and
    return plain data (or another RemoteObject)."""

    def __init__(self, link: KernelLink, handle: int, type_name: str) -> None:
        object.__setattr__(self, "_link", link)
        object.__setattr__(self, "_id", handle)
        object.__setattr__(self, "remote_type", type_name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._link.call({"$": "handle", "id": self._id}, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        link = self._link
        response, out = link.request({"op": "getattr", "target": {"$": "handle", "id": self._id},
                                      "name": name})
        try:
            return link.value(response, out)
        finally:
            link.done(out)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("objects in the notebook's kernel cannot be changed from a check")

    def __repr__(self) -> str:
        return f"<{self.remote_type} in the notebook>"
