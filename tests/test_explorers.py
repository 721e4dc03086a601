"""Explorers: the same default view as ipywidgets.interact, and no widget when headless."""

import ipywidgets
import nbformat
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


# Lazy widgets: described in the notebook, built only when a frontend shows them.

LAZY = [("IntSlider", dict(value=4, min=0, max=9, description="patch")),
        ("FloatSlider", dict(value=2.5, min=0.1, max=25.0, step=0.1, readout_format=".1f",
                             continuous_update=False)),
        ("SelectionSlider", dict(options=[5, 10, 30], value=10, description="labels/class")),
        ("SelectionSlider", dict(options=[("1e-2", 0.01), ("1e-3", 0.001)])),
        ("Dropdown", dict(options=["stem_activation", "block2b_add"])),
        ("Dropdown", dict(options={"small": 1, "big": 2})),
        ("ToggleButtons", dict(options=["ImageNet", "random"], description="weights"))]


@pytest.mark.parametrize(("kind", "options"), LAZY, ids=[f"{k}-{i}" for i, (k, _) in
                                                        enumerate(LAZY)])
def test_lazy_widget_starts_where_the_widget_does(kind, options):
    lazy = getattr(explorers.widgets, kind)(**options)
    assert isinstance(lazy, explorers.LazyWidget)
    built = lazy.build()
    assert isinstance(built, getattr(ipywidgets, kind))
    assert lazy.value == built.value
    assert explorers.default_value(lazy) == built.value
    for name, value in options.items():
        if name != "options":
            assert getattr(built, name) == value, name


def test_lazy_widget_headless_creates_no_widget(monkeypatch):
    created = []
    monkeypatch.setattr(ipywidgets.Widget, "open", lambda self: created.append(self))
    monkeypatch.setenv("TL_HEADLESS", "1")
    seen = []
    explorers.interact(lambda layer, patch=0: seen.append((layer, patch)),
                       layer=explorers.widgets.Dropdown(options=["a", "b"], value="b"),
                       patch=explorers.widgets.IntSlider(value=3, min=0, max=9))
    assert seen == [("b", 3)]  # a widget's value wins over the parameter's default
    assert created == []


def test_lazy_widget_is_built_with_a_frontend(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("TL_HEADLESS", raising=False)
    seen = []
    shown = explorers.interact(lambda lr: seen.append(lr), lr=explorers.widgets.SelectionSlider(
        options=[("1e-2", 0.01), ("1e-3", 0.001)], value=0.001, description="lr",
        continuous_update=False))
    control = shown.widget.children[0]
    assert isinstance(control, ipywidgets.SelectionSlider)
    assert (control.description, control.continuous_update) == ("lr", False)
    assert seen == [0.001]
    control.value = 0.01  # moving the control redraws the view
    assert seen == [0.001, 0.01]


def test_lazy_widget_errors_name_the_argument():
    with pytest.raises(ValueError, match="Argument `kind`.*'Slidr'"):
        explorers.widgets.Slidr(value=1)
    with pytest.raises(ValueError, match="Argument `kind`"):
        explorers.LazyWidget("Box", value=1)  # a container, not a value widget
    with pytest.raises(ValueError, match="Argument `value`"):
        explorers.widgets.IntSlider(min=0, max=9)
    with pytest.raises(ValueError, match="Argument `value`"):
        explorers.widgets.SelectMultiple(options=["a", "b"])


def test_interact_and_widgets_are_public():
    import tl_helpers as tl

    assert tl.interact is explorers.interact
    assert tl.widgets is explorers.widgets


# Guards jupyter/nbclient#312: a cell holding an ipywidgets explorer can leave nbclient waiting
# (CPU idle) until the cell times out. Headless, tl.interact draws one view and opens no widget,
# so a notebook with an explorer must finish every time.

REPRODUCER = [
    "import matplotlib.pyplot as plt\nimport numpy as np\nimport tl_helpers as tl",
    "def plot_fn(n):\n"
    "    fig, ax = plt.subplots(figsize=(3, 2))\n"
    "    ax.plot(np.arange(10) ** (n / 5))\n"
    "    ax.set_title(f'n={n}')\n"
    "    plt.show()\n\n"
    "tl.interact(plot_fn, n=(1, 10));",
    'print("done")',
]


@pytest.fixture(scope="module")
def headless_kernel():
    """One kernel for every run (started as run_notebook starts it: TL_HEADLESS=1)."""
    import os

    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    from tl_course.course import tool_environment

    tool_environment()
    km = NotebookClient(nbformat.v4.new_notebook(), kernel_name="python3").create_kernel_manager()
    env = {**os.environ, "TL_HEADLESS": "1",
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    env.pop("NBGRADER_EXECUTION", None)
    run_sync(km.start_kernel)(env=env)
    yield km
    run_sync(km.shutdown_kernel)(now=True)


def test_nbclient_312_explorer_notebook_finishes_every_time(headless_kernel):
    """jupyter/nbclient#312: 20 runs of a notebook with a tl.interact explorer, each cell
    limited to 20 s; every run finishes, prints "done", draws the plot and opens no widget."""
    from nbclient import NotebookClient

    for run in range(20):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in REPRODUCER])
        NotebookClient(nb, km=headless_kernel, timeout=20, kernel_name="python3").execute()
        outputs = [o for cell in nb.cells for o in cell.outputs]
        mimes = {m for o in outputs for m in o.get("data", {})}
        assert not any(o.output_type == "error" for o in outputs), (run, outputs)
        assert "image/png" in mimes, f"run {run}: the explorer drew no plot: {outputs}"
        assert "application/vnd.jupyter.widget-view+json" not in mimes, (
            f"run {run}: a widget was opened headless")
        assert nb.cells[2].outputs[0].text == "done\n", (run, nb.cells[2].outputs)
