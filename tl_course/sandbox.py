"""A Jupyter kernel for one submission, in a sandbox of its own.

Where Linux namespaces are available (``unshare`` run as root), the kernel and everything it
starts run in their own PID, mount and network namespaces, as an unprivileged user id of their
own, with resource limits (file size, processes, CPU time), in a private folder. Inside, the
course folder is replaced by an empty one except the ``tl_helpers`` package and the virtual
environment (the files a student also has): hidden tests, solutions, gradebook, configuration
and other submissions are simply not there. There is no network, and no environment variable
names anything of the grader's. When the kernel stops, the namespace ends and with it every
process it started.

Where that is impossible (macOS, no root, no ``unshare``), the kernel runs as an ordinary
process with a clean environment in its folder: :attr:`SandboxedKernel.isolated` is False and
the grader says so once and in ``summary.txt``.

The grader talks to the kernel over Unix sockets in the sandbox folder (``ipc`` transport), and
exchanges call data through ``<sandbox>/exchange`` (see :mod:`tl_course.proxy`).

Example:
    >>> kernel = SandboxedKernel(Path("/tmp/box"), hide=[Path("/course")])  # doctest: +SKIP
    >>> link = kernel.start(); ...; kernel.stop()                         # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tl_helpers import config

__all__ = ["SandboxedKernel", "namespaces_available", "SANDBOX_UID_BASE"]

SANDBOX_UID_BASE = 61000
"""User ids of sandboxed kernels start here (one per kernel; they need no /etc/passwd entry)."""

@functools.cache
def namespaces_available() -> bool:
    """True when this process can start a kernel in new PID, mount and network namespaces as
    another user (root with ``unshare``)."""
    ok = sys.platform.startswith("linux") and os.geteuid() == 0 and bool(
        shutil.which("unshare")) and bool(shutil.which("mount"))
    if ok:
        try:
            ok = subprocess.run(
                ["unshare", "--pid", "--fork", "--mount", "--net", "--kill-child", "true"],
                capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
    return ok


def _with_python(keep: list[Path]) -> list[Path]:
    """The kept paths plus the Python installation the kernel runs on."""
    extra = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
             Path(sys.executable).resolve().parent]
    out: list[Path] = []
    for path in [*keep, *extra]:
        if not any(path == p or p in path.parents for p in out):
            out = [p for p in out if path not in p.parents] + [path]
    return out


def _untraversable_parents(hide: list[Path], keep: list[Path]) -> list[Path]:
    """``hide`` plus every folder above a kept path that other users cannot enter (such as
    ``/root`` above a pyenv Python): it is replaced by an empty folder they can enter, holding
    only the kept path."""
    out = list(hide)
    for path in keep:
        for parent in reversed(path.parents):
            try:
                mode = parent.stat().st_mode
            except OSError:
                continue
            if not mode & 0o001 and parent not in out and parent != Path("/"):
                out.append(parent)
    return out


def _kernel_env(home: Path, extra: dict[str, str] | None) -> dict[str, str]:
    """A clean environment: nothing of the grader's (no paths to tests, gradebook, keys)."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin",
                                 "/bin"]),
        "HOME": str(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "TMPDIR": str(home / "tmp"), "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(home / "mpl"),
        "TL_CACHE_DIR": str(home / "cache"), "TL_HEADLESS": "1", "TL_PROGRESS": "0",
        **config.QUIET_TENSORFLOW_ENV, "PYTHONWARNINGS": "ignore", "PYTHONNOUSERSITE": "1",
        "JUPYTER_PLATFORM_DIRS": "1", "IPYTHONDIR": str(home / "ipython"),
        "NBGRADER_EXECUTION": "autograde",
    }
    env.update(extra or {})
    return env


class SandboxedKernel:
    """One kernel in one sandbox folder.

    Args:
        folder: a fresh folder for this kernel (created; removed by :meth:`stop`).
        hide: folders and files the kernel must not see (the course root is the usual one; its
            ``keep`` parts stay visible).
        keep: paths under a hidden folder that stay visible read-only (the ``tl_helpers``
            package, the virtual environment).
        env: extra environment variables for the kernel (thread counts).
        uid: the user id to run as (default: a fresh one above :data:`SANDBOX_UID_BASE`).
        isolate: None = sandbox when possible; False = never (a plain process).
        file_size_mb, max_processes, cpu_seconds: resource limits of the kernel.
    """

    def __init__(self, folder: Path, *, hide: list[Path] = (), keep: list[Path] = (),
                 env: dict[str, str] | None = None, uid: int | None = None,
                 isolate: bool | None = None, file_size_mb: int = 2048,
                 max_processes: int = 512, cpu_seconds: int = 3600) -> None:
        self.folder = Path(folder)
        self.keep = _with_python([Path(p).resolve() for p in keep])
        self.hide = _untraversable_parents([Path(p).resolve() for p in hide], self.keep)
        self.extra_env = dict(env or {})
        self.isolated = namespaces_available() if isolate is None else (
            isolate and namespaces_available())
        self.uid = uid if uid is not None else SANDBOX_UID_BASE + secrets.randbelow(3000)
        self.limits = {"fsize": file_size_mb * 2**20, "nproc": max_processes,
                       "cpu": cpu_seconds}
        self.manager: Any = None
        self.client: Any = None

    @property
    def home(self) -> Path:
        return self.folder / "home"

    @property
    def exchange(self) -> Path:
        return self.folder / "exchange"

    def _prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o755)
        for sub in ("home", "home/tmp", "home/cache", "kernel"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        self.exchange.mkdir(exist_ok=True)
        os.chmod(self.exchange, 0o755)  # only the grader creates entries here
        if self.isolated:
            closed = [p for p in self.folder.parents if not p.stat().st_mode & 0o001]
            if closed:
                raise ValueError(f"Argument `folder` must lie in folders other users can enter "
                                 f"(the kernel runs as user {self.uid}); {closed[0]} is not. "
                                 f"Received: {self.folder}")
            for path in [self.home, *self.home.rglob("*"), self.folder / "kernel"]:
                os.lchown(path, self.uid, self.uid)
            os.chmod(self.home, 0o700)
            os.chmod(self.folder / "kernel", 0o700)

    def start(self, *, startup_timeout: float = 120.0) -> Any:
        """Start the kernel; return a connected ``jupyter_client`` blocking client."""
        from jupyter_client import KernelManager

        self._prepare()
        kernel_dir = self.folder / "kernel"
        manager = KernelManager(transport="ipc", ip=str(kernel_dir / "socket"),
                                connection_file=str(kernel_dir / "connection.json"))
        launch = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        if self.isolated:
            spec = {"hide": [str(p) for p in self.hide],
                    "keep": [str(p) for p in [*self.keep, self.folder.resolve()]],
                    "writable": [str(self.folder.resolve())],
                    "uid": self.uid, "cwd": str(self.home), "limits": self.limits,
                    "box": str(self.folder)}
            spec_file = self.folder / "sandbox.json"
            spec_file.write_text(json.dumps(spec))
            launch = ["unshare", "--pid", "--fork", "--kill-child", "--mount", "--net", "--",
                      sys.executable, "-m", "tl_course.sandbox", str(spec_file),
                      "--", *launch]
            if shutil.which("setpriv"):  # the sandbox dies with the grader, even killed
                launch = ["setpriv", "--pdeathsig", "KILL", "--", *launch]
        from jupyter_client.kernelspec import KernelSpec

        manager._kernel_spec = KernelSpec(argv=launch, display_name="tl-course sandbox",
                                          language="python")
        manager.write_connection_file()
        os.chmod(manager.connection_file, 0o644)
        env = _kernel_env(self.home, self.extra_env)
        manager.start_kernel(env=env, cwd=str(self.home))
        client = manager.blocking_client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            self.manager, self.client = manager, client
            self.stop()
            raise
        self.manager, self.client = manager, client
        return client

    def interrupt(self) -> None:
        if self.manager is not None:
            self.manager.interrupt_kernel()

    def stop(self) -> None:
        """Stop the kernel (and with it the namespace) and remove the folder."""
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:  # noqa: BLE001
                pass
        if self.manager is not None:
            try:
                self.manager.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001
                pass
            try:
                self.manager.cleanup_resources()
            except Exception:  # noqa: BLE001
                pass
        self.manager = self.client = None
        shutil.rmtree(self.folder, ignore_errors=True)


# ----------------------------------------------------------------- inside the new namespaces
def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _enter(spec: dict, argv: list[str]) -> None:
    """Runs as root in the new namespaces: hide, limit, drop privileges, exec the kernel."""
    _mount("--make-rprivate", "/")
    _mount("-t", "proc", "proc", "/proc")
    # kept paths are bound aside first (on a tmpfs of this namespace only), then put back over
    # the emptied folders they live in
    aside = Path("/dev/shm" if Path("/dev/shm").is_dir() else "/run") / f"tl-keep-{os.getpid()}"
    aside.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(aside))
    staged = []
    for i, keep in enumerate(Path(p) for p in spec["keep"]):
        if keep.exists():
            target = aside / f"keep{i}"
            target.mkdir(exist_ok=True)
            _mount("--bind", str(keep), str(target))
            staged.append((target, keep))
    for hidden in (Path(p) for p in spec["hide"]):
        if hidden.is_dir():
            _mount("-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(hidden))
        elif hidden.exists():
            _mount("--bind", "/dev/null", str(hidden))
    for target, keep in staged:
        keep.mkdir(parents=True, exist_ok=True)
        _mount("--bind", str(target), str(keep))
        if str(keep) not in spec.get("writable", ()):
            _mount("-o", "remount,bind,ro", str(keep))
        subprocess.run(["umount", "-l", str(target)], capture_output=True)
    subprocess.run(["umount", "-l", str(aside)], capture_output=True)
    limits = spec["limits"]
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.chdir(spec["cwd"])
    uid = int(spec["uid"])
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    _die_with_parent()  # the change of user cleared unshare's --kill-child
    os.execve(argv[0], argv, dict(os.environ))


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent (``unshare``, which dies with the
    grader) dies. ``unshare --kill-child`` sets this, but a change of user id clears it, so a
    grader killed mid-job (a checker or a Dask worker) left its kernels running."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux's libc: the namespace still ends with stop()
        pass


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text())
    command = argv[argv.index("--") + 1:]
    _enter(spec, command)


if __name__ == "__main__":
    main()
