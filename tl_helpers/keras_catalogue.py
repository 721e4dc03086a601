"""Figures of the keras.applications families the course compares (plain data, no TensorFlow).

Size (MB), ImageNet top-1/top-5 accuracy and depth are those of the Keras documentation's table
"Available models" (keras.io/api/applications). MobileNetV3 is not in that table: its top-1 comes
from the Keras MobileNetV3 docstring and its size is left unknown (``None``). ``parameters`` is
the exact count of the full model (``include_top=True``) built offline with ``weights=None``;
``feature_size`` is the length of the pooled output with ``include_top=False,
pooling="avg"``; ``weights_file_notop`` is the file name Keras stores in
``$KERAS_HOME/models`` for the ImageNet weights without the classifier, at the default settings.

Example:
    >>> KERAS_APPLICATIONS["mobilenet_v2"].parameters
    3538984
"""

from __future__ import annotations

import dataclasses

__all__ = ["KerasApplication", "KERAS_APPLICATIONS"]


@dataclasses.dataclass(frozen=True)
class KerasApplication:
    """What the Keras documentation says about one keras.applications model."""

    name: str
    family: str
    constructor: str
    preprocess_module: str
    default_input_size: int
    min_input_size: int
    feature_size: int
    size_mb: float | None
    top1: float
    top5: float | None
    parameters: int
    depth: int | None
    weights_file_notop: str
    file_format: str = ".h5"
    year: int | None = None
    paper: str = ""


def _tf_kernels(stem: str) -> str:
    return f"{stem}_weights_tf_dim_ordering_tf_kernels_notop.h5"


_ENTRIES = [
    KerasApplication("vgg16", "VGG", "VGG16", "vgg16", 224, 32, 512, 528, 0.713, 0.901,
                     138_357_544, 16, _tf_kernels("vgg16"), year=2014,
                     paper="Simonyan & Zisserman, Very Deep Convolutional Networks"),
    KerasApplication("vgg19", "VGG", "VGG19", "vgg19", 224, 32, 512, 549, 0.713, 0.900,
                     143_667_240, 19, _tf_kernels("vgg19"), year=2014,
                     paper="Simonyan & Zisserman, Very Deep Convolutional Networks"),
    KerasApplication("resnet50", "ResNet", "ResNet50", "resnet", 224, 32, 2048, 98, 0.749,
                     0.921, 25_636_712, 107, _tf_kernels("resnet50"), year=2015,
                     paper="He et al., Deep Residual Learning"),
    KerasApplication("resnet50_v2", "ResNet", "ResNet50V2", "resnet_v2", 224, 32, 2048, 98,
                     0.760, 0.930, 25_613_800, 103, _tf_kernels("resnet50v2"), year=2016,
                     paper="He et al., Identity Mappings in Deep Residual Networks"),
    KerasApplication("resnet101", "ResNet", "ResNet101", "resnet", 224, 32, 2048, 171, 0.764,
                     0.928, 44_707_176, 209, _tf_kernels("resnet101"), year=2015,
                     paper="He et al., Deep Residual Learning"),
    KerasApplication("inception_v3", "Inception", "InceptionV3", "inception_v3", 299, 75,
                     2048, 92, 0.779, 0.937, 23_851_784, 189, _tf_kernels("inception_v3"),
                     year=2015, paper="Szegedy et al., Rethinking the Inception Architecture"),
    KerasApplication("xception", "Inception", "Xception", "xception", 299, 71, 2048, 88,
                     0.790, 0.945, 22_910_480, 81, _tf_kernels("xception"), year=2016,
                     paper="Chollet, Xception"),
    KerasApplication("mobilenet", "MobileNet", "MobileNet", "mobilenet", 224, 32, 1024, 16,
                     0.704, 0.895, 4_253_864, 55, "mobilenet_1_0_224_tf_no_top.h5", year=2017,
                     paper="Howard et al., MobileNets"),
    KerasApplication("mobilenet_v2", "MobileNet", "MobileNetV2", "mobilenet_v2", 224, 32, 1280,
                     14, 0.713, 0.901, 3_538_984, 105,
                     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                     year=2018, paper="Sandler et al., MobileNetV2"),
    KerasApplication("mobilenet_v3_small", "MobileNet", "MobileNetV3Small", "mobilenet_v3",
                     224, 32, 576, None, 0.681, None, 2_554_968, None,
                     "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5", year=2019,
                     paper="Howard et al., Searching for MobileNetV3"),
    KerasApplication("mobilenet_v3_large", "MobileNet", "MobileNetV3Large", "mobilenet_v3",
                     224, 32, 960, None, 0.756, None, 5_507_432, None,
                     "weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5", year=2019,
                     paper="Howard et al., Searching for MobileNetV3"),
    KerasApplication("densenet121", "DenseNet", "DenseNet121", "densenet", 224, 32, 1024, 33,
                     0.750, 0.923, 8_062_504, 242, _tf_kernels("densenet121"), year=2017,
                     paper="Huang et al., Densely Connected Convolutional Networks"),
    KerasApplication("nasnet_mobile", "NASNet", "NASNetMobile", "nasnet", 224, 32, 1056, 23,
                     0.744, 0.919, 5_326_716, 389, "nasnet_mobile_no_top.h5", year=2018,
                     paper="Zoph et al., Learning Transferable Architectures"),
    KerasApplication("efficientnet_b0", "EfficientNet", "EfficientNetB0", "efficientnet", 224,
                     32, 1280, 29, 0.771, 0.933, 5_330_571, 132, "efficientnetb0_notop.h5",
                     year=2019, paper="Tan & Le, EfficientNet"),
    KerasApplication("efficientnet_v2_b0", "EfficientNet", "EfficientNetV2B0",
                     "efficientnet_v2", 224, 32, 1280, 29, 0.787, 0.943, 7_200_312, None,
                     "efficientnetv2-b0_notop.h5", year=2021, paper="Tan & Le, EfficientNetV2"),
    KerasApplication("convnext_tiny", "ConvNeXt", "ConvNeXtTiny", "convnext", 224, 32, 768,
                     109.42, 0.813, None, 28_589_128, None, "convnext_tiny_notop.h5",
                     year=2022, paper="Liu et al., A ConvNet for the 2020s"),
]

#: name -> documented figures, in the order of the Keras documentation.
KERAS_APPLICATIONS: dict[str, KerasApplication] = {e.name: e for e in _ENTRIES}
