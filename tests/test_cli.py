"""The ``tl-course`` command line (tl_course.cli)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tl_course import cli


def test_cli_doctor_reports_course_weights(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "course_resnet" in out and "ok" in out
    assert "tensorflow" in out
    assert "efficientnet_lite0 ok" in " ".join(out.split())


def test_cli_doctor_flags_missing_weights(tmp_path, monkeypatch, capsys):
    from tl_helpers import config

    monkeypatch.setattr(config, "WEIGHTS_DIR", tmp_path)
    assert cli.main(["doctor"]) == 1
    assert "MISSING" in capsys.readouterr().out


def test_cli_grade_without_the_grader_extra_names_it(monkeypatch, capsys):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "psutil" else find_spec(name, *a))
    assert cli.main(["grade", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "psutil" in err and "tl-course[grader]" in err


def test_cli_backbones_table(capsys):
    assert cli.main(["backbones"]) == 0
    out = capsys.readouterr().out
    assert "course_mobilenet" in out and "mobilenet_v2" in out and "3,538,984" in out
    assert "efficientnet_lite0" in out and "4,694,024" in out and "0.751" in out


def test_console_script_runs():
    exe = Path(sys.executable).parent / "tl-course"
    if not exe.exists():
        pytest.skip("tl-course console script not installed in this environment")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert "doctor" in out.stdout


def test_cli_grade_reports_a_missing_folder(mini, capsys):
    assert cli.main(["grade", str(mini / "nowhere"), "--course", str(mini)]) == 2
    assert "Argument `submissions`" in capsys.readouterr().err
