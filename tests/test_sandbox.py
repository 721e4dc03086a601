"""The sandbox of a kernel ends with the grader that started it, even when the grader is killed
(a checker process or a Dask worker that dies mid-job must not leave students' kernels running)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tl_course.sandbox import namespaces_available

ROOT = Path(__file__).resolve().parents[1]

GRADER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tl_course.sandbox import SandboxedKernel
kernel = SandboxedKernel(Path({folder!r}))
kernel.start()
print("started", flush=True)
time.sleep(600)
"""


def _kernels_in(folder: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        argv = process.info["cmdline"] or []  # the kernel itself, not the launchers around it
        if argv[1:3] == ["-m", "ipykernel_launcher"] and str(folder) in " ".join(argv):
            found.append(process)
    return found


@pytest.mark.skipif(not namespaces_available(),
                    reason="needs Linux namespaces (root and unshare): no sandbox here")
def test_a_sandboxed_kernel_dies_with_a_grader_killed_by_sigkill(box):
    folder = box / "kernel"
    grader = subprocess.Popen([sys.executable, "-c", GRADER.format(root=str(ROOT),
                                                                   folder=str(folder))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert grader.stdout.readline().strip() == "started"
        kernels = _kernels_in(folder)
        assert kernels, "the kernel process was not found"
        assert all(k.uids().real != 0 for k in kernels)  # the kernel runs as its own user
        grader.send_signal(signal.SIGKILL)
        grader.wait(10)
        deadline = time.monotonic() + 10
        while _kernels_in(folder) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _kernels_in(folder), "the kernel outlived the grader that was killed"
    finally:
        if grader.poll() is None:
            grader.kill()
        for process in _kernels_in(folder):
            process.kill()
