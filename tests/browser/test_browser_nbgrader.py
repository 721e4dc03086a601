"""nbgrader in JupyterLab: Validate on the student notebooks, and the formgrader's assignments."""

from __future__ import annotations

import re

import browser_support as lab_ui
import nbformat
import pytest
from browser_support import source_notebooks

VALIDATE_TIMEOUT_S = 600
# Validate runs the whole notebook. The headless suite (tests/test_course_notebooks.py) already
# validates every release notebook with nbgrader; here the point is that the JupyterLab button
# works and shows the failures, so the quickest notebook is enough.
VALIDATE_IN_BROWSER = "02_choosing_a_pretrained_model"


def _graded_sources(path) -> list[str]:
    """Sources of the graded (test) cells of a notebook, as nbgrader's Validate reports them."""
    nb = nbformat.read(path, as_version=4)
    return [cell.source.strip() for cell in nb.cells
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not cell.metadata["nbgrader"].get("solution")]


@pytest.mark.parametrize("name", [VALIDATE_IN_BROWSER])
def test_validate_reports_the_unfinished_exercises(name, lab, course_root, page, artefacts):
    """The untouched release notebook: Validate fails every graded cell, with the stub's
    NotImplementedError."""
    path = f"release/{name}/{name}.ipynb"
    expected = _graded_sources(course_root / path)
    assert expected, f"{path} has no graded cell"
    lab_ui.open_notebook(page, lab.url(f"lab/tree/{path}?reset"))
    page.locator(".validate-button").click()
    message = page.locator("#validation-message")
    message.wait_for(timeout=VALIDATE_TIMEOUT_S * 1000)
    page.locator(".jp-Dialog").screenshot(path=str(artefacts / f"{name}-validate.png"))

    classes = message.get_attribute("class") or ""
    text = message.inner_text()
    assert "validation-failed" in classes, (
        f"Validate should report failures on the release stub; it said: {text[:1500]}")
    headings = message.locator("p").all_inner_texts()
    failed = [h for h in headings if h.strip() == "The following cell failed:"]
    blocks = message.locator(".jp-RenderedText pre").all_inner_texts()
    failed_sources = {b.strip() for b in blocks[0::2]}
    assert len(failed) == len(expected), (
        f"Validate reported {len(failed)} failing cells, the notebook has {len(expected)} "
        f"graded cells")
    missing = [src.splitlines()[0] for src in expected if src not in failed_sources]
    assert not missing, f"graded cells Validate did not report as failing: {missing}"
    assert "NotImplementedError" in text, "the failures should come from the exercise stubs"
    page.locator(".jp-Dialog .jp-mod-accept").click()


def _assert_lists(names, table_text, where):
    missing = [n for n in names if not re.search(rf"(^|\s){re.escape(n)}(\s|$)", table_text)]
    assert not missing, f"{where} does not list {missing}:\n{table_text[:1500]}"


def test_formgrader_lists_the_assignments(lab, page, artefacts):
    """The formgrader lists every assignment of source/ (as nbgrader finds them there)."""
    names = source_notebooks()
    assert names, "no source notebook"

    # the formgrader page itself
    page.goto(lab.url("formgrader"))
    table = page.locator("table").first
    page.locator("table td", has_text=names[-1]).first.wait_for(timeout=60_000)
    page.screenshot(path=str(artefacts / "formgrader.png"))
    _assert_lists(names, table.inner_text(), "/formgrader")

    # and as instructors open it: JupyterLab's Nbgrader > Formgrader
    page.goto(lab.url("lab?reset"))
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Formgrader$")).click()
    frame = page.frame_locator("iframe").first
    frame.locator("table td", has_text=names[-1]).first.wait_for(timeout=60_000)
    page.screenshot(path=str(artefacts / "formgrader-lab.png"))
    _assert_lists(names, frame.locator("table").first.inner_text(), "Nbgrader > Formgrader")
