import json

import numpy as np

from tl_helpers import backbones, pretrain
from tl_helpers._hashing import file_sha256


def test_pretrain_writes_weights_and_a_verifiable_card(tmp_path):
    card = pretrain.pretrain("course_mobilenet", num_images=400, epochs=1, output_dir=tmp_path,
                             verbose=0)
    weights = tmp_path / "course_mobilenet.weights.h5"
    saved = json.loads((tmp_path / "course_mobilenet.json").read_text())
    assert saved == card
    assert card["sha256"] == file_sha256(weights)
    assert card["source_task"]["num_images"] == 400
    assert 0.0 <= card["source_accuracy"] <= 1.0
    # the weights load into the registry's architecture
    base_model = backbones.load_backbone("course_mobilenet", weights=weights)
    assert base_model.output_shape == (None, 128)
    assert np.isfinite(base_model.get_weights()[0]).all()


def test_command_line_quick_run(tmp_path, capsys):
    assert pretrain.main(["--quick", "--backbone", "course_mobilenet",
                          "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "course_mobilenet: source accuracy" in out
    assert (tmp_path / "course_mobilenet.weights.h5").exists()
