"""Real-browser tests: JupyterLab from the project's environment, driven by Chromium + Playwright.

One JupyterLab server (127.0.0.1, a free port, token auth) serves a temporary copy of the course
for the whole session, and one headless Chromium (Debian's ``chromium``, never Playwright's own
download) drives it. Executed outputs, checkpoints and the gradebook land in the copy, never in
the repository's ``source/`` or ``release/``. Screenshots and the server log go to
``artefacts/browser/``.

Every test here carries the ``browser`` marker (``pytest -m "not browser"`` deselects them).
When Playwright or Chromium is missing the tests are skipped with the reason (``-ra`` shows it).
Environment knobs:

* ``TL_CHROMIUM``: the Chromium executable (default: ``chromium`` / ``chromium-browser`` on PATH);
* ``TL_BROWSER_TIMEOUT``: seconds one notebook may take to run all its cells (default 480);
* ``TL_BROWSER_ARTEFACTS``: where screenshots go (default ``artefacts/browser``).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser_support import (
    ARTEFACTS,
    browser_missing,
    copy_course,
    find_chromium,
    free_port,
    log_tail,
    stop_server,
    wait_for_server,
)

BIN = Path(sys.executable).parent

# The flags that let Debian's Chromium run headless here (as root, no network but loopback).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
# Lab settings for the session (a private settings folder): every cell stays in the DOM (no
# virtual scrolling), and no news or update checks (there is no internet).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives JupyterLab in headless Chromium (slow; needs chromium and "
        "playwright; deselect with -m 'not browser')")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


class LabServer:
    """``jupyter lab`` from this environment, serving ``root`` on 127.0.0.1 with a token."""

    def __init__(self, root: Path, state: Path, log_path: Path):
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        settings = state / "settings"
        for name, value in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        # a private nbgrader exchange (the default, /usr/local/share/nbgrader, is not writable)
        config, exchange = state / "config", state / "exchange"
        config.mkdir()
        exchange.mkdir()
        (config / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
        env = dict(os.environ)
        env.update({
            "PATH": os.pathsep.join([str(BIN), env.get("PATH", "")]),
            "TF_CPP_MIN_LOG_LEVEL": "3",            # inherited by every kernel
            "TL_CACHE_DIR": str(state / "tl-cache"),
            "KERAS_HOME": str(state / "keras"),
            "MPLCONFIGDIR": str(state / "mpl"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
            "JUPYTER_CONFIG_DIR": str(config),
            "PYTHONUNBUFFERED": "1",
        })
        cmd = [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={self.port}",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={self.token}",
               f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
               "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(log_path, "w")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self, timeout: float = 180) -> None:
        wait_for_server(self.proc, lambda: self.api("api/status"), "jupyter lab",
                        self.log_path, timeout)

    def log_tail(self, n: int = 40) -> str:
        return log_tail(self.log_path, n)

    def shutdown_kernels(self) -> None:
        """Delete every session (and its kernel), so the next notebook has the CPU to itself."""
        try:
            for session in self.api("api/sessions"):
                self.api(f"api/sessions/{session['id']}", method="DELETE")
        except (urllib.error.URLError, OSError):
            pass

    def stop(self) -> None:
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            children = []
        self.shutdown_kernels()
        stop_server(self.proc)
        # kernels run in their own sessions: end whichever the server left behind
        for child in children:
            try:
                child.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(children, timeout=10)
        for child in alive:
            try:
                child.kill()
            except psutil.Error:
                pass
        self._log.close()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """The screenshot folder, emptied of the previous session's images and summaries."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTEFACTS.glob("*.png"), *ARTEFACTS.glob("*.json")]:
        old.unlink()
    return ARTEFACTS


@pytest.fixture(scope="session")
def chromium_path() -> str:
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    return find_chromium()


@pytest.fixture(scope="session")
def course_root(tmp_path_factory, chromium_path) -> Path:
    """A temporary copy of the course, source/ and release/ as they are in the working tree."""
    return copy_course(tmp_path_factory.mktemp("lab") / "course")


@pytest.fixture(scope="session")
def lab(course_root, tmp_path_factory, artefacts):
    state = tmp_path_factory.mktemp("lab-state")
    server = LabServer(course_root, state, artefacts / "jupyter-server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab):
    """A fresh browser context and page; every kernel is shut down afterwards."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()
        lab.shutdown_kernels()
