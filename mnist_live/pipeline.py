"""The whole reading pipeline, frame in, digits and numbers out.

    frame -> gray -> working size -> binarize -> close -> candidates
          -> 28x28 MNIST crops -> classifier (one invoke) -> confident digits -> numbers

Each stage lives in its own module; this one only chains them and maps boxes back to
the frame's own pixels. `DigitReader.read(frame, keep_steps=True)` also returns the
intermediate pictures that opencv_preprocessing_test.py saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from . import config
from .binarize import binarize, to_gray
from .candidates import Box, CandidateLimits, close_gaps, find_candidates
from .classifier import DigitClassifier
from .normalize import mnist_crop
from .numbers import NumberReading, group_numbers


@dataclass(frozen=True)
class PipelineSettings:
    """Every knob of the pipeline, with the defaults the scripts use."""

    threshold: str | int = config.DEFAULT_THRESHOLD
    min_confidence: float = config.DEFAULT_MIN_CONFIDENCE
    border_fraction: float = config.DEFAULT_BORDER_FRACTION
    # Frames larger than this (longer side) are scaled down for the search; boxes are
    # reported in the frame's own pixels.
    max_working_side: int = 1280


@dataclass(frozen=True)
class DigitDetection:
    """One digit read in a frame; `box` is (x, y, w, h) in the frame's pixels."""

    digit: int
    confidence: float
    box: Box
    probabilities: np.ndarray = field(repr=False, compare=False)

    def to_json(self) -> dict:
        return {"digit": self.digit, "confidence": round(self.confidence, 4),
                "box": list(self.box)}


@dataclass
class FrameReading:
    """What the pipeline read in one frame."""

    width: int
    height: int
    digits: list[DigitDetection]
    numbers: list[NumberReading]
    # The global threshold level used (Otsu's or the manual one); NaN for adaptive.
    level: float = float("nan")
    # Candidates the classifier was not sure about (below --min-confidence).
    unsure: list[DigitDetection] = field(default_factory=list)
    # Every classified candidate, in the order of `crops`.
    classified: list[DigitDetection] = field(default_factory=list)
    # Boxes thrown out before classification (border, size, shape).
    rejected: list[Box] = field(default_factory=list)
    # With keep_steps: name -> picture, and the 28x28 crops of all candidates.
    steps: dict[str, np.ndarray] = field(default_factory=dict)
    crops: np.ndarray | None = None

    def to_json(self) -> dict:
        return {
            "digits": [d.to_json() for d in self.digits],
            "numbers": [{"text": n.text, "box": list(n.box)} for n in self.numbers],
        }


def working_image(gray: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Scale `gray` down so its longer side is at most `max_side`; return (image, scale)."""
    longer = max(gray.shape[:2])
    if longer <= max_side:
        return gray, 1.0
    scale = max_side / longer
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), scale


def _to_frame_box(box: Box, scale: float, frame_w: int, frame_h: int) -> Box:
    if scale == 1.0:
        return box
    x, y, w, h = (v / scale for v in box)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(frame_w, int(np.ceil(x + w))), min(frame_h, int(np.ceil(y + h)))
    return (x0, y0, x1 - x0, y1 - y0)


class DigitReader:
    """Reads digits and numbers in frames with one classifier and one set of settings."""

    def __init__(self, classifier: DigitClassifier, settings: PipelineSettings | None = None):
        self.classifier = classifier
        self.settings = settings or PipelineSettings()

    def read(self, frame: np.ndarray, keep_steps: bool = False) -> FrameReading:
        settings = self.settings
        frame_h, frame_w = frame.shape[:2]
        gray_full = to_gray(frame)
        gray, scale = working_image(gray_full, settings.max_working_side)

        # A first guess of the digits' height sets the size of every window below.
        digit_height = min(gray.shape[:2]) / 10
        binarized = binarize(gray, settings.threshold, scale=digit_height)
        cleaned = close_gaps(binarized.binary, digit_height)
        limits = CandidateLimits(border_fraction=settings.border_fraction)
        candidates, rejected = find_candidates(cleaned, limits)

        crops = np.stack([mnist_crop(c.mask) for c in candidates]) if candidates else (
            np.zeros((0, config.MNIST_SIZE, config.MNIST_SIZE), np.uint8)
        )
        probabilities = self.classifier.probabilities(crops)

        classified = [
            DigitDetection(
                int(probs.argmax()), float(probs.max()),
                _to_frame_box(candidate.box, scale, frame_w, frame_h), probs,
            )
            for candidate, probs in zip(candidates, probabilities, strict=True)
        ]
        digits = [d for d in classified if d.confidence >= settings.min_confidence]
        unsure = [d for d in classified if d.confidence < settings.min_confidence]
        # Reading order: numbers group the digits; list digits in the same order.
        numbers = group_numbers([d.digit for d in digits], [d.box for d in digits])
        order = [i for number in numbers for i in number.members]
        digits = [digits[i] for i in order]
        numbers = [
            NumberReading(n.text, n.box, tuple(order.index(i) for i in n.members))
            for n in numbers
        ]

        reading = FrameReading(
            width=frame_w, height=frame_h, digits=digits, numbers=numbers,
            level=binarized.level, unsure=unsure,
            classified=classified,
            rejected=[_to_frame_box(b, scale, frame_w, frame_h) for b in rejected],
        )
        if keep_steps:
            reading.steps = {
                "gray": gray_full,
                "ink": binarized.ink,
                "binary": binarized.binary,
                "cleaned": cleaned,
            }
            reading.crops = crops
        return reading


__all__ = [
    "DigitDetection",
    "DigitReader",
    "FrameReading",
    "NumberReading",
    "PipelineSettings",
]
