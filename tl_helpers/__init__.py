"""tl_helpers: the helper library of the tl-course transfer-learning course.

Data loaders, backbones with model cards, cached feature extraction and plots that every
notebook imports. Importing ``tl_helpers`` is cheap: TensorFlow is imported only when a function
that needs it is first called.

Example:
    >>> import tl_helpers as tl
    >>> faces = tl.load_faces()
    >>> tl.list_backbones("course")
    ['course_mobilenet', 'course_resnet']
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> submodule that defines it (loaded on first use, PEP 562)
_PUBLIC = {
    # data
    "ImageDataset": "data",
    "load_digits": "data",
    "load_faces": "data",
    "few_shot_split": "data",
    "few_shot_indices": "data",
    "resize_images": "data",
    # datasets cut from real photos
    "SOURCE_IMAGES": "photos",
    "TARGET_IMAGES": "photos",
    "PHOTO_PATCH_TASKS": "photos",
    "load_photo_patches": "photos",
    "load_everyday_photos": "photos",
    "load_photo": "photos",
    "make_source_task": "photos",
    # augmentation
    "augmented_stream": "augment",
    # the user's own images
    "load_image_folder": "image_folders",
    "scan_image_folder": "image_folders",
    # synthetic domains
    "make_domain": "domains",
    "make_domain_pair": "domains",
    "DomainSpec": "domains",
    "SHAPE_CLASSES": "domains",
    "SHIFT_FACTORS": "domains",
    "similarity_sweep": "domains",
    # backbones
    "BackboneSpec": "backbones",
    "list_backbones": "backbones",
    "get_backbone_spec": "backbones",
    "model_card": "backbones",
    "load_backbone": "backbones",
    "layer_summary": "layer_support",
    "WeightsUnavailableError": "backbones",
    "imagenet_class_names": "efficientnet_lite",
    "decode_predictions": "efficientnet_lite",
    # training plumbing
    "reset_weights": "training",
    "reset_optimizer": "training",
    "ScratchTrainer": "training",
    # features
    "extract_features": "features",
    "clear_feature_cache": "features",
    # student-facing checks (visible tests and hidden checks share them)
    "check_shape": "checks",
    "check_close": "checks",
    "check_type": "checks",
    "check_raises": "checks",
    "check_between": "checks",
    "check_quiz": "checks",
    # plots
    "plot_history": "plotting",
    "plot_label_efficiency": "plotting",
    "plot_confusion_matrix": "plotting",
    "plot_image_grid": "plotting",
    "plot_embedding": "plotting",
    "plot_model_selection": "plotting",
    # explorers: ipywidgets.interact in JupyterLab, one default view when headless
    "interact": "explorers",
    "widgets": "explorers",
}

__all__ = sorted(_PUBLIC) + ["config", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "config":
        return importlib.import_module("tl_helpers.config")
    if name in _PUBLIC:
        module = importlib.import_module(f"tl_helpers.{_PUBLIC[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tl_helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
