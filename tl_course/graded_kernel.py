"""The kernel a submission is graded in: started in its sandbox, watched, restartable.

A :class:`GradedKernel` is a :class:`tl_course.sandbox.SandboxedKernel` plus its
:class:`tl_course.kernel_link.KernelLink` (the hidden checks' way in). It runs one cell at a
time within a time limit and reports how it ended: ``ok``, ``error``, ``timeout`` (interrupted,
the kernel answers again), ``hung`` (it ignored the interrupt), ``died`` or ``memory`` (a
:class:`MemoryWatch` killed it past its memory limit); it keeps at most 1 MB of a cell's
output. :func:`kernel_options` gathers its options into one dict. A :class:`WarmKernel` is
started ahead of its submission, already running the release's setup cell
(:func:`setup_source`), so that the next submission need not wait for the kernel to start.

Example:
    >>> kernel = GradedKernel(Path("/tmp/box"), kernel_options())          # doctest: +SKIP
    >>> kernel.start()                                                     # doctest: +SKIP
    >>> outputs, status = kernel.run("print(1 + 1)", timeout=60)           # doctest: +SKIP
    >>> status, outputs[0]["text"].strip()                                 # doctest: +SKIP
    ('ok', '2')
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

import nbformat

from tl_course.kernel_link import KernelLink
from tl_course.sandbox import SandboxedKernel
from tl_helpers import config

__all__ = ["GradedKernel", "WarmKernel", "MemoryWatch", "kernel_options", "setup_source",
           "MAX_OUTPUT_CHARS"]

MAX_OUTPUT_CHARS = 2**20
"""Most characters of one cell's output that are kept (the rest is left out, with a note)."""


def kernel_options(*, hide: list[Path] = (), keep: list[Path] = (),
                   env: dict[str, str] | None = None, isolate: bool | None = None,
                   call_timeout: float = config.CALL_TIMEOUT,
                   memory_limit_bytes: int = int(config.MEMORY_LIMIT_GB * 2**30)) -> dict:
    """The options of a submission's kernel (see :func:`tl_course.notebook_grader.grade_notebook`),
    as one dict.

    Example:
        >>> kernel_options(call_timeout=10)["call_timeout"]
        10
    """
    return {"hide": [Path(p) for p in hide], "keep": [Path(p) for p in keep],
            "env": dict(env or {}), "isolate": isolate, "call_timeout": call_timeout,
            "memory_limit_bytes": memory_limit_bytes}


@dataclass
class WarmKernel:
    """A sandboxed kernel started ahead of its submission, already running the release's setup
    cell (a locked course cell: the same for every student), so that the next submission does
    not wait for the kernel start and ``import tensorflow``. Started for one set of kernel
    options and one release; used only by a submission whose first code cell is that setup
    cell, else stopped and a fresh kernel started."""

    kernel: GradedKernel
    options: dict
    setup: str
    msg_id: str

    @classmethod
    def start(cls, release: nbformat.NotebookNode, sandbox_dir: Path,
              options: dict) -> WarmKernel | None:
        setup = setup_source(release)
        if setup is None:
            return None
        kernel = GradedKernel(Path(sandbox_dir), dict(options))
        kernel.start()
        return cls(kernel, dict(options), setup, kernel.send(setup))

    def stop(self) -> None:
        self.kernel.stop()


def setup_source(release: nbformat.NotebookNode) -> str | None:
    """The source of the release's first code cell when it is a locked nbgrader cell."""
    first = next((c for c in release.cells if c.cell_type == "code"), None)
    meta = first.get("metadata", {}).get("nbgrader", {}) if first is not None else {}
    return first.source if meta.get("locked") and meta.get("grade_id") else None


class MemoryWatch(threading.Thread):
    """Kill the kernel's process tree when its resident memory passes the limit."""

    def __init__(self, pid: int, limit_bytes: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit = pid, limit_bytes
        self.killed = False
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.wait(0.25):
            try:
                procs = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs)
            except psutil.Error:
                continue
            if rss > self.limit:
                self.killed = True
                for proc in reversed(procs):
                    try:
                        proc.kill()
                    except psutil.Error:
                        pass


class GradedKernel:
    """A sandboxed kernel plus its link, restartable."""

    def __init__(self, folder: Path, options: dict) -> None:
        self.folder = folder
        self.options = options
        self.starts = 0
        self.box: SandboxedKernel | None = None
        self.link: KernelLink | None = None
        self.watch: MemoryWatch | None = None

    def start(self) -> None:
        self.stop()
        self.starts += 1
        self.box = SandboxedKernel(self.folder / f"kernel-{self.starts}",
                                   hide=self.options["hide"], keep=self.options["keep"],
                                   env=self.options["env"], isolate=self.options["isolate"])
        client = self.box.start()
        owner = (self.box.uid, self.box.uid) if self.box.isolated else None
        self.link = KernelLink(client, self.box.exchange, interrupt=self.box.interrupt,
                               owner=owner, call_timeout=self.options["call_timeout"])
        process = getattr(self.box.manager.provisioner, "process", None)
        if process is not None and self.options["memory_limit_bytes"]:
            self.watch = MemoryWatch(process.pid, self.options["memory_limit_bytes"])
            self.watch.start()

    def stop(self) -> None:
        if self.watch is not None:
            self.watch.stop.set()
        if self.box is not None:
            self.box.stop()
        self.box = self.link = self.watch = None

    def run(self, code: str, timeout: float) -> tuple[list, str]:
        """Execute ``code``; return (outputs, status). Status: ok | error | timeout (interrupted,
        the kernel answers again) | hung (it ignored the interrupt) | died | memory."""
        return self.collect(self.send(code), timeout)

    def send(self, code: str) -> str:
        """Start executing ``code`` without waiting; :meth:`collect` gathers its outputs."""
        return self.box.client.execute(code, store_history=True, allow_stdin=False,
                                       stop_on_error=False)

    def collect(self, msg_id: str, timeout: float) -> tuple[list, str]:
        """Wait for the execution ``msg_id``; see :meth:`run`."""
        client = self.box.client
        outputs: list = []
        status = "ok"
        deadline = time.monotonic() + timeout
        interrupted = False
        kept = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if interrupted:
                    return outputs, "hung"
                self.box.interrupt()
                interrupted, status = True, "timeout"
                deadline = time.monotonic() + 10.0
                continue
            try:
                msg = client.get_iopub_msg(timeout=min(left, 1.0))
            except Empty:
                if self.watch is not None and self.watch.killed:
                    return outputs, "memory"
                if not client.is_alive():
                    return outputs, "died"
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                return outputs, status
            if kind == "clear_output":
                outputs.clear()
                kept = 0
            elif kind == "stream":
                text = content.get("text", "")
                if kept + len(text) > MAX_OUTPUT_CHARS:
                    if kept <= MAX_OUTPUT_CHARS:
                        outputs.append(nbformat.v4.new_output(
                            "stream", name="stdout", text="\n[tl-course] the rest of this cell's "
                            "output was left out (more than 1 MB)\n"))
                    kept = MAX_OUTPUT_CHARS + 1
                    continue
                kept += len(text)
                if outputs and outputs[-1].get("output_type") == "stream" and \
                        outputs[-1].get("name") == content.get("name"):
                    outputs[-1]["text"] += text
                else:
                    outputs.append(nbformat.v4.output_from_msg(msg))
            elif kind in ("display_data", "execute_result", "error"):
                if kept <= MAX_OUTPUT_CHARS:
                    outputs.append(nbformat.v4.output_from_msg(msg))
                if kind == "error" and status == "ok":
                    status = "error"

