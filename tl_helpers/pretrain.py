"""Pretrain the course backbones on the offline source task and write their model cards.

This script reproduces the weights that ship in ``tl_helpers/weights/``: the same recipe and
seed give the same kind of network (bitwise-identical files are not guaranteed across machines
and TensorFlow versions, so each card records its own sha256 and source accuracy).

Usage::

    python -m tl_helpers.pretrain                      # both backbones, ~15 min on 2 cores
    python -m tl_helpers.pretrain --backbone course_mobilenet --output-dir /tmp/weights
    tl-course pretrain --quick                         # a 1-minute smoke run, not for shipping

The source task ("Task 1") is :func:`tl_helpers.photos.make_source_task`: 24,000 patches of 13
photos (``photos.SOURCE_IMAGES``), one class per region of each photo (117 classes). None of these
photos appears in any target task of the course.

Example:
    >>> from tl_helpers.pretrain import pretrain
    >>> card = pretrain("course_mobilenet", num_images=500, epochs=1,
    ...                 output_dir="/tmp/w")  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from tl_helpers import config
from tl_helpers._validation import check_choice, check_int

__all__ = ["RECIPES", "pretrain", "main"]

#: Training recipe per backbone (chosen to fit both in <= 20 minutes on 2 CPU cores).
RECIPES: dict[str, dict[str, Any]] = {
    "course_mobilenet": dict(epochs=6, batch_size=128, learning_rate=4e-3),
    "course_resnet": dict(epochs=4, batch_size=128, learning_rate=2e-3),
}

_SOURCE_DEFAULTS = dict(num_images=24_000, image_size=32, grid=3, grayscale_fraction=0.3)
_NUM_HELD_OUT = 2_000


def _weight_layer_depth(model) -> int:
    """Number of layers with a kernel (Conv2D, DepthwiseConv2D, Dense): the usual "depth"."""
    return sum(1 for layer in model.layers if type(layer).__name__ in {
        "Conv2D", "DepthwiseConv2D", "Dense", "SeparableConv2D"
    })


def pretrain(
    name: str,
    *,
    num_images: int = _SOURCE_DEFAULTS["num_images"],
    epochs: int | None = None,
    seed: int = config.SEED,
    output_dir: str | os.PathLike = config.WEIGHTS_DIR,
    verbose: int = 2,
) -> dict[str, Any]:
    """Pretrain one course backbone on the source task; save weights and model card.

    Args:
        name: ``"course_mobilenet"`` or ``"course_resnet"``.
        num_images: number of source patches (the shipped weights use 24,000).
        epochs: passes over the source data; defaults to the backbone's recipe.
        seed: random seed for data and initialisation.
        output_dir: folder for ``<name>.weights.h5`` and ``<name>.json``.
        verbose: Keras ``fit`` verbosity (0 silent, 1 progress bar, 2 one line per epoch).

    Returns:
        The model card (also written as JSON).
    """
    config.quiet_tensorflow()
    check_choice("name", name, tuple(RECIPES))
    check_int("num_images", num_images, minimum=2)
    recipe = dict(RECIPES[name])
    if epochs is not None:
        recipe["epochs"] = check_int("epochs", epochs, minimum=1)

    import keras
    import numpy as np
    import tensorflow as tf

    from tl_helpers import architectures, photos
    from tl_helpers._hashing import file_sha256

    started = time.perf_counter()
    source_kwargs = {k: v for k, v in _SOURCE_DEFAULTS.items() if k != "num_images"}
    train = photos.make_source_task(num_images, seed=seed, **source_kwargs)
    held_out = photos.make_source_task(
        min(_NUM_HELD_OUT, num_images), seed=seed + 1000, **source_kwargs
    )

    keras.utils.set_random_seed(seed)
    family, builder = architectures.COURSE_ARCHITECTURES[name]
    base_model = builder(input_shape=(source_kwargs["image_size"],) * 2 + (3,))
    model = architectures.add_classifier(base_model, train.num_classes)
    steps = recipe["epochs"] * int(np.ceil(len(train) / recipe["batch_size"]))
    schedule = keras.optimizers.schedules.CosineDecay(recipe["learning_rate"], steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5")],
    )
    model.fit(
        train.x, train.y, batch_size=recipe["batch_size"], epochs=recipe["epochs"],
        verbose=verbose,
    )
    _, accuracy, top5 = model.evaluate(held_out.x, held_out.y, batch_size=256, verbose=0)
    training_time = time.perf_counter() - started

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    weights_path = out / f"{name}.weights.h5"
    base_model.save_weights(weights_path)
    card = {
        "name": name,
        "family": family,
        "architecture": builder.__doc__.strip().splitlines()[0],
        "parameters": int(base_model.count_params()),
        "depth": _weight_layer_depth(base_model),
        "input_shape": list(base_model.input_shape[1:]),
        "preprocessing": "raw 0-255 RGB in; a Rescaling layer inside the model maps to [-1, 1]",
        "feature_size": int(base_model.output_shape[-1]),
        "file_format": ".weights.h5",
        "weights_origin": "pretrained by tl-course on its offline source task "
        "(python -m tl_helpers.pretrain)",
        "source_task": {
            "description": "patches of photos shipped in scikit-image, scikit-learn and "
            "matplotlib; one class per region of each photo",
            "photos": list(photos.SOURCE_IMAGES),
            "num_images": int(num_images),
            "num_classes": int(train.num_classes),
            **{k: v for k, v in source_kwargs.items()},
        },
        "source_accuracy": round(float(accuracy), 4),
        "source_top5_accuracy": round(float(top5), 4),
        "source_accuracy_note": f"on {len(held_out)} held-out patches drawn with another seed",
        "seed": seed,
        "epochs": recipe["epochs"],
        "batch_size": recipe["batch_size"],
        "learning_rate": recipe["learning_rate"],
        "training_time_s": round(training_time, 1),
        "training_machine": f"{os.cpu_count()} CPU cores",
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "created": datetime.date.today().isoformat(),
        "size_bytes": weights_path.stat().st_size,
        "sha256": file_sha256(weights_path),
    }
    (out / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m tl_helpers.pretrain``)."""
    parser = argparse.ArgumentParser(
        prog="python -m tl_helpers.pretrain",
        description="Pretrain the course backbones on the offline source task.",
    )
    parser.add_argument(
        "--backbone", choices=[*RECIPES, "all"], default="all", help="which backbone to train"
    )
    parser.add_argument("--num-images", type=int, default=_SOURCE_DEFAULTS["num_images"])
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe")
    parser.add_argument("--seed", type=int, default=config.SEED)
    parser.add_argument("--output-dir", default=str(config.WEIGHTS_DIR))
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke run: 1,200 images and 1 epoch (for testing the script, not for shipping)",
    )
    args = parser.parse_args(argv)
    names = list(RECIPES) if args.backbone == "all" else [args.backbone]
    num_images, epochs = (1_200, 1) if args.quick else (args.num_images, args.epochs)
    for name in names:
        print(f"Pretraining {name} on {num_images} source images ...", flush=True)
        card = pretrain(
            name, num_images=num_images, epochs=epochs, seed=args.seed,
            output_dir=args.output_dir, verbose=2 if not sys.stdout.isatty() else 1,
        )
        print(
            f"  {name}: source accuracy {card['source_accuracy']:.3f} "
            f"(top-5 {card['source_top5_accuracy']:.3f}), {card['parameters']:,} parameters, "
            f"{card['size_bytes'] / 1e6:.2f} MB, {card['training_time_s']:.0f} s -> "
            f"{Path(args.output_dir) / (name + '.weights.h5')}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
