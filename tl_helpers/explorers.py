"""ipywidgets explorers that never wait for a frontend that is not there.

In JupyterLab, :func:`interact` is ``ipywidgets.interact``: sliders and drop-downs that redraw
a plot. Run headless (nbgrader's validate/autograde, ``tl-course check``, the benchmarks, CI),
nobody can move a slider, and widget messages can stall nbclient until the cell times out with
the CPU idle (jupyter/nbclient#312, jupyter/nbconvert#2029). There it draws the explorer's
default view once, with no widget at all, and returns.

Headless means: nbgrader is executing the notebook (``NBGRADER_EXECUTION`` is set) or a course
runner said so (``TL_HEADLESS=1``, set by :func:`tl_course.execute.run_notebook`).

A control that needs more than an abbreviation (a description, ``continuous_update=False``, a
``SelectionSlider``) is written ``widgets.SelectionSlider(...)`` with :data:`widgets` from this
module: the same class names and arguments as ``ipywidgets``, but the widget is only built when
:func:`interact` shows it in a frontend; headless it only gives its starting value.

Example:
    >>> import os
    >>> os.environ["TL_HEADLESS"] = "1"
    >>> interact(lambda n, name: print(n, name), n=(0, 10), name=["a", "b"])
    5 a
    >>> interact(lambda lr: print(lr), lr=widgets.SelectionSlider(
    ...     options=[("1e-2", 0.01), ("1e-3", 0.001)], value=0.001, description="lr"))
    0.001
    >>> del os.environ["TL_HEADLESS"]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["interact", "is_headless", "default_value", "widgets", "LazyWidget"]

# widgets whose value is not one of their options: their starting value must be given
_MULTI_VALUE = ("SelectMultiple", "SelectionRangeSlider", "TagsInput")


def is_headless() -> bool:
    """True when the notebook runs with no frontend that could show a widget
    (:func:`tl_helpers.config.headless`)."""
    from tl_helpers import config

    return config.headless()


def default_value(control: Any) -> Any:
    """The value ``ipywidgets.interact`` starts a control at, without creating a widget.

    A widget gives its ``value``; ``(min, max[, step])`` gives the middle (an int for ints,
    as interact's sliders do); a list or tuple of options or a dict gives the first option
    (the dict's first value); a bool, number or string is itself.

    Example:
        >>> default_value((0, 10)), default_value((0.0, 1.0)), default_value(["x", "y"])
        (5, 0.5, 'x')
        >>> default_value({"small": 1, "big": 2}), default_value(True)
        (1, True)
    """
    if hasattr(control, "value"):
        return control.value
    if isinstance(control, tuple) and 2 <= len(control) <= 3 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in control
    ):
        low, high = control[:2]
        diff = high - low  # the arithmetic of ipywidgets' _get_min_max_value
        value = low + diff / 2
        if not isinstance(value, type(diff)):
            value = low + diff // 2
        if len(control) == 3:
            value = low + int((value - low) / control[2]) * control[2]
        return value
    if isinstance(control, dict):
        return next(iter(control.values()))
    if isinstance(control, (list, tuple)):
        first = control[0]
        return first[1] if isinstance(first, tuple) and len(first) == 2 else first
    return control


class LazyWidget:
    """An ``ipywidgets`` control described now and built only when a frontend can show it.

    Made by :data:`widgets` (``widgets.IntSlider(value=3, min=0, max=9)``). :func:`interact`
    builds it (``ipywidgets.<kind>(**options)``) in a frontend; headless it reads
    :attr:`value` and no widget (no comm message) is ever created.

    Args:
        kind: the name of an ``ipywidgets`` value widget (``"IntSlider"``, ``"Dropdown"``, ...).
        **options: the widget's keyword arguments. ``value`` is required unless ``options``
            is given (then the widget starts at its first option, as ipywidgets does).

    Raises:
        ValueError: if ``kind`` is not an ``ipywidgets`` value widget, or neither ``value`` nor
            ``options`` is given.

    Example:
        >>> widgets.Dropdown(options=["ImageNet", "random"], description="weights").value
        'ImageNet'
        >>> widgets.IntSlider(value=4, min=0, max=9)
        LazyWidget('IntSlider', value=4, min=0, max=9)
    """

    def __init__(self, kind: str, /, **options: Any) -> None:
        import ipywidgets

        cls = getattr(ipywidgets, kind, None) if isinstance(kind, str) else None
        if not (isinstance(cls, type) and issubclass(cls, ipywidgets.ValueWidget)):
            raise ValueError("Argument `kind` must name an ipywidgets value widget (e.g. "
                             f"'IntSlider', 'Dropdown'). Received: kind={kind!r}")
        if "value" not in options and ("options" not in options or kind in _MULTI_VALUE):
            raise ValueError(f"Argument `value` must be given for widgets.{kind}(...) (where it "
                             "starts, also the view drawn headless). Received: "
                             f"{sorted(options)}")
        self.kind = kind
        self.options = options

    @property
    def value(self) -> Any:
        """The value the widget starts at: ``value``, else its first option."""
        if "value" in self.options:
            return self.options["value"]
        return default_value(self.options["options"])

    def build(self) -> Any:
        """The ``ipywidgets`` widget itself (opens a comm: only with a frontend)."""
        import ipywidgets

        return getattr(ipywidgets, self.kind)(**self.options)

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"LazyWidget({self.kind!r}{args})"


class _LazyWidgets:
    """``widgets.<Kind>(**options)`` is ``LazyWidget("<Kind>", **options)``."""

    def __getattr__(self, kind: str) -> Callable[..., LazyWidget]:
        if kind.startswith("_"):
            raise AttributeError(kind)

        def make(**options: Any) -> LazyWidget:
            return LazyWidget(kind, **options)

        make.__name__ = make.__qualname__ = kind
        make.__doc__ = f"A lazy ``ipywidgets.{kind}`` (see :class:`LazyWidget`)."
        return make

    def __repr__(self) -> str:
        return "<lazy ipywidgets controls for tl_helpers.interact>"


widgets = _LazyWidgets()
"""Lazy ``ipywidgets`` controls: ``widgets.SelectionSlider(options=..., value=...)``."""


def interact(function: Callable[..., Any], /, **controls: Any) -> Any:
    """``ipywidgets.interact(function, **controls)``, or one default view when headless.

    Args:
        function: draws the view for one set of control values.
        **controls: what ``ipywidgets.interact`` takes: widgets or abbreviations (a
            ``(min, max[, step])`` tuple, a list of options, a bool, ...), or lazy widgets
            from :data:`widgets` (built here, only in a frontend).

    Returns:
        What ``ipywidgets.interact`` returns in a frontend; headless, what ``function``
        returned for the default values.
    """
    if not callable(function):
        raise TypeError(f"Argument `function` must be callable. Received: {function!r}")
    if is_headless():
        import inspect

        params = inspect.signature(function).parameters
        values = {}
        for name, control in controls.items():
            default = params[name].default if name in params else inspect.Parameter.empty
            # like interact: a parameter's own default wins over the middle of a range
            use_default = default is not inspect.Parameter.empty and not hasattr(control, "value")
            values[name] = default if use_default else default_value(control)
        return function(**values)
    import ipywidgets

    controls = {name: control.build() if isinstance(control, LazyWidget) else control
                for name, control in controls.items()}
    return ipywidgets.interact(function, **controls)
