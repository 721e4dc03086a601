"""Driving JupyterLab in a Playwright page: open a notebook, run it through the UI, read what
rendered, move a widget, take screenshots. Used by the tests in this folder."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("TL_BROWSER_ARTEFACTS", ROOT / "artefacts" / "browser"))
NOTEBOOK_TIMEOUT_S = float(os.environ.get("TL_BROWSER_TIMEOUT", "480"))


# What a copy of the course needs: the notebooks, their hidden checks, the nbgrader config.
COURSE_PARTS = ["course", "autograder", "source", "release", "nbgrader_config.py"]


def copy_course(target: Path) -> Path:
    """A copy of the course's :data:`COURSE_PARTS` at ``target`` (no caches)."""
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")
    for part in COURSE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, target / part, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, target / part)
    return target


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, n: int = 40) -> str:
    """The last ``n`` lines of a server's log ("" when it cannot be read)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def wait_for_server(proc, probe, name: str, log_path: Path, timeout: float) -> None:
    """Wait until ``probe()`` (an HTTP request to the server) succeeds; fail with the log's
    tail if the server process ``proc`` exits or does not answer within ``timeout`` s."""
    import urllib.error

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {log_path}:\n"
                               f"{log_tail(log_path)}")
        try:
            probe()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{name} did not answer in {timeout:.0f} s:\n{log_tail(log_path)}")


def stop_server(proc) -> None:
    """SIGTERM a server started with ``start_new_session=True``; SIGKILL its process group
    if it has not exited after 30 s."""
    import signal
    import subprocess

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def find_chromium() -> str | None:
    """``TL_CHROMIUM`` when it exists, else ``chromium`` / ``chromium-browser`` on PATH."""
    explicit = os.environ.get("TL_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when Playwright and Chromium are present)."""
    if importlib.util.find_spec("playwright") is None:
        return ("browser tests need Playwright for Python: pip install playwright "
                "(never `playwright install`: the system Chromium is used)")
    if find_chromium() is None:
        explicit = os.environ.get("TL_CHROMIUM")
        where = f"TL_CHROMIUM={explicit} does not exist" if explicit else "none on PATH"
        return (f"browser tests need Chromium ({where}): apt-get install chromium (or set "
                "TL_CHROMIUM to its path); .ci/run installs it when it can")
    return None


def source_notebooks() -> list[str]:
    """Assignment names that have a source notebook (discovered at collection time)."""
    return sorted(p.parent.name for p in (ROOT / "source").glob("*/*.ipynb")
                  if p.stem == p.parent.name)


# The notebook panel in the main area (the lab app is exposed as window.jupyterapp).
_CURRENT = "window.jupyterapp && window.jupyterapp.shell.currentWidget"

_KERNEL_STATUS = f"""() => {{
    const w = {_CURRENT};
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return k ? k.status : null;
}}"""

_RUN_STATE = """() => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    if (!panel) return null;
    const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
        .map(e => e.textContent.trim());
    const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
    return {
        cells: prompts.length,
        running: prompts.filter(t => t.includes('*')).length,
        done: prompts.filter(t => /\\d/.test(t)).length,
        indicator: indicator ? indicator.dataset.status : null,
    };
}"""

# Outputs as the notebook model holds them (errors and stderr) and as the page shows them.
_OUTPUTS = f"""() => {{
    const w = {_CURRENT};
    const errors = [], stderr = [];
    if (w && w.content && w.content.model) {{
        const cells = w.content.model.cells;
        for (let i = 0; i < cells.length; i++) {{
            const cell = cells.get(i);
            if (cell.type !== 'code') continue;
            for (const o of cell.outputs.toJSON()) {{
                if (o.output_type === 'error') errors.push(
                    {{cell: i, ename: o.ename, evalue: String(o.evalue).slice(0, 500)}});
                if (o.output_type === 'stream' && o.name === 'stderr') {{
                    const text = Array.isArray(o.text) ? o.text.join('') : String(o.text);
                    stderr.push(`cell ${{i}}: ${{text.slice(0, 2000)}}`);
                }}
            }}
        }}
    }}
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const q = (sel) => [...panel.querySelectorAll(sel)];
    return {{
        errors,
        stderr,
        images: q('.jp-OutputArea-output img').filter(
            img => img.complete && img.naturalWidth > 0).length,
        widgets: q('.jp-OutputArea-output .jupyter-widgets').length,
        widget_errors: q('.jp-OutputArea-output').map(e => e.textContent)
            .filter(t => /Error displaying widget|Loading widget\\.\\.\\./.test(t))
            .map(t => t.slice(0, 300)),
        unrendered_widgets: q('.jp-OutputArea-output[data-mime-type="text/plain"]')
            .map(e => e.textContent.trim())
            .filter(t => /^(interactive|VBox|HBox|Output)\\(/.test(t))
            .map(t => t.slice(0, 200)),
    }};
}}"""

# Widget explorers: an output holding an ipywidgets control and something it drives (an Output
# widget, as widgets.interact makes, or any other widget content besides the controls).
_CONTROLS = (".widget-slider .noUi-handle, .widget-dropdown select, "
             ".widget-toggle-buttons button, .widget-radio-box input")
_CONTROL_WIDGETS = (".widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-radio, "
                    ".widget-readout")
_EXPLORERS = f"""() => {{
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const all = [...panel.querySelectorAll('.jp-OutputArea-output')]
        .filter(o => o.querySelector('{_CONTROLS}'));
    // explorers with an Output widget first (widgets.interact / interactive)
    const scopes = [...all.filter(o => o.querySelector('.widget-output')),
                    ...all.filter(o => !o.querySelector('.widget-output'))];
    scopes.forEach((s, i) => s.setAttribute('data-tl-explorer', String(i)));
    return scopes.length;
}}"""
# What an explorer shows, its controls left out (their own readouts change with them).
_EXPLORER_VIEW = f"""s => {{
    const copy = s.cloneNode(true);
    copy.querySelectorAll('{_CONTROL_WIDGETS}').forEach(e => e.remove());
    return copy.innerHTML;
}}"""


def kernel_status(page) -> str | None:
    return page.evaluate(_KERNEL_STATUS)


def open_notebook(page, url: str, timeout_s: float = 180) -> None:
    """Open a notebook URL and wait until its cells rendered and its kernel is idle."""
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout_s * 1000)
    page.wait_for_function(f"() => ({_KERNEL_STATUS})() === 'idle'", timeout=timeout_s * 1000)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # room for the notebook


def run_all_cells(page) -> None:
    """Run > Run All Cells, through the menu bar like a student."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def wait_until_run(page, timeout_s: float, settle_s: float = 2.0) -> dict:
    """Wait until no cell shows [*] and the kernel is idle (stable for ``settle_s``).

    Returns the last run state; raises TimeoutError (with the state) past ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    started = False
    idle_since = None
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(_RUN_STATE) or {}
        status = kernel_status(page)
        started = started or state.get("running", 0) > 0 or state.get("done", 0) > 0
        quiet = (started and state.get("running", 1) == 0 and status == "idle"
                 and state.get("indicator") in (None, "idle"))
        if quiet:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= settle_s:
                return {**state, "kernel": status}
        else:
            idle_since = None
        time.sleep(0.5)
    raise TimeoutError(f"the notebook was still running after {timeout_s:.0f} s: {state}, "
                       f"kernel {kernel_status(page)}")


def outputs(page, render_timeout_s: float = 30) -> dict:
    """What the notebook shows, once no widget says "Loading widget..." any more."""
    try:
        page.wait_for_function(
            "() => ![...document.querySelectorAll('.jp-OutputArea-output')]"
            ".some(e => e.textContent.includes('Loading widget...'))",
            timeout=render_timeout_s * 1000)
    except Exception:  # reported by the caller as a widget that did not render
        pass
    return page.evaluate(_OUTPUTS)


def tracebacks(info: dict) -> list[str]:
    """Error outputs (from the model) and stderr outputs that show a traceback."""
    found = [f"cell {e['cell']}: {e['ename']}: {e['evalue']}" for e in info["errors"]]
    found += [t for t in info["stderr"] if "Traceback" in t or re.search(r"^\w+Error\b", t, re.M)]
    return found


def _explorer_output(scope) -> str:
    return scope.evaluate(_EXPLORER_VIEW)


def _has_content(html: str) -> bool:
    return bool(re.search(r"<img|jp-RenderedText|jp-RenderedHTML|<svg|<table", html))


def _change_control(page, scope) -> str:
    """Change the explorer's first control; return a description of what was done."""
    handle = scope.locator(".widget-slider .noUi-handle").first
    if handle.count():
        slider = scope.locator(".widget-slider").first
        readout = slider.locator(".widget-readout")
        before = readout.inner_text() if readout.count() else None
        handle.focus()
        page.keyboard.press("ArrowRight")
        after = readout.inner_text() if readout.count() else None
        if before is not None and after == before:  # at its maximum: go the other way
            page.keyboard.press("ArrowLeft")
            after = readout.inner_text()
        return f"slider {before!r} -> {after!r}"
    select = scope.locator(".widget-dropdown select").first
    if select.count():
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.selectedIndex")
        target = (current + 1) % len(options)
        select.select_option(index=target)
        return f"dropdown {options[current]!r} -> {options[target]!r}"
    toggles = scope.locator(".widget-toggle-buttons button:not(.mod-active)").first
    if toggles.count():
        toggles.click()
        return "toggle button clicked"
    radio = scope.locator(".widget-radio-box input:not(:checked)").first
    radio.check()
    return "radio button checked"


def exercise_explorer(page, timeout_s: float = 90) -> dict:
    """Change a control of each widget explorer in turn until one's output changes.

    Returns {"explorers": n, "changed": description or None, "index": the explorer that
    changed or None, "tried": [...]}.
    """
    n = page.evaluate(_EXPLORERS)
    tried = []
    for i in range(n):
        scope = page.locator(f'[data-tl-explorer="{i}"]')
        scope.scroll_into_view_if_needed()
        before = _explorer_output(scope)
        action = _change_control(page, scope)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            after = _explorer_output(scope)
            if after != before and _has_content(after) and kernel_status(page) == "idle":
                time.sleep(0.5)
                if _explorer_output(scope) == after:
                    return {"explorers": n, "changed": f"explorer {i}: {action}", "index": i,
                            "tried": tried}
            time.sleep(0.5)
        tried.append(f"explorer {i}: {action}, output unchanged after {timeout_s:.0f} s")
    return {"explorers": n, "changed": None, "index": None, "tried": tried}


def full_screenshot(page, path: Path, max_height: int = 30_000) -> None:
    """The whole notebook in one image: the viewport is made as tall as the notebook."""
    size = page.viewport_size
    height = page.evaluate("""() => {
        const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
        const scroller = panel && (panel.querySelector('.jp-WindowedPanel-outer')
                                   || panel.querySelector('.jp-Notebook'));
        if (!scroller) return 0;
        scroller.scrollTop = 0;
        return scroller.scrollHeight;
    }""")
    try:
        page.set_viewport_size({"width": size["width"],
                                "height": int(min(max(height + 200, size["height"]), max_height))})
        page.wait_for_timeout(500)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)
