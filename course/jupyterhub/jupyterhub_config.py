"""JupyterHub for a tl-course class on one machine (see "Running a class" in the README).

Students and instructors are local Unix users (nbgrader takes the student id from the OS user,
so every person needs one); each gets a JupyterLab server of their own, started as that user
by JupyterHub's local process spawner. Students fetch and submit in the Assignments tab
through the nbgrader exchange; the formgrader runs as a hub service named after the course, as
the OS user ``grader-<course>``, for the instructors in the ``formgrade-<course>`` group.

Everything is set from the environment, so one file serves a class and the test suite:

=========================  ==================================================================
``TL_HUB_COURSE``          course id (``tl-course``, as in course/nbgrader_config.py)
``TL_HUB_EXCHANGE``        nbgrader exchange root (``/srv/nbgrader/exchange``)
``TL_HUB_STATE``           the hub's database and cookie secret (``/srv/jupyterhub``)
``TL_HUB_IP``/``_PORT``    where students connect (``127.0.0.1``, ``8000``; put TLS in front)
``TL_HUB_API_PORT``        the hub's own API port (``8081``); the proxy's is one above it
``TL_HUB_STUDENTS``        comma-separated student user names
``TL_HUB_INSTRUCTORS``     comma-separated instructor user names (hub admins)
``TL_HUB_GRADER``          OS user of the formgrader service (``grader-<course>``; no service
                           when that user does not exist)
``TL_HUB_COURSE_ROOT``     the course directory the formgrader grades in (``~grader/<course>``)
``TL_HUB_SERVICE_PORT``    the formgrader service's port (``9999``)
``TL_HUB_USER_PYTHON``     the Python of every user's server: one that every user may run,
                           with tl-course installed (default: the hub's own)
``TL_HUB_USER_PREFIX``     the environment whose Jupyter configuration, extensions and
                           JupyterLab those servers use (default: the hub's, ``sys.prefix``)
``TL_HUB_PROXY``           configurable-http-proxy (default: the one ``make hub`` installs)
``TL_HUB_AUTH``            ``pam`` (the users' Unix passwords, the default) or ``dummy`` (one
                           shared ``TL_HUB_DUMMY_PASSWORD``, and ``TL_HUB_DUMMY_ADMIN_PASSWORD``
                           for instructors, JupyterHub's shared-password authenticator: tests
                           only, on 127.0.0.1)
=========================  ==================================================================

Run it as root (the spawner switches to each user): ``make hub``, or
``jupyterhub -f course/jupyterhub/jupyterhub_config.py``.
"""

import os
import pwd
import secrets
import sys
from pathlib import Path

c = get_config()  # noqa: F821

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _names(variable: str) -> list[str]:
    return [n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()]


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


COURSE = os.environ.get("TL_HUB_COURSE", "tl-course")
EXCHANGE = os.environ.get("TL_HUB_EXCHANGE", "/srv/nbgrader/exchange")
STATE = Path(os.environ.get("TL_HUB_STATE", "/srv/jupyterhub"))
STUDENTS = _names("TL_HUB_STUDENTS")
INSTRUCTORS = _names("TL_HUB_INSTRUCTORS")
GRADER = os.environ.get("TL_HUB_GRADER", f"grader-{COURSE}")
USER_PYTHON = os.environ.get("TL_HUB_USER_PYTHON", sys.executable)
USER_PREFIX = Path(os.environ.get("TL_HUB_USER_PREFIX", sys.prefix))
# the users' servers find the environment's Jupyter configuration (the JupyterLab and nbgrader
# extensions it enables), its extensions and its JupyterLab, whichever Python runs them
JUPYTER_ENV = {
    "JUPYTER_PATH": str(USER_PREFIX / "share" / "jupyter"),
    "JUPYTERLAB_DIR": str(USER_PREFIX / "share" / "jupyter" / "lab"),
}


def _config_path(folder: str) -> str:
    return os.pathsep.join([str(HERE / folder), str(USER_PREFIX / "etc" / "jupyter")])
API_PORT = int(os.environ.get("TL_HUB_API_PORT", "8081"))
SERVICE_PORT = int(os.environ.get("TL_HUB_SERVICE_PORT", "9999"))
PROXY = os.environ.get("TL_HUB_PROXY") or str(
    REPO / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy")

# -- where it listens, what it keeps ---------------------------------------------------------
c.JupyterHub.ip = os.environ.get("TL_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("TL_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = API_PORT
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{API_PORT + 1}"
c.ConfigurableHTTPProxy.command = [PROXY]
STATE.mkdir(parents=True, exist_ok=True, mode=0o700)
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
# the formgrader shows its pages in a frame of the hub's pages (nbgrader #1870)
c.JupyterHub.tornado_settings = {
    "headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}

# -- who logs in -----------------------------------------------------------------------------
if os.environ.get("TL_HUB_AUTH", "pam") == "dummy":
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = os.environ["TL_HUB_DUMMY_PASSWORD"]
    if os.environ.get("TL_HUB_DUMMY_ADMIN_PASSWORD"):  # instructors: 32 characters or more
        c.SharedPasswordAuthenticator.admin_password = os.environ["TL_HUB_DUMMY_ADMIN_PASSWORD"]
else:
    c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(STUDENTS) | set(INSTRUCTORS)
c.Authenticator.admin_users = set(INSTRUCTORS)

# -- each user's own JupyterLab, as that Unix user -------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [USER_PYTHON, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 120  # a server's first start imports JupyterLab (2 cores: slow)
c.Spawner.start_timeout = 120
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": _config_path("students"),  # the Assignments tab, no formgrader
    **JUPYTER_ENV,
    "TL_HUB_COURSE": COURSE, "TL_HUB_EXCHANGE": EXCHANGE,
    "TF_CPP_MIN_LOG_LEVEL": "3",
}
# a user's server reads its own groups from the hub (nbgrader's JupyterHubAuthPlugin)
roles = [{"name": "server", "scopes": ["inherit"]}]

# -- the course's groups, and the formgrader as a service named after the course -------------
c.JupyterHub.load_groups = {
    f"formgrade-{COURSE}": {"users": INSTRUCTORS + ([GRADER] if _user_exists(GRADER) else [])},
    f"nbgrader-{COURSE}": {"users": STUDENTS},
}
if _user_exists(GRADER):
    home = pwd.getpwnam(GRADER).pw_dir
    course_root = os.environ.get("TL_HUB_COURSE_ROOT", os.path.join(home, COURSE))
    c.JupyterHub.services = [{
        "name": COURSE,
        "url": f"http://127.0.0.1:{SERVICE_PORT}",
        "command": [USER_PYTHON, "-m", "jupyterhub.singleuser", "--debug"],
        "user": GRADER,
        "cwd": course_root,
        "environment": {
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "JUPYTER_CONFIG_PATH": _config_path("grader"),
            **JUPYTER_ENV,
            "TL_HUB_COURSE": COURSE, "TL_HUB_EXCHANGE": EXCHANGE,
            "TL_HUB_COURSE_ROOT": course_root,
        },
        "api_token": secrets.token_hex(32),
        "oauth_no_confirm": True,
    }]
    c.Authenticator.allowed_users |= {GRADER}
    roles += [
        # instructors open the formgrader service (students, in nbgrader-<course>, do not)
        {"name": f"formgrade-{COURSE}", "groups": [f"formgrade-{COURSE}"],
         "scopes": [f"access:services!service={COURSE}"]},
        # the service lists the course's students (nbgrader's JupyterHubAuthPlugin)
        {"name": f"{COURSE}-service", "services": [COURSE],
         "scopes": ["read:users", "read:groups", "list:users", "list:groups"]},
    ]
c.JupyterHub.load_roles = roles
