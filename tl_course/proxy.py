"""The grader's view of a student's notebook: the ``nb`` of the hidden checks.

``nb.logme(f, y)`` in a check does not run the student's ``logme`` here. It writes the
arguments as plain data into a fresh folder, asks the student's kernel (in its sandbox) to call
its ``logme`` on them (:mod:`tl_helpers.grading.function_server`) and reads the answer back with
:mod:`tl_helpers.grading.wire`, which accepts plain data only. The student's process never holds
a check, a key or the grading runner; all it can choose is what its own functions return.

* ``nb.name``: the notebook's global; plain data comes back as itself, a function, a class or
  any other object as a :class:`RemoteObject` (call it, read its attributes: plain data again).
* Arguments a call changes in place (a model frozen by ``freeze_until``, an array, a list, a
  probe) are updated here after the call, so checks keep their usual shape.
* Keras models go as their config and weights (see :mod:`tl_helpers.grading.keras_models`); one
  the kernel already has goes as a handle (with its flags and weights when a check changed
  them), and one that is a layer of another argument goes as that layer, so
  ``move_cut(model, base)`` sees ``base`` inside ``model`` as the caller does. A model argument
  the call changed comes back as its flags and weights (and its compile settings when the call
  recompiled it); a model that is returned is a copy.
* ``nb.probe.<name>``: a function of :mod:`tl_helpers.grading.probes`, run in the kernel.
* Every call has a time limit (:attr:`tl_course.kernel_link.KernelLink.call_timeout`); a call
  past it is interrupted and fails the check (:class:`CallTimeout`). A kernel that no longer
  answers fails every later call (:class:`KernelGone`).

The requests themselves go through :class:`tl_course.kernel_link.KernelLink`; this module is
what a check sees of it.

Example (with a kernel started by :class:`tl_course.sandbox.SandboxedKernel`):
    >>> nb = NotebookProxy(link)                                    # doctest: +SKIP
    >>> nb.pareto_front([{"name": "a", "accuracy": 0.9, "size_mb": 1, "latency_ms": 2}])
    ... # doctest: +SKIP
    ['a']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tl_course.kernel_link import CallTimeout, KernelGone, KernelLink, RemoteObject

# what a check may meet besides ``nb``: the objects that stay in the kernel, and the failures
__all__ = ["NotebookProxy", "RemoteObject", "KernelGone", "CallTimeout"]


class _Probes:
    def __init__(self, link: KernelLink) -> None:
        self._link = link

    def __getattr__(self, name: str) -> Callable[..., Any]:
        from tl_helpers.grading import probes

        if name not in probes.PROBE_FUNCTIONS:
            raise AttributeError(f"no probe function {name!r}; known: {probes.PROBE_FUNCTIONS}")
        link = self._link
        return lambda *args, **kwargs: link.call({"$": "probe", "name": name}, args, kwargs)


class NotebookProxy:
    """``nb`` in the hidden checks: the notebook's globals, reached through its kernel."""

    def __init__(self, link: KernelLink) -> None:
        object.__setattr__(self, "_link", link)
        object.__setattr__(self, "probe", _Probes(link))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        link = self._link
        response, out = link.request({"op": "get", "target": {"$": "global", "name": name}})
        try:
            return link.value(response, out)
        except NameError as error:
            raise AttributeError(str(error)) from None
        finally:
            link.done(out)

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __contains__(self, name: str) -> bool:
        try:
            getattr(self, name)
        except AttributeError:
            return False
        return True

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the notebook's globals cannot be changed from a check")
