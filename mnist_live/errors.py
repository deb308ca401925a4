"""Errors a user can act on.

The scripts catch these and print the message as one line, with no traceback.
Anything else that escapes is a bug in the toolkit.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input, files or machine, explained in one line."""


class ModelError(UserError):
    """The .tflite model is missing, unreadable or not a 28x28 -> 10-class model."""


class RuntimeNotAvailable(UserError):
    """No TFLite interpreter (LiteRT, tflite-runtime or TensorFlow) can be imported."""


class ImageError(UserError):
    """An image file is missing or cannot be decoded."""


class SourceError(UserError):
    """A camera, video, stream or other frame source cannot be opened or read."""


class DataError(UserError):
    """A training data file is missing or not MNIST-shaped."""
