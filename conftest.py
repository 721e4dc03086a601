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
