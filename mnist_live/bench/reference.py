"""The reference project's pipeline, step for step: the benchmark's baseline row.

Source: alankrantas/MNIST-Live-Detection-TFLite, `mnist_tflite_detection.py` (one still
image) and `mnist_tflite_live_detection.py` (webcam frames). Both run the same steps;
each step below names the reference's own constant or call:

 1. Gray: `cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)`. No blur before thresholding.
 2. One global level: `cv2.threshold(gray, 0, 255, THRESH_BINARY_INV | THRESH_OTSU)`,
    so dark ink becomes white on black. Light ink on a dark board comes out inverted.
 3. `cv2.morphologyEx(binary, MORPH_CLOSE, MORPH_KERNEL)`, a 5x5 rectangle.
 4. `cv2.findContours(binary, RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)`; `cv2.boundingRect`.
 5. Skip a box touching the IMG_BORDER = 40 px frame border:
    `x < 40 or x + w > (W - 1) - 40 or y < 40 or y + h > (H - 1) - 40`. W, H are the
    frame's size (the still script reads them from the image; the live one sets the
    camera to 640x480).
 6. Skip a box that is too small or too large: `w < 28 // 2 or h < 28 // 2 or
    w > W // 2 or h > H // 2` (28 = the model's input size).
 7. Crop the box from the *closed binary* image and pad it with black to a square,
    plus `r // 5` on every side, `r = max(w, h)`: `y_pad = (w - h) // 2 + r // 5` when
    w > h, else `r // 5`; `x_pad` likewise; `cv2.copyMakeBorder(..., BORDER_CONSTANT)`.
    No 20x20 ink box, no centre of mass: not the way MNIST was made.
 8. `cv2.resize(crop, (28, 28), interpolation=cv2.INTER_AREA)`.
 9. One `interpreter.invoke()` per crop; label = argmax, probability = its score.
10. Report it only if probability >= DETECT_THRESHOLD = 0.7 (both scripts).

The model is `reference_mnist.tflite` (the reference's published model) run through
our DigitClassifier, called with one crop at a time as the reference did.
`ReferenceReader.read()` returns a reading shaped like `mnist_live.pipeline`'s, so both
pipelines go through the same scorer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .. import config
from ..classifier import ClassifierOptions, DigitClassifier

BORDER = 40  # IMG_BORDER
MIN_CONFIDENCE = 0.7  # DETECT_THRESHOLD
CLOSE_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))  # MORPH_KERNEL
INPUT_SIZE = config.MNIST_SIZE

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Detection:
    """One reported digit, with the same fields as the pipeline's DigitDetection."""

    digit: int
    confidence: float
    box: Box


@dataclass
class Reading:
    """What the reference read in one frame. It has no idea of numbers."""

    digits: list[Detection]
    numbers: list = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    """A box that passed the reference's border and size checks, and its 28x28 crop."""

    box: Box
    crop: np.ndarray


def reference_model_path():
    """The reference's published model in the shared data folder."""
    return config.data_dir() / "reference_mnist.tflite"


class ReferenceReader:
    """Read digits exactly the way the reference project did."""

    def __init__(
        self,
        classifier: DigitClassifier | None = None,
        border: int = BORDER,
        min_confidence: float = MIN_CONFIDENCE,
    ):
        self.classifier = classifier or DigitClassifier(
            ClassifierOptions(model_path=reference_model_path())
        )
        self.border = border
        self.min_confidence = min_confidence

    def binarize(self, frame: np.ndarray) -> np.ndarray:
        """Steps 1-3: frame -> closed white-on-black binary image."""
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        return cv2.morphologyEx(binary, cv2.MORPH_CLOSE, CLOSE_KERNEL)

    def candidates(self, frame: np.ndarray) -> list[Candidate]:
        """Steps 1-8: the boxes the reference would classify, with their crops."""
        binary = self.binarize(frame)
        height, width = binary.shape
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        found = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            b = self.border
            if x < b or x + w > (width - 1) - b or y < b or y + h > (height - 1) - b:
                continue
            if (w < INPUT_SIZE // 2 or h < INPUT_SIZE // 2
                    or w > width // 2 or h > height // 2):
                continue
            found.append(Candidate((x, y, w, h), square_crop(binary, (x, y, w, h))))
        return found

    def read(self, frame: np.ndarray) -> Reading:
        """Steps 1-10: the digits the reference would report in `frame`."""
        digits = []
        for candidate in self.candidates(frame):
            # One invoke per crop, as the reference did (no batching).
            result = self.classifier.classify(candidate.crop[None])[0]
            if result.confidence >= self.min_confidence:
                digits.append(Detection(result.digit, result.confidence, candidate.box))
        return Reading(digits)


def square_crop(binary: np.ndarray, box: Box) -> np.ndarray:
    """Steps 7-8: pad the box to a square plus a fifth, and shrink it to 28x28."""
    x, y, w, h = box
    crop = binary[y : y + h, x : x + w]
    r = max(w, h)
    y_pad = ((w - h) // 2 if w > h else 0) + r // 5
    x_pad = ((h - w) // 2 if h > w else 0) + r // 5
    crop = cv2.copyMakeBorder(crop, y_pad, y_pad, x_pad, x_pad, cv2.BORDER_CONSTANT, value=0)
    return cv2.resize(crop, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
