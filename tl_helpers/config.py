"""Every setting of the course in one place, each parsed once, with a documented default.

The student library and the instructor's grader (``tl_course``) both read their defaults from
here, so one environment variable changes them everywhere (for example a smaller image size on a
slow laptop, or no progress bars in CI).

| setting                    | default               | environment variable / flag          |
|----------------------------|-----------------------|--------------------------------------|
| ``SEED``                   | ``0``                 | ``TL_SEED``                          |
| ``IMAGE_SIZE``             | ``32``                | ``TL_IMAGE_SIZE``                    |
| :func:`cache_root`         | ``~/.cache/tl-course``| ``TL_CACHE_DIR``                     |
| :func:`show_progress`      | on                    | ``TL_PROGRESS=0`` turns bars off     |
| :func:`headless`           | off                   | ``TL_HEADLESS=1`` or nbgrader        |
| :func:`quiet_tensorflow`   | C++ logs off          | sets ``TF_CPP_MIN_LOG_LEVEL=3``      |
| ``CELL_TIMEOUT``           | ``60`` s              | ``tl-course grade --cell-timeout``   |
| ``COURSE_CELL_TIMEOUT``    | ``300`` s             | (course cells: the experiments)      |
| ``CALL_TIMEOUT``           | ``30`` s              | (one call of a notebook function)    |
| ``CHECKS_PER_CELL_TIMEOUT``| ``120`` s             | (all hidden checks of one cell)      |
| ``SUBMISSION_TIMEOUT``     | ``900`` s             | ``--submission-timeout``             |
| ``MEMORY_LIMIT_GB``        | ``4.0``               | ``--memory-limit``                   |
| ``MAX_KERNEL_STARTS``      | ``4``                 | (kernel restarts per submission)     |

Example:
    >>> from tl_helpers import config
    >>> config.IMAGE_SIZE
    32
    >>> config.COURSE_CELL_TIMEOUT
    300
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "SEED", "IMAGE_SIZE", "CACHE_DIR", "WEIGHTS_DIR", "cache_root", "cache_dir", "show_progress",
    "headless", "quiet_tensorflow", "QUIET_TENSORFLOW_ENV", "CELL_TIMEOUT", "COURSE_CELL_TIMEOUT",
    "CALL_TIMEOUT", "CHECKS_PER_CELL_TIMEOUT", "SUBMISSION_TIMEOUT", "MEMORY_LIMIT_GB",
    "MAX_KERNEL_STARTS",
]

_OFF = ("0", "false", "no", "off")
_ON = ("1", "true", "yes", "on")


def _int_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(
            f"Environment variable {name} must be an integer. Received: {name}={raw!r}"
        ) from None


# ------------------------------------------------------------------------- the library
SEED: int = _int_from_env("TL_SEED", 0)
"""Default random seed for data splits, initialisation and training."""

IMAGE_SIZE: int = _int_from_env("TL_IMAGE_SIZE", 32)
"""Default square image size (pixels) of the course's datasets and backbones."""

WEIGHTS_DIR: Path = Path(__file__).resolve().parent / "weights"
"""The course's embedded pretrained weights and model cards (ship inside the package)."""


def cache_root() -> Path:
    """The course cache folder: ``$TL_CACHE_DIR``, else ``~/.cache/tl-course``.

    Read when called (the grader gives each sandboxed kernel its own cache), not created.

    Example:
        >>> isinstance(cache_root(), Path)
        True
    """
    return Path(os.environ.get("TL_CACHE_DIR") or "~/.cache/tl-course").expanduser()


CACHE_DIR: Path = cache_root()
"""The cache folder when the library was imported (prefer :func:`cache_root`)."""


def cache_dir(*parts: str) -> Path:
    """Return (and create) a folder inside the course cache.

    Example:
        >>> cache_dir("features").name
        'features'
    """
    path = cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def show_progress() -> bool:
    """Whether long work shows a progress bar (``TL_PROGRESS=0``, ``false``, ``no`` or ``off``
    turns the bars off; the grader's kernels run with them off).

    Example:
        >>> import os; os.environ["TL_PROGRESS"] = "0"; show_progress()
        False
        >>> del os.environ["TL_PROGRESS"]; show_progress()
        True
    """
    return os.environ.get("TL_PROGRESS", "1").strip().lower() not in _OFF


def headless() -> bool:
    """Whether no frontend is there to show widgets: under nbgrader (``NBGRADER_EXECUTION``) or
    when the runner said so (``TL_HEADLESS=1``, set by ``tl-course`` when it executes notebooks).

    Example:
        >>> import os; os.environ["TL_HEADLESS"] = "1"; headless()
        True
        >>> del os.environ["TL_HEADLESS"]
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return True
    return os.environ.get("TL_HEADLESS", "").strip().lower() in _ON


QUIET_TENSORFLOW_ENV: dict[str, str] = {"TF_CPP_MIN_LOG_LEVEL": "3"}
"""The environment that keeps TensorFlow's C++ start-up lines off stderr (for child processes)."""


def quiet_tensorflow(*, force: bool = False) -> None:
    """Silence TensorFlow's C++ log lines (they go to stderr and cost points under nbgrader).

    The one place that sets ``TF_CPP_MIN_LOG_LEVEL``. A level the user set is kept unless
    ``force`` (the grader forces it). Call before TensorFlow is first imported (harmless
    afterwards); child processes started later inherit it.

    Example:
        >>> quiet_tensorflow(force=True); os.environ["TF_CPP_MIN_LOG_LEVEL"]
        '3'
    """
    for name, value in QUIET_TENSORFLOW_ENV.items():
        if force:
            os.environ[name] = value
        else:
            os.environ.setdefault(name, value)


# ------------------------------------------------------------------------- the grader
CELL_TIMEOUT: int = 60
"""Seconds one answer cell may run when graded (``tl-course grade --cell-timeout``)."""

COURSE_CELL_TIMEOUT: int = 300
"""Seconds one course-authored cell (an experiment the course wrote) may run when graded."""

CALL_TIMEOUT: float = 30.0
"""Seconds one call of a notebook function by a hidden check may take."""

CHECKS_PER_CELL_TIMEOUT: float = 120.0
"""Seconds all hidden checks of one graded cell may take together."""

SUBMISSION_TIMEOUT: int = 900
"""Seconds one submission may take in all (``--submission-timeout``)."""

MEMORY_LIMIT_GB: float = 4.0
"""Memory one submission's kernel may use before it is stopped (``--memory-limit``)."""

MAX_KERNEL_STARTS: int = 4
"""Kernel starts per submission (a kernel that dies is restarted and the notebook replayed)."""
