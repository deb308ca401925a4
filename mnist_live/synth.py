"""A synthetic camera: a page of handwritten-looking numbers drifting in front of it.

`--source synth` lets a person without a webcam try the live script, and gives tests a
camera whose truth is known. Digits are drawn with OpenCV's script fonts (the nearest it
has to handwriting) on off-white paper with sensor noise; the page drifts slowly in a
loop, so every frame differs a little, as a hand-held page would.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .boxes import Box

SCRIPT_FONTS = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
PAPER = 225  # gray level of the paper
INK = (70, 45, 35)  # dark blue-black, BGR


@dataclass(frozen=True)
class SynthDigit:
    digit: int
    box: Box  # on the page, before the drift


@dataclass(frozen=True)
class SynthPage:
    """A page and what is written on it."""

    image: np.ndarray  # BGR
    digits: tuple[SynthDigit, ...]
    numbers: tuple[str, ...]


def make_page(width: int, height: int, seed: int = 0) -> SynthPage:
    """Draw three lines of numbers (1-4 digits each) in script fonts on a page."""
    rng = np.random.default_rng(seed)
    page = np.full((height, width, 3), PAPER, np.uint8)
    digit_h = max(20, height // 9)
    font_scale = digit_h / 22.0  # script fonts are ~22 px tall at scale 1
    thickness = max(2, round(digit_h / 14))
    digits: list[SynthDigit] = []
    numbers: list[str] = []
    rows = 3
    for row in range(rows):
        baseline = int(height * (row + 1.2) / (rows + 0.8)) + digit_h // 2
        x = int(width * 0.12)
        while x < width * 0.75:
            text = "".join(str(d) for d in rng.integers(0, 10, size=rng.integers(1, 5)))
            font = SCRIPT_FONTS[int(rng.integers(len(SCRIPT_FONTS)))]
            drawn = ""
            for ch in text:
                mask = np.zeros((height, width), np.uint8)
                cv2.putText(mask, ch, (x, baseline), font, font_scale, 255, thickness,
                            cv2.LINE_AA)
                ys, xs = np.nonzero(mask > 96)
                if xs.size == 0 or xs.max() >= width * 0.9:
                    break
                page[mask > 0] = (
                    page[mask > 0] * (1 - mask[mask > 0, None] / 255.0)
                    + np.array(INK) * (mask[mask > 0, None] / 255.0)
                ).astype(np.uint8)
                box = (int(xs.min()), int(ys.min()), int(np.ptp(xs) + 1), int(np.ptp(ys) + 1))
                digits.append(SynthDigit(int(ch), box))
                drawn += ch
                x = box[0] + box[2] + max(2, digit_h // 8)
            if drawn:
                numbers.append(drawn)
            x += int(digit_h * 1.6)
    return SynthPage(page, tuple(digits), tuple(numbers))


class SynthCamera:
    """Frames of one page drifting in a slow loop, with fresh sensor noise each frame."""

    def __init__(self, width: int = 640, height: int = 480, seed: int = 0):
        self.width, self.height = width, height
        self.page = make_page(width, height, seed)
        self._rng = np.random.default_rng(seed + 1)
        self.frame_index = 0

    def offset(self, index: int) -> tuple[float, float]:
        """The page's drift at frame `index`: a slow ellipse a few percent of the frame."""
        t = 2 * np.pi * index / 240
        return 0.03 * self.width * np.sin(t), 0.02 * self.height * np.sin(2 * t)

    def truth(self, index: int) -> list[SynthDigit]:
        """The digits and their boxes as seen in frame `index`."""
        dx, dy = self.offset(index)
        return [
            SynthDigit(d.digit, (round(d.box[0] + dx), round(d.box[1] + dy), d.box[2], d.box[3]))
            for d in self.page.digits
        ]

    def read(self) -> np.ndarray:
        dx, dy = self.offset(self.frame_index)
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        frame = cv2.warpAffine(self.page.image, shift, (self.width, self.height),
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(PAPER,) * 3)
        noise = self._rng.normal(0, 4, frame.shape).astype(np.int16)
        self.frame_index += 1
        return np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)
