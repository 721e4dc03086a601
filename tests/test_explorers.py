"""Explorers: the same default view as ipywidgets.interact, and no widget when headless."""

import ipywidgets
import pytest

from tl_helpers import explorers

ABBREVIATIONS = [(0, 10), (1, 10, 3), (0.0, 1.0), (0.0, 1.0, 0.3), (0, 1.0), ["a", "b"],
                 {"small": 1, "big": 2}, [("one", 1), ("two", 2)], True, 7,
                 "text", ipywidgets.IntSlider(value=4, min=0, max=9)]


@pytest.mark.parametrize("control", ABBREVIATIONS, ids=[repr(a) for a in ABBREVIATIONS])
def test_default_value_is_what_interact_starts_at(control):
    seen = {}
    widget = ipywidgets.interactive(lambda value: seen.setdefault("v", value), value=control)
    assert explorers.default_value(control) == widget.kwargs["value"]


def test_headless_draws_the_default_view_once_without_widgets(monkeypatch):
    calls = []
    created = []
    monkeypatch.setattr(ipywidgets.Widget, "open", lambda self: created.append(self))
    monkeypatch.setenv("TL_HEADLESS", "1")
    result = explorers.interact(lambda k, label, scale=2.0: calls.append((k, label, scale)) or 42,
                                k=(1, 9), label=["first", "second"], scale=(0.0, 10.0))
    assert result == 42
    assert calls == [(5, "first", 2.0)]  # the parameter's own default wins, as in interact
    assert created == []


@pytest.mark.parametrize("variable", ["NBGRADER_EXECUTION", "TL_HEADLESS"])
def test_headless_is_detected_from_nbgrader_or_the_course_runner(monkeypatch, variable):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("TL_HEADLESS", raising=False)
    assert not explorers.is_headless()
    monkeypatch.setenv(variable, "autograde" if variable.startswith("NB") else "1")
    assert explorers.is_headless()


def test_with_a_frontend_it_is_ipywidgets_interact(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("TL_HEADLESS", raising=False)
    seen = []
    explorers.interact(lambda x: seen.append(x), x=(0, 4))
    assert seen == [2]  # interact ran the function once for its first view
    with pytest.raises(TypeError, match="Argument `function` must be callable"):
        explorers.interact(None, x=(0, 4))
