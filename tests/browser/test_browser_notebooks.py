"""Every source notebook, run through JupyterLab's UI in headless Chromium.

For each ``source/<a>/<a>.ipynb``: open it, Run > Run All Cells, wait until the kernel is idle
and no cell shows [*], then check what a student would see: no error output, plots rendered as
images, at least one ipywidgets explorer rendered, and moving its control updates its output.
A full-page screenshot of the executed notebook goes to ``artefacts/browser/<a>.png``.
"""

from __future__ import annotations

import json
import time

import browser_support as lab_ui
import pytest
from browser_support import NOTEBOOK_TIMEOUT_S, source_notebooks


@pytest.mark.parametrize("name", source_notebooks())
def test_source_notebook_runs_in_jupyterlab(name, lab, page, artefacts):
    started = time.monotonic()
    lab_ui.open_notebook(page, lab.url(f"lab/tree/source/{name}/{name}.ipynb?reset"))
    opened = time.monotonic()
    lab_ui.run_all_cells(page)
    try:
        state = lab_ui.wait_until_run(page, NOTEBOOK_TIMEOUT_S)
    except TimeoutError:
        lab_ui.full_screenshot(page, artefacts / f"{name}-timeout.png")
        raise
    ran = time.monotonic()

    info = lab_ui.outputs(page)
    lab_ui.full_screenshot(page, artefacts / f"{name}.png")
    explorer = lab_ui.exercise_explorer(page)
    if explorer["changed"]:
        page.locator(f'[data-tl-explorer="{explorer["index"]}"]').first.screenshot(
            path=str(artefacts / f"{name}-explorer.png"))
    summary = {
        "notebook": f"source/{name}/{name}.ipynb", "open_s": round(opened - started, 1),
        "run_all_s": round(ran - opened, 1), "total_s": round(time.monotonic() - started, 1),
        "code_cells": state["cells"], "executed": state["done"], "images": info["images"],
        "widgets": info["widgets"], "explorer": explorer, "errors": info["errors"],
        "stderr": info["stderr"],
    }
    (artefacts / f"{name}.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: summary[k] for k in ("run_all_s", "total_s", "images", "widgets")}))

    errors = lab_ui.tracebacks(info)
    assert not errors, f"{name}: error output after Run All Cells:\n" + "\n\n".join(errors)
    assert state["done"] == state["cells"], (
        f"{name}: only {state['done']} of {state['cells']} code cells ran")
    assert info["images"] >= 1, f"{name}: no plot rendered as an image"
    assert not info["widget_errors"] and not info["unrendered_widgets"], (
        f"{name}: widgets did not render: {info['widget_errors'] + info['unrendered_widgets']}")
    assert info["widgets"] >= 1, f"{name}: no ipywidgets widget rendered"
    assert explorer["explorers"] >= 1, (
        f"{name}: no widget explorer (a control with an Output, e.g. widgets.interact) rendered")
    assert explorer["changed"], (
        f"{name}: changing an explorer's control did not update its output: {explorer['tried']}")
