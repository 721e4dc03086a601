"""A class on JupyterHub, end to end: the hub of course/jupyterhub/ on 127.0.0.1 with two real
local Unix students, the instructor's tl-course commands, and each student in a real browser.

The instructor releases 02 to the nbgrader exchange (``tl-course release --exchange``); each
student logs in, fetches it in JupyterLab's Assignments tab, and submits (one the completed
notebook, one the stub as fetched); the instructor collects (``tl-course collect``) and grades
with ``tl-course grade --return-feedback``; each student fetches their feedback in the
Assignments tab and sees their own score, not the other's. The users are created for the test
and removed after. Skipped, with the reason, where that is impossible (not root, no
``useradd``, no Node.js proxy, no Playwright or Chromium).
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browser_support import (
    ROOT,
    copy_course,
    free_port,
    log_tail,
    stop_server,
    wait_for_server,
)

from tests.grading_support import built_once
from tl_course import simulate

ASSIGNMENT = "02_choosing_a_pretrained_model"
PROXY = ROOT / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent
PASSWORD = secrets.token_hex(12)
ADMIN_PASSWORD = secrets.token_hex(20)  # the shared-password authenticator wants >= 32


def _hub_missing() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the class hub test creates Unix users and spawns as them: it needs root"
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            return f"the class hub test needs `{tool}` to create the class's Unix users"
    if not PROXY.exists():
        return (f"configurable-http-proxy is not installed ({PROXY} is missing): `make hub-proxy` "
                "installs it from the npm registry (needs Node.js and npm)")
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        return "JupyterHub is not installed: pip install -e '.[hub]'"
    return None


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)


def _create_user(name: str, homes: Path) -> None:
    _run(["useradd", "--create-home", "--home-dir", str(homes / name), "--shell", "/bin/bash",
          "-K", "HOME_MODE=0700", name])


def _remove_user(name: str) -> None:
    """Kill the user's processes, wait until they are gone (userdel refuses a user with a
    running process), then remove the user and their home."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        if subprocess.run(["pgrep", "-u", name], capture_output=True).returncode != 0:
            break
        time.sleep(0.2)
    if subprocess.run(["userdel", "--remove", name], capture_output=True).returncode != 0:
        subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)


def _runs_as(user: str, python: str) -> bool:
    return subprocess.run(["runuser", "-u", user, "--", python, "-c", "import jupyterhub"],
                          capture_output=True).returncode == 0


def _user_python(base: Path, user: str) -> str:
    """A Python every class user may run, with this project's packages: this one where they can
    (a system-wide install), else a venv of the system's python3 that reads this environment's
    packages (here the project's Python lives under /root, which other users cannot enter)."""
    if _runs_as(user, sys.executable):
        return sys.executable
    system = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if system is None or _run([system, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
                              ).stdout.strip() != version:
        pytest.skip(f"the class users cannot run {sys.executable}, and there is no system "
                    f"python{version} to give them")
    venv = base / "user-python"
    _run([system, "-m", "venv", "--without-pip", str(venv)])
    packages = next(Path(p) for p in sys.path if p.endswith("site-packages") and
                    Path(p).resolve().is_relative_to(Path(sys.prefix).resolve()))
    (venv / "lib" / f"python{version}" / "site-packages" / "tl_course_env.pth").write_text(
        f"import site; site.addsitedir({str(packages)!r})\n")
    python = str(venv / "bin" / "python")
    if not _runs_as(user, python):
        pytest.skip(f"the class users cannot run this environment's packages ({packages})")
    return python


class Hub:
    def __init__(self, base: Path, course: Path, students: list[str], log: Path,
                 user_python: str, *, instructors: list[str], grader: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        api = free_port()
        while api + 1 == self.port:
            api = free_port()
        env = dict(os.environ)
        env.update({
            "TL_HUB_COURSE": "tl-course", "TL_HUB_EXCHANGE": str(base / "exchange"),
            "TL_HUB_STATE": str(base / "hub-state"), "TL_HUB_PORT": str(self.port),
            "TL_HUB_API_PORT": str(api), "TL_HUB_STUDENTS": ",".join(students),
            "TL_HUB_INSTRUCTORS": ",".join(instructors), "TL_HUB_GRADER": grader,
            "TL_HUB_COURSE_ROOT": str(course), "TL_HUB_SERVICE_PORT": str(free_port()),
            "TL_HUB_USER_PYTHON": user_python, "TL_HUB_USER_PREFIX": sys.prefix,
            "TL_HUB_PROXY": str(PROXY),
            "TL_HUB_AUTH": "dummy", "TL_HUB_DUMMY_PASSWORD": PASSWORD,
            "TL_HUB_DUMMY_ADMIN_PASSWORD": ADMIN_PASSWORD,
        })
        self.log_path = log
        self._log = open(log, "w")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(ROOT / "course" / "jupyterhub" /
                                               "jupyterhub_config.py")],
            cwd=base, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float = 120) -> None:
        def probe() -> None:
            with urllib.request.urlopen(f"{self.base_url}/hub/api/", timeout=5):
                pass

        wait_for_server(self.proc, probe, "jupyterhub", self.log_path, timeout)

    def log_tail(self, n: int = 60) -> str:
        return log_tail(self.log_path, n)

    def stop(self) -> None:
        import psutil

        stop_server(self.proc)
        self._log.close()
        # the proxy runs in a session of its own: a hub that was killed, not stopped, left it
        for process in psutil.process_iter(["cmdline"]):
            argv = " ".join(process.info["cmdline"] or [])
            if "configurable-http-proxy" in argv and f"--port {self.port} " in f"{argv} ":
                process.kill()


def _login(browser, hub: Hub, user: str, password: str = PASSWORD):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{hub.base_url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf".*/user/{user}/lab.*"), timeout=180_000)
    page.wait_for_selector(".jp-LabShell", timeout=180_000)
    return context, page


def _assignments_tab(page) -> None:
    """Open the Assignments tab from JupyterLab's Nbgrader menu, as a student does."""
    page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Assignment List')").click()
    page.wait_for_selector("text=Released assignments", timeout=60_000)


def _click_in_row(page, section: str, label: str, timeout_s: float = 90) -> None:
    """Click the ``label`` button of the 02 row in a section of the Assignments tab (the list
    is refreshed every 10 s until it shows)."""
    button = page.locator(f"#{section} .list_item button:has-text('{label}')")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            button.first.wait_for(timeout=10_000)
        except Exception:  # noqa: BLE001 - not there yet: refresh the list
            page.locator("#refresh_assignments_list").first.click()
            continue
        button.first.click()
        return
    raise AssertionError(f"no {label!r} button in the {section} section:\n"
                         f"{page.inner_html('#' + section)[:3000]}")


def _open_formgrader(page, hub: Hub) -> dict:
    """The formgrader service's JupyterLab, its Formgrader tab, and what its frame shows."""
    response = page.goto(f"{hub.base_url}/services/tl-course/formgrader")
    headers = response.headers if response is not None else {}
    page.goto(f"{hub.base_url}/services/tl-course/lab")
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=180_000)
    page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Formgrader')").click()
    frame = page.frame_locator("#formgrader iframe")
    try:
        frame.locator(f"text={ASSIGNMENT}").first.wait_for(timeout=60_000)
        shown = frame.locator("body").inner_text()
    except Exception:  # noqa: BLE001 - a blank frame: the test says so below
        shown = ""
    return {"csp": headers.get("content-security-policy", ""), "shown": shown}


@pytest.fixture(scope="module")
def class_on_hub(browser, artefacts, tmp_path_factory):
    missing = _hub_missing()
    if missing:
        pytest.skip(missing)
    return built_once(tmp_path_factory, "class_hub", lambda: _run_the_class(browser, artefacts))


def _attempts_to_read(intruder: str, targets: list[Path]) -> list[tuple]:
    """What ``intruder`` gets from ``ls``/``cat`` of each target, as that Unix user."""
    out = []
    for target in targets:
        command = ["ls", str(target)] if target.is_dir() else ["cat", str(target)]
        attempt = subprocess.run(["runuser", "-u", intruder, "--", *command],
                                 capture_output=True, text=True)
        out.append((str(target), attempt.returncode, attempt.stdout[:200], attempt.stderr))
    return out


def _run_the_class(browser, artefacts) -> dict:
    """The whole class, from release to each student's feedback; returns what the tests check
    (the hub is stopped and the users removed before the tests look)."""
    base = Path(tempfile.mkdtemp(prefix="tl-hub-"))
    base.chmod(0o755)  # the users' homes and the exchange are inside
    tag = secrets.token_hex(2)
    students = {"done": f"tl-ada-{tag}", "stub": f"tl-bob-{tag}"}
    instructor, grader = f"tl-ins-{tag}", f"tl-grd-{tag}"  # a person; the formgrader's user
    homes = base / "home"
    homes.mkdir(mode=0o755)
    hub = None
    contexts = []
    try:
        for name in [*students.values(), instructor, grader]:
            _create_user(name, homes)
        user_python = _user_python(base, students["done"])
        course = copy_course(base / "instructor" / "course")
        exchange = base / "exchange"
        released = _run([str(BIN / "tl-course"), "release", ASSIGNMENT, "--course", str(course),
                         "--exchange", str(exchange)])
        # the course directory belongs to the formgrader's user, and no student can enter it
        _run(["chown", "-R", f"{grader}:{grader}", str(base / "instructor")])
        (base / "instructor").chmod(0o700)
        hub = Hub(base, course, list(students.values()), artefacts / "jupyterhub.log",
                  user_python, instructors=[instructor], grader=grader)
        hub.wait_ready()
        pages = {}
        for role, user in students.items():  # log in, fetch, submit
            context, page = _login(browser, hub, user)
            contexts.append(context)
            pages[role] = page
            _assignments_tab(page)
            _click_in_row(page, "released_assignments_list", "Fetch")
            fetched = homes / user / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            deadline = time.monotonic() + 60
            while not fetched.exists() and time.monotonic() < deadline:
                time.sleep(0.5)
            assert fetched.exists(), f"{user} did not fetch {ASSIGNMENT}"
            if role == "done":  # the student's work: the solution, as a student would write it
                source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                                       as_version=4)
                nbformat.write(simulate.strip_hidden_tests(source), fetched)
                entry = pwd.getpwnam(user)
                os.chown(fetched, entry.pw_uid, entry.pw_gid)
            _click_in_row(page, "fetched_assignments_list", "Submit")
            page.wait_for_selector("#submitted_assignments_list .list_item", timeout=60_000)
            page.screenshot(path=str(artefacts / f"hub-{role}-submitted.png"))
        collected = _run([str(BIN / "tl-course"), "collect", ASSIGNMENT, "--course", str(course),
                          "--exchange", str(exchange)])
        graded = subprocess.run(
            [str(BIN / "tl-course"), "grade", str(course / "submitted"), "--course", str(course),
             "--return-feedback", "--exchange", str(exchange)],
            capture_output=True, text=True)
        feedback = {}
        for role, page in pages.items():  # each fetches their feedback, then opens it
            user = students[role]
            _click_in_row(page, "submitted_assignments_list", "Fetch Feedback")
            page.locator("#submitted_assignments_list a:has-text('view feedback')").first \
                .wait_for(timeout=60_000)
            pages_found = sorted((homes / user / ASSIGNMENT / "feedback").glob(
                f"*/{ASSIGNMENT}.html"))
            assert len(pages_found) == 1, pages_found
            path = pages_found[0].relative_to(homes / user).as_posix()
            view = page.context.new_page()
            view.goto(f"{hub.base_url}/user/{user}/files/{urllib.parse.quote(path)}")
            view.wait_for_selector("text=Score", timeout=60_000)
            feedback[role] = view.inner_text("body")
            view.screenshot(path=str(artefacts / f"hub-{role}-feedback.png"))
        # the instructor opens the formgrader
        context, page = _login(browser, hub, instructor, ADMIN_PASSWORD)
        contexts.append(context)
        formgrader = _open_formgrader(page, hub)
        page.screenshot(path=str(artefacts / "hub-formgrader.png"))
        intruder, victim = students["stub"], students["done"]
        attempts = _attempts_to_read(intruder, [
            homes / victim / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", homes / victim,
            exchange / "tl-course" / "inbound", exchange / "tl-course" / "feedback",
            course / "submitted" / victim])
        submitted = {user: (course / "submitted" / user / ASSIGNMENT /
                            f"{ASSIGNMENT}.ipynb").is_file() for user in students.values()}
        return {"formgrader": formgrader, "students": students, "released": released,
                "collected": collected, "graded": graded, "feedback": feedback,
                "attempts": attempts, "submitted": submitted}
    finally:
        for context in contexts:
            context.close()
        if hub is not None:
            hub.stop()
        for name in [*students.values(), instructor, grader]:
            _remove_user(name)
        shutil.rmtree(base, ignore_errors=True)


def _score(text: str) -> tuple[float, float]:
    match = re.search(r"Score:\s*([0-9.]+)\s*/\s*([0-9.]+)", text)
    assert match, text[:1500]
    return float(match.group(1)), float(match.group(2))


def test_the_instructor_releases_collects_and_grades_through_the_exchange(class_on_hub):
    graded = class_on_hub["graded"]
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    assert "feedback returned through the exchange: 2 of 2 graded" in graded.stdout
    assert class_on_hub["submitted"] == {u: True for u in class_on_hub["students"].values()}


def test_each_student_sees_their_own_score_and_not_the_others(class_on_hub):
    done, stub = (_score(class_on_hub["feedback"][r]) for r in ("done", "stub"))
    assert done[0] == done[1] > 0, done  # the completed notebook: full marks
    assert stub == (0.0, done[1]), stub  # the stub: nothing
    users = class_on_hub["students"]
    assert users["stub"] not in class_on_hub["feedback"]["done"]
    assert users["done"] not in class_on_hub["feedback"]["stub"]


def test_one_student_cannot_read_the_others_home_or_submission(class_on_hub):
    # the other's home and notebook, the exchange's inbound and feedback folders, the
    # instructor's copy of the submission: each read as the other student, with runuser
    assert len(class_on_hub["attempts"]) == 5
    for target, returncode, stdout, stderr in class_on_hub["attempts"]:
        assert returncode != 0, f"a student could read {target}: {stdout}"
        assert "Permission denied" in stderr, (target, stderr)


def test_the_formgrader_service_shows_the_course_inside_its_frame(class_on_hub):
    formgrader = class_on_hub["formgrader"]
    assert "frame-ancestors 'self'" in formgrader["csp"], formgrader["csp"]
    assert "Manage Assignments" in formgrader["shown"], formgrader["shown"][:500]
    assert ASSIGNMENT in formgrader["shown"]
