"""The nbgrader exchange of a class on JupyterHub: release to it, collect from it, return
feedback through it.

On a JupyterHub class server (``course/jupyterhub/``) students fetch and submit in
JupyterLab's Assignments tab; the instructor's side is three steps, each nbgrader's own
exchange code run with the course's configuration:

* :func:`release_to_exchange` (``tl-course release --exchange``): ``release/<assignment>`` goes
  to ``<exchange>/<course id>/outbound``, where students fetch it;
* :func:`collect_from_exchange` (``tl-course collect``): every submission goes from the
  exchange's inbound folder to ``submitted/<student>/<assignment>/``, which ``tl-course grade``
  grades like any folder of submissions;
* :func:`return_feedback` (``tl-course grade submitted --return-feedback``): the feedback HTML
  ``tl-course grade`` wrote goes back through the exchange, under a name only the student who
  submitted can compute (nbgrader's hash of the submission's secret), and each student fetches
  their own in the Assignments tab.

The exchange root is nbgrader's ``Exchange.root`` (``/srv/nbgrader/exchange`` unless the course
configuration says otherwise, or ``root`` here).

Example:
    >>> release_to_exchange(course_root, ["02_choosing_a_pretrained_model"],
    ...                     exchange="/srv/nbgrader/exchange")  # doctest: +SKIP
    {'02_choosing_a_pretrained_model': 'ok'}
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path
from typing import Any

from tl_course import course

__all__ = ["prepare_exchange", "release_to_exchange", "collect_from_exchange",
           "return_feedback", "EXCHANGE_FILES"]

EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")
"""What nbgrader keeps beside a collected submission and needs again to return its feedback."""

_MAX_EXCHANGE_FILE = 4096  # bytes: a timestamp or a secret, never more


def prepare_exchange(exchange: str | Path | None) -> None:
    """Create the exchange root as nbgrader needs it (everyone may write in it) with the sticky
    bit, as ``/tmp`` has it: no student can rename or remove the course's folder in it."""
    if not exchange:
        return
    path = Path(exchange)
    if not path.exists():
        path.mkdir(parents=True)
        path.chmod(0o1777)


def _outcome(result: dict) -> str:
    return "ok" if result.get("success") else (result.get("error") or result.get("log") or
                                                "failed")


def _run(root: Path, exchange: str | Path | None, action: str, *args: Any) -> str:
    """One nbgrader exchange action of the course's API, run at ``root``: "ok" or the error."""
    api = course.nbgrader_api(root, exchange=exchange)
    with course.in_folder(root), contextlib.redirect_stdout(io.StringIO()):
        return _outcome(getattr(api, action)(*args))


def release_to_exchange(root: Path, assignments: list[str],
                        exchange: str | Path | None = None) -> dict[str, str]:
    """``nbgrader release_assignment`` for each assignment: "ok" or the error, per name."""
    root = Path(root).resolve()
    prepare_exchange(exchange)
    return {name: _run(root, exchange, "release_assignment", course.check_assignment(root, name))
            for name in assignments}


def collect_from_exchange(root: Path, assignments: list[str],
                          exchange: str | Path | None = None) -> dict[str, str]:
    """``nbgrader collect`` for each assignment (newer submissions replace older ones) into
    ``<root>/submitted``: "ok" or the error, per name."""
    root = Path(root).resolve()
    return {name: _run(root, exchange, "collect", course.check_assignment(root, name), True)
            for name in assignments}


def return_feedback(root: Path, submissions: Path, graded: list[tuple[str, str]],
                    exchange: str | Path | None = None) -> dict[tuple[str, str], str]:
    """Release the feedback of each graded ``(student, assignment)`` through the exchange.

    nbgrader names a released feedback file after a hash of the submission's secret, which it
    reads beside the feedback; the secret (and timestamp) come from the collected submission in
    ``submissions`` (``submitted/`` after :func:`collect_from_exchange`). A submission that did
    not come through the exchange (no secret) is reported, not released.

    Returns:
        ``(student, assignment)`` -> "ok" or why its feedback was not released.
    """
    root = Path(root).resolve()
    out: dict[tuple[str, str], str] = {}
    for student, assignment in graded:
        folder = root / "feedback" / student / assignment
        source = Path(submissions) / student / assignment
        if not (folder / f"{assignment}.html").is_file():
            out[(student, assignment)] = "no feedback HTML was written"
            continue
        missing = [n for n in EXCHANGE_FILES if not _small_regular_file(source / n)]
        if missing:
            out[(student, assignment)] = (f"not submitted through the exchange (no "
                                          f"{', '.join(missing)} in {source})")
            continue
        for name in EXCHANGE_FILES:
            shutil.copyfile(source / name, folder / name)
        out[(student, assignment)] = _run(root, exchange, "release_feedback", assignment, student)
    return out


def _small_regular_file(path: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and \
            path.stat().st_size <= _MAX_EXCHANGE_FILE
    except OSError:
        return False
