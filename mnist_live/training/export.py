"""Step 3: turn the best Keras model into two TensorFlow Lite (LiteRT) files.

    float   the Keras model as it is (float32 weights and arithmetic)
    int8    full-integer quantization: int8 weights and activations, calibrated on
            images from the TRAINING split

Both keep the model's own first layers (AutoKeras' cast to float and the normalization
learnt from the training data), so both take what the reference's model took: raw uint8
pixels [N, 28, 28], white digit on black, and give 10 probabilities. In the int8 file
the normalization is folded into the input's quantization.

Converting happens in memory; the caller writes the bytes with `atomic.write_bytes`.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

REPRESENTATIVE_IMAGES = 1000


@contextlib.contextmanager
def _quiet_keras_export():
    """Keras prints the whole SavedModel signature while the converter exports it."""
    import keras

    was_on = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()
    try:
        yield
    finally:
        if was_on:
            keras.config.enable_interactive_logging()


def to_float_tflite(model) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    with _quiet_keras_export():
        return converter.convert()


def to_int8_tflite(model, representative: np.ndarray) -> bytes:
    """Full-integer model; `representative` are uint8 training images (N, 28, 28)."""
    import tensorflow as tf

    def samples():
        for image in representative:
            yield [image[None]]  # one image at a time, in the model's input dtype

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = samples
    # Integer kernels only: conversion fails rather than leave a float op inside.
    # The uint8 input stays as it is (a CAST and QUANTIZE open the graph) and the
    # output is dequantized to float32 probabilities.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    with _quiet_keras_export(), warnings.catch_warnings():
        # The converter expects a float input to calibrate; ours is uint8 pixels,
        # which need no statistics.
        warnings.filterwarnings("ignore", "Statistics for quantized inputs")
        return converter.convert()


def representative_images(x_train: np.ndarray, seed: int,
                          count: int = REPRESENTATIVE_IMAGES) -> np.ndarray:
    """A random sample of the training images for calibration."""
    pick = np.random.default_rng(seed).permutation(len(x_train))[:count]
    return x_train[np.sort(pick)]
