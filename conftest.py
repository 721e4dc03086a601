"""Shared test set-up (tests/ and the doctests in tl_helpers/): quiet TensorFlow, a private
cache folder, no progress bars."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TL_PROGRESS"] = "0"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test writes its caches (features, image mirrors, Keras) to a fresh folder."""
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TL_CACHE_DIR", str(root / "tl"))
    monkeypatch.setenv("KERAS_HOME", str(root / "keras"))
    yield


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """A private, released copy of the mini fixture course (tests/fixtures/mini_course), one
    per test module: the grading tests run its one assignment, 00_mini, end to end."""
    from tests.grading_support import make_mini_course

    return make_mini_course(tmp_path_factory.mktemp("mini") / "course")


@pytest.fixture
def box():
    """A folder for sandboxes outside pytest's temporary folders (pytest keeps their parent at
    mode 0700, which the kernel's own user could not enter)."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="tl-test-sandbox-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
