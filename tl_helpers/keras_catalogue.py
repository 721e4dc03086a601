"""Catalogue of the ``keras.applications`` models that the model-selection notebook compares.

Plain data: importing this module does not import Keras or TensorFlow.

Where the numbers come from
---------------------------
* ``size_mb``, ``top1``, ``top5`` and ``depth``: Keras applications documentation
  (https://keras.io/api/applications/), table "Available models" (the keras-io source file
  ``templates/api/applications/index.md``). Accuracies are the table's percentages written as
  fractions (79.0% -> 0.790). ``depth`` is the table's current "Depth" column ("the number of
  layers with parameters"); it is ``None`` where the table shows "-".
* ``parameters``: the exact number of parameters with ``include_top=True`` (1000 ImageNet
  classes). An earlier revision of the same table printed these exact integers; the current one
  rounds them (e.g. "3.5M" for 3,538,984). Every value here was checked by building the model
  with ``weights=None`` in Keras 3.15.1 and rounds to the figure the table prints.
* ``default_input_size``, ``min_input_size``, ``feature_size``, ``weights_file_notop``: read from
  the Keras source (``keras/src/applications/*.py``, Keras 3.15.1): the ``default_size`` and
  ``min_size`` passed to ``imagenet_utils.obtain_input_shape`` (MobileNetV3 checks ``>= 32``
  itself), the channels of the ``pooling="avg"`` output, and the first argument of
  ``file_utils.get_file`` (the name under which the file is saved in ``~/.keras/models``) for
  ``include_top=False, weights="imagenet"`` at the default ``alpha``/input size.

Exceptions (recorded in each entry's ``notes``):

* MobileNetV3Small/Large are not in the "Available models" table. ``top1`` comes from the table
  in the Keras MobileNetV3 docstring (68.1% and 75.6%); that docstring gives no top-5, so
  ``top5`` is ``None``; ``size_mb`` is an estimate (float32 weights, parameters x 4 bytes in MiB,
  the same unit the table uses); ``parameters`` is the Keras model's own count (the docstring's
  2.9M / 5.4M are the TF-Slim checkpoint counts and do not match what Keras builds).
* ConvNeXtTiny: the table rows for ConvNeXt (109.42 MB, 81.3% top-1, no top-5, no depth) are
  from the current keras.io page but could not be re-checked against a stored copy of it.

Example:
    >>> from tl_helpers.keras_catalogue import KERAS_APPLICATIONS
    >>> app = KERAS_APPLICATIONS["mobilenet_v2"]
    >>> app.constructor, app.parameters, app.feature_size
    ('MobileNetV2', 3538984, 1280)
    >>> app.weights_file_notop
    'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KerasApplication", "KERAS_APPLICATIONS"]


@dataclass(frozen=True)
class KerasApplication:
    """One ``keras.applications`` model and its documented figures.

    Attributes:
        name: snake_case key, e.g. ``"mobilenet_v2"``.
        family: the architecture family, as grouped in the Keras documentation.
        constructor: attribute name in ``keras.applications``, e.g. ``"MobileNetV2"``.
        preprocess_module: ``keras.applications`` submodule whose ``preprocess_input`` goes
            with the model.
        default_input_size: height/width of the ImageNet weights (and of the model built
            with ``include_top=True``).
        min_input_size: smallest height/width the constructor accepts with
            ``include_top=False``.
        feature_size: channels of the output with ``include_top=False, pooling="avg"``.
        size_mb: size of the ImageNet weights, in MB as the documentation table gives it.
        top1: ImageNet top-1 accuracy as a fraction.
        top5: ImageNet top-5 accuracy as a fraction, ``None`` where not documented.
        parameters: number of parameters with ``include_top=True``.
        depth: the table's "Depth" column, ``None`` where the table gives none.
        file_format: format of the ImageNet weights file Keras downloads.
        weights_file_notop: file name Keras saves in ``~/.keras/models`` for
            ``include_top=False, weights="imagenet"`` at the default settings.
        year: year the paper first appeared (its arXiv version).
        paper: short citation, with the venue where it was published.
        notes: which figures do not come from the "Available models" table, if any.
    """

    name: str
    family: str
    constructor: str
    preprocess_module: str
    default_input_size: int
    min_input_size: int
    feature_size: int
    size_mb: float
    top1: float
    top5: float | None
    parameters: int
    depth: int | None
    file_format: str
    weights_file_notop: str
    year: int | None = None
    paper: str | None = None
    notes: str = ""


_ENTRIES = (
    KerasApplication(
        name="vgg16",
        family="VGG",
        constructor="VGG16",
        preprocess_module="vgg16",
        default_input_size=224,
        min_input_size=32,
        feature_size=512,
        size_mb=528,
        top1=0.713,
        top5=0.901,
        parameters=138_357_544,
        depth=16,
        file_format=".h5",
        weights_file_notop="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        year=2014,
        paper="Simonyan & Zisserman, Very Deep Convolutional Networks (ICLR 2015)",
    ),
    KerasApplication(
        name="vgg19",
        family="VGG",
        constructor="VGG19",
        preprocess_module="vgg19",
        default_input_size=224,
        min_input_size=32,
        feature_size=512,
        size_mb=549,
        top1=0.713,
        top5=0.900,
        parameters=143_667_240,
        depth=19,
        file_format=".h5",
        weights_file_notop="vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        year=2014,
        paper="Simonyan & Zisserman, Very Deep Convolutional Networks (ICLR 2015)",
    ),
    KerasApplication(
        name="resnet50",
        family="ResNet",
        constructor="ResNet50",
        preprocess_module="resnet",
        default_input_size=224,
        min_input_size=32,
        feature_size=2048,
        size_mb=98,
        top1=0.749,
        top5=0.921,
        parameters=25_636_712,
        depth=107,
        file_format=".h5",
        weights_file_notop="resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        year=2015,
        paper="He et al., Deep Residual Learning for Image Recognition (CVPR 2016)",
    ),
    KerasApplication(
        name="resnet50_v2",
        family="ResNet",
        constructor="ResNet50V2",
        preprocess_module="resnet_v2",
        default_input_size=224,
        min_input_size=32,
        feature_size=2048,
        size_mb=98,
        top1=0.760,
        top5=0.930,
        parameters=25_613_800,
        depth=103,
        file_format=".h5",
        weights_file_notop="resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
        year=2016,
        paper="He et al., Identity Mappings in Deep Residual Networks (ECCV 2016)",
    ),
    KerasApplication(
        name="resnet101",
        family="ResNet",
        constructor="ResNet101",
        preprocess_module="resnet",
        default_input_size=224,
        min_input_size=32,
        feature_size=2048,
        size_mb=171,
        top1=0.764,
        top5=0.928,
        parameters=44_707_176,
        depth=209,
        file_format=".h5",
        weights_file_notop="resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5",
        year=2015,
        paper="He et al., Deep Residual Learning for Image Recognition (CVPR 2016)",
    ),
    KerasApplication(
        name="inception_v3",
        family="Inception",
        constructor="InceptionV3",
        preprocess_module="inception_v3",
        default_input_size=299,
        min_input_size=75,
        feature_size=2048,
        size_mb=92,
        top1=0.779,
        top5=0.937,
        parameters=23_851_784,
        depth=189,
        file_format=".h5",
        weights_file_notop="inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        year=2015,
        paper="Szegedy et al., Rethinking the Inception Architecture (CVPR 2016)",
    ),
    KerasApplication(
        name="xception",
        family="Xception",
        constructor="Xception",
        preprocess_module="xception",
        default_input_size=299,
        min_input_size=71,
        feature_size=2048,
        size_mb=88,
        top1=0.790,
        top5=0.945,
        parameters=22_910_480,
        depth=81,
        file_format=".h5",
        weights_file_notop="xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
        year=2016,
        paper="Chollet, Xception: Depthwise Separable Convolutions (CVPR 2017)",
    ),
    KerasApplication(
        name="mobilenet",
        family="MobileNet",
        constructor="MobileNet",
        preprocess_module="mobilenet",
        default_input_size=224,
        min_input_size=32,
        feature_size=1024,
        size_mb=16,
        top1=0.704,
        top5=0.895,
        parameters=4_253_864,
        depth=55,
        file_format=".h5",
        weights_file_notop="mobilenet_1_0_224_tf_no_top.h5",
        year=2017,
        paper="Howard et al., MobileNets (arXiv 2017)",
    ),
    KerasApplication(
        name="mobilenet_v2",
        family="MobileNet",
        constructor="MobileNetV2",
        preprocess_module="mobilenet_v2",
        default_input_size=224,
        min_input_size=32,
        feature_size=1280,
        size_mb=14,
        top1=0.713,
        top5=0.901,
        parameters=3_538_984,
        depth=105,
        file_format=".h5",
        weights_file_notop="mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
        year=2018,
        paper="Sandler et al., MobileNetV2: Inverted Residuals (CVPR 2018)",
    ),
    KerasApplication(
        name="mobilenet_v3_small",
        family="MobileNet",
        constructor="MobileNetV3Small",
        preprocess_module="mobilenet_v3",
        default_input_size=224,
        min_input_size=32,
        feature_size=576,
        size_mb=9.7,
        top1=0.681,
        top5=None,
        parameters=2_554_968,
        depth=None,
        file_format=".h5",
        weights_file_notop="weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        year=2019,
        paper="Howard et al., Searching for MobileNetV3 (ICCV 2019)",
        notes=(
            "Not in the 'Available models' table: top1 from the Keras MobileNetV3 docstring "
            "(no top-5 given); size_mb estimated as float32 parameters; parameters counted "
            "from the Keras model (the docstring's 2.9M is the TF-Slim checkpoint count)."
        ),
    ),
    KerasApplication(
        name="mobilenet_v3_large",
        family="MobileNet",
        constructor="MobileNetV3Large",
        preprocess_module="mobilenet_v3",
        default_input_size=224,
        min_input_size=32,
        feature_size=960,
        size_mb=21.0,
        top1=0.756,
        top5=None,
        parameters=5_507_432,
        depth=None,
        file_format=".h5",
        weights_file_notop="weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5",
        year=2019,
        paper="Howard et al., Searching for MobileNetV3 (ICCV 2019)",
        notes=(
            "Not in the 'Available models' table: top1 from the Keras MobileNetV3 docstring "
            "(no top-5 given); size_mb estimated as float32 parameters; parameters counted "
            "from the Keras model (the docstring gives 5.4M, the TF-Slim checkpoint count)."
        ),
    ),
    KerasApplication(
        name="densenet121",
        family="DenseNet",
        constructor="DenseNet121",
        preprocess_module="densenet",
        default_input_size=224,
        min_input_size=32,
        feature_size=1024,
        size_mb=33,
        top1=0.750,
        top5=0.923,
        parameters=8_062_504,
        depth=242,
        file_format=".h5",
        weights_file_notop="densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        year=2016,
        paper="Huang et al., Densely Connected Convolutional Networks (CVPR 2017)",
    ),
    KerasApplication(
        name="nasnet_mobile",
        family="NASNet",
        constructor="NASNetMobile",
        preprocess_module="nasnet",
        default_input_size=224,
        min_input_size=32,
        feature_size=1056,
        size_mb=23,
        top1=0.744,
        top5=0.919,
        parameters=5_326_716,
        depth=389,
        file_format=".h5",
        weights_file_notop="nasnet_mobile_no_top.h5",
        year=2017,
        paper="Zoph et al., Learning Transferable Architectures (CVPR 2018)",
    ),
    KerasApplication(
        name="efficientnet_b0",
        family="EfficientNet",
        constructor="EfficientNetB0",
        preprocess_module="efficientnet",
        default_input_size=224,
        min_input_size=32,
        feature_size=1280,
        size_mb=29,
        top1=0.771,
        top5=0.933,
        parameters=5_330_571,
        depth=132,
        file_format=".h5",
        weights_file_notop="efficientnetb0_notop.h5",
        year=2019,
        paper="Tan & Le, EfficientNet: Rethinking Model Scaling (ICML 2019)",
    ),
    KerasApplication(
        name="efficientnet_v2_b0",
        family="EfficientNetV2",
        constructor="EfficientNetV2B0",
        preprocess_module="efficientnet_v2",
        default_input_size=224,
        min_input_size=32,
        feature_size=1280,
        size_mb=29,
        top1=0.787,
        top5=0.943,
        parameters=7_200_312,
        depth=None,
        file_format=".h5",
        weights_file_notop="efficientnetv2-b0_notop.h5",
        year=2021,
        paper="Tan & Le, EfficientNetV2: Smaller Models and Faster Training (ICML 2021)",
    ),
    KerasApplication(
        name="convnext_tiny",
        family="ConvNeXt",
        constructor="ConvNeXtTiny",
        preprocess_module="convnext",
        default_input_size=224,
        min_input_size=32,
        feature_size=768,
        size_mb=109.42,
        top1=0.813,
        top5=None,
        parameters=28_589_128,
        depth=None,
        file_format=".h5",
        weights_file_notop="convnext_tiny_notop.h5",
        year=2022,
        paper="Liu et al., A ConvNet for the 2020s (CVPR 2022)",
        notes=(
            "Table row (109.42 MB, 81.3% top-1, no top-5) not re-checked against a stored copy "
            "of the page; the paper reports 82.1% top-1. parameters counted from the Keras "
            "model (28.6M in the table)."
        ),
    ),
)

KERAS_APPLICATIONS: dict[str, KerasApplication] = {app.name: app for app in _ENTRIES}
