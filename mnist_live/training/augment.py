"""Augmentation that makes MNIST look like other writers and camera crops.

AutoKeras' own `ImageAugmentation` block does the rotation and the shift (flips off:
a flipped 2 is no digit). It has no working zoom (AutoKeras 3.0.0 reads `zoom_factor`
but leaves RandomZoom out, see its source) and nothing for the pen, so this module adds
one more block, `PenAugmentation`, with three Keras layers that are active in training
only and vanish at inference (and so from the exported .tflite):

    RandomZoom          the digit a little bigger or smaller than MNIST's 20x20 box
    RandomStrokeWidth   thicker or thinner strokes (a blend towards a 3x3 dilation or
                        erosion, made with max pooling) - marker, pencil, ballpoint
    RandomSoftness      a blend towards a 3x3 box blur - out-of-focus camera crops and
                        USPS-style scans

All three work on normalized images: max pooling and averaging commute with
Normalization's positive scale and shift, and the background stays the background.

This module imports Keras and AutoKeras at the top: import it from the trainer only.
"""

from __future__ import annotations

import autokeras as ak
import keras
import tree
from keras import layers, ops

PACKAGE = "mnist_live"


@keras.saving.register_keras_serializable(package=PACKAGE)
class RandomStrokeWidth(layers.Layer):
    """Thicken or thin each image's strokes by a random amount (training only).

    Each image draws t uniformly from [thinnest, thickest]: t > 0 blends the image
    towards its 3x3 grey dilation (t = 1 adds a pixel on every side of a stroke),
    t < 0 towards its 3x3 erosion.
    """

    def __init__(self, thinnest=-0.5, thickest=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.thinnest = float(thinnest)
        self.thickest = float(thickest)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        dilated = ops.max_pool(images, 3, strides=1, padding="same")
        eroded = -ops.max_pool(-images, 3, strides=1, padding="same")
        t = keras.random.uniform(
            (ops.shape(images)[0], 1, 1, 1), self.thinnest, self.thickest,
            seed=self.seed_generator,
        )
        return images + ops.relu(t) * (dilated - images) + ops.relu(-t) * (eroded - images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "thinnest": self.thinnest,
                "thickest": self.thickest, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class RandomSoftness(layers.Layer):
    """Blur each image by a random amount in [0, strength] of a 3x3 box blur (training only)."""

    def __init__(self, strength=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.strength = float(strength)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training or self.strength <= 0:
            return images
        blurred = ops.average_pool(images, 3, strides=1, padding="same")
        a = keras.random.uniform(
            (ops.shape(images)[0], 1, 1, 1), 0.0, self.strength, seed=self.seed_generator
        )
        return images + a * (blurred - images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "strength": self.strength, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PenAugmentation(ak.Block):
    """AutoKeras block: random zoom, stroke width and softness, fixed (not tuned)."""

    def __init__(self, zoom=0.1, thinnest=-0.5, thickest=1.0, softness=0.5, **kwargs):
        super().__init__(**kwargs)
        self.zoom = zoom
        self.thinnest = thinnest
        self.thickest = thickest
        self.softness = softness

    def build(self, hp, inputs=None):
        x = tree.flatten(inputs)[0]
        if self.zoom:
            # The same factor for height and width keeps the digit's shape;
            # "nearest" fill keeps the (normalized) background at the border.
            x = layers.RandomZoom(self.zoom, fill_mode="nearest")(x)
        if self.thinnest or self.thickest:
            x = RandomStrokeWidth(self.thinnest, self.thickest)(x)
        if self.softness:
            x = RandomSoftness(self.softness)(x)
        return x

    def get_config(self):
        return {**super().get_config(), "zoom": self.zoom, "thinnest": self.thinnest,
                "thickest": self.thickest, "softness": self.softness}
