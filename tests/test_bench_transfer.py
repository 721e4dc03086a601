"""The benchmark's table logic (the heavy training runs are measured by running the script)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "transfer.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_transfer", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cell(scratch, frozen, fine_tuned, random):
    return {"scratch": scratch, "frozen": frozen, "fine_tuned": fine_tuned, "random": random}


def test_table_reports_gain_of_the_best_transfer_variant(bench):
    results = {
        "photos": {"10": _cell([0.70, 0.72], [0.90, 0.92], [0.80, 0.82], [0.5, 0.5])},
        "digits": {"10": _cell([0.94], [0.77], [0.86], [0.82])},
        "faces": {"10": _cell([0.99], [0.99], [1.00], [0.88])},
    }
    table = bench.format_table(results, "course_mobilenet").splitlines()
    assert "backbone: course_mobilenet" in table[0]
    photos, digits, faces = table[4:]
    assert "0.710 ± 0.010" in photos
    assert "+20.0 points (frozen course + linear; transfer helps)" in photos
    assert "-8.0 points (fine-tuned course; negative transfer)" in digits
    assert "+1.0 points (fine-tuned course; no gain)" in faces


def test_table_counts_lite0_and_marks_variants_not_run(bench):
    cell = _cell([0.80], [], [], [])
    cell.update(lite0_frozen=[0.95], lite0_fine_tuned=[0.93])
    row = bench.format_table({"everyday_photos": {"10": cell}}, "course_mobilenet").splitlines()
    assert row[2].count("|") == row[4].count("|")  # header and row have the same columns
    assert row[4].count("n/a") == 3
    assert "+15.0 points (frozen Lite0 + linear; transfer helps)" in row[4]


def test_linear_probe_separates_separable_features(bench):
    import numpy as np

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    features = rng.normal(size=(40, 3)) + 4 * y[:, None]
    assert bench.linear_probe(features[::2], y[::2], features[1::2], y[1::2]) == 1.0


def test_course_backbones_never_run_on_their_own_source_photos(bench):
    from tl_helpers import photos

    for task, loader in bench.TASKS.items():
        classes = set(loader(image_size=16).class_names)
        if classes & set(photos.SOURCE_IMAGES):
            assert task in bench.COURSE_SOURCE_TASKS, task
