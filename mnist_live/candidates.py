"""Find the blobs of ink that may each be one digit.

Binary image (ink = 255) -> morphological close -> external contours -> boxes, with the
ones that cannot be a readable digit removed: touching the frame's border, too small,
too large, or shaped like a line or a speck. All limits are relative to the frame, so
the same settings work on a 640x480 webcam frame and a 4000x3000 phone photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in pixels


@dataclass(frozen=True)
class CandidateLimits:
    """What a blob must look like to be sent to the classifier."""

    border_fraction: float  # ignore blobs closer than this * shorter side to the edge
    min_height_fraction: float = 0.025  # of the frame's shorter side
    min_height_px: int = 10  # below this a digit has too few pixels to read
    max_height_fraction: float = 0.95
    max_width_to_height: float = 1.6  # wider blobs are lines, underlines or two digits
    min_ink_fraction: float = 0.04  # ink pixels / box area: thinner is a ruled line


@dataclass
class Candidate:
    """A blob of ink: its box and the mask of the ink inside the box."""

    box: Box
    mask: np.ndarray  # uint8 0/255, shape (h, w): this blob's ink only

    @property
    def height(self) -> int:
        return self.box[3]


def close_gaps(binary: np.ndarray, digit_height: float) -> np.ndarray:
    """Close small gaps in strokes; the kernel grows with the digits' size."""
    size = int(max(3, round(digit_height / 16)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(binary, cv2.MORPH_CLOSE, kernel)


def find_candidates(
    cleaned: np.ndarray, limits: CandidateLimits
) -> tuple[list[Candidate], list[Box]]:
    """Return (candidates kept, boxes rejected) from a cleaned binary image."""
    frame_h, frame_w = cleaned.shape[:2]
    short_side = min(frame_h, frame_w)
    border = round(limits.border_fraction * short_side)
    min_h = max(limits.min_height_px, limits.min_height_fraction * short_side)
    max_h = limits.max_height_fraction * frame_h

    contours, _ = cv2.findContours(cleaned, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    kept: list[Candidate] = []
    rejected: list[Box] = []
    for contour in contours:
        x, y, w, h = (int(v) for v in cv2.boundingRect(contour))
        box = (x, y, w, h)
        touches_border = (
            x < border or y < border or x + w > frame_w - border or y + h > frame_h - border
        )
        if touches_border or h < min_h or h > max_h or w > limits.max_width_to_height * h:
            rejected.append(box)
            continue
        # This blob's ink only: a neighbour's stroke inside the box must not leak in.
        mask = np.zeros((h, w), np.uint8)
        cv2.drawContours(mask, [contour], -1, 255, cv2.FILLED, offset=(-x, -y))
        mask = cv2.bitwise_and(mask, cleaned[y : y + h, x : x + w])
        if cv2.countNonZero(mask) < limits.min_ink_fraction * w * h:
            rejected.append(box)
            continue
        kept.append(Candidate(box, mask))
    return kept, rejected
