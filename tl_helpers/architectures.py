"""The course's own backbone architectures (small enough to pretrain on 2 CPU cores).

Two families of clearly different size and speed, so that choosing a model is a real decision:

* ``course_mobilenet`` - MobileNet-style depthwise-separable convolutions, ~20k parameters.
* ``course_resnet`` - a small ResNet (three residual stages), ~300k parameters.

Both take raw 0-255 images and do their own preprocessing (a ``Rescaling`` layer named
``"preprocess"`` maps 0-255 to -1..1), and end in global average pooling named ``"avg_pool"``
that outputs the feature vector. Pass ``num_classes`` to add a softmax classifier on top.

Example:
    >>> from tl_helpers.architectures import build_course_resnet
    >>> model = build_course_resnet(input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 128)
"""

from __future__ import annotations

__all__ = [
    "COURSE_ARCHITECTURES", "build_course_mobilenet", "build_course_resnet", "add_classifier"
]


def _conv_bn_relu(x, filters, kernel_size, strides, name):
    from keras import layers

    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _residual_block(x, filters, strides, name):
    from keras import layers

    shortcut = x
    y = _conv_bn_relu(x, filters, 3, strides, f"{name}_1")
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    y = layers.BatchNormalization(name=f"{name}_2_bn")(y)
    if strides != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(
            filters, 1, strides=strides, use_bias=False, name=f"{name}_proj_conv"
        )(shortcut)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.ReLU(name=f"{name}_out")(y)


def _separable_block(x, filters, strides, name):
    from keras import layers

    x = layers.DepthwiseConv2D(
        3, strides=strides, padding="same", use_bias=False, name=f"{name}_dw"
    )(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_dw_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_pw_relu")(x)


def _inputs(input_shape):
    import keras
    from keras import layers

    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="preprocess")(inputs)
    return inputs, x


def build_course_resnet(input_shape=(32, 32, 3), num_classes: int | None = None):
    """Build the small ResNet (stem + 3 residual stages of 32, 64, 128 filters).

    Args:
        input_shape: ``(height, width, channels)`` of the raw 0-255 input images.
        num_classes: if given, add a softmax classifier with this many classes.

    Returns:
        A ``keras.Model`` named ``"course_resnet"`` outputting 128 features (or probabilities).
    """
    import keras
    from keras import layers

    inputs, x = _inputs(input_shape)
    x = _conv_bn_relu(x, 32, 3, 1, "stem")
    x = _residual_block(x, 32, 1, "block1")
    x = _residual_block(x, 64, 2, "block2")
    x = _residual_block(x, 128, 2, "block3")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    model = keras.Model(inputs, x, name="course_resnet")
    return add_classifier(model, num_classes) if num_classes else model


def build_course_mobilenet(input_shape=(32, 32, 3), num_classes: int | None = None):
    """Build the MobileNet-style network (strided stem + 4 depthwise-separable blocks).

    Args:
        input_shape: ``(height, width, channels)`` of the raw 0-255 input images.
        num_classes: if given, add a softmax classifier with this many classes.

    Returns:
        A ``keras.Model`` named ``"course_mobilenet"`` outputting 128 features (or
        probabilities).
    """
    import keras
    from keras import layers

    inputs, x = _inputs(input_shape)
    x = _conv_bn_relu(x, 24, 3, 2, "stem")
    x = _separable_block(x, 48, 1, "block1")
    x = _separable_block(x, 64, 2, "block2")
    x = _separable_block(x, 96, 1, "block3")
    x = _separable_block(x, 128, 2, "block4")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    model = keras.Model(inputs, x, name="course_mobilenet")
    return add_classifier(model, num_classes) if num_classes else model


def add_classifier(base_model, num_classes: int, *, dropout: float = 0.0, name: str = "head"):
    """Return a model that runs ``base_model`` and adds a softmax ``Dense`` classifier.

    Plumbing used by the pretraining script and the benchmarks; it keeps ``base_model``'s
    weights shared (no copy).
    """
    import keras
    from keras import layers

    x = base_model.output
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name=name)(x)
    return keras.Model(base_model.input, outputs, name=f"{base_model.name}_classifier")


#: name -> (family, builder) of the course's own backbones.
COURSE_ARCHITECTURES = {
    "course_mobilenet": ("MobileNet", build_course_mobilenet),
    "course_resnet": ("ResNet", build_course_resnet),
}
