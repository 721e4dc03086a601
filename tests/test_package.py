"""Packaging: the wheel, the public API, the import cost and the command line."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import tl_helpers

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves():
    for name in tl_helpers.__all__:
        assert getattr(tl_helpers, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tl_helpers.nope  # noqa: B018


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, tl_helpers; tl_helpers.load_faces; tl_helpers.few_shot_split; "
        "tl_helpers.plot_history; tl_helpers.make_domain; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "False False"


def test_student_library_imports_nothing_of_the_grader():
    code = ("import sys, tl_helpers, tl_helpers.grading, tl_helpers.checks; "
            "tl_helpers.load_faces; tl_helpers.grading.start_assignment; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'tl_course', 'pytest', '_pytest', 'psutil'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_grader_only_packages_are_an_extra():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    for package in ("pytest", "psutil"):
        assert package not in runtime, package
        assert any(d.startswith(package) for d in project["optional-dependencies"]["grader"])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )
    (path,) = out.glob("tl_course-*.whl")
    return path


def test_wheel_ships_weights_and_cards_but_no_course_material(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "tl_helpers/weights/course_resnet.weights.h5" in names
    assert "tl_helpers/weights/course_mobilenet.json" in names
    assert "tl_helpers/data.py" in names
    assert "tl_helpers/resources/imagenet_classes.tsv" in names
    assert not any(n.endswith(".pth") for n in names)  # the ImageNet weights come by pip
    assert "tl_helpers/grading/kernel.py" in names
    assert "tl_course/batch.py" in names  # the grader ships as its own package
    assert not any("test_" in n and n.endswith(".py") for n in names)  # no hidden checks
    for forbidden in ("autograder/", "source/", "release/", "tests/", "course/", "bench/"):
        assert not any(n.startswith(forbidden) or f"/{forbidden}" in n for n in names), forbidden
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tl-course = tl_course.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
