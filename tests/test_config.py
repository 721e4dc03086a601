"""Settings (tl_helpers.config): each read one way, bad values named."""

from __future__ import annotations

import importlib
import os

import pytest

from tl_helpers import config


@pytest.mark.parametrize("value, shown", [("0", False), ("false", False), ("No", False),
                                          ("off", False), ("1", True), ("", True)])
def test_progress_is_read_one_way(monkeypatch, value, shown):
    monkeypatch.setenv("TL_PROGRESS", value)
    assert config.show_progress() is shown


def test_headless_under_nbgrader_or_when_the_runner_says_so(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("TL_HEADLESS", "0")
    assert not config.headless()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert config.headless()


def test_cache_root_follows_the_environment_when_called(monkeypatch, tmp_path):
    monkeypatch.setenv("TL_CACHE_DIR", str(tmp_path / "c"))
    assert config.cache_root() == tmp_path / "c"
    assert config.cache_dir("features") == tmp_path / "c" / "features"
    assert (tmp_path / "c" / "features").is_dir()


def test_quiet_tensorflow_keeps_a_level_the_user_set_unless_forced(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    config.quiet_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    config.quiet_tensorflow(force=True)
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"


def test_a_bad_integer_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("TL_SEED", "seven")
    try:
        with pytest.raises(ValueError, match="Environment variable TL_SEED must be an integer. "
                                             "Received: TL_SEED='seven'"):
            importlib.reload(config)
    finally:
        monkeypatch.delenv("TL_SEED")
        importlib.reload(config)
